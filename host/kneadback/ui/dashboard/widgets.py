"""The big readouts: painted tiles sized to be read from across a room.

Each tile takes a `DashboardView` in `show_view` and repaints only when what it shows changed.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from pyqtgraph.Qt import QtCore, QtGui, QtWidgets

from kneadback.ui import motion_words
from kneadback.ui.dashboard.zones import COLOURS, Zone, countdown_s

if TYPE_CHECKING:  # the overview's tiles paint with these helpers without the view (and the engine) loaded
    from kneadback.ui.dashboard.view import DashboardView

BACKGROUND = "#000000"
PANEL = "#161616"
INK_ON_COLOUR = "#000000"
INK = "#f2f2f2"
DIM_INK = "#a8a8a8"
FONT_FAMILY = "DejaVu Sans"
DIGITS = "88"  # the big readouts are sized for two digits
NEEDLE_OVERHANG = 10.0  # px the pressure needle reaches above and below its bar


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
        self._key = key
        self.absorb(view)
        self.update()
        return True

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

    def panel_colour(self) -> QtGui.QColor:
        return QtGui.QColor(COLOURS[self.zone] if self.fill() else PANEL)

    def _inner(self) -> QtCore.QRectF:
        return QtCore.QRectF(self.rect()).adjusted(20, 14, -20, -14)

    def _title_height(self) -> float:
        return max(16.0, self._inner().height() * 0.11) if self.title else 0.0

    def body_rect(self) -> QtCore.QRectF:
        """Where the tile's content goes: below the title, inside the margins."""
        inner, head = self._inner(), self._title_height() * 1.3
        return QtCore.QRectF(inner.left(), inner.top() + head, inner.width(), inner.height() - head)

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:
        self.paints += 1
        p = QtGui.QPainter(self)
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        r = QtCore.QRectF(self.rect())
        p.fillRect(r, QtGui.QColor(BACKGROUND))
        p.setPen(QtCore.Qt.PenStyle.NoPen)
        p.setBrush(self.panel_colour())
        p.drawRoundedRect(r.adjusted(4, 4, -4, -4), 14, 14)
        if self.title:
            inner, title_h = self._inner(), self._title_height()
            p.setPen(self.ink())
            p.setFont(fitted_font(self.title, inner.width(), title_h))
            head = QtCore.QRectF(inner.left(), inner.top(), inner.width(), title_h * 1.2)
            p.drawText(head, int(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter), self.title)
        self.paint_body(p, self.body_rect())
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


class GaugeBar(QtWidgets.QWidget):
    """The pressure gauge: the live force (needle) on a bar up to the safety ceiling, with the
    band in white. A widget of its own, so the moving needle repaints only this strip."""

    def __init__(self, parent: QtWidgets.QWidget) -> None:
        super().__init__(parent)
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.background = QtGui.QColor(PANEL)
        self.band: tuple[float, float] | None = None
        self.live = 0.0
        self.ceiling: float | None = None  # the full scale: the view's `gauge_full_n`, from the first view
        self.paints = 0

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:
        self.paints += 1
        p = QtGui.QPainter(self)
        r = QtCore.QRectF(self.rect())
        p.fillRect(r, self.background)
        if self.ceiling is None:
            p.end()
            return
        bar = r.adjusted(0, NEEDLE_OVERHANG, 0, -NEEDLE_OVERHANG)
        scale = bar.width() / self.ceiling
        p.setPen(QtCore.Qt.PenStyle.NoPen)
        p.setBrush(QtGui.QColor(0, 0, 0, 170))
        p.drawRect(bar)
        if self.band is not None:
            lo, hi = (min(max(x, 0.0), self.ceiling) for x in self.band)
            p.setBrush(QtGui.QColor(255, 255, 255, 210))
            p.drawRect(QtCore.QRectF(bar.left() + lo * scale, bar.top(), max(4.0, (hi - lo) * scale), bar.height()))
        w = max(6.0, bar.height() * 0.22)
        x = min(max(bar.left() + min(max(self.live, 0.0), self.ceiling) * scale, w / 2 + 2), r.right() - w / 2 - 2)
        top, bottom = QtCore.QPointF(x, r.top() + 2), QtCore.QPointF(x, r.bottom() - 2)
        p.setPen(QtGui.QPen(QtGui.QColor("#000000"), w + 4))
        p.drawLine(top, bottom)
        p.setPen(QtGui.QPen(QtGui.QColor("#ffffff"), w))
        p.drawLine(top, bottom)
        p.end()


