"""`kneadback live`: a board (or the simulated tool) live, through the whole session pipeline.

The session is assembled in steps that other views extend: `source_options` and
`open_live_source` (where samples come from), `make_analyzer` and `make_coach` (what is
worked out from them), `make_sinks` (who listens: the terminal line, JSON lines, a recorder…),
then `run_terminal` or `run_gui` drives it. The source is made first, so a wrong spec is the
only line printed; what the command has to tell (no board, no display, no sound) waits for the
session's first report (`kneadback.notices`), when every input has been checked.
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from kneadback.clock import Clock, MonotonicClock
from kneadback.coach import setup as coach_setup
from kneadback.errors import InputError

if TYPE_CHECKING:  # each step imports what it builds: registering the flags stays light
    from kneadback.session import Analyzer, Coach, Session, Sink
    from kneadback.sources.base import Source, SourceOptions

HELP = "live view and coaching: a board on a serial port, or the simulated tool when none is attached"
ORDER = 10


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source",
        metavar="SPEC",
        default=None,
        help="none given: the attached board, else the simulated tool; auto: the attached board only; a port "
        "(/dev/ttyACM0, COM3), loop://, socket://HOST:PORT, sim[:SCENARIO], emu[:NAME], or a recording",
    )
    parser.add_argument("--no-gui", action="store_true", help="terminal view instead of the dashboard")
    parser.add_argument("--screenshot", metavar="PATH", help="save the dashboard window to a PNG when the run ends")
    parser.add_argument("--jsonl", action="store_true", help="print one JSON object a line (implies --no-gui)")
    parser.add_argument("--duration", type=float, metavar="S", help="stop after S seconds of session time")
    parser.add_argument("--speed", type=float, default=1.0, metavar="X", help="simulated sources: X times real time (default 1)")
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="simulated sources: random seed (default 0)")
    parser.add_argument(
        "--baud", type=int, default=115200, metavar="B", help="serial baud rate (default 115200, as the firmware)"
    )
    parser.add_argument("--rate", type=float, metavar="HZ", help="sample rate of a plain-text board (default: estimated)")
    coach_setup.add_arguments(parser)
    parser.add_argument("--no-record", dest="record", action="store_false",
                        help="do not record this session (recording is on by default)")
    parser.set_defaults(func=run)


def check_args(args: argparse.Namespace) -> None:
    """Refuse absurd flag values with one line."""
    def bad(flag: str, value: object, why: str) -> InputError:
        return InputError(f"live: {flag} {value} {why}")

    if args.duration is not None and not (math.isfinite(args.duration) and args.duration > 0):
        raise bad("--duration", args.duration, "must be a positive number of seconds")
    if not (math.isfinite(args.speed) and args.speed > 0):
        raise bad("--speed", args.speed, "must be a positive factor")
    if args.baud <= 0:
        raise bad("--baud", args.baud, "must be a positive baud rate")
    if args.seed < 0:
        raise bad("--seed", args.seed, "must be 0 or more")
    if args.rate is not None and not (math.isfinite(args.rate) and 0 < args.rate <= 100_000):
        raise bad("--rate", args.rate, "must be a sample rate above 0 Hz")
    check_screenshot("live", args)


def check_screenshot(command: str, args: argparse.Namespace, dashboard_off: str | None = None) -> None:
    """`--screenshot` is a picture of the dashboard: refused when the flags (`--no-gui`, `--jsonl`,
    or `dashboard_off`, another flag of the command) leave no dashboard to take it of."""
    off = "--jsonl" if args.jsonl else "--no-gui" if args.no_gui else dashboard_off
    if args.screenshot and off:
        raise InputError(f"{command}: --screenshot {args.screenshot} is a picture of the dashboard, which {off} turns off")


def source_options(args: argparse.Namespace, clock: Clock) -> SourceOptions:
    from kneadback.sources.base import SourceOptions

    return SourceOptions(clock=clock, speed=args.speed, seed=args.seed, baud=args.baud, rate_hz=args.rate)


def open_live_source(args: argparse.Namespace, options: SourceOptions) -> Source:
    from kneadback.notices import held_notices
    from kneadback.sources import open_default_source, open_source

    if args.source is None:
        return open_default_source(options, notice=held_notices(args).say)
    return open_source(args.source, options)


def live_source(args: argparse.Namespace, clock: Clock) -> Source:
    """The command's source, made once from its spec (not opened yet), before any sink."""
    source = getattr(args, "source_instance", None)
    if source is None:
        source = args.source_instance = open_live_source(args, source_options(args, clock))
    return source


