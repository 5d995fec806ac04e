"""Closed loop: a simulated user who follows the cues reaches the rate band and the 7/10 band;
one who never rests after a bout is reminded to."""

from __future__ import annotations

import dataclasses

import pytest

from kneadback.coach.coach import HELD_IN_OVERTIME
from kneadback.coach.rules import Policy
from kneadback.coach.targets import Targets

from .closed_loop import UserModel, run_loop

# The bound docs/guide.md states: strokes before both targets hold for 10 strokes in a row.
MAX_STROKES = 120


@pytest.mark.parametrize("seed", [1, 2])
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


# stroking at 1 Hz, too lightly, and on through "bout done" without a rest
NEVER_RESTS = UserModel(rate_hz=1.0, force_n=9.0, hold_s=0.0, rest_s=0.0)


def test_a_user_who_never_rests_is_reminded_to_and_the_overtime_is_recorded():
    res = run_loop(NEVER_RESTS, Targets(), seconds=150.0)
    done = next(c.t for c in res.cues if c.kind == "bout-done")
    after = [c for c in res.cues if c.t > done]
    remind = Policy().overtime_remind_s
    # reminded at the stated interval to the end, and never asked for more work (firmer, faster, praise)
    assert [c.t for c in after if c.kind == "overtime"] == pytest.approx([done + remind * k for k in range(1, 8)])
    assert not {c.kind for c in after} & HELD_IN_OVERTIME
    (bout,) = res.bouts  # one bout, recorded with its overtime
    assert bout.counted and bout.overtime_s == pytest.approx(bout.end - done, abs=0.05)
    assert bout.active_s == pytest.approx(bout.end - bout.start) and bout.overtime_s > 110.0


def test_the_same_user_resting_after_each_bout_reaches_both_bands():
    res = run_loop(dataclasses.replace(NEVER_RESTS, rest_s=8.0), Targets(), seconds=150.0)
    assert res.converged_at is not None and res.converged_at <= MAX_STROKES
    assert len(res.bouts) >= 3 and "overtime" not in [c.kind for c in res.cues]
