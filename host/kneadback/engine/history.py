"""The last few seconds of processed samples, addressed by running sample number.

Events look back into it (a stroke's start, its peak force, its impulse). Appending is amortised
O(1): the buffer grows into spare room and is compacted when full. Sums come from a running
cumulative sum carried across blocks, so an interval's sum does not depend on chunking.
"""

from __future__ import annotations

import numpy as np

FIELDS = ("t", "g", "f", "c", "cum_f")


class History:
    """Columns t (s), g (low-passed µS), f (low-passed N), c (despiked counts) and cum_f (the
    running sum of f over all samples before each one)."""

    def __init__(self, keep_s: float) -> None:
        self.keep_s = keep_s
        self._cap = 0
        self._len = 0
        self.start = 0  # running number of the first sample held
        self._cols: dict[str, np.ndarray] = {}
        self._cum = 0.0

    @property
    def end(self) -> int:
        """Running number one past the last sample held."""
        return self.start + self._len

    def append(self, t: np.ndarray, g: np.ndarray, f: np.ndarray, c: np.ndarray) -> None:
        n = len(t)
        if n == 0:
            return
        if self._len + n + 1 > self._cap:  # one slot more: the running sum is made in place
            self._make_room(n + 1, float(t[0]))
        lo, hi = self._len, self._len + n
        for name, col in zip(FIELDS, (t, g, f, c)):
            self._cols[name][lo:hi] = col
        # the sum of everything before each sample, and after the last (the spare slot)
        cum = self._cols["cum_f"][lo : hi + 1]
        cum[0] = self._cum
        cum[1:] = f
        np.cumsum(cum, out=cum)
        self._cum = float(cum[-1])
        self._len = hi

    def _make_room(self, n: int, t_next: float) -> None:
        """Drop what is older than `keep_s` before the first new sample, and make room for `n`."""
        drop = 0
        if self._len:
            drop = int(np.searchsorted(self._cols["t"][: self._len], t_next - self.keep_s))
        keep = self._len - drop
        cap = max(2 * (keep + n), 1024)
        dtypes = {"t": float, "g": float, "f": float, "c": np.int32, "cum_f": float}
        new = {k: np.empty(cap, dtype=dtypes[k]) for k in FIELDS}
        for k in FIELDS:
            if keep:
                new[k][:keep] = self._cols[k][drop : self._len]
        self._cols, self._cap, self._len = new, cap, keep
        self.start += drop

    def col(self, name: str, i0: int, i1: int) -> np.ndarray:
        """Samples i0..i1-1 (running numbers; clamped to what is held) of one column."""
        s = self.start
        a = i0 - s if i0 > s else 0
        b = i1 - s if i1 - s < self._len else self._len
        return self._cols[name][a : b if b > a else a]

    def at(self, name: str, i: int) -> float:
        j = min(max(i - self.start, 0), self._len - 1)
        return float(self._cols[name][j])

    def index_at(self, t: float) -> int:
        """Running number of the first held sample at or after time `t`."""
        return self.start + int(self._cols["t"][: self._len].searchsorted(t, side="left"))

    def last_move(self, i_end: int, t_from: float, share: float, floor: float) -> float | None:
        """Time of the last sample in [t_from, sample i_end] whose g strays from g at i_end by
        more than `share` of it (and `floor`); None when g stayed in that band: still."""
        i0 = self.index_at(t_from)
        g = self.col("g", i0, i_end + 1)
        if not len(g):
            return None
        ref = float(g[-1])
        out = (np.abs(g - ref) > max(share * abs(ref), floor)).nonzero()[0]
        return None if not len(out) else self.at("t", i0 + int(out[-1]))

    def cum_before(self, i: int) -> float:
        """Running sum of f over every sample before running number `i` (held, or the end)."""
        return self._cum if i >= self.end else self.at("cum_f", i)
