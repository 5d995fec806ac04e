"""Force → discomfort, per spot: the FSR measures force, the user reports pain.

The curve is a weighted isotonic (never decreasing) fit of the spot's ratings, anchored at
0 N → 0/10, linear between the fitted points and proportional (through the origin) beyond the
last one. So one rating already gives a usable line, a wrong-looking rating can only flatten the
curve locally, and the curve never bends back. Recent ratings weigh more: a rating's weight
halves every `half_life_days`, because tenderness fades as a knot releases.

The target force band is where the curve crosses `target ± tolerance` (e.g. 6/10..8/10). While
no rating lies near the target the band is an extrapolation, so `target_band` moves it no further
than `STEP` × the strongest force rated so far: the user works up in steps, rating on the way,
instead of being sent straight to a force nobody has felt yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from kneadback.coach.spots import SpotRating

HALF_LIFE_DAYS = 3.0
MIN_RATINGS = 2  # ratings with a force before the band is used; fewer → consistency coaching
STEP = 1.5  # an extrapolated band starts at most this × the strongest force rated
ANCHOR_WEIGHT = 0.25  # weight of the 0 N → 0/10 anchor, in ratings


@dataclass(frozen=True)
class DiscomfortCurve:
    """A monotone piecewise-linear curve through (force_n, discomfort) knots."""

    force_n: tuple[float, ...]  # strictly increasing, from 0 (or from the last 0/10 rating)
    discomfort: tuple[float, ...]  # strictly increasing, from 0
    ratings: int  # how many ratings went into it
    max_force_n: float = 0.0  # the strongest force rated

    def __call__(self, force_n: float) -> float:
        f = np.asarray(self.force_n)
        d = np.asarray(self.discomfort)
        if force_n <= f[-1]:
            return float(np.interp(force_n, f, d))
        return float(min(10.0, force_n * d[-1] / f[-1]))

    def force_for(self, discomfort: float) -> float:
        """The force at which the curve reaches `discomfort` (inverse; extrapolates)."""
        f = np.asarray(self.force_n)
        d = np.asarray(self.discomfort)
        if discomfort <= d[-1]:
            return float(np.interp(discomfort, d, f))
        return float(discomfort * f[-1] / d[-1])

    def band(self, target: float, tolerance: float) -> tuple[float, float]:
        return self.force_for(max(0.0, target - tolerance)), self.force_for(target + tolerance)

    def covers(self, discomfort: float, margin: float = 1.5) -> bool:
        """True when a fitted knot lies near `discomfort`, i.e. the band is measured, not extrapolated."""
        return any(abs(d - discomfort) <= margin for d in self.discomfort[1:])


def _pava(y: np.ndarray, w: np.ndarray, x: np.ndarray) -> list[tuple[float, float, float]]:
    """Weighted pool-adjacent-violators on y sorted by x: blocks of (x_mean, y_mean, weight)."""
    blocks: list[list[float]] = []  # [sum w*x, sum w*y, sum w]
    for xi, yi, wi in zip(x, y, w):
        blocks.append([wi * xi, wi * yi, wi])
        # merge while the last block does not rise above the one before (strictly increasing)
        while len(blocks) > 1 and blocks[-1][1] / blocks[-1][2] <= blocks[-2][1] / blocks[-2][2]:
            last = blocks.pop()
            for k in range(3):
                blocks[-1][k] += last[k]
    return [(bx / bw, by / bw, bw) for bx, by, bw in blocks]


def fit_curve(
    ratings: Sequence[SpotRating], now_wall: float, half_life_days: float = HALF_LIFE_DAYS
) -> DiscomfortCurve | None:
    """The spot's curve from its ratings, or None when no rating carries a force."""
    pts = [r for r in ratings if r.force_n is not None and r.force_n > 0 and 0 <= r.value <= 10]
    if not pts:
        return None
    x = np.array([r.force_n for r in pts], dtype=float)
    y = np.array([r.value for r in pts], dtype=float)
    age_days = np.maximum(0.0, (now_wall - np.array([r.wall_time for r in pts])) / 86400.0)
    w = np.power(0.5, age_days / half_life_days)
    # the anchor: no force, no discomfort
    x = np.concatenate([[0.0], x])
    y = np.concatenate([[0.0], y])
    w = np.concatenate([[ANCHOR_WEIGHT * float(w.max())], w])
    # pool ratings at the same force first, so force knots come out strictly increasing
    xs, inverse = np.unique(x, return_inverse=True)
    ws = np.bincount(inverse, weights=w)
    ys = np.bincount(inverse, weights=w * y) / ws
    blocks = _pava(ys, ws, xs)
    knots_f = [float(bx) for bx, _by, _bw in blocks]
    knots_d = [float(by) for _bx, by, _bw in blocks]
    if knots_f[0] > 0.0 and knots_d[0] > 0.0:
        # the anchor was pooled with real ratings: start the line at the origin anyway
        knots_f.insert(0, 0.0)
        knots_d.insert(0, 0.0)
    if len(knots_f) < 2 or knots_d[-1] <= 0.0:
        return None  # only zero ratings: no slope to go on
    return DiscomfortCurve(tuple(knots_f), tuple(knots_d), ratings=len(pts), max_force_n=float(x.max()))


def usable(curve: DiscomfortCurve | None) -> bool:
    return curve is not None and curve.ratings >= MIN_RATINGS


def target_band(curve: DiscomfortCurve, target: float, tolerance: float) -> tuple[float, float]:
    """The force band for `target ± tolerance`; an extrapolated band is capped (see `STEP`)."""
    lo, hi = curve.band(target, tolerance)
    if curve.covers(target) or curve.max_force_n <= 0:
        return lo, hi
    cap = STEP * curve.max_force_n
    if lo <= cap:
        return lo, hi
    return cap, cap * hi / lo