class PressureTile(Tile):
    """Stroke pressure in the units the force has (newtons once calibrated), with a gauge bar
    showing the live force, the 7/10 band and the safety ceiling, said as relative while it is."""

    title = "PRESSURE  N"

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.gauge = GaugeBar(self)
        self._gauge_key: object = None

    def show_view(self, view: DashboardView) -> bool:
        changed = super().show_view(view)
        live = round(min(max(view.live_force_n, 0.0), view.gauge_full_n) / view.gauge_full_n * 400)  # 0.25 %
        gauge_key = (live, self._key)
        if gauge_key != self._gauge_key:
            self._gauge_key = gauge_key
            self.gauge.live = view.live_force_n
            self.gauge.update()
            return True
        return changed

    def key_of(self, v: DashboardView) -> object:
        band = None if v.pressure_band is None else (round(v.pressure_band[0], 1), round(v.pressure_band[1], 1))
        return (_fmt(v.pressure_n), v.pressure_zone, band, v.pressure_mode, v.holding, v.gauge_full_n, v.force_words)

    def absorb(self, v: DashboardView) -> None:
        self.value = v.pressure_n
        self.zone = v.pressure_zone
        self.band = v.pressure_band
        self.mode = v.pressure_mode
        self.holding = v.holding
        self.words = v.force_words
        self.title = f"PRESSURE  {v.force_words.title}"
        self.gauge.band = v.pressure_band
        self.gauge.ceiling = v.gauge_full_n
        self.gauge.background = self.panel_colour()
        self.gauge.update()

    def _gauge_rect(self, body: QtCore.QRectF) -> QtCore.QRectF:
        top = body.top() + body.height() * 0.62
        return QtCore.QRectF(body.left(), top - NEEDLE_OVERHANG, body.width(), body.height() * 0.16 + 2 * NEEDLE_OVERHANG)

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:
        super().resizeEvent(event)
        self.gauge.setGeometry(self._gauge_rect(self.body_rect()).toAlignedRect())

    def paint_body(self, p: QtGui.QPainter, body: QtCore.QRectF) -> None:
        big = QtCore.QRectF(body.left(), body.top(), body.width(), body.height() * 0.56)
        self.draw_text(p, big, "HOLD" if self.holding else _fmt(self.value), fit=DIGITS)
        gauge = self._gauge_rect(body)
        note = QtCore.QRectF(body.left(), gauge.bottom() - NEEDLE_OVERHANG + body.height() * 0.04, body.width(),
                             body.height() * 0.16)
        p.setPen(self.ink())
        if self.band is None:
            text = "rate discomfort: keys 0–9"
        elif self.mode == "consistency":
            text = f"steady {self.band[0]:.0f}–{self.band[1]:.0f} · rate 0–9"
        else:
            text = f"7/10 band {self.band[0]:.0f}–{self.band[1]:.0f}"
        limit = self.words.ceiling_note
        self.draw_text(p, note, text if limit is None else f"{text.split(' · ')[0]} · {limit}", bold=False)


class CountdownTile(Tile):
    """The bout timer: seconds left inside a ring that empties over the bout; past the bout
    length (overtime), the seconds over it, "+12"."""

    title = "BOUT  s"

    def fill(self) -> bool:
        return False

    def key_of(self, v: DashboardView) -> object:
        left = None if v.bout_left_s is None else math.ceil(v.bout_left_s * 4) / 4
        over = None if v.overtime_s is None else math.floor(v.overtime_s)
        return (left, over, v.countdown_zone, v.bout_s)

    def absorb(self, v: DashboardView) -> None:
        self.left = v.bout_left_s
        self.over = v.overtime_s
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
            text = str(countdown_s(self.left)) if self.over is None else f"+{math.floor(self.over):.0f}"
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


