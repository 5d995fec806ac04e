"""Stretches of stroking, and the stroke rate.

A stretch is a run of at least `min_strokes` strokes with no pause between them: a pause is a gap
of more than `pause_min_s` (4 s; or `pause_intervals` × the recent stroke interval, for slow
stroking) after the last stroke, or the start of a static hold. A lift-off longer than that is a
pause too, since no strokes come while the tool is in the air. The engine reports a stretch as
`BoutStarted` and `Bout`; the session's bout machine (`kneadback.coach.bouts`) makes the session's
bouts of them.

Each stroke leaves with its interval to the stroke before and the rate as of it
(`kneadback.engine.rate`, the one definition); the rate is None with fewer than two strokes and
after a pause. An interval that spans a gap in the data is unknown: it counts neither in the rate
nor in the stretch's mean rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypedDict

import numpy as np

from kneadback.engine.rate import RATE_INTERVALS, RateMeter, rate_spm
from kneadback.model import Bout, BoutStarted, Stroke


@dataclass(frozen=True)
class BoutParams:
    pause_min_s: float = 4.0  # above the 3.3 s between strokes at 0.3 Hz
    pause_intervals: float = 2.5
    min_strokes: int = 2
    rate_strokes: int = RATE_INTERVALS  # intervals averaged for the rate

    def pause_after_s(self, mean_interval_s: float | None) -> float:
        """How long after a stroke, with no other, the stretch has paused."""
        if mean_interval_s is None:
            return self.pause_min_s
        return max(self.pause_min_s, self.pause_intervals * mean_interval_s)


class MeasuredStroke(TypedDict):
    """A stroke's fields as the detector measures them: all of `Stroke`'s but the interval and the
    rate, which the stretch it falls in gives (`BoutTracker.on_stroke`). A typed dict, not a
    `Stroke`: each stroke is built once, with them."""

    index: int
    t_start: float
    t_peak: float
    t_end: float
    t_confirmed: float
    peak_n: float
    mean_n: float
    peak_adc: int
    impulse_ns: float
    release: float


class BoutTracker:
    def __init__(self, params: BoutParams | None = None) -> None:
        self.p = params or BoutParams()
        self.index = 0  # of the next stretch
        self.active = False
        self.count = 0
        self.first: Stroke | None = None
        self.last: Stroke | None = None
        self.t_ref = 0.0  # the last stroke's time for the rate
        self.sum_peak = 0.0
        self.intervals: list[float] = []  # stroke-to-stroke intervals of the stretch (none across data gaps)
        self.rate = RateMeter(self.p.rate_strokes)
        self.grace_s = 0.0  # data gaps since the last stroke: not evidence of a pause

    @property
    def rate_spm(self) -> float | None:
        return self.rate.value

    @property
    def start(self) -> float | None:
        return self.first.t_start if self.active and self.first is not None else None

    def pause_limit_s(self) -> float:
        return self.p.pause_after_s(self.rate.mean_interval_s)

    def deadline(self) -> float | None:
        """When the current stretch ends if no stroke comes (session time), or None."""
        return None if self.last is None else self.last.t_peak + self.pause_limit_s() + self.grace_s

    def on_stroke(self, measured: MeasuredStroke, t_ref: float) -> tuple[Stroke, list[BoutStarted]]:
        """A stroke, timed for the rate by `t_ref` (the middle of its rise: sharper than a peak on
        a flat top): the stroke with its interval and rate, and the stretch it starts, if any.
        `measured` holds the stroke's other fields: each stroke is built once, here."""
        interval: float | None = None
        if self.last is not None and self.grace_s > 0:
            self.rate.clear()  # the data had a gap since the last stroke: unknown interval
        elif self.last is not None:
            interval = t_ref - self.t_ref
            self.rate.add(interval)
            self.intervals.append(interval)
        s = Stroke(**measured, interval_s=interval, rate_spm=self.rate.value)
        if self.last is None:
            self.first = s
        self.last = s
        self.t_ref = t_ref
        self.grace_s = 0.0
        self.count += 1
        self.sum_peak += s.peak_n
        if not self.active and self.count >= self.p.min_strokes:
            self.active = True
            assert self.first is not None
            return s, [BoutStarted(self.index, self.first.t_start, s.t_confirmed)]
        return s, []

    def close(self, t_confirmed: float) -> list[Bout]:
        """End the current stretch (a pause, a hold, the end of the data)."""
        out: list[Bout] = []
        if self.active and self.first is not None and self.last is not None:
            out.append(
                Bout(
                    self.index,
                    self.first.t_start,
                    min(self.last.t_end, t_confirmed),
                    t_confirmed,
                    self.count,
                    rate_spm(self.intervals),
                    self.sum_peak / self.count,
                )
            )
            self.index += 1
        self.active = False
        self.count = 0
        self.first = self.last = None
        self.sum_peak = 0.0
        self.intervals = []
        self.rate.clear()
        self.grace_s = 0.0
        return out

    def check_pause(self, t: np.ndarray, lo: int, hi: int) -> int | None:
        """Block sample (lo ≤ i < hi) at which the pause deadline passes, or None."""
        when = self.deadline()
        if when is None:
            return None
        i = max(int(t.searchsorted(when, side="left")), lo)
        return i if i < hi else None


def stroke_rates(t_peaks: Sequence[float], params: BoutParams | None = None) -> list[float | None]:
    """The rate as of each stroke, from stroke times alone, by the engine's rules: for recordings
    made before the engine stamped each stroke with its rate (peaks instead of mid-rises)."""
    p = params or BoutParams()
    meter = RateMeter(p.rate_strokes)
    out: list[float | None] = []
    prev: float | None = None
    for t in t_peaks:
        if prev is not None:
            gap = t - prev
            if 0 < gap <= p.pause_after_s(meter.mean_interval_s):
                meter.add(gap)
            else:
                meter.clear()
        out.append(meter.value)
        prev = t
    return out
