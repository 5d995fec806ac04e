"""The big readouts: painted tiles sized to be read from across a room.

Each tile takes a `DashboardView` in `show_view` and repaints only when what it shows changed.
"""

from __future__ import annotations

import math

from pyqtgraph.Qt import QtCore, QtGui, QtWidgets

from kneadback.ui.dashboard.view import DashboardView
from kneadback.ui.dashboard.zones import COLOURS, Zone

BACKGROUND = "#000000"
PANEL = "#161616"
INK_ON_COLOUR = "#000000"
INK = "#f2f2f2"
DIM_INK = "#a8a8a8"
FONT_FAMILY = "DejaVu Sans"
DIGITS = "88"  # the big readouts are sized for two digits


def fitted_font(text: str, width: float, height: float, bold: bool = True) -> QtGui.QFont:
    """The largest font (by pixel size) in which `text` fits `width` x `height`."""
    font = QtGui.QFont(FONT_FAMILY)
    font.setBold(bold)
    size = max(6, int(height * 0.95))
    font.setPixelSize(size)
    w = QtGui.QFontMetricsF(font).horizontalAdvance(text or " ")
    if w > width > 0:
        font.setPixelSize(max(6, int(size * width / w)))
    return font


def _fmt(x: float | None, digits: int = 0) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


class Tile(QtWidgets.QWidget):
    """A titled panel filled with a zone's colour (or dark when there is no reading)."""

    title = ""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(180, 150)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Expanding)
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.zone: Zone = "none"
        self._key: object = None
        self.paints = 0

    def show_view(self, view: DashboardView) -> bool:
        """Take the new view; repaint (and return True) only if this tile's content changed."""
        key = self.key_of(view)
        if key == self._key:
            return False
        region = self.changed_region(self._key, key)
        self._key = key
        self.absorb(view)
        if region is None:
            self.update()
        else:
            self.update(region)
        return True

    def changed_region(self, old: object, new: object) -> QtCore.QRect | None:
        """The part to repaint for this change; None for the whole tile."""
        return None

    def key_of(self, view: DashboardView) -> object:
        raise NotImplementedError

    def absorb(self, view: DashboardView) -> None:
        raise NotImplementedError

    # --- painting helpers ---------------------------------------------------------------
    def fill(self) -> bool:
        """Whether the tile is filled with its zone colour."""
        return self.zone != "none"

    def ink(self) -> QtGui.QColor:
        return QtGui.QColor(INK_ON_COLOUR if self.fill() else INK)

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:
        self.paints += 1
        p = QtGui.QPainter(self)
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        r = QtCore.QRectF(self.rect())
        p.fillRect(r, QtGui.QColor(BACKGROUND))
        box = r.adjusted(4, 4, -4, -4)
        p.setPen(QtCore.Qt.PenStyle.NoPen)
        p.setBrush(QtGui.QColor(COLOURS[self.zone] if self.fill() else PANEL))
        p.drawRoundedRect(box, 14, 14)
        inner = box.adjusted(16, 10, -16, -10)
        if self.title:
            title_h = max(16.0, inner.height() * 0.11)
            p.setPen(self.ink())
            p.setFont(fitted_font(self.title, inner.width(), title_h))
            head = QtCore.QRectF(inner.left(), inner.top(), inner.width(), title_h * 1.2)
            p.drawText(head, int(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter), self.title)
            body = QtCore.QRectF(inner.left(), inner.top() + title_h * 1.3, inner.width(), inner.height() - title_h * 1.3)
        else:
            body = inner
        self.paint_body(p, body)
        p.end()

    def paint_body(self, p: QtGui.QPainter, body: QtCore.QRectF) -> None:
        raise NotImplementedError

    def draw_text(self, p: QtGui.QPainter, rect: QtCore.QRectF, text: str, bold: bool = True,
                  align: QtCore.Qt.AlignmentFlag = QtCore.Qt.AlignmentFlag.AlignCenter, fit: str = "") -> None:
        """`text` as large as fits `rect`, but no larger than `fit` would be (so a "–" or a
        one-digit number is as tall as two digits, not a giant)."""
        p.setFont(fitted_font(text if len(text) >= len(fit) else fit, rect.width(), rect.height(), bold))
        p.drawText(rect, int(align), text)


class RateTile(Tile):
    """Strokes per minute, coloured against the rate band."""

    title = "RATE  /min"

    def key_of(self, v: DashboardView) -> object:
        return (None if v.rate_spm is None else round(v.rate_spm), v.rate_zone, v.rate_band)

    def absorb(self, v: DashboardView) -> None:
        self.value = v.rate_spm
        self.zone = v.rate_zone
        self.band = v.rate_band

    def paint_body(self, p: QtGui.QPainter, body: QtCore.QRectF) -> None:
        big = QtCore.QRectF(body.left(), body.top(), body.width(), body.height() * 0.74)
        self.draw_text(p, big, _fmt(self.value), fit=DIGITS)
        lo, hi = self.band
        small = QtCore.QRectF(body.left(), big.bottom(), body.width(), body.height() * 0.2)
        self.draw_text(p, small, f"target {lo:.0f}–{hi:.0f}", bold=False)


