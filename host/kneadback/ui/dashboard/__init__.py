"""The live dashboard (pyqtgraph): a window that holds a `Session` and steps it from a Qt timer.

`run_live` is what `kneadback live` calls when a display exists; `run_dashboard` runs the window
around any session (the replay view passes a `ReplayController`).
"""

from __future__ import annotations

import argparse
import os
import signal
from pathlib import Path

from kneadback.clock import Clock
from kneadback.session import Session

WINDOW_SIZE = (1600, 1000)


def run_live(args: argparse.Namespace, clock: Clock) -> int:
    """`kneadback live` with the dashboard: the live session, every sink but the terminal's."""
    from kneadback.commands import live
    from kneadback.ui.terminal import JsonLinesSink, TerminalView

    sinks = [s for s in live.make_sinks(args, clock) if not isinstance(s, (TerminalView, JsonLinesSink))]
    session = live.build_session(args, clock, sinks)
    screenshot = Path(args.screenshot) if args.screenshot else None
    return run_dashboard(session, clock, screenshot=screenshot)


def run_dashboard(
    session: Session,
    clock: Clock,
    *,
    screenshot: Path | None = None,
    replay: object | None = None,
    size: tuple[int, int] = WINDOW_SIZE,
) -> int:
    """Show the dashboard until the session ends (or the window closes, or Ctrl-C); 0 on success.

    `replay` is a `ReplayController` for the replay view. With no display but a `screenshot` to
    take, the window is drawn offscreen. A `KneadbackError` from the session (a lost port, a bad
    file) is raised again here, after the window has closed.
    """
    if screenshot is not None and not any(os.environ.get(k) for k in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from pyqtgraph.Qt import QtWidgets

    from kneadback.ui.dashboard.window import DashboardWindow

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    window = DashboardWindow(session, clock, replay=replay, screenshot=screenshot)
    window.resize(*size)
    window.finished.connect(app.quit)
    previous = signal.signal(signal.SIGINT, lambda *_: session.stop())  # the step timer notices
    try:
        window.show()
        window.start()
        if not window.is_finished:
            app.exec()
        window.close()
    finally:
        signal.signal(signal.SIGINT, previous)
    error = window.error
    # delete the window while Qt still runs: left to the interpreter's exit, PySide6 may crash
    window.deleteLater()
    del window
    app.processEvents()
    if error is not None:
        raise error
    return 0
