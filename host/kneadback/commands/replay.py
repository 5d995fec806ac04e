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
from pathlib import Path
from typing import TYPE_CHECKING

from kneadback.app import Run, Settings, add_lsl_argument, check_screenshot
from kneadback.clock import ManualClock, MonotonicClock
from kneadback.coach.sound import sound_settings
from kneadback.errors import InputError
from kneadback.event_types import EventType

if TYPE_CHECKING:
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
    add_lsl_argument(parser)
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


def run(args: argparse.Namespace) -> int:
    from kneadback.analysis import session_progress
    from kneadback.commands import live
    from kneadback.progress import wanted
    from kneadback.sources.replay import ReplaySource
    from kneadback.store.reader import open_recording

    speed = parse_speed(args.speed)
    if not (math.isfinite(args.start) and args.start >= 0):
        raise InputError(f"replay: --from {args.start} must be a time in seconds, 0 or more")
    screenshot = Path(args.screenshot) if args.screenshot else None
    check_screenshot("replay", screenshot, jsonl=args.jsonl, no_gui=args.no_gui,
                     off="--speed max" if math.isinf(speed) else None)
    if args.lsl and math.isinf(speed):
        raise InputError("replay: --lsl needs a finite --speed (LSL stamps follow the replay's pace)")
    rec = open_recording(args.session)
    if args.start > rec.duration_s:
        rec.close()
        raise InputError(f"replay: --from {args.start:g} s is past the end of the session ({rec.duration_s:.1f} s)")
    settings = Settings(speed=speed, sound=sound_settings(), jsonl=args.jsonl, gui=not (args.no_gui or args.jsonl),
                        screenshot=screenshot, record=False, lsl=args.lsl)
    gui = settings.gui and (live.has_display() or screenshot is not None)
    if gui and math.isfinite(speed):
        return _run_gui(settings, rec, args.start)
    run = Run(settings, ManualClock() if math.isinf(speed) else MonotonicClock(), recording=rec)
    source = ReplaySource(rec, run.clock, speed=speed, start=args.start)
    if settings.gui and not gui:
        run.notices.say("no display; showing the terminal view")
    session = run.session(run.terminal_sinks(sys.stdout), source)
    # as fast as it goes: a bar, unless the terminal view draws its status line on that terminal too
    bar = math.isinf(speed) and wanted(machine_output=args.jsonl) and not sys.stdout.isatty()
    with session_progress(session, f"replaying {source.spec}", rec.duration_s - args.start, enabled=bar):
        return live.run_terminal(session)


def _run_gui(settings: Settings, rec: Recording, start: float) -> int:
    from kneadback.sources.replay import ReplaySource
    from kneadback.ui import dashboard
    from kneadback.ui.dashboard.replay import PlaybackClock, ReplayController

    clock = PlaybackClock(MonotonicClock(), rate=settings.speed)
    run = Run(settings, clock, recording=rec)
    source = ReplaySource(rec, clock, speed=1.0, start=start)
    session = run.session(run.sound_sinks(), source)
    bout_starts = [e.data["start"] for e in rec.events if e.type == EventType.BOUT]
    controller = ReplayController(source, clock, bout_starts, keep_open=settings.screenshot is None)
    return dashboard.run_dashboard(session, clock, screenshot=settings.screenshot, replay=controller)
