"""`kneadback replay SESSION|FILE`: play a recorded session through the live pipeline.

The engine and the coach run exactly as they did live (same targets, spot, spot history as of
the session's start), so the strokes and cues are the ones the user got then. The dashboard
shows it when there is a display (with play/pause, seek and speed), else the terminal view;
`--jsonl` prints one JSON object a line, as `kneadback live --jsonl` does.

`--from S` (like a seek in the dashboard) starts with the session exactly as it was at S: the
engine, the coach, the bouts, the day's counts and the score are rebuilt from the recording up to
S (`Session.restart_at`), so from S on the strokes and cues are those of the whole replay.
"""

from __future__ import annotations

import argparse
import math
import sys
from typing import TYPE_CHECKING

from kneadback.clock import Clock, ManualClock, MonotonicClock
from kneadback.coach.setup import DEFAULT_SPOT, sound_settings
from kneadback.errors import InputError

if TYPE_CHECKING:
    from kneadback.coach.coach import Coach
    from kneadback.session import Session
    from kneadback.sources.replay import ReplaySource
    from kneadback.store.reader import Recording

HELP = "replay a recorded session (id, database or JSON export) through the same pipeline as live"
ORDER = 41


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("session", metavar="SESSION|FILE", help="a session id (see `kneadback sessions`), `last`, "
                        "a kneadback database or a JSON export")
    parser.add_argument("--speed", default="1", metavar="X",
                        help="X times real time (default 1); `max` for as fast as it goes (terminal only)")
    parser.add_argument("--from", dest="start", type=float, default=0.0, metavar="SECONDS",
                        help="start this many seconds into the session")
    parser.add_argument("--no-gui", action="store_true", help="terminal view instead of the dashboard")
    parser.add_argument("--jsonl", action="store_true", help="print one JSON object a line (implies --no-gui)")
    parser.add_argument("--screenshot", metavar="PATH", help="save the dashboard window to a PNG when the replay ends")
    parser.set_defaults(func=run)


def parse_speed(text: str) -> float:
    if text.strip().lower() in ("max", "inf"):
        return math.inf
    try:
        speed = float(text)
    except ValueError:
        raise InputError(f"replay: --speed {text!r} must be a factor such as 2 or 0.5, or max") from None
    if not (math.isfinite(speed) and speed > 0):
        raise InputError(f"replay: --speed {text} must be a positive factor")
    return speed


def coach_for_replay(rec: Recording) -> Coach:
    """The coach as it was at the session's start: its targets, spot and spot history."""
    from kneadback.coach.coach import Coach
    from kneadback.store.scoring import targets_of
    from kneadback.store.spots import SqliteSpotHistory

    row = rec.meta
    sound = sound_settings(argparse.Namespace())
    goals = targets_of(row)
    return Coach(goals, row.spot or DEFAULT_SPOT, SqliteSpotHistory(before=row.wall_start, bout_s=goals.bout_s),
                 row.wall_start, metronome=sound.metronome, mute=sound.mute)


def replay_session(rec: Recording, source: ReplaySource, clock: Clock, sinks: list, coach: Coach | None = None) -> Session:
    from kneadback.engine.engine import Engine
    from kneadback.session import Session

    return Session(source, clock, analyzer=Engine(force_model=rec.force_model), coach=coach or coach_for_replay(rec),
                   sinks=sinks)


def run(args: argparse.Namespace) -> int:
    from kneadback.analysis import session_progress
    from kneadback.commands import live
    from kneadback.notices import held_notices
    from kneadback.progress import wanted
    from kneadback.sources.replay import ReplaySource
    from kneadback.store.reader import open_recording

    speed = parse_speed(args.speed)
    if not (math.isfinite(args.start) and args.start >= 0):
        raise InputError(f"replay: --from {args.start} must be a time in seconds, 0 or more")
    live.check_screenshot("replay", args, "--speed max" if math.isinf(speed) else None)
    rec = open_recording(args.session)
    if args.start > rec.duration_s:
        rec.close()
        raise InputError(f"replay: --from {args.start:g} s is past the end of the session ({rec.duration_s:.1f} s)")
    coach = coach_for_replay(rec)
    # what the live command's sinks expect to find on its arguments
    args.coach_instance = coach
    args.speed = speed
    args.spot = coach.spot
    gui = not (args.no_gui or args.jsonl) and (live.has_display() or args.screenshot)
    if gui and math.isfinite(speed):
        return _run_gui(args, rec, coach, speed)
    clock: Clock = ManualClock() if math.isinf(speed) else MonotonicClock()
    source = ReplaySource(rec, clock, speed=speed, start=args.start)
    notices = held_notices(args)  # said once the session reports: all is checked then
    if not (args.no_gui or args.jsonl) and not gui:
        notices.say("no display; showing the terminal view")
    from kneadback.ending import ReplayEnding

    sinks = [notices, *live.make_sinks(args, clock), ReplayEnding(rec, source, sys.stdout, jsonl=args.jsonl)]
    session = replay_session(rec, source, clock, sinks, coach)
    # as fast as it goes: a bar, unless the terminal view draws its status line on that terminal too
    bar = math.isinf(speed) and wanted(machine_output=args.jsonl) and not sys.stdout.isatty()
    with session_progress(session, f"replaying {source.spec}", rec.duration_s - args.start, enabled=bar):
        return live.run_terminal(session)


def _run_gui(args: argparse.Namespace, rec: Recording, coach: Coach, speed: float) -> int:
    from pathlib import Path

    from kneadback.commands import live
    from kneadback.sources.replay import ReplaySource
    from kneadback.ui import dashboard
    from kneadback.ui.dashboard.replay import PlaybackClock, ReplayController
    from kneadback.ui.terminal import JsonLinesSink, TerminalView

    clock = PlaybackClock(MonotonicClock(), rate=speed)
    source = ReplaySource(rec, clock, speed=1.0, start=args.start)
    from kneadback.ending import ReplayEnding

    sinks = [s for s in live.make_sinks(args, clock) if not isinstance(s, (TerminalView, JsonLinesSink))]
    sinks.append(ReplayEnding(rec, source, sys.stdout, jsonl=args.jsonl))
    session = replay_session(rec, source, clock, sinks, coach)
    bout_starts = [e.data["start"] for e in rec.events if e.type == "bout"]
    controller = ReplayController(source, clock, bout_starts, keep_open=args.screenshot is None)
    screenshot = Path(args.screenshot) if args.screenshot else None
    return dashboard.run_dashboard(session, clock, screenshot=screenshot, replay=controller)