def make_analyzer(args: argparse.Namespace) -> Analyzer:
    """The stroke engine, converting force with the stored calibration when it fits the board."""
    from kneadback.calibration import force_model_for_device
    from kneadback.engine.engine import Engine

    return Engine(model_for_device=force_model_for_device)


def make_coach(args: argparse.Namespace) -> Coach | None:
    return coach_setup.coach_for(args)


def make_sinks(args: argparse.Namespace, clock: Clock) -> list[Sink]:
    """The listeners for a terminal run: JSON lines or the status line."""
    if args.jsonl:
        from kneadback.ui.terminal import JsonLinesSink

        return [JsonLinesSink(sys.stdout)]
    # sound first: its notice, if any, comes before the status line is drawn
    return [*coach_setup.sound_sinks(args, clock), coach_setup.terminal_view(args, clock, sys.stdout)]


def build_session(args: argparse.Namespace, clock: Clock, sinks: list[Sink]) -> Session:
    from kneadback.notices import held_notices
    from kneadback.session import Session

    source = live_source(args, clock)
    session = Session(
        source,
        clock,
        analyzer=make_analyzer(args),
        coach=make_coach(args),
        sinks=sinks,
        duration=args.duration,
    )
    for sink in sinks:
        attach = getattr(sink, "attach", None)  # sinks that send user input (rating keys)
        if attach is not None:
            attach(session)
    recorder = None
    if getattr(args, "record", False):
        from kneadback.store.recorder import recorder_for

        recorder = recorder_for(args, session, clock)
        session.sinks.insert(0, recorder)
    session.sinks.insert(0, held_notices(args))  # said once the session reports: all is checked then
    from kneadback.ending import LiveEnding

    session.sinks.append(LiveEnding(session, recorder, sys.stdout, jsonl=args.jsonl))  # the run's last line
    return session


@contextmanager
def _stop_on_interrupt(session: Session) -> Iterator[None]:
    """The first Ctrl-C stops the session cleanly; a second one interrupts at once."""
    try:
        previous = signal.getsignal(signal.SIGINT)
    except ValueError:  # not the main thread
        yield
        return

    def handler(signum: int, frame: object) -> None:
        session.stop()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def run_terminal(session: Session) -> int:
    with _stop_on_interrupt(session):
        session.run()
    return 0


def has_display() -> bool:
    if sys.platform in ("win32", "darwin"):
        return True
    return any(os.environ.get(k) for k in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))


def run_gui(args: argparse.Namespace, clock: Clock) -> int:
    """The dashboard; the terminal view when there is no display."""
    if not (has_display() or args.screenshot):  # a screenshot is drawn offscreen
        from kneadback.notices import held_notices

        held_notices(args).say("no display; showing the terminal view")
        return run_terminal(build_session(args, clock, make_sinks(args, clock)))
    from kneadback.ui.dashboard import run_live  # Qt loads only when a window is wanted

    return int(run_live(args, clock) or 0)


def run(args: argparse.Namespace) -> int:
    check_args(args)
    clock = MonotonicClock()
    source = live_source(args, clock)  # its spec is checked before any sink is made
    if args.spot is None:
        args.spot = source.spot
    else:  # --spot wins over the source's own spot (a scenario's)
        source.spot = args.spot
    if not (args.no_gui or args.jsonl):
        return run_gui(args, clock)
    return run_terminal(build_session(args, clock, make_sinks(args, clock)))
