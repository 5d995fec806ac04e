"""A fixed-size numpy ring of (time, value) pairs whose newest part is always one slice.

Each value is written twice, at `i` and `i + capacity`, so the newest `n` values are the
contiguous slice ending at the write position: reading never copies, appending never grows.
"""

from __future__ import annotations

import numpy as np


class Ring:
    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = int(capacity)
        self._t = np.zeros(2 * self.capacity)
        self._v = np.zeros(2 * self.capacity)
        self._pos = 0  # next write index in [0, capacity)
        self._size = 0
        self.total = 0  # values ever appended

    def __len__(self) -> int:
        return self._size

    def clear(self) -> None:
        self._pos = 0
        self._size = 0
        self.total = 0

    def append(self, t: np.ndarray | float, v: np.ndarray | float) -> None:
        t = np.atleast_1d(np.asarray(t, dtype=float))
        v = np.atleast_1d(np.asarray(v, dtype=float))
        n = len(t)
        if n != len(v):
            raise ValueError("t and v differ in length")
        self.total += n
        if n >= self.capacity:
            t, v, n = t[-self.capacity :], v[-self.capacity :], self.capacity
        cap, pos = self.capacity, self._pos
        first = min(n, cap - pos)
        for buf, src in ((self._t, t), (self._v, v)):
            buf[pos : pos + first] = src[:first]
            buf[pos + cap : pos + cap + first] = src[:first]
            rest = n - first
            if rest:
                buf[:rest] = src[first:]
                buf[cap : cap + rest] = src[first:]
        self._pos = (pos + n) % cap
        self._size = min(cap, self._size + n)

    def latest(self, n: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The newest `n` (default all) pairs, oldest first, as views (do not modify)."""
        n = self._size if n is None else max(0, min(int(n), self._size))
        end = self._pos + self.capacity
        return self._t[end - n : end], self._v[end - n : end]

    def since(self, t0: float) -> tuple[np.ndarray, np.ndarray]:
        """All held pairs with time >= `t0` (times must be appended in order)."""
        t, v = self.latest()
        i = int(np.searchsorted(t, t0, side="left"))
        return t[i:], v[i:]

    @property
    def last(self) -> tuple[float, float] | None:
        if not self._size:
            return None
        i = self._pos - 1 + self.capacity
        return float(self._t[i]), float(self._v[i])
