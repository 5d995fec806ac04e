"""Bouts and stroke rate.

A bout is a stretch of at least `min_strokes` strokes with no pause between them: a pause is a
gap of more than `pause_min_s` (4 s; or `pause_intervals` × the recent stroke interval, for slow
stroking) after the last stroke, or the start of a static hold. A lift-off longer than that is
a pause too, since no strokes come while the tool is in the air.

The rate is strokes per minute from the last few stroke-to-stroke intervals of the current
stretch; it is None with fewer than two strokes and after a pause. An interval that spans a gap
in the data is unknown: it counts neither in the rate nor in the bout's mean rate.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass

import numpy as np

from kneadback.model import Bout, BoutStarted, Stroke


@dataclass(frozen=True)
class BoutParams:
    pause_min_s: float = 4.0  # above the 3.3 s between strokes at 0.3 Hz
    pause_intervals: float = 2.5
    min_strokes: int = 2
    rate_strokes: int = 5  # intervals averaged for the rate


class BoutTracker:
    def __init__(self, params: BoutParams | None = None) -> None:
        self.p = params or BoutParams()
        self.index = 0  # of the next bout
        self.active = False
        self.count = 0
        self.first: Stroke | None = None
        self.last: Stroke | None = None
        self.t_ref = 0.0  # the last stroke's time for the rate
        self.sum_peak = 0.0
        self.n_intervals = 0  # stroke-to-stroke intervals of the stretch (none across data gaps)
        self.sum_intervals = 0.0
        self.intervals: collections.deque[float] = collections.deque(maxlen=self.p.rate_strokes)
        self.grace_s = 0.0  # data gaps since the last stroke: not evidence of a pause

    @property
    def rate_spm(self) -> float | None:
        if not self.intervals:
            return None
        return 60.0 * len(self.intervals) / sum(self.intervals)

    @property
    def start(self) -> float | None:
        return self.first.t_start if self.active and self.first is not None else None

    def pause_limit_s(self) -> float:
        if not self.intervals:
            return self.p.pause_min_s
        return max(self.p.pause_min_s, self.p.pause_intervals * sum(self.intervals) / len(self.intervals))

    def deadline(self) -> float | None:
        """When the current stretch ends if no stroke comes (session time), or None."""
        return None if self.last is None else self.last.t_peak + self.pause_limit_s() + self.grace_s

    def on_stroke(self, s: Stroke, t_ref: float) -> list[BoutStarted]:
        """A stroke; `t_ref` times it for the rate (the middle of its rise: sharper than a peak
        on a flat top)."""
        if self.last is not None and self.grace_s > 0:
            self.intervals.clear()  # the data had a gap since the last stroke: unknown interval
        elif self.last is not None:
            gap = t_ref - self.t_ref
            self.intervals.append(gap)
            self.n_intervals += 1
            self.sum_intervals += gap
        else:
            self.first = s
        self.last = s
        self.t_ref = t_ref
        self.grace_s = 0.0
        self.count += 1
        self.sum_peak += s.peak_n
        if not self.active and self.count >= self.p.min_strokes:
            self.active = True
            assert self.first is not None
            return [BoutStarted(self.index, self.first.t_start, s.t_confirmed)]
        return []

    def close(self, t_confirmed: float) -> list[Bout]:
        """End the current stretch (a pause, a hold, the end of the data)."""
        out: list[Bout] = []
        if self.active and self.first is not None and self.last is not None:
            span = self.sum_intervals
            rate = 60.0 * self.n_intervals / span if span > 0 else None
            out.append(
                Bout(
                    self.index,
                    self.first.t_start,
                    min(self.last.t_end, t_confirmed),
                    t_confirmed,
                    self.count,
                    rate,
                    self.sum_peak / self.count,
                )
            )
            self.index += 1
        self.active = False
        self.count = 0
        self.first = self.last = None
        self.sum_peak = 0.0
        self.n_intervals = 0
        self.sum_intervals = 0.0
        self.intervals.clear()
        self.grace_s = 0.0
        return out

    def check_pause(self, t: np.ndarray, lo: int, hi: int) -> int | None:
        """Block sample (lo ≤ i < hi) at which the pause deadline passes, or None."""
        when = self.deadline()
        if when is None:
            return None
        i = max(int(t.searchsorted(when, side="left")), lo)
        return i if i < hi else None
