"""Contact: is the tool on the skin? Hysteresis on the low-passed force above a tracked baseline.

The baseline is what the sensor reads with the tool in the air (the mount's preload, which can
shift). It follows the force down at once and creeps up slowly, never above `baseline_cap_n`,
so a long hold or in-contact stroking is not mistaken for a new baseline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ContactParams:
    on_n: float = 0.35  # above the baseline: the tool is on the skin
    off_n: float = 0.2  # below it again: lifted off
    creep_n_per_s: float = 0.3  # how fast the baseline may rise
    baseline_cap_n: float = 6.0  # the most preload the mount can put on the sensor


@dataclass(frozen=True)
class Change:
    index: int  # running sample number where the change was confirmed
    t_confirmed: float
    at: float  # when it happened (corrected for the filter delay)
    on: bool


class ContactTracker:
    def __init__(self, lag_s: float, params: ContactParams | None = None) -> None:
        self.p = params or ContactParams()
        self.lag_s = lag_s
        self.on = False
        self._low = math.inf  # running min of (force − creep·t): the baseline's anchor
        self.baseline = 0.0

    def process(self, t: np.ndarray, f: np.ndarray, first: int) -> list[Change]:
        if not len(t):
            return []
        p = self.p
        rate = p.creep_n_per_s
        creep = rate * t
        anchor = f - creep
        np.minimum.accumulate(anchor, out=anchor)
        np.minimum(anchor, self._low, out=anchor)
        self._low = float(anchor[-1])
        base = np.add(anchor, creep, out=anchor)
        np.minimum(base, p.baseline_cap_n, out=base)  # never above the force itself
        self.baseline = float(base[-1])
        above = np.subtract(f, base, out=creep)
        ups = (above > p.on_n).nonzero()[0]
        downs = (above < p.off_n).nonzero()[0]
        out: list[Change] = []
        pos = 0
        while True:
            idx = ups if not self.on else downs
            k = int(idx.searchsorted(pos))
            if k >= len(idx):
                break
            i = int(idx[k])
            self.on = not self.on
            out.append(Change(first + i, float(t[i]), float(t[i]) - self.lag_s, self.on))
            pos = i + 1
        return out
