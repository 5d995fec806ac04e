"""The per-spot force → discomfort curve."""

from __future__ import annotations

import numpy as np
import pytest

from kneadback.coach.discomfort import MIN_RATINGS, fit_curve, usable
from kneadback.coach.spots import SpotRating

DAY = 86400.0


def r(value, force, age_days=0.0, now=100 * DAY):
    return SpotRating(now - age_days * DAY, value, force)


def test_one_rating_gives_a_line_through_the_origin():
    c = fit_curve([r(3, 10.0)], 100 * DAY)
    assert c(10.0) == pytest.approx(3.0) and c(20.0) == pytest.approx(6.0)
    assert c.band(7, 1) == pytest.approx((20.0, 80 / 3))
    assert not usable(c) and MIN_RATINGS == 2


def test_the_curve_is_monotone_even_with_contradicting_ratings():
    pts = [r(6, 20.0), r(3, 25.0), r(8, 30.0), r(2, 12.0), r(9, 28.0)]
    c = fit_curve(pts, 100 * DAY)
    xs = np.linspace(0, 60, 241)
    ys = np.array([c(x) for x in xs])
    assert np.all(np.diff(ys) >= -1e-12)
    lo, hi = c.band(7, 1)
    assert 0 < lo < hi
    assert c(lo) == pytest.approx(6.0) and c(hi) == pytest.approx(8.0)


def test_recent_ratings_weigh_more():
    """Same force, tender a week ago, easier today: the curve follows today."""
    c = fit_curve([r(9, 30.0, age_days=7), r(9, 30.0, age_days=7), r(5, 30.0)], 100 * DAY)
    assert 5.0 < c(30.0) < 6.5  # the plain mean would be 7.7
    assert c.force_for(7) > 30.0


def test_a_noisy_curve_recovers_the_true_band():
    rng = np.random.default_rng(4)
    true = lambda f: 10 * (f / 45.0) ** 1.2  # noqa: E731  7/10 at ~31 N
    forces = rng.uniform(8, 45, 12)
    pts = [r(int(np.clip(round(true(f) + rng.normal(0, 0.7)), 0, 10)), float(f)) for f in forces]
    c = fit_curve(pts, 100 * DAY)
    f7 = c.force_for(7)
    assert abs(f7 - 45 * 0.7 ** (1 / 1.2)) < 4.0


def test_zero_ratings_and_missing_forces():
    assert fit_curve([], 0) is None
    assert fit_curve([r(5, None)], 100 * DAY) is None
    assert fit_curve([r(0, 5.0)], 100 * DAY) is None
    c = fit_curve([r(0, 5.0), r(4, 20.0)], 100 * DAY)
    assert c(3.0) == 0.0 and c(20.0) == pytest.approx(4.0)


def test_covers_says_whether_the_band_was_measured():
    assert not fit_curve([r(3, 10.0), r(4, 14.0)], 100 * DAY).covers(7)
    assert fit_curve([r(3, 10.0), r(7, 24.0)], 100 * DAY).covers(7)
