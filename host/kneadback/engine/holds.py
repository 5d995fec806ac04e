"""Static holds: the tool stays on the skin for more than `limit_s` with no stroke.

The quiet time starts at the later of contact and the end of the last stroke. A hold is
announced the moment the quiet time passes the limit, provided the force really stayed still
over it (slow stroking moves the force long before its next stroke is confirmed); it ends with
the next stroke or lift-off.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

HOLD_LIMIT_S = 2.0
STEP_S = 1e-3  # how far the quiet time moves past the last movement


class Mark(NamedTuple):
    """Something that happened at running sample `sample` (time `t_confirmed`); a tuple, as one is
    made per stroke and per contact change."""

    sample: int
    t_confirmed: float
    kind: str  # "on", "off", "activity"
    began: float  # when the contact change or the movement began
    settled: float  # when the force could be still again (the end of a stroke)


@dataclass(frozen=True)
class HoldChange:
    index: int
    t_confirmed: float
    start: float
    end: float | None  # None: the hold began


class HoldTracker:
    def __init__(self, moved: Callable[[int, float], float | None], limit_s: float = HOLD_LIMIT_S) -> None:
        """`moved(i, t_from)`: when the force last moved between `t_from` and sample `i`
        (None: it stayed still)."""
        self.moved = moved
        self.limit_s = limit_s
        self.in_contact = False
        self.quiet_since = math.inf
        self.holding_since: float | None = None

    def process(self, t: np.ndarray, first: int, marks: list[Mark]) -> list[HoldChange]:
        """Walk the block's marks in order; `t` is the block's times."""
        out: list[HoldChange] = []
        n = len(t)
        pos = 0
        for mark in sorted(marks, key=lambda m: m.sample) + [None]:
            stop = n if mark is None else mark.sample - first
            while self.in_contact and self.holding_since is None and math.isfinite(self.quiet_since):
                i = max(int(t.searchsorted(self.quiet_since + self.limit_s, side="left")), pos)
                if i >= stop:
                    break
                last = self.moved(first + i, self.quiet_since)
                if last is None:
                    self.holding_since = self.quiet_since
                    out.append(HoldChange(first + i, float(t[i]), self.quiet_since, None))
                    break
                # slow stroking: the force is moving although no stroke was confirmed yet
                self.quiet_since = max(last, self.quiet_since) + STEP_S
                pos = i
            if mark is None:
                break
            pos = stop
            if mark.kind == "on":
                self.in_contact = True
                self.quiet_since = mark.settled
            else:
                self._end(mark, out)
                self.in_contact = self.in_contact and mark.kind != "off"
                self.quiet_since = mark.settled if self.in_contact else math.inf
        return out

    def restart(self, index: int, t_confirmed: float, gap_start: float) -> list[HoldChange]:
        """Data resumed after a gap: a hold in progress ended where the data stopped, and the
        quiet time counts afresh from now (nothing is known about the gap)."""
        out: list[HoldChange] = []
        if self.holding_since is not None:
            out.append(HoldChange(index, t_confirmed, self.holding_since, max(gap_start, self.holding_since)))
            self.holding_since = None
        if self.in_contact:
            self.quiet_since = t_confirmed
        return out

    def _end(self, mark: Mark, out: list[HoldChange]) -> None:
        if self.holding_since is not None:
            end = max(self.holding_since, mark.began)
            out.append(HoldChange(mark.sample, mark.t_confirmed, self.holding_since, end))
            self.holding_since = None