class PressureTile(Tile):
    """Stroke pressure in newtons, with a gauge bar showing the live force, the 7/10 band and the
    safety ceiling."""

    title = "PRESSURE  N"
    _bar: QtCore.QRectF | None = None  # where the gauge bar was last painted

    def key_of(self, v: DashboardView) -> object:
        band = None if v.pressure_band is None else (round(v.pressure_band[0], 1), round(v.pressure_band[1], 1))
        live = round(min(v.live_force_n, v.force_ceiling_n) / v.force_ceiling_n * 200)  # 0.5 % steps
        return (_fmt(v.pressure_n), v.pressure_zone, band, v.pressure_mode, live, v.holding, v.force_ceiling_n)

    def changed_region(self, old: object, new: object) -> QtCore.QRect | None:
        # while the force moves between strokes, only the needle moves: repaint just the bar
        if old is None or self._bar is None or old[:4] != new[:4] or old[5:] != new[5:]:  # type: ignore[index]
            return None
        return self._bar.adjusted(-16, -16, 16, 16).toAlignedRect()

    def absorb(self, v: DashboardView) -> None:
        self.value = v.pressure_n
        self.zone = v.pressure_zone
        self.band = v.pressure_band
        self.mode = v.pressure_mode
        self.live = v.live_force_n
        self.holding = v.holding
        self.ceiling = v.force_ceiling_n

    def paint_body(self, p: QtGui.QPainter, body: QtCore.QRectF) -> None:
        big = QtCore.QRectF(body.left(), body.top(), body.width(), body.height() * 0.56)
        self.draw_text(p, big, "HOLD" if self.holding else _fmt(self.value), fit=DIGITS)
        bar = QtCore.QRectF(body.left(), big.bottom() + body.height() * 0.06, body.width(), body.height() * 0.16)
        self._bar = bar
        scale = bar.width() / self.ceiling
        p.setPen(QtCore.Qt.PenStyle.NoPen)
        p.setBrush(QtGui.QColor(0, 0, 0, 170))
        p.drawRoundedRect(bar, 6, 6)
        if self.band is not None:
            lo, hi = (min(max(x, 0.0), self.ceiling) for x in self.band)
            band = QtCore.QRectF(bar.left() + lo * scale, bar.top(), max(4.0, (hi - lo) * scale), bar.height())
            p.setBrush(QtGui.QColor(255, 255, 255, 210))
            p.drawRect(band)
        x = bar.left() + min(max(self.live, 0.0), self.ceiling) * scale
        w = max(6.0, bar.height() * 0.22)
        top, bottom = QtCore.QPointF(x, bar.top() - 10), QtCore.QPointF(x, bar.bottom() + 10)
        p.setPen(QtGui.QPen(QtGui.QColor("#000000"), w + 4))
        p.drawLine(top, bottom)
        p.setPen(QtGui.QPen(QtGui.QColor("#ffffff"), w))
        p.drawLine(top, bottom)
        note = QtCore.QRectF(body.left(), bar.bottom() + body.height() * 0.04, body.width(), body.height() * 0.16)
        p.setPen(self.ink())
        if self.band is None:
            text = "rate discomfort: keys 0–9"
        elif self.mode == "consistency":
            text = f"steady {self.band[0]:.0f}–{self.band[1]:.0f} · rate 0–9"
        else:
            text = f"7/10 band {self.band[0]:.0f}–{self.band[1]:.0f}"
        self.draw_text(p, note, text, bold=False)


