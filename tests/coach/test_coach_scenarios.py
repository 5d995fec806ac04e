"""The signals/ scenarios through the real engine and the coach: expected cues, at the expected
times, and no others."""

from __future__ import annotations

import numpy as np
import pytest

from kneadback.coach.rules import Policy
from kneadback.cues import CUES

from .scenario_run import run_scenario, times

BLOCK = 40  # 0.2 s of samples at 200 Hz: what a busy live loop hands over
TIMERS = {"bout-count", "ten-seconds-left", "bout-done", "overtime", "rate-discomfort"}


def kinds_of(run) -> set[str]:
    return {c.kind for c in run.cues}


def assert_bout_timers(run) -> None:
    """ten-seconds-left and bout-done at 20 s and 30 s of every bout that lasted that long, and a
    reminder to rest every 15 s after that while the stroking goes on."""
    ten, done = times(run.cues, "ten-seconds-left"), times(run.cues, "bout-done")
    bouts = [b for b in run.rendering.truth.bouts if b.end - b.start >= 29.0]
    assert len(ten) == len(done) == len(bouts)
    remind = Policy().overtime_remind_s
    for b, t10, t30 in zip(bouts, ten, done):
        assert abs(t10 - (b.start + 20.0)) <= 0.5
        assert abs(t30 - (b.start + 30.0)) <= 0.5
        reminders = [t for t in times(run.cues, "overtime") if b.start < t <= b.end + 5.0]
        assert reminders == pytest.approx([t30 + remind * k for k in range(1, int((b.end - t30) // remind) + 1)])


def test_too_slow_gets_faster_and_nothing_else():
    run = run_scenario("too-slow", block=BLOCK)
    assert kinds_of(run) <= TIMERS | {"faster"}
    faster = times(run.cues, "faster")
    assert len(faster) >= 3
    assert faster[0] < 10.0  # after the first few slow strokes (one every 2 s)
    assert_bout_timers(run)


def test_too_fast_gets_slower_and_nothing_else():
    run = run_scenario("too-fast", block=BLOCK)
    assert kinds_of(run) <= TIMERS | {"slower"}
    assert times(run.cues, "slower")[0] < 5.0
    assert_bout_timers(run)


def test_static_hold_gets_dont_hold_within_a_second_of_the_limit():
    run = run_scenario("static-hold", block=BLOCK)
    (hold,) = run.rendering.truth.holds
    dont = times(run.cues, "dont-hold")
    assert len(dont) >= 1
    assert hold.start + 2.0 - 1.0 <= dont[0] <= hold.start + 2.0 + 1.0
    assert np.all((dont >= hold.start) & (dont <= hold.end + 0.5))  # only while holding
    assert kinds_of(run) <= TIMERS | {"dont-hold", "good-rhythm", "lift-off"}


def test_bouts_get_their_count_timers_and_done_at_20_and_30_s():
    run = run_scenario("bouts", block=BLOCK)
    assert_bout_timers(run)
    counts = [c.text for c in run.cues if c.kind == "bout-count"]
    assert counts == [f"Bout {n} of today on upper trapezius (left)." for n in range(1, 5)]
    assert kinds_of(run) <= TIMERS | {"good-rhythm"}
    assert len(times(run.cues, "good-rhythm")) <= 4  # praise only sometimes: once a bout at most
    assert run.coach.state.bouts_today == 4


def test_steady_strokes_get_no_correction():
    run = run_scenario("steady", block=BLOCK)
    assert kinds_of(run) <= TIMERS | {"good-rhythm"}
    assert len(times(run.cues, "good-rhythm")) <= 1


def test_demo_session_cues_follow_the_story():
    """Spot 1 holds still, spot 2 hurries, spot 3 starts too slow; each spot counts from 1."""
    run = run_scenario("demo-session", block=BLOCK)
    truth = run.rendering.truth
    spans = {s.spot: (s.start, s.end) for s in truth.spots}

    def during(kind, spot):
        lo, hi = spans[spot]
        return [c for c in run.cues if c.kind == kind and lo <= c.t <= hi + 1.0]

    assert during("dont-hold", "upper trapezius (left)")
    assert during("slower", "infraspinatus (right)")
    assert during("faster", "rhomboid (left)")
    assert not during("faster", "infraspinatus (right)") and not during("slower", "rhomboid (left)")
    assert not any(c.kind in ("too-hard", "lift-off") for c in run.cues)
    texts = [c.text for c in run.cues if c.kind == "bout-count"]
    assert texts[0] == "Bout 1 of today on upper trapezius (left)."
    assert "Bout 1 of today on infraspinatus (right)." in texts and "Bout 1 of today on rhomboid (left)." in texts
    assert_bout_timers(run)
    bouts, session = run.coach.scores()
    assert len(bouts) == 7 and session.status == "ok" and 0 < session.value <= 100


@pytest.mark.parametrize("name", ["static-hold", "too-fast"])
def test_cues_do_not_depend_on_the_chunking(name):
    a = run_scenario(name, block=BLOCK)
    b = run_scenario(name, block=23)
    assert [(c.t, c.kind, c.text) for c in a.cues] == [(c.t, c.kind, c.text) for c in b.cues]


def test_all_cues_are_known_kinds():
    run = run_scenario("bouts", block=BLOCK)
    assert {c.kind for c in run.cues} <= set(CUES)
    assert all(c.severity in ("info", "correction", "praise", "safety") for c in run.cues)
