"""Closed loop: a simulated user who follows the cues reaches the rate band and the 7/10 band."""

from __future__ import annotations

import pytest

from kneadback.coach.targets import Targets

from .closed_loop import UserModel, run_loop

# The bound docs/guide.md states: strokes before both targets hold for 10 strokes in a row.
MAX_STROKES = 120


@pytest.mark.parametrize("seed", [1, 3])
def test_a_user_who_follows_the_cues_reaches_both_bands(seed):
    model = UserModel(seed=seed)
    res = run_loop(model, Targets(), seconds=200.0)
    kinds = [c.kind for c in res.cues]
    # it was told what it needed: stroke instead of holding, faster, firmer; and it was asked
    assert kinds[0] == "dont-hold"
    assert "faster" in kinds and "press-harder" in kinds and "rate-discomfort" in kinds
    assert len(res.ratings) >= 2
    assert res.converged_at is not None and res.converged_at <= MAX_STROKES
    assert "too-hard" not in kinds


def test_without_the_cues_it_never_gets_there():
    """The same user, deaf to the coach, stays too slow and too light: the loop is real."""
    model = UserModel(seed=1, delay_s=1e9)
    res = run_loop(model, Targets(), seconds=120.0)
    assert res.converged_at is None