class CountdownTile(Tile):
    """The bout timer: seconds left inside a ring that empties over the bout."""

    title = "BOUT  s"

    def fill(self) -> bool:
        return False

    def key_of(self, v: DashboardView) -> object:
        left = None if v.bout_left_s is None else math.ceil(v.bout_left_s * 4) / 4
        return (left, v.countdown_zone, v.bout_s)

    def absorb(self, v: DashboardView) -> None:
        self.left = v.bout_left_s
        self.total = v.bout_s
        self.zone = v.countdown_zone

    def paint_body(self, p: QtGui.QPainter, body: QtCore.QRectF) -> None:
        d = min(body.width(), body.height())
        ring = QtCore.QRectF(body.center().x() - d / 2, body.center().y() - d / 2, d, d)
        pen_w = d * 0.13
        arc = ring.adjusted(pen_w / 2, pen_w / 2, -pen_w / 2, -pen_w / 2)
        p.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        p.setPen(QtGui.QPen(QtGui.QColor("#2e2e2e"), pen_w))
        p.drawEllipse(arc)
        colour = QtGui.QColor(COLOURS[self.zone] if self.zone != "none" else DIM_INK)
        if self.left is not None:
            share = min(max(self.left / self.total, 0.0), 1.0)
            pen = QtGui.QPen(colour, pen_w)
            pen.setCapStyle(QtCore.Qt.PenCapStyle.FlatCap)
            p.setPen(pen)
            p.drawArc(arc, 90 * 16, int(-share * 360 * 16))
            text = f"{math.ceil(max(self.left, 0.0)):.0f}"
            p.setPen(colour)
        else:
            text = "–"
            p.setPen(QtGui.QColor(DIM_INK))
        inner = arc.adjusted(pen_w * 1.1, pen_w * 1.3, -pen_w * 1.1, -pen_w * 1.3)
        self.draw_text(p, inner, text, fit=DIGITS)


class BoutsTile(Tile):
    """Bouts done today on this spot, against the daily range (3–10): one pip per bout."""

    title = "BOUTS TODAY"

    def fill(self) -> bool:
        return False

    def key_of(self, v: DashboardView) -> object:
        return (v.bouts_today, v.bouts_min, v.bouts_max, v.bouts_zone, v.spot)

    def absorb(self, v: DashboardView) -> None:
        self.done = v.bouts_today
        self.lo, self.hi = v.bouts_min, v.bouts_max
        self.zone = v.bouts_zone
        self.spot = v.spot

    def paint_body(self, p: QtGui.QPainter, body: QtCore.QRectF) -> None:
        colour = QtGui.QColor(COLOURS[self.zone]) if self.zone != "none" else QtGui.QColor(DIM_INK)
        big = QtCore.QRectF(body.left(), body.top(), body.width(), body.height() * 0.5)
        p.setPen(colour)
        self.draw_text(p, big, "–" if self.done is None else str(self.done), fit=DIGITS)
        sub = QtCore.QRectF(body.left(), big.bottom(), body.width(), body.height() * 0.15)
        p.setPen(QtGui.QColor(INK))
        self.draw_text(p, sub, f"of {self.lo}–{self.hi}", bold=False)
        pips = QtCore.QRectF(body.left(), sub.bottom() + body.height() * 0.05, body.width(), body.height() * 0.12)
        n = max(self.hi, self.done or 0)
        step = pips.width() / n
        r = min(step * 0.36, pips.height() / 2)
        for i in range(n):
            c = QtCore.QPointF(pips.left() + step * (i + 0.5), pips.center().y())
            if self.done is not None and i < self.done:
                p.setPen(QtCore.Qt.PenStyle.NoPen)
                p.setBrush(colour)
            else:
                p.setPen(QtGui.QPen(QtGui.QColor("#6a6a6a" if i >= self.lo else INK), 2))
                p.setBrush(QtCore.Qt.BrushStyle.NoBrush)
            p.drawEllipse(c, r, r)
        spot = QtCore.QRectF(body.left(), pips.bottom() + body.height() * 0.03, body.width(), body.height() * 0.13)
        p.setPen(QtGui.QColor(DIM_INK))
        self.draw_text(p, spot, self.spot, bold=False)


class CueBanner(Tile):
    """The latest cue in large words, coloured by severity; dimmed once it is old."""

    title = ""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(400, 80)
        self.headline = ""
        self.text = ""
        self.fresh = False

    def fill(self) -> bool:
        return self.fresh and self.zone != "none"

    def key_of(self, v: DashboardView) -> object:
        return (v.cue_headline, v.cue_text, v.cue_zone, v.cue_fresh)

    def absorb(self, v: DashboardView) -> None:
        self.headline = v.cue_headline
        self.text = v.cue_text
        self.zone = v.cue_zone
        self.fresh = v.cue_fresh

    def paint_body(self, p: QtGui.QPainter, body: QtCore.QRectF) -> None:
        if self.fill():
            p.setPen(QtGui.QColor(INK_ON_COLOUR))
        else:
            p.setPen(QtGui.QColor(INK if self.fresh else DIM_INK))
        if not self.headline:
            self.draw_text(p, body.adjusted(8, body.height() * 0.2, -8, -body.height() * 0.2), "stroke the spot to begin")
            return
        big = QtCore.QRectF(body.left(), body.top(), body.width(), body.height() * 0.66)
        self.draw_text(p, big, self.headline)
        small = QtCore.QRectF(body.left(), big.bottom(), body.width(), body.height() * 0.32)
        self.draw_text(p, small, self.text, bold=False)
