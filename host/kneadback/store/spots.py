"""The coach's `SpotHistory` on the session database.

Past sessions' ratings and bouts are read from the recorded events (read-only, sessions that
started before `before`, so a replay sees what the live run saw); what the coach adds during
this session is kept in memory, because the recorder already writes the events themselves.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from kneadback.coach.spots import MemorySpotHistory, SpotRating, day_bounds
from kneadback.coach.targets import Targets
from kneadback.errors import RecordingError
from kneadback.event_types import EventType
from kneadback.store.db import Store, default_path
from kneadback.store.summary import is_counted


class SqliteSpotHistory:
    """Recorded bouts count toward a day only when they lasted long enough, by the coach's own
    rule (`is_counted` against `bout_s`), so a short try never counts."""

    def __init__(self, before: float, path: Path | None = None, *, bout_s: float = Targets().bout_s) -> None:
        self.before = float(before)
        self.bout_s = float(bout_s)
        self.path = path if path is not None else default_path()
        self._mine = MemorySpotHistory()
        self._ratings: dict[str, list[SpotRating]] = {}
        self._bout_ends: dict[str, list[float]] = {}

    def _load(self, spot: str) -> None:
        if spot in self._ratings:
            return
        ratings: list[SpotRating] = []
        ends: list[float] = []
        if self.path.exists():
            try:
                with Store.open(self.path, readonly=True) as store:
                    for _sid, wall, e in store.spot_events((EventType.RATING, EventType.BOUT), spot):
                        if wall >= self.before:
                            continue
                        if e.type == EventType.RATING:
                            f = e.data.get("force_n")
                            ratings.append(SpotRating(wall + e.t, int(e.data["value"]), None if f is None else float(f)))
                        elif is_counted(e.data, self.bout_s):
                            ends.append(wall + float(e.data["end"]))
            except RecordingError:
                pass  # an unreadable history coaches like a first session; `doctor` says why
        self._ratings[spot] = sorted(ratings, key=lambda r: r.wall_time)
        self._bout_ends[spot] = ends

    def ratings(self, spot: str) -> list[SpotRating]:
        self._load(spot)
        return sorted(self._ratings[spot] + self._mine.ratings(spot), key=lambda r: r.wall_time)

    def add_rating(self, spot: str, wall_time: float, value: int, force_n: float | None) -> None:
        self._mine.add_rating(spot, wall_time, value, force_n)

    def bouts_on(self, spot: str, day: dt.date) -> int:
        self._load(spot)
        lo, hi = day_bounds(day)
        return sum(1 for w in self._bout_ends[spot] if lo <= w < hi) + self._mine.bouts_on(spot, day)

    def add_bout(
        self, spot: str, wall_time: float, duration_s: float, strokes: int, score: float | None = None
    ) -> None:
        self._mine.add_bout(spot, wall_time, duration_s, strokes, score)

