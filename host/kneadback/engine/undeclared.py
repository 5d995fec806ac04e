"""An undeclared front end's counts: which way they go with force, and which stroke rules hold.

A board that does not say what it is may be an FSR divider on either side: low-side counts rise
with force, high-side counts fall. What tells them apart is the unloaded level, the tool in the
air: an open FSR reads at one rail, 0 low-side and full scale high-side, while pressing moves the
counts towards the other end (and at most close to it, through the FSR's floor resistance). So:

* the first sample decides: a tool is picked up before it is pressed, so it reads unloaded, and
  above mid-range the counts fall with force;
* the extremes seen since revise it when they turn: when the counts rest within a per cent of
  the other end's rail, as an open FSR reads, clearly nearer it than they ever came to the first
  end's, the first samples were in contact. Only a level held for `REST_S` counts (a tool is
  lifted longer than that; a glitch or a noise burst is shorter). The decision is revised once
  and then kept, so the counts never flip back and forth.

A tool whose mount already presses on the sensor at the first sample, on a divider of 47 kΩ or
more, reads mid-range unloaded and near the rail pressed, as if the other way round: there the
counts can be read upside down, and declaring the front end is the cure.

A linear front end (its unloaded level low, its counts rising) is judged the same way.

Nor are the counts proportional to force: a divider crowds them towards the rail, where a firm
stroke in contact may move a reading of 950 by 60 counts, a few per cent of it. The rules
relative to the signal's level (a stroke's least rise, a hold's stillness band) take as the level
the room the counts have to the nearer rail (`StrokeParams.rail`): far from the rails that is the
level itself, as for a linear front end, and near the rail it shrinks as a divider's counts
crowd, as the conductance's relative steps grow (G ∝ c / (full − c)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kneadback.engine.strokes import StrokeParams
from kneadback.fsr import ForceModel


def stroke_params(full_scale: int) -> StrokeParams:
    """The stroke rules on counts that need not be proportional to force."""
    return StrokeParams(rail=float(full_scale))


#: evidence that turns the decision: the other end's extreme is within this share of the full
#: scale of its rail (an open FSR; a divider's pressed end stays further off, but for a large
#: resistor) ...
RAIL_SHARE = 0.01
#: ... at most this share of the first end's distance from its rail ...
NEARER_SHARE = 0.5
#: ... and nearer by at least this share of the full scale (a few counts of noise are no evidence)
MARGIN_SHARE = 0.003
REST_S = 0.2  # ... and the extremes count only where the counts stayed beyond them this long


class Direction:
    """Turns an undeclared front end's counts to rise with force, as the counts say they go."""

    def __init__(self, full_scale: int, rate_hz: float) -> None:
        self.full_scale = full_scale
        self.falls: bool | None = None  # None until the first sample
        self.revised = False
        self._rest_n = max(1, round(REST_S * rate_hz))
        self._tail: np.ndarray | None = None  # the last `_rest_n` - 1 counts
        self._lo = full_scale  # the extremes of the levels held for `REST_S` so far
        self._hi = 0
        self._margin = max(2.0, MARGIN_SHARE * full_scale)
        self._rail = max(2.0, RAIL_SHARE * full_scale)

    def oriented(self, counts: np.ndarray) -> tuple[np.ndarray, int | None]:
        """A block of counts within range, turned to rise with force; and the index of its first
        sample turned the other way from those before it, when the evidence turned there (the
        very first sample decides without a turn)."""
        c = np.clip(counts, 0, self.full_scale)
        if not len(c):
            return c, None
        if self.falls is None:
            self.falls = bool(c[0] > self.full_scale / 2)
            self._tail = np.full(self._rest_n - 1, c[0], dtype=c.dtype)
        assert self._tail is not None
        ext = np.concatenate((self._tail, c))
        self._tail = ext[len(ext) - (self._rest_n - 1) :].copy()
        held = np.lib.stride_tricks.sliding_window_view(ext, self._rest_n)  # each sample's last `_rest_n`
        lo = np.minimum.accumulate(np.minimum(held.max(axis=1), self._lo))
        hi = np.maximum.accumulate(np.maximum(held.min(axis=1), self._hi))
        self._lo, self._hi = int(lo[-1]), int(hi[-1])
        k = None if self.revised else self._turn(lo, hi)
        out = self.pressed(c)
        if k is not None:
            self.falls = not self.falls
            self.revised = True
            out[k:] = self.full_scale - out[k:]
        return out, k

    def _turn(self, lo: np.ndarray, hi: np.ndarray) -> int | None:
        """The first sample at which the extremes clearly put the unloaded level at the other end."""
        gap_lo, gap_hi = lo.astype(float), self.full_scale - hi.astype(float)
        near, far = (gap_lo, gap_hi) if self.falls else (gap_hi, gap_lo)  # the other end's gap first
        turned = ((near <= self._rail) & (near <= NEARER_SHARE * far) & (far - near >= self._margin)).nonzero()[0]
        return int(turned[0]) if len(turned) else None

    def pressed(self, counts: np.ndarray) -> np.ndarray:
        """Counts within range, turned as the decision stands (no evidence taken from them)."""
        c = np.clip(counts, 0, self.full_scale)
        return self.full_scale - c if self.falls else c


@dataclass(frozen=True)
class OrientedForce:
    """An undeclared front end's relative force from raw counts, turned the way `direction` has
    them as of now: what the engine gives those who read raw counts (the dashboard's trace)."""

    model: ForceModel  # on counts rising with force
    direction: Direction

    @property
    def trust(self) -> str:
        return self.model.trust

    @property
    def unit(self) -> str:
        return self.model.unit

    def to_newtons(self, counts: np.ndarray) -> np.ndarray:
        return self.model.to_newtons(self.direction.pressed(np.asarray(counts)))

    def describe(self) -> str:
        return self.model.describe() + ("; its counts fall with force" if self.direction.falls else "")
