"""Small hand-built SVG charts for the self-contained HTML reports (no external assets)."""

from __future__ import annotations

import datetime as dt
import html
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import overload

import numpy as np

FONT = "font-family:system-ui,sans-serif;font-size:12px"


def nice_ticks(lo: float, hi: float, n: int = 6) -> list[float]:
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / max(1, n)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.ceil(lo / step) * step
    return [round(start + k * step, 10) for k in range(int((hi - start) / step + 1e-9) + 1)]


def _fmt(v: float) -> str:
    return f"{v:g}" if abs(v) >= 1e-9 else "0"


_DAY_STEPS = (1, 2, 7, 14)  # days between date ticks (7 and 14 on Mondays) ...
_MONTH_STEPS = (1, 2, 3, 6)  # ... or months, or whole years, on the first of a month


def date_ticks(lo: float, hi: float, n: int = 8) -> list[tuple[float, str]]:
    """Ticks at round calendar dates for an axis of day ordinals (`date.toordinal()`) from `lo`
    to `hi`: the finest of every day, 2 days, week, fortnight, or first of every 1, 2, 3, 6
    months or 1, 2, 3... years that gives at most `n` ticks."""
    first, last = dt.date.fromordinal(math.ceil(lo)), dt.date.fromordinal(math.floor(hi))
    span = last.toordinal() - first.toordinal()
    for step in _DAY_STEPS:
        if span // step + 1 <= n:
            start = first if step < 7 else first + dt.timedelta(days=-first.weekday() % 7)
            days = [start + dt.timedelta(days=k) for k in range(0, last.toordinal() - start.toordinal() + 1, step)]
            return [(d.toordinal(), f"{d:%b} {d.day}") for d in days]
    first_month = first.year * 12 + first.month - 1 + (first.day > 1)
    last_month = last.year * 12 + last.month - 1
    for months in itertools.chain(_MONTH_STEPS, (12 * years for years in itertools.count(1))):
        from_month = -(-first_month // months) * months  # the first multiple of the step from `first` on
        if (last_month - from_month) // months + 1 <= n:
            dates = [dt.date(m // 12, m % 12 + 1, 1) for m in range(from_month, last_month + 1, months)]
            return [(d.toordinal(), f"{d:%b %Y}" if months < 12 else str(d.year)) for d in dates]
    raise AssertionError("unreachable: some number of years gives few enough ticks")


@dataclass
class Chart:
    """One x/y chart; add layers, then `svg()`."""

    title: str
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    x_label: str = ""
    y_label: str = ""
    width: int = 960
    height: int = 260
    chart_id: str = ""
    empty: str = "no data yet"  # said across a chart no data was drawn on
    _layers: list[str] = field(default_factory=list)
    _data = False  # a data layer (not just a band) has been drawn
    _legend: list[tuple[str, str]] = field(default_factory=list)

    # plot area
    left, right, top, bottom = 56, 16, 28, 40

    @overload
    def x(self, v: float) -> float: ...
    @overload
    def x(self, v: np.ndarray) -> np.ndarray: ...
    def x(self, v: float | np.ndarray) -> np.ndarray | float:
        x0, x1 = self.x_range
        return self.left + (np.asarray(v, dtype=float) - x0) / ((x1 - x0) or 1.0) * (self.width - self.left - self.right)

    @overload
    def y(self, v: float) -> float: ...
    @overload
    def y(self, v: np.ndarray) -> np.ndarray: ...
    def y(self, v: float | np.ndarray) -> np.ndarray | float:
        y0, y1 = self.y_range
        h = self.height - self.top - self.bottom
        return self.top + h - (np.asarray(v, dtype=float) - y0) / ((y1 - y0) or 1.0) * h

    def legend(self, color: str, label: str) -> None:
        self._legend.append((color, label))

    def hband(self, y0: float, y1: float, color: str, label: str = "", opacity: float = 0.18) -> None:
        top, bot = float(self.y(min(max(y1, self.y_range[0]), self.y_range[1]))), float(self.y(max(min(y0, self.y_range[1]), self.y_range[0])))
        self._layers.append(f'<rect x="{self.left}" y="{top:.1f}" width="{self.width - self.left - self.right}" '
                            f'height="{max(0.0, bot - top):.1f}" fill="{color}" fill-opacity="{opacity}"/>')
        if label:
            self.legend(color, label)

    def rect(self, x0: float, x1: float, y0: float, y1: float, color: str, opacity: float = 0.18) -> None:
        xa, xb = float(self.x(x0)), float(self.x(x1))
        ya, yb = float(self.y(min(y1, self.y_range[1]))), float(self.y(max(y0, self.y_range[0])))
        self._layers.append(f'<rect x="{xa:.1f}" y="{ya:.1f}" width="{max(0.0, xb - xa):.1f}" '
                            f'height="{max(0.0, yb - ya):.1f}" fill="{color}" fill-opacity="{opacity}"/>')

    def vspans(self, spans: Sequence[tuple[float, float]], color: str, label: str = "", opacity: float = 0.15) -> None:
        y0, y1 = self.top, self.height - self.bottom
        for a, b in spans:
            xa, xb = float(self.x(a)), float(self.x(b))
            self._layers.append(f'<rect x="{xa:.1f}" y="{y0}" width="{max(0.5, xb - xa):.1f}" height="{y1 - y0}" '
                                f'fill="{color}" fill-opacity="{opacity}"/>')
        if label and spans:
            self.legend(color, label)

    def line(self, xs: np.ndarray, ys: np.ndarray, color: str, label: str = "", width: float = 1.2) -> None:
        xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
        ok = np.isfinite(xs) & np.isfinite(ys)
        if not ok.any():
            return
        px, py = self.x(xs[ok]), self.y(ys[ok])
        pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(px, py))
        self._layers.append(f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="{width}"/>')
        self._data = True
        if label:
            self.legend(color, label)

    def envelope(self, t: np.ndarray, v: np.ndarray, color: str, label: str = "") -> None:
        """A long trace as a min/max band per pixel column, so hours stay a few kilobytes."""
        cols = self.width - self.left - self.right
        if len(t) <= 2 * cols:
            self.line(t, v, color, label)
            return
        edges = np.linspace(self.x_range[0], self.x_range[1], cols + 1)
        idx = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, cols - 1)
        lo = np.full(cols, np.nan)
        hi = np.full(cols, np.nan)
        np.fmin.at(lo, idx, v)
        np.fmax.at(hi, idx, v)
        mid = (edges[:-1] + edges[1:]) / 2
        ok = np.isfinite(lo)
        xs = np.concatenate([mid[ok], mid[ok][::-1]])
        ys = np.concatenate([hi[ok], lo[ok][::-1]])
        pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(self.x(xs), self.y(ys)))
        self._layers.append(f'<polygon points="{pts}" fill="{color}" stroke="{color}" stroke-width="0.8"/>')
        self._data = True
        if label:
            self.legend(color, label)

    def points(self, xs: Sequence[float] | np.ndarray, ys: Sequence[float] | np.ndarray, color: str, label: str = "", r: float = 2.5,
               titles: Sequence[str] | None = None) -> None:
        for k, (a, b) in enumerate(zip(xs, ys)):
            if not (math.isfinite(a) and math.isfinite(b)):
                continue
            tip = f"<title>{html.escape(titles[k])}</title>" if titles else ""
            self._layers.append(f'<circle cx="{float(self.x(a)):.1f}" cy="{float(self.y(b)):.1f}" r="{r}" fill="{color}">{tip}</circle>')
            self._data = True
        if label and len(xs):
            self.legend(color, label)

    def ticks(self, xs: Sequence[float], color: str, label: str = "", titles: Sequence[str] | None = None) -> None:
        """Short marks along the top edge (cues, markers), with hover text."""
        for k, a in enumerate(xs):
            px = float(self.x(a))
            tip = f"<title>{html.escape(titles[k])}</title>" if titles else ""
            self._layers.append(f'<line x1="{px:.1f}" x2="{px:.1f}" y1="{self.top}" y2="{self.top + 12}" '
                                f'stroke="{color}" stroke-width="2">{tip}</line>')
            self._data = True
        if label and len(xs):
            self.legend(color, label)

    def bars(self, xs: Sequence[float], ys: Sequence[float], color: str, width: float, label: str = "",
             min_px: float = 8.0, max_px: float = 48.0) -> None:
        """Bars `width` wide in x units, but kept within `min_px`..`max_px` on the page (so a few
        days months apart stay visible), each narrower than the gap to its nearest neighbour."""
        px = np.asarray(self.x(np.asarray(xs, dtype=float)), dtype=float).reshape(-1)
        w = min(max(abs(float(self.x(width)) - float(self.x(0.0))), min_px), max_px)
        order = np.argsort(px)
        gaps = np.diff(px[order], prepend=-np.inf, append=np.inf)
        near = np.empty(len(px))
        near[order] = np.minimum(gaps[:-1], gaps[1:])  # to the left or right neighbour
        for a, b, gap in zip(px, ys, near):
            wa = min(w, 0.8 * gap)
            y0, y1 = float(self.y(0)), float(self.y(b))
            self._layers.append(f'<rect x="{a - wa / 2:.1f}" y="{min(y0, y1):.1f}" width="{wa:.1f}" '
                                f'height="{abs(y0 - y1):.1f}" fill="{color}"/>')
            self._data = True
        if label and len(xs):
            self.legend(color, label)

    def svg(self, x_ticks: Sequence[tuple[float, str]] | None = None) -> str:
        w, h = self.width, self.height
        pl, pr, pt, pb = self.left, w - self.right, self.top, h - self.bottom
        out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{html.escape(self.chart_id)}" '
               f'viewBox="0 0 {w} {h}" width="100%" role="img" aria-label="{html.escape(self.title)}" style="{FONT}">',
               f'<rect x="0" y="0" width="{w}" height="{h}" fill="#fff"/>',
               f'<text x="{pl}" y="16" font-weight="bold">{html.escape(self.title)}</text>']
        for v in nice_ticks(*self.y_range, n=5):
            py = float(self.y(v))
            out.append(f'<line x1="{pl}" x2="{pr}" y1="{py:.1f}" y2="{py:.1f}" stroke="#e4e4e4"/>')
            out.append(f'<text x="{pl - 6}" y="{py + 4:.1f}" text-anchor="end">{_fmt(v)}</text>')
        xt = x_ticks if x_ticks is not None else [(v, _fmt(v)) for v in nice_ticks(*self.x_range, n=10)]
        for v, text in xt:
            px = float(self.x(v))
            out.append(f'<line x1="{px:.1f}" x2="{px:.1f}" y1="{pb}" y2="{pb + 4}" stroke="#888"/>')
            out.append(f'<text x="{px:.1f}" y="{pb + 16}" text-anchor="middle">{html.escape(text)}</text>')
        out.extend(self._layers)
        if not self._data:
            out.append(f'<text class="empty" x="{(pl + pr) / 2:.0f}" y="{(pt + pb) / 2 + 5:.0f}" text-anchor="middle" '
                       f'fill="#777" font-size="15">{html.escape(self.empty)}</text>')
        out.append(f'<rect x="{pl}" y="{pt}" width="{pr - pl}" height="{pb - pt}" fill="none" stroke="#888"/>')
        if self.x_label:
            out.append(f'<text x="{(pl + pr) / 2:.0f}" y="{h - 6}" text-anchor="middle">{html.escape(self.x_label)}</text>')
        if self.y_label:
            out.append(f'<text transform="translate(14,{(pt + pb) / 2:.0f}) rotate(-90)" text-anchor="middle">'
                       f'{html.escape(self.y_label)}</text>')
        lx = pr
        for color, label in reversed(self._legend):
            lx -= 14 + 7 * len(label)
            out.append(f'<rect x="{lx}" y="7" width="10" height="10" fill="{color}"/>'
                       f'<text x="{lx + 14}" y="16">{html.escape(label)}</text>')
        out.append("</svg>")
        return "\n".join(out)
