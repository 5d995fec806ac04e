"""Contact: is the tool on the skin? Hysteresis on the low-passed linearised signal above a
tracked baseline, with thresholds relative to the strokes and floors from the measured noise,
so any sensor, divider and ADC give the same contact for the same pressing.

On: the signal stands above the baseline by a share of how far strokes peak above the lowest
reading (the detector's running peak level; before the first stroke, the highest signal so far;
the lowest reading of an FSR divider is its zero, the FSR open),
and by at least a few noise RMS; off: it falls below `off` of that. The baseline is what the
sensor reads with the tool in the air (the mount's preload, which can shift). It follows the
signal down at once and creeps up by one "on" threshold per `creep_s`, never above
`baseline_cap` of the way to the peak level, so a long hold or in-contact stroking is not
mistaken for a new baseline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np


@dataclass(frozen=True)
class ContactParams:
    on_share: float = 0.032  # above the baseline by this share of the peak level: on the skin,
    on_k: float = 8.0  # ...and never less than this many noise RMS of the low-passed signal;
    off: float = 0.625  # below this share of that again: lifted off
    creep_s: float = 1.2  # the baseline may rise by one "on" threshold in this long
    baseline_cap: float = 0.3  # the most preload the mount can put on, as a share of the peak level


class Change(NamedTuple):
    """A contact change (a tuple: the tool may touch and leave the skin with every stroke)."""

    sample: int  # running sample number where the change was confirmed
    t_confirmed: float
    at: float  # when it happened (corrected for the filter delay)
    on: bool


class ContactTracker:
    def __init__(self, lag_s: float, rate_hz: float, zero: float = math.inf, params: ContactParams | None = None) -> None:
        """`zero`: what the sensor reads with no force at all, when the front end knows it (so a
        recording that starts with the tool held on the skin starts in contact)."""
        self.p = params or ContactParams()
        self.lag_s = lag_s
        self._creep_per_sample = 1.0 / (self.p.creep_s * rate_hz)  # of the "on" threshold
        self.on = False
        self._low = math.inf  # running min of (signal − creep so far): the baseline's anchor
        self._creep = 0.0  # how far the baseline may have crept since the start
        self._rest = zero  # the lowest reading so far
        self._top = -math.inf  # the highest reading so far
        self.baseline = 0.0

    def process(self, t: np.ndarray, g: np.ndarray, noise: np.ndarray, peak: np.ndarray, first: int) -> list[Change]:
        """`g`: the low-passed linearised signal; `noise`: its noise RMS per sample; `peak`: the
        level strokes peak at as of each sample (NaN before the first stroke)."""
        if not len(t):
            return []
        p = self.p
        # the extremes so far are rarely beaten: most blocks need no running min or max
        rest: np.ndarray | float = self._rest
        if g.min() < self._rest:
            rest = np.minimum(np.minimum.accumulate(g), self._rest)
            self._rest = float(rest[-1])
        if np.isnan(peak[0]):  # no stroke yet: the highest reading so far stands for the peak level
            top: np.ndarray | float = self._top
            if g.max() > self._top:
                top = np.maximum(np.maximum.accumulate(g), self._top)
                self._top = float(top[-1])
            peak = np.where(np.isnan(peak), top, peak)
        span = np.subtract(peak, rest)
        on_level = np.maximum(p.on_k * noise, p.on_share * span)
        # the baseline may rise by `on_level` per `creep_s`: a running sum, carried across blocks
        sums = np.empty(len(t) + 1)
        sums[0] = self._creep
        np.multiply(on_level, self._creep_per_sample, out=sums[1:])
        creep = np.cumsum(sums, out=sums)[1:]
        self._creep = float(creep[-1])
        anchor = g - creep
        anchor[0] = min(anchor[0], self._low)  # the running min goes on from the last block's
        np.minimum.accumulate(anchor, out=anchor)
        self._low = float(anchor[-1])
        base = np.add(anchor, creep, out=anchor)  # never above the signal itself
        if isinstance(rest, np.ndarray) or base.max() > rest + p.baseline_cap * span.min():
            np.minimum(base, rest + p.baseline_cap * span, out=base)
        self.baseline = float(base[-1])
        above = np.subtract(g, base, out=creep)
        # the crossings each way, found only when the state needs them (a live block has none)
        ups: np.ndarray | None = None
        downs: np.ndarray | None = None
        out: list[Change] = []
        pos = 0
        while True:
            if self.on:
                idx = downs = (above < p.off * on_level).nonzero()[0] if downs is None else downs
            else:
                idx = ups = (above > on_level).nonzero()[0] if ups is None else ups
            k = int(idx.searchsorted(pos))
            if k >= len(idx):
                break
            i = int(idx[k])
            self.on = not self.on
            out.append(Change(first + i, float(t[i]), float(t[i]) - self.lag_s, self.on))
            pos = i + 1
        return out

