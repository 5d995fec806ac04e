"""The two plots: a scrolling force trace (last ~10 s) and the session's rate history."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt import QtCore, QtGui, QtWidgets

from kneadback.ui.dashboard.feed import TRACE_SECONDS, DashboardFeed, peak_decimate
from kneadback.ui.dashboard.view import DashboardView
from kneadback.ui.dashboard.zones import COLOURS, Zone, zone

_AXIS_FONT_PX = 18
_HOLD_POOL = 6
_MARKER_POOL = 6
RATE_GAP_S = 5.0  # strokes further apart than this are not joined in the rate history


def _style(plot: pg.PlotWidget, left: str, bottom: str) -> None:
    plot.setBackground("#000000")
    plot.setCacheMode(QtWidgets.QGraphicsView.CacheModeFlag.CacheNone)  # filling black costs less than a cached copy
    plot.setMenuEnabled(False)
    plot.setMouseEnabled(x=False, y=False)
    plot.hideButtons()
    plot.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
    item = plot.getPlotItem()
    item.disableAutoRange()
    font = QtGui.QFont("DejaVu Sans")
    font.setPixelSize(_AXIS_FONT_PX)
    for name, text in (("left", left), ("bottom", bottom)):
        axis = item.getAxis(name)
        axis.setTickFont(font)
        axis.setTextPen(pg.mkPen("#d0d0d0"))
        axis.setPen(pg.mkPen("#808080"))
        axis.setLabel(text, color="#d0d0d0", **{"font-size": f"{_AXIS_FONT_PX}px"})



def _target_band() -> pg.LinearRegionItem:
    """The target band behind a plot's data: translucent green between two green lines."""
    band = pg.LinearRegionItem(orientation="horizontal", movable=False,
                               brush=pg.mkBrush(25, 209, 90, 70), pen=pg.mkPen(COLOURS["on"], width=2))
    band.setZValue(-10)
    return band

