"""Per-spot memory across sessions: discomfort ratings and bouts done.

`SpotHistory` is the one interface the coach uses; `MemorySpotHistory` keeps it in memory
(tests, `--no-record`), the session store keeps it in SQLite. Times are wall-clock Unix
seconds handed in by the caller (the coach never reads the clock itself). A bout belongs to the
*local* calendar day of its wall time; `day_of` and `day_bounds` say exactly which.

The force→discomfort curve is not stored: it is a deterministic function of a spot's ratings
(`kneadback.coach.discomfort.fit_curve`), so keeping the ratings keeps the curve.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class SpotRating:
    """One discomfort rating (0..10) on a spot, paired with the force of the recent strokes."""

    wall_time: float
    value: int
    force_n: float | None


@dataclass(frozen=True)
class SpotBout:
    """One finished bout on a spot."""

    wall_time: float  # when it ended
    duration_s: float
    strokes: int
    score: float | None = None


class SpotHistory(Protocol):
    def ratings(self, spot: str) -> list[SpotRating]:
        """All ratings on `spot`, oldest first."""

    def add_rating(self, spot: str, wall_time: float, value: int, force_n: float | None) -> None: ...

    def bouts_on(self, spot: str, day: dt.date) -> int:
        """How many bouts on `spot` ended on the local calendar `day` (see `day_bounds`)."""

    def add_bout(
        self, spot: str, wall_time: float, duration_s: float, strokes: int, score: float | None = None
    ) -> None: ...


DEFAULT_SPOT = "this spot"  # the spot of a session that names none

COUNT_SHARE = 0.5  # a bout counts toward the day's bouts once it lasted this share of the bout length


def counts_toward_today(duration_s: float, bout_s: float) -> bool:
    """Whether a bout this long counts as one of the day's bouts (short tries do not)."""
    return duration_s >= COUNT_SHARE * bout_s


def day_of(wall_time: float) -> dt.date:
    """The local calendar day of a Unix time."""
    return dt.datetime.fromtimestamp(wall_time).date()


def day_bounds(day: dt.date) -> tuple[float, float]:
    """[start, end) Unix seconds of a local calendar day (23 or 25 h long across DST changes)."""
    start = dt.datetime.combine(day, dt.time()).timestamp()
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time()).timestamp()
    return start, end


class MemorySpotHistory:
    """`SpotHistory` kept in a dict: for tests and sessions that are not recorded."""

    def __init__(self) -> None:
        self._ratings: dict[str, list[SpotRating]] = {}
        self._bouts: dict[str, list[SpotBout]] = {}

    def ratings(self, spot: str) -> list[SpotRating]:
        return sorted(self._ratings.get(spot, []), key=lambda r: r.wall_time)

    def add_rating(self, spot: str, wall_time: float, value: int, force_n: float | None) -> None:
        self._ratings.setdefault(spot, []).append(SpotRating(float(wall_time), int(value), force_n))

    def bouts_on(self, spot: str, day: dt.date) -> int:
        lo, hi = day_bounds(day)
        return sum(1 for b in self._bouts.get(spot, []) if lo <= b.wall_time < hi)

    def add_bout(
        self, spot: str, wall_time: float, duration_s: float, strokes: int, score: float | None = None
    ) -> None:
        self._bouts.setdefault(spot, []).append(SpotBout(float(wall_time), float(duration_s), int(strokes), score))
