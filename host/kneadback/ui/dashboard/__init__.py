"""The live dashboard (pyqtgraph): a window that holds a `Session` and steps it from a Qt timer.

`run_dashboard` runs the window around any session: `kneadback live` when a display exists, and
the replay view (with a `ReplayController`).
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kneadback.clock import Clock
from kneadback.errors import InputError
from kneadback.outfile import check_out
from kneadback.session import Session
from kneadback.stopping import STOP_SIGNALS

if TYPE_CHECKING:  # the window and its Qt parts are imported only when a window opens
    from kneadback.ui.dashboard.replay import ReplayController

WINDOW_SIZE = (1600, 1000)


def run_dashboard(
    session: Session,
    clock: Clock,
    *,
    screenshot: Path | None = None,
    replay: ReplayController | None = None,
    size: tuple[int, int] = WINDOW_SIZE,
) -> int:
    """Show the dashboard until the session ends (or the window closes, or Ctrl-C); 0 on success.

    `replay` is a `ReplayController` for the replay view. With no display but a `screenshot` to
    take, the window is drawn offscreen. What ended the run early (a lost port, a bad file, a
    bug) is raised again here, after the window has closed.
    """
    if screenshot is not None:
        _check_writable(screenshot)  # now, not after the whole run
        if not any(os.environ.get(k) for k in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")):
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from pyqtgraph.Qt import QtWidgets

    from kneadback.ui.dashboard.window import DashboardWindow

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    _hide_qt_noise()
    window = DashboardWindow(session, clock, replay=replay, screenshot=screenshot)
    window.resize(*size)
    return exec_window(app, window, session.stop)  # the step timer notices the stop


def exec_window(app: Any, window: Any, stop: Callable[[], None]) -> int:
    """Show `window` (a dashboard or the overview: `start`, `is_finished`, `finished`, `error`)
    and run Qt until it finishes; Ctrl-C and the stop signals call `stop`. Its error is raised."""
    window.finished.connect(app.quit)
    previous = {s: signal.signal(s, lambda *_: stop()) for s in (signal.SIGINT, *STOP_SIGNALS)}
    try:
        window.show()
        window.start()
        if not window.is_finished:
            app.exec()
        window.close()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if window.error is not None:
        raise window.error
    return 0


#: what Qt says that means nothing to a user: the offscreen platform (a screenshot with no
#: display) cannot pass size hints to a window manager it does not have
QT_NOISE = frozenset({"This plugin does not support propagateSizeHints()"})


def _hide_qt_noise() -> None:
    """Drop Qt's `QT_NOISE` messages, for the rest of the process (Qt also says them as the app
    ends); every other one goes to the handler before (Qt's own, which prints it, or a test's)."""
    from pyqtgraph.Qt import QtCore

    def handler(kind: Any, context: Any, message: str) -> None:
        if message in QT_NOISE:
            return
        if previous is not None:
            previous(kind, context, message)
        else:
            sys.stderr.write(message + "\n")

    previous = QtCore.qInstallMessageHandler(handler)


def _check_writable(path: Path) -> None:
    try:
        check_out(path)
    except InputError as e:
        raise InputError(f"--screenshot {e}") from None
