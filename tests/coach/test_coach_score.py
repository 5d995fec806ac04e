"""Bout and session scores: the documented formula, provisional and unavailable."""

from __future__ import annotations

import pytest

from kneadback.coach.score import PROVISIONAL_STROKES, Tally, score


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
