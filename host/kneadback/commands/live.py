"""`kneadback live`: a board (or the simulated tool) live, through the whole session pipeline.

The flags become `Settings` once, and `kneadback.app.Run` assembles the session from them: the
source (made first, so a wrong spec is the only line printed), the engine, the coach, the sinks.
`run_terminal` or `run_gui` then drives it.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from kneadback import frontend
from kneadback.app import Run, Settings, add_coaching_arguments, add_lsl_argument
from kneadback.clock import MonotonicClock
from kneadback.sources import SOURCE_HELP

if TYPE_CHECKING:
    from kneadback.session import Session

HELP = "live view and coaching: a board on a serial port, or the simulated tool when none is attached"
ORDER = 10


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source",
        metavar="SPEC",
        default=None,
        help=f"none given: the attached board, else the simulated tool; {SOURCE_HELP}",
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
    frontend.add_arguments(parser, "the board")
    add_coaching_arguments(parser)
    parser.add_argument("--lsl-markers", metavar="NAME",
                        help="record the samples of this LSL stream (a marker button, an experiment's events) as markers")
    parser.add_argument("--no-record", dest="record", action="store_false",
                        help="do not record this session (recording is on by default)")
    add_lsl_argument(parser)
    parser.set_defaults(func=run)


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


def run_gui(run: Run) -> int:
    """The dashboard; the terminal view when there is no display."""
    if not (has_display() or run.settings.screenshot):  # a screenshot is drawn offscreen
        run.notices.say("no display; showing the terminal view")
        return run_terminal(run.session(run.terminal_sinks(sys.stdout)))
    from kneadback.ui.dashboard import run_dashboard  # Qt loads only when a window is wanted

    # the window replaces the terminal views; the sound stays
    return run_dashboard(run.session(run.sound_sinks()), run.clock, screenshot=run.settings.screenshot)


def run(args: argparse.Namespace) -> int:
    run = Run(Settings.from_args("live", args), MonotonicClock())
    run.source()  # its spec is checked before any sink is made
    if run.settings.gui:
        return run_gui(run)
    return run_terminal(run.session(run.terminal_sinks(sys.stdout)))