class DirectionTile(Tile):
    """How the bout's strokes move (only with a motion sensor), in the words of the terminal line
    (`kneadback.ui.motion_words`): a shape for their pattern, seen along the handle (up: away from
    the hand; 90°: to the left), the pattern in words, their consistency, and the last stroke's
    length with the bout's median (which the colour, the report and the history go by), coloured
    against "short, one way". Shapes: one way, an arrow along the bout's
    direction; back and forth, a two-headed one along its line; mixed, arrows every way;
    circling, a ring; a pattern without a shape, its words alone."""

    title = "DIRECTION"

    def key_of(self, v: DashboardView) -> object:
        m = v.motion
        shown = None if m is None else (round(m.direction_deg), round(m.axis_deg), round(m.resultant * 100), m.pattern,
                                        round(m.median_excursion_cm, 1))
        return (shown, None if v.excursion_cm is None else round(v.excursion_cm, 1), v.direction_zone)

    def absorb(self, v: DashboardView) -> None:
        self.motion = v.motion
        self.excursion = v.excursion_cm
        self.zone = v.direction_zone

    def paint_body(self, p: QtGui.QPainter, body: QtCore.QRectF) -> None:
        m = self.motion
        top = QtCore.QRectF(body.left(), body.top(), body.width(), body.height() * 0.5)
        p.setPen(self.ink())
        words = QtCore.QRectF(body.left(), top.bottom() + body.height() * 0.02, body.width(), body.height() * 0.2)
        numbers = QtCore.QRectF(body.left(), words.bottom(), body.width(), body.height() * 0.13)
        sizes = QtCore.QRectF(body.left(), numbers.bottom(), body.width(), body.height() * 0.13)
        if m is None:
            self.draw_text(p, top, "–", fit=DIGITS)
            self.draw_text(p, words, "no stroke measured yet", bold=False)
            return
        if m.pattern == "one-direction":
            self._arrows(p, top, (m.direction_deg,), head_back=False)
        elif m.pattern == "back-and-forth":
            self._arrows(p, top, (m.axis_deg,), head_back=True)
        elif m.pattern == "mixed":
            self._arrows(p, top, (0.0, 90.0), head_back=True)
        elif m.pattern == "circling":
            self._ring(p, top)
        self.draw_text(p, words, motion_words.pattern_words(m.pattern))
        lengths = motion_words.lengths(m, self.excursion)
        self.draw_text(p, numbers, motion_words.same_way(m), bold=False, fit=lengths)  # one size for both lines
        self.draw_text(p, sizes, lengths, bold=False)

    def _pen(self, half: float) -> QtGui.QPen:
        pen = QtGui.QPen(self.ink(), max(3.0, half * 0.14))
        pen.setCapStyle(QtCore.Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(QtCore.Qt.PenJoinStyle.RoundJoin)
        return pen

    def _arrows(self, p: QtGui.QPainter, rect: QtCore.QRectF, directions_deg: tuple[float, ...], head_back: bool) -> None:
        """Arrows through the middle of `rect` (0°: up, turning counter-clockwise as the direction
        does), with a head at the back too when `head_back`."""
        half = min(rect.width(), rect.height()) * 0.45
        head = half * 0.45
        for direction_deg in directions_deg:
            p.save()
            p.translate(rect.center())
            p.rotate(-direction_deg)
            p.setPen(self._pen(half))
            p.drawLine(QtCore.QPointF(0.0, half), QtCore.QPointF(0.0, -half))
            for tip in (-half, half) if head_back else (-half,):
                back = tip - math.copysign(head, tip)
                p.drawPolyline(QtGui.QPolygonF([QtCore.QPointF(-head * 0.7, back), QtCore.QPointF(0.0, tip),
                                                QtCore.QPointF(head * 0.7, back)]))
            p.restore()

    def _ring(self, p: QtGui.QPainter, rect: QtCore.QRectF) -> None:
        half = min(rect.width(), rect.height()) * 0.4
        p.setPen(self._pen(half))
        p.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        p.drawEllipse(rect.center(), half, half)


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
        if not self.headline:  # a prompt, or nothing to say
            self.draw_text(p, body.adjusted(8, body.height() * 0.2, -8, -body.height() * 0.2), self.text)
            return
        big = QtCore.QRectF(body.left(), body.top(), body.width(), body.height() * 0.66)
        self.draw_text(p, big, self.headline)
        small = QtCore.QRectF(body.left(), big.bottom(), body.width(), body.height() * 0.32)
        self.draw_text(p, small, self.text, bold=False)
