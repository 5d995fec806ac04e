"""The one injected clock. Nothing else in kneadback reads the time, monotonic or wall (but the
emulated board's start-up, which waits for a real process)."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds on a monotonic scale."""

    def sleep(self, seconds: float) -> None:
        """Wait (or, for a manual clock, advance) `seconds`."""

    def wall(self) -> float:
        """Unix seconds now: the dates a session is filed under and "bouts today" counts by."""


class MonotonicClock:
    """The real clock, for live use."""

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def wall(self) -> float:
        return time.time()


class ManualClock:
    """A clock that moves only when told: tests and as-fast-as-possible replay. Its wall time is
    `wall_start` (default: the real time when it was made) plus the time it has moved."""

    def __init__(self, start: float = 0.0, wall_start: float | None = None) -> None:
        self._t = float(start)
        self._start = self._t
        self._wall_start = time.time() if wall_start is None else float(wall_start)

    def now(self) -> float:
        return self._t

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._t += seconds

    def advance(self, seconds: float) -> None:
        self.sleep(seconds)

    def wall(self) -> float:
        return self._wall_start + (self._t - self._start)
