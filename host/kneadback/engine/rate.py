"""The stroke rate: its one definition, used by the engine, the screen, analysis and the reports.

    rate = 60 × n / (the sum of the last n stroke-to-stroke intervals),  n ≤ `RATE_INTERVALS` (5)

that is, strokes per minute from the mean of the last five intervals of the current stretch of
stroking: one late or hurried stroke moves it by a fifth of its error, and it settles within five
strokes of a change. It is None with fewer than two strokes in the stretch; a pause, a static hold
or a gap in the data starts a new stretch. The engine times the intervals at the middle of each
stroke's rise (sharper than the peak of a flat-topped stroke) and stamps every stroke with its
interval and the rate as of that stroke (`Stroke.interval_s`, `Stroke.rate_spm`): the screen, the
recording, analysis and the report all read the rate from there and never work it out again.
A bout's rate is the same formula over all the bout's intervals (`rate_spm`).
"""

from __future__ import annotations

import collections
from collections.abc import Iterable

RATE_INTERVALS = 5


def rate_spm(intervals: Iterable[float]) -> float | None:
    """Strokes per minute over these stroke-to-stroke intervals (seconds); None without any."""
    xs = list(intervals)
    total = sum(xs)
    return 60.0 * len(xs) / total if xs and total > 0 else None


class RateMeter:
    """The rate of the current stretch: `add` each interval as a stroke comes, `clear` when the
    stretch ends."""

    def __init__(self, n: int = RATE_INTERVALS) -> None:
        self.intervals: collections.deque[float] = collections.deque(maxlen=n)

    def add(self, interval_s: float) -> None:
        self.intervals.append(interval_s)

    def clear(self) -> None:
        self.intervals.clear()

    @property
    def value(self) -> float | None:
        return rate_spm(self.intervals)

    @property
    def mean_interval_s(self) -> float | None:
        return sum(self.intervals) / len(self.intervals) if self.intervals else None
