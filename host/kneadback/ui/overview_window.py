"""The overview window: one painted tile per tool (`kneadback.ui.overview`), in the dashboard's
colours and fonts, laid out in a grid that grows as tools are found.

One Qt timer polls the watcher (non-blocking) a few times a second and repaints only the tiles
whose content changed; a lost tool's tile turns grey and counts the seconds since it was heard.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

from pyqtgraph.Qt import QtCore, QtGui, QtWidgets

from kneadback.clock import Clock
from kneadback.ui.dashboard.widgets import BACKGROUND, DIM_INK, INK, INK_ON_COLOUR, PANEL, fitted_font
from kneadback.ui.dashboard.zones import COLOURS, Zone
from kneadback.ui.overview import WAITING, Overview, Tool, ago_text, bout_text, pressure_text
from kneadback.ui.png import save_png

POLL_MS = 200  # how often the streams are read and the tiles brought up to date
MAX_COLUMNS = 4
WINDOW_SIZE = (1600, 900)
_CENTRE = QtCore.Qt.AlignmentFlag.AlignCenter
_LEFT = QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter


class ToolTile(QtWidgets.QWidget):
    """One tool: its name and spot, the rate, pressure and bout time in their zone colours, and the
    latest cue; all grey once the tool is lost."""

    def __init__(self, tool: Tool) -> None:
        super().__init__()
        self.tool = tool
        self.setMinimumSize(260, 220)
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.lost_s: float | None = None
        self._key: object = None
        self.paints = 0

    def refresh(self, now: float) -> None:
        """Repaint when what the tile shows changed."""
        t = self.tool
        self.lost_s = now - t.seen if t.lost(now) else None
        key = (t.name, t.markers > 0, t.spot, t.sample_rate_hz, None if t.rate_spm is None else round(t.rate_spm), t.rate_zone, pressure_text(t),
               t.pressure_zone, bout_text(t), t.bout_zone, t.cue_headline, t.cue_text, t.cue_zone,
               None if self.lost_s is None else ago_text(self.lost_s))
        if key != self._key:
            self._key = key
            self.update()

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:
        self.paints += 1
        t, lost = self.tool, self.lost_s is not None
        p = QtGui.QPainter(self)
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        r = QtCore.QRectF(self.rect())
        p.fillRect(r, QtGui.QColor(BACKGROUND))
        p.setPen(QtCore.Qt.PenStyle.NoPen)
        p.setBrush(QtGui.QColor(PANEL))
        p.drawRoundedRect(r.adjusted(4, 4, -4, -4), 14, 14)
        inner = r.adjusted(16, 12, -16, -12)
        h = inner.height()
        head = QtCore.QRectF(inner.left(), inner.top(), inner.width(), h * 0.13)
        sub = QtCore.QRectF(inner.left(), head.bottom(), inner.width(), h * 0.1)
        _text(p, head, t.name, INK if not lost else DIM_INK, align=_LEFT)
        where = f"spot {t.spot or '–'}" if t.markers else WAITING
        if t.sample_rate_hz:
            where += f" · {t.sample_rate_hz:g} Hz"
        if lost:
            where = f"LOST · last heard {ago_text(self.lost_s or 0.0)} · {where}"
        _text(p, sub, where, COLOURS["off"] if lost else DIM_INK, bold=lost, align=_LEFT)
        boxes = QtCore.QRectF(inner.left(), sub.bottom() + h * 0.03, inner.width(), h * 0.47)
        readouts: list[tuple[str, str, str, Zone]] = [
            ("RATE", "–" if t.rate_spm is None else f"{t.rate_spm:.0f}", "per min", t.rate_zone),
            ("PRESSURE", "HOLD" if t.holding else t.words.number(t.pressure).replace("--", "–"), t.words.title,
             t.pressure_zone),
            ("BOUT", bout_text(t), "active", t.bout_zone),
        ]
        w = boxes.width() / len(readouts)
        bh = boxes.height()
        # one size for every small line: the largest in which each fits
        small = min((fitted_font(x, w - 18, bh * 0.17, False) for r in readouts for x in (r[0], r[2])),
                    key=lambda f: f.pixelSize())
        for i, (title, value, unit, zone) in enumerate(readouts):
            box = QtCore.QRectF(boxes.left() + i * w, boxes.top(), w, boxes.height()).adjusted(3, 0, -3, 0)
            filled = zone != "none" and not lost
            p.setPen(QtCore.Qt.PenStyle.NoPen)
            p.setBrush(QtGui.QColor(COLOURS[zone] if filled else "#262626"))
            p.drawRoundedRect(box, 10, 10)
            ink = INK_ON_COLOUR if filled else (DIM_INK if lost else INK)
            left, width = box.left() + 6, box.width() - 12
            p.setFont(small)
            p.setPen(QtGui.QColor(ink))
            p.drawText(QtCore.QRectF(left, box.top() + 4, width, bh * 0.17), int(_CENTRE), title)
            p.drawText(QtCore.QRectF(left, box.top() + bh * 0.78, width, bh * 0.17), int(_CENTRE), unit)
            _text(p, QtCore.QRectF(left, box.top() + bh * 0.24, width, bh * 0.52), value, ink, fit="8:88")
        cue = QtCore.QRectF(inner.left(), boxes.bottom() + h * 0.04, inner.width(), inner.bottom() - boxes.bottom() - h * 0.04)
        colour = COLOURS[t.cue_zone] if t.cue_zone != "none" and not lost else DIM_INK
        _text(p, QtCore.QRectF(cue.left(), cue.top(), cue.width(), cue.height() * 0.55), t.cue_headline or ("" if t.cue_kind else "no cue yet"),
              colour)
        _text(p, QtCore.QRectF(cue.left(), cue.top() + cue.height() * 0.55, cue.width(), cue.height() * 0.4), t.cue_text,
              DIM_INK if lost else INK, bold=False)
        p.end()


def columns(n: int) -> int:
    """Columns for `n` tiles on a wide screen: one row up to 3, two rows up to 8 (4 × 2), then 4."""
    return n if n <= 3 else min(MAX_COLUMNS, math.ceil(n / 2))


def _text(p: QtGui.QPainter, rect: QtCore.QRectF, text: str, colour: str, *, bold: bool = True,
          align: QtCore.Qt.AlignmentFlag = _CENTRE, fit: str = "") -> None:
    """`text` as large as fits `rect` (no larger than `fit` would be), in `colour`."""
    p.setPen(QtGui.QColor(colour))
    p.setFont(fitted_font(text if len(text) >= len(fit) else fit, rect.width(), rect.height(), bold))
    p.drawText(rect, int(align), text)


class OverviewWindow(QtWidgets.QMainWindow):
    """The tiles of every tool the overview knows, polled by `poll` every `POLL_MS`."""

    finished = QtCore.Signal()

    def __init__(self, overview: Overview, poll: Callable[[], None], clock: Clock, *,
                 duration: float | None = None, screenshot: Path | None = None) -> None:
        super().__init__()
        self.overview = overview
        self.poll = poll
        self.clock = clock
        self.screenshot = screenshot
        self.error: Exception | None = None
        self.is_finished = False
        self.ends = None if duration is None else clock.now() + duration
        self.tiles: dict[str, ToolTile] = {}
        self.setWindowTitle("kneadback — overview")
        self.setStyleSheet(f"QMainWindow, QWidget#central {{ background: {BACKGROUND}; }}")
        central = QtWidgets.QWidget(objectName="central")
        self.setCentralWidget(central)
        self.grid = QtWidgets.QGridLayout(central)
        self.grid.setContentsMargins(6, 6, 6, 6)
        self.grid.setSpacing(4)
        self.waiting = QtWidgets.QLabel("looking for kneadback tools on LSL…")
        self.waiting.setAlignment(_CENTRE)
        self.waiting.setStyleSheet(f"color: {DIM_INK}; font-size: 32px;")
        self.grid.addWidget(self.waiting, 0, 0)
        self.timer = QtCore.QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.tick)

    def tick(self) -> None:
        """Read what came, bring the tiles up to date; finish once the duration is over."""
        try:
            self.poll()
            self.refresh()
        except Exception as e:  # a bug: stop and report it, rather than fail every tick
            self.error = e
            self.finish()
            return
        if self.ends is not None and self.clock.now() >= self.ends:
            self.finish()

    def refresh(self) -> None:
        now = self.clock.now()
        for key, tool in self.overview.tools.items():
            if key not in self.tiles:
                self._add(key, tool)
            self.tiles[key].refresh(now)

    def _add(self, key: str, tool: Tool) -> None:
        if not self.tiles:
            self.waiting.hide()
        self.tiles[key] = ToolTile(tool)
        n = len(self.tiles)
        cols = columns(n)
        for i, tile in enumerate(self.tiles.values()):
            self.grid.addWidget(tile, i // cols, i % cols)  # adding again moves a tile
        for c in range(MAX_COLUMNS):
            self.grid.setColumnStretch(c, 1 if c < cols else 0)
        self.tiles[key].show()  # a widget added to a window already shown stays hidden otherwise

    def start(self) -> None:
        self.tick()
        if not self.is_finished:
            self.timer.start()

    def finish(self) -> None:
        if self.is_finished:
            return
        self.is_finished = True
        self.timer.stop()
        try:
            if self.screenshot is not None:
                save_png(self.grab(), self.screenshot)
        except Exception as e:
            self.error = self.error or e
        finally:
            self.finished.emit()

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        self.finish()
        event.accept()


def run_window(overview: Overview, poll: Callable[[], None], clock: Clock, *, duration: float | None,
               screenshot: Path | None) -> int:
    """Show the overview until the window closes, the duration is over or a stop signal."""
    import os

    from kneadback.ui.dashboard import _hide_qt_noise, exec_window

    if screenshot is not None and not any(os.environ.get(k) for k in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    _hide_qt_noise()
    window = OverviewWindow(overview, poll, clock, duration=duration, screenshot=screenshot)
    window.resize(*WINDOW_SIZE)
    return exec_window(app, window, window.finish)