class ForceTrace(pg.PlotWidget):
    """Force over the last `TRACE_SECONDS`: min/max-decimated to the pixel width, with the
    target band, the safety ceiling, a marker on each stroke's peak, shaded holds and the user's
    markers. Time runs from -10 s to 0 (now): the data scroll, the axes stay still (redrawing
    moving axes would cost more than the trace itself)."""

    def __init__(self, feed: DashboardFeed) -> None:
        super().__init__()
        self.feed = feed
        _style(self, "force (N)", "seconds (0 = now)")
        self.band = _target_band()
        self.band.hide()
        self.addItem(self.band)
        self.ceiling = pg.InfiniteLine(angle=0, movable=False,
                                       pen=pg.mkPen(COLOURS["off"], width=3, style=QtCore.Qt.PenStyle.DashLine))
        self.addItem(self.ceiling)
        self.holds = [self._region() for _ in range(_HOLD_POOL)]
        self.markers = [self._marker() for _ in range(_MARKER_POOL)]
        self.curve = self.plot(pen=pg.mkPen("#ffffff", width=2))
        self.curve.setSkipFiniteCheck(True)
        self.peaks = pg.ScatterPlotItem(symbol="t1", size=22, pen=pg.mkPen("#000000", width=1.5),
                                        brush=pg.mkBrush("#4fc3ff"))
        self.addItem(self.peaks)
        self._ymax = 50.0
        self.setXRange(-TRACE_SECONDS, 0.0, padding=0)
        self.setYRange(0.0, self._ymax, padding=0.04)
        self.data_arrival = float("nan")  # host time the newest sample now on the trace arrived
        self.on_painted: Callable[[float], None] | None = None
        self.drawn_points = 0
        self._seen: tuple[object, ...] | None = None  # what the last refresh drew from

    def _region(self) -> pg.LinearRegionItem:
        r = pg.LinearRegionItem(movable=False, brush=pg.mkBrush(255, 59, 48, 75), pen=pg.mkPen(None))
        r.setZValue(-20)
        r.hide()
        self.addItem(r)
        return r

    def _marker(self) -> pg.InfiniteLine:
        line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#c77dff", width=3))
        line.hide()
        self.addItem(line)
        return line

    def refresh(self, view: DashboardView) -> None:
        """Bring the trace up to date; untouched (no repaint) when nothing changed: a paused
        replay, a stalled link."""
        feed = self.feed
        seen = (feed.version, view.pressure_band, view.force_ceiling_n, self.width(), view.force_words)
        if seen == self._seen:
            return
        if self._seen is None or self._seen[-1] != view.force_words:
            self.getPlotItem().getAxis("left").setLabel(f"force ({view.force_words.title})")
        self._seen = seen
        t_end = feed.newest_t if feed.samples and not np.isnan(feed.newest_t) else 0.0
        t0 = t_end - TRACE_SECONDS
        t, v = feed.force.since(t0)
        t, v = peak_decimate(t, v, max(200, self.width() // 2))
        self.curve.setData(t - t_end, v)
        self.drawn_points = len(t)
        pt, pv = feed.strokes.since(t0)
        self.peaks.setData(pt - t_end, pv)
        if view.pressure_band is not None:
            self.band.setRegion(view.pressure_band)
            self.band.show()
        else:
            self.band.hide()
        if view.force_ceiling_n is not None:
            self.ceiling.setValue(view.force_ceiling_n)
        self.ceiling.setVisible(view.force_ceiling_n is not None)
        visible = [h for h in feed.holds if (h.end is None or h.end >= t0)][-_HOLD_POOL:]
        for item, h in zip(self.holds, visible + [None] * _HOLD_POOL, strict=False):
            if h is None:
                item.hide()
            else:
                item.setRegion((max(h.start, t0) - t_end, (t_end if h.end is None else h.end) - t_end))
                item.show()
        marks = [m for m in feed.markers if m.t >= t0][-_MARKER_POOL:]
        for line, m in zip(self.markers, marks + [None] * _MARKER_POOL, strict=False):
            if m is None:
                line.hide()
            else:
                line.setValue(m.t - t_end)
                line.show()
        top = max(float(v.max()) if len(v) else 0.0, view.pressure_band[1] if view.pressure_band else 0.0)
        if top * 1.15 > self._ymax or top < self._ymax * 0.4:  # rescale with hysteresis, in steps of 10 N
            self._ymax = max(30.0, float(np.ceil(top * 1.3 / 10.0) * 10.0))
            self.setYRange(0.0, self._ymax, padding=0.04)
        self.data_arrival = feed.newest_arrival

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:
        super().paintEvent(event)
        if self.on_painted is not None:
            self.on_painted(self.data_arrival)


class RateHistory(pg.PlotWidget):
    """Stroke rate (per minute) over the whole session, with the target band. Each stretch of
    the line takes the colour of its newest rate's zone, as the rate tile does: one curve per
    zone, each drawing only its own stretches."""

    def __init__(self, feed: DashboardFeed) -> None:
        super().__init__()
        self.feed = feed
        _style(self, "rate (/min)", "time (min)")
        self.band = _target_band()
        self.addItem(self.band)
        self.curves: dict[Zone, pg.PlotDataItem] = {
            z: self.plot(pen=pg.mkPen(COLOURS[z], width=3)) for z in ("on", "near", "off")
        }
        self._seen: tuple[int, tuple[float, float]] | None = None

    def refresh(self, view: DashboardView) -> None:
        """Redraw only when a stroke brought a new rate or the band moved (not every frame)."""
        lo, hi = view.rate_band
        rate = self.feed.rate
        if (rate.total, view.rate_band) == self._seen:
            return
        self._seen = (rate.total, view.rate_band)
        self.band.setRegion((lo, hi))
        t, v = rate.latest()
        t, v = peak_decimate(t / 60.0, v, max(200, self.width()))
        joined = np.append(np.diff(t) * 60.0 <= RATE_GAP_S, False)  # no line across a pause
        ends = np.array([zone(x, view.rate_band) for x in v[1:]] + ["none"])  # a stretch's newest rate
        for z, curve in self.curves.items():
            curve.setData(t, v, connect=joined & (ends == z))
        span = max(1.0, float(t[-1]) if len(t) else 1.0)
        top = max(hi * 1.5, float(v.max()) * 1.1 if len(v) else 0.0)
        self.setRange(xRange=(0.0, span), yRange=(0.0, top), padding=0.02)
