"""`kneadback overview`: every kneadback tool publishing on LSL (`live --lsl`), one tile each.

The window when there is a display (or a `--screenshot` to take), else a terminal table; it
reads only the tools' markers streams (`kneadback.ui.overview`).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from kneadback.app import check_screenshot
from kneadback.clock import MonotonicClock
from kneadback.errors import InputError

HELP = "an overview of every kneadback tool publishing on LSL (live --lsl): one tile each"
ORDER = 15


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-gui", action="store_true", help="a terminal table instead of the window")
    parser.add_argument("--duration", type=float, metavar="S", help="stop after S seconds")
    parser.add_argument("--screenshot", metavar="PATH", help="save the window to a PNG when it closes")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from kneadback.commands.live import has_display
    from kneadback.ui.overview import LslWatcher, Overview, OverviewTable

    duration = args.duration
    if duration is not None and not (math.isfinite(duration) and duration > 0):
        raise InputError(f"overview: --duration {duration} must be a positive number of seconds")
    screenshot = Path(args.screenshot) if args.screenshot else None
    check_screenshot("overview", screenshot, jsonl=False, no_gui=args.no_gui)
    if screenshot is not None:
        from kneadback.outfile import check_out

        try:
            check_out(screenshot)
        except InputError as e:
            raise InputError(f"overview: --screenshot {e}") from None
    clock = MonotonicClock()
    overview = Overview(clock)
    watcher = LslWatcher(overview)
    try:
        if not args.no_gui and (has_display() or screenshot is not None):
            from kneadback.ui.overview_window import run_window

            return run_window(overview, watcher.poll, clock, duration=duration, screenshot=screenshot)
        if not args.no_gui:
            print("no display; showing the terminal view", file=sys.stderr)
        table = OverviewTable(overview)
        overview.on_news = table.news
        ends = None if duration is None else clock.now() + duration
        try:
            while ends is None or clock.now() < ends:
                watcher.poll()
                table.draw()
                clock.sleep(0.05)
        except KeyboardInterrupt:
            pass
        table.draw(final=True)
        return 0
    finally:
        watcher.close()
