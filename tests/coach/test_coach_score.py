"""Bout and session scores: the documented formula, provisional and unavailable."""

from __future__ import annotations

import pytest

from kneadback.coach.score import PROVISIONAL_STROKES, ScoreKeeper, Tally, score
from kneadback.model import StrokeMotion


def tally(strokes, rate_ok, pressure_ok, active_s=30.0, hold_s=0.0):
    t = Tally(active_s=active_s, hold_s=hold_s)
    for i in range(strokes):
        t.add_stroke(i < rate_ok, i < pressure_ok)
    return t


def test_perfect_bout_scores_100():
    s = score(tally(30, 30, 30), 30.0)
    assert s.value == pytest.approx(100.0) and s.status == "ok"


def test_formula():
    # R = 20/30, P = 15/30, L = 24/30, H = 6/30
    s = score(tally(30, 20, 15, active_s=24.0, hold_s=6.0), 30.0)
    expected = 100 * (0.35 * 20 / 30 + 0.35 * 0.5 + 0.15 * 0.8 + 0.15 * (1 - 6 / 30))
    assert s.value == pytest.approx(expected)
    assert s.parts == pytest.approx({"rate": 20 / 30, "pressure": 0.5, "length": 0.8, "holds": 0.8})


def test_no_strokes_is_unavailable_not_zero():
    s = score(Tally(active_s=10.0, hold_s=10.0), 30.0)
    assert s.value is None and s.status == "unavailable" and s.label() == "unavailable"


def test_few_strokes_are_provisional_and_missing_parts_drop_out():
    t = Tally(active_s=5.0)
    for _ in range(3):
        t.add_stroke(None, True)
    s = score(t, 30.0)
    assert s.status == "provisional" and "(provisional)" in s.label()
    assert "rate" not in s.parts
    assert s.value == pytest.approx(100 * (0.35 * 1 + 0.15 * 5 / 30 + 0.15 * 1) / 0.65)
    assert score(tally(PROVISIONAL_STROKES, 0, 0), 30.0).status == "ok"


def test_session_uses_mean_bout_length_and_needs_more_strokes():
    t = tally(PROVISIONAL_STROKES + 5, 15, 15, active_s=45.0)
    t.bouts, t.length_sum = 2, 1.5
    s = score(t, 30.0, session=True)
    assert s.parts["length"] == pytest.approx(0.75) and s.status == "provisional"


def _keeper(excursions_cm: list[float] | None, bouts: int = 1) -> ScoreKeeper:
    """Bouts of 20 strokes on target, one way, with these lengths (None: an FSR-only tool)."""
    k = ScoreKeeper(30.0, max_excursion_cm=5.0)
    for _ in range(bouts):
        for i in range(20):
            k.stroke(0, 0)
            if excursions_cm is not None:
                k.motion(StrokeMotion(i, float(i), 40.0, excursions_cm[i % len(excursions_cm)], 0.05))
        k.finish(30.0)
    return k


def test_long_strokes_lower_the_score_with_a_motion_sensor():
    """The routine's "short strokes": the share of measured strokes within `max_excursion_cm`
    is a part of the score, weighed as the direction's consistency is."""
    short, drifting = _keeper([3.0, 4.0, 5.0, 4.5]), _keeper([3.0, 4.0, 6.0, 8.0])
    assert short.bouts[0].parts["short"] == 1.0 and drifting.bouts[0].parts["short"] == 0.5
    d = drifting.bouts[0].parts["direction"]
    expected = 100 * (0.35 + 0.35 + 0.15 + 0.15 + 0.15 * d + 0.15 * 0.5) / 1.3
    assert drifting.bouts[0].value == pytest.approx(expected)
    assert drifting.bouts[0].value < short.bouts[0].value
    assert drifting.session_score(None).parts["short"] == pytest.approx(0.5)
    running = _keeper([3.0], bouts=0)
    for i in range(20):
        running.stroke(0, 0)
        running.motion(StrokeMotion(i, float(i), 40.0, 9.0, 0.05))
    assert running.session_score(12.0).parts["short"] == 0.0  # the bout under way counts too


def test_an_fsr_only_score_has_no_motion_parts():
    fsr = _keeper(None, bouts=2)
    assert set(fsr.bouts[0].parts) == set(fsr.session_score(None).parts) == {"rate", "pressure", "length", "holds"}
    assert fsr.bouts[0].value == pytest.approx(100.0) and fsr.session_score(None).value == pytest.approx(100.0)
