"""The coach's rules on hand-made engine events: cues, anti-nag, timers, counts, ratings."""

from __future__ import annotations

import datetime as dt

import pytest

from kneadback.coach.coach import Coach
from kneadback.coach.rules import Policy
from kneadback.coach.spots import MemorySpotHistory, day_bounds
from kneadback.coach.targets import Targets
from kneadback.cues import CUES
from kneadback.model import Bout, BoutStarted, ContactChanged, Cue, HoldEnded, HoldStarted, Rating, Stroke

from .helpers import StrokeMaker, bout, kinds, run, with_trust

WALL = dt.datetime(2026, 3, 2, 10, 0).timestamp()  # a Monday morning, local time


def coach(**kw) -> Coach:
    kw.setdefault("targets", Targets())
    kw.setdefault("spot", "left calf")
    kw.setdefault("history", MemorySpotHistory())
    kw.setdefault("wall_start", WALL)
    trust = kw.pop("trust", "calibrated")  # the rules at work in newtons; `test_coach_ceiling` for the others
    return with_trust(Coach(kw.pop("targets"), kw.pop("spot"), kw.pop("history"), kw.pop("wall_start"), **kw), trust)


def corrections(cues):
    return [c for c in cues if c.severity in ("correction", "safety")]


def test_every_cue_uses_a_known_kind_and_plain_text():
    c = coach()
    cues = run(c, bout(1.0, 40, 40, peak_n=[20, 20, 95]))
    assert cues
    for cue in cues:
        assert cue.kind in CUES
        assert cue.text and cue.text[0].isupper() and cue.text.endswith((".", "?"))
        for word in ("treat", "cure", "heal", "diagnos", "therap", "injur"):
            assert word not in cue.text.lower()


def test_too_slow_gets_faster_only_after_three_slow_strokes():
    c = coach()
    events = bout(1.0, 20, 40)  # 1.5 s per stroke
    cues = run(c, events)
    strokes = [e for e in events if isinstance(e, Stroke)]
    first = next(q for q in cues if q.kind == "faster")
    # rates come from intervals: strokes 1, 2, 3 are the first three slow ones
    assert first.t == pytest.approx(strokes[3].t_confirmed)
    assert "slower" not in kinds(cues)
    assert first.severity == "correction"


def test_too_fast_gets_slower():
    cues = run(coach(), bout(1.0, 20, 90))
    assert "slower" in kinds(cues) and "faster" not in kinds(cues)


def test_in_band_rhythm_gets_no_correction_and_rare_praise():
    cues = run(coach(), bout(1.0, 30, 62))
    assert corrections(cues) == []
    assert kinds(cues).count("good-rhythm") <= 1


def test_corrections_keep_their_distance_and_do_not_repeat_too_soon():
    p = Policy()
    cues = run(coach(), bout(1.0, 60, 30, peak_n=[10, 10, 10, 10, 10, 10, 10, 10, 30]))
    corr = corrections(cues)
    assert len(corr) >= 3
    for a, b in zip(corr, corr[1:]):
        assert b.t - a.t >= p.correction_gap_s - 1e-9
    faster = [q.t for q in cues if q.kind == "faster"]
    assert all(b - a >= p.repeat_gap_s - 1e-9 for a, b in zip(faster, faster[1:]))


def test_no_flicker_between_opposite_cues():
    """Too slow, then overshooting to too fast at once: 'slower' waits out the opposite gap."""
    m = StrokeMaker()
    slow = [m.at(1.0 + 1.5 * i) for i in range(6)]  # 40/min
    t0 = slow[-1].t_peak
    fast = [m.at(t0 + 0.6 * (i + 1)) for i in range(30)]  # 100/min
    events = [BoutStarted(0, slow[0].t_start, slow[1].t_confirmed), *slow, *fast]
    cues = run(coach(), events)
    faster = next(q for q in cues if q.kind == "faster")
    slower = [q for q in cues if q.kind == "slower"]
    assert slower, "a lasting overshoot is still corrected"
    assert slower[0].t - faster.t >= Policy().opposite_gap_s


def test_praise_follows_a_correction_that_was_taken_up():
    m = StrokeMaker()
    slow = [m.at(1.0 + 1.5 * i) for i in range(6)]
    good = [m.at(slow[-1].t_peak + 1.0 * (i + 1)) for i in range(8)]
    cues = run(coach(), [BoutStarted(0, 0.7, slow[1].t_confirmed), *slow, *good])
    ks = kinds(cues)
    assert "faster" in ks and "good-rhythm" in ks
    assert ks.index("good-rhythm") > ks.index("faster")


def test_too_hard_is_given_at_once_even_right_after_a_correction():
    m = StrokeMaker()
    strokes = [m.at(1.0 + 1.5 * i) for i in range(4)] + [m.at(7.0, 120.0)]
    cues = run(coach(), [BoutStarted(0, 0.7, 2.0), *strokes])
    hard = [q for q in cues if q.kind == "too-hard"]
    assert len(hard) == 1 and hard[0].t == pytest.approx(strokes[-1].t_confirmed)
    assert hard[0].severity == "safety"
    assert any(q.kind == "faster" and hard[0].t - q.t < 2.0 for q in cues)


def test_static_hold_gets_dont_hold_at_the_limit_and_repeats_slowly():
    ev = [HoldStarted(start=5.0, t_confirmed=7.1, mean_n=20.0), HoldEnded(start=5.0, end=25.0, t_confirmed=25.1, mean_n=20.0)]
    cues = run(coach(), ev, until=30.0)
    holds = [q.t for q in cues if q.kind == "dont-hold"]
    assert holds[0] == pytest.approx(7.1)  # the engine confirms 2.1 s in: cue at once
    assert [b - a for a, b in zip(holds, holds[1:])] == pytest.approx([Policy().hold_repeat_s] * (len(holds) - 1))
    assert holds[-1] < 25.0


def test_a_longer_hold_limit_waits_for_it():
    ev = [HoldStarted(start=5.0, t_confirmed=7.1, mean_n=20.0), HoldEnded(start=5.0, end=12.0, t_confirmed=12.1, mean_n=20.0)]
    cues = run(coach(targets=Targets(hold_max_s=4.0)), ev, until=14.0)
    assert [q.t for q in cues if q.kind == "dont-hold"] == [pytest.approx(9.0)]


def test_bout_timer_count_and_done():
    cues = run(coach(), bout(1.0, 35, 60))
    start = 1.0  # the first stroke starts 0.3 s before its peak at 1.3
    by = {q.kind: q for q in cues}
    assert by["bout-count"].text == "Bout 1 of today on left calf."
    assert by["ten-seconds-left"].t == pytest.approx(start + 20.0)
    assert by["bout-done"].t == pytest.approx(start + 30.0)
    assert kinds(cues).count("bout-done") == 1


def test_bout_timer_does_not_depend_on_block_size():
    a = run(coach(), bout(1.0, 35, 60), block_s=0.02)
    b = run(coach(), bout(1.0, 35, 60), block_s=0.37)
    assert [(q.t, q.kind) for q in a] == [(q.t, q.kind) for q in b]


def test_lift_off_pauses_the_bout_and_resuming_keeps_the_timer():
    m = StrokeMaker()
    first = [m.at(1.3 + i) for i in range(12)]  # 1.0 .. 12.6
    second = [m.at(16.3 + i) for i in range(25)]  # resumes at 16.0
    ev = [BoutStarted(0, 1.0, 2.45), *first, ContactChanged(at=13.0, on=False, t_confirmed=13.1),
          Bout(0, 1.0, 12.6, 13.2, 12, 60.0, 20.0), ContactChanged(at=15.9, on=True, t_confirmed=16.0),
          BoutStarted(1, 16.0, 17.45), *second]
    cues = run(coach(), ev)
    assert kinds(cues).count("bout-count") == 1
    lift = next(q for q in cues if q.kind == "lift-off")
    assert lift.t == pytest.approx(15.0)  # 2 s off the skin
    done = next(q for q in cues if q.kind == "bout-done")
    assert done.t == pytest.approx(16.0 + (30.0 - 11.6))  # 11.6 s before the pause


def test_bouts_today_come_from_history_on_the_injected_day():
    h = MemorySpotHistory()
    yesterday = WALL - 86400
    for i in range(5):
        h.add_bout("left calf", yesterday + 60 * i, 30.0, 30)
    for i in range(2):
        h.add_bout("left calf", WALL - 3600 + 60 * i, 30.0, 30)
    h.add_bout("right calf", WALL - 60, 30.0, 30)
    c = coach(history=h)
    cues = run(c, bout(1.0, 35, 60))
    assert next(q for q in cues if q.kind == "bout-count").text == "Bout 3 of today on left calf."
    assert c.state.bouts_today == 3
    lo, hi = day_bounds(dt.date(2026, 3, 2))
    assert h.bouts_on("left calf", dt.date(2026, 3, 2)) == 3 and lo <= WALL < hi


def test_daily_limit_at_ten():
    h = MemorySpotHistory()
    for i in range(9):
        h.add_bout("left calf", WALL - 3600 + 60 * i, 30.0, 30)
    m = StrokeMaker()
    ev = bout(1.0, 35, 60, maker=m) + bout(60.0, 20, 60, index=1, maker=m)
    cues = run(coach(history=h), ev)
    ks = kinds(cues)
    assert ks[0] == "bout-count" and cues[0].text == "Bout 10 of today on left calf."
    limit = [q for q in cues if q.kind == "daily-limit"]
    assert len(limit) == 2  # when the tenth is done, and when an eleventh starts
    assert limit[0].t == next(q for q in cues if q.kind == "bout-done").t
    assert "10 bouts today on left calf" in limit[0].text
    assert ks.count("bout-count") == 1


def test_a_short_bout_does_not_count():
    h = MemorySpotHistory()
    m = StrokeMaker()
    ev = bout(1.0, 8, 60, maker=m) + bout(40.0, 35, 60, index=1, maker=m)
    cues = run(coach(history=h), ev)
    assert [q.text for q in cues if q.kind == "bout-count"] == ["Bout 1 of today on left calf."] * 2
    assert h.bouts_on("left calf", dt.date(2026, 3, 2)) == 1


def test_asks_for_ratings_and_coaches_consistency_before_enough_ratings():
    c = coach()
    peaks = [20.0] * 10 + [12.0] * 10 + [20.0] * 20
    cues = run(c, bout(1.0, 39, 60, peak_n=peaks))
    assert "rate-discomfort" in kinds(cues)
    harder = [q for q in cues if q.kind == "press-harder"]
    assert len(harder) == 1 and "even" in harder[0].text
    assert c.state.pressure_band_n is None and c.state.pressure_mode == "consistency"


def test_ratings_pair_with_recent_force_and_give_the_band():
    h = MemorySpotHistory()
    c = coach(history=h)
    ev = bout(1.0, 39, 60, peak_n=10.0)
    ev += [Rating(t=8.0, value=3, spot=""), Rating(t=20.0, value=3, spot="")]
    run(c, ev)
    rs = h.ratings("left calf")
    assert [r.value for r in rs] == [3, 3] and rs[0].force_n == pytest.approx(10.0)
    assert rs[0].wall_time == pytest.approx(WALL + 8.0)
    lo, hi = c.state.pressure_band_n
    # the line through 3/10 at 10 N puts 6..8/10 at 20..26.7 N; nobody has felt that yet, so the
    # band starts at 1.5 x the strongest force rated, with the same width ratio
    assert lo == pytest.approx(15.0) and hi == pytest.approx(20.0)


def test_with_a_band_too_light_gets_press_harder_and_too_heavy_ease_off():
    h = MemorySpotHistory()
    h.add_rating("left calf", WALL - 3600, 3, 10.0)
    h.add_rating("left calf", WALL - 3500, 7, 25.0)
    h.add_rating("left calf", WALL - 3400, 9, 40.0)
    m = StrokeMaker()
    ev = bout(1.0, 20, 60, peak_n=18.0, maker=m) + bout(40.0, 20, 60, 55.0, index=1, maker=m)
    ev += bout(80.0, 20, 60, peak_n=10.0, index=2, maker=m)
    cues = run(coach(history=h), ev)
    harder = [q for q in cues if q.kind == "press-harder"]
    ease = [q for q in cues if q.kind == "ease-off"]
    assert harder and harder[0].t < 40 and harder[0].text == "Press a little firmer."
    assert ease and 40 < ease[0].t < 80 and ease[0].text == "Ease off."  # far above the band
    assert [q.text for q in harder if q.t > 80][:1] == ["Press firmer."]  # far below it


def test_an_unanswered_request_is_not_repeated_within_the_bout():
    m = StrokeMaker()
    cues = run(coach(), bout(1.0, 120, 60, maker=m) + bout(150.0, 20, 60, index=1, maker=m))
    asks = [q.t for q in cues if q.kind == "rate-discomfort"]
    assert len(asks) == 2 and asks[0] < 10 and asks[1] > 150


def test_an_answered_request_may_be_followed_by_another():
    ev = bout(1.0, 60, 60, peak_n=10.0) + [Rating(t=6.0, value=3, spot="")]
    cues = run(coach(), ev)
    asks = [q.t for q in cues if q.kind == "rate-discomfort"]
    assert len(asks) == 2 and asks[1] - 6.0 >= 20.0


def test_prepare_input_pairs_a_rating_with_the_recent_strokes():
    c = coach()
    run(c, bout(1.0, 10, 60, peak_n=[18.0, 22.0, 20.0]))  # the last five: median 20
    r = c.prepare_input(Rating(t=11.5, value=6, spot=""))
    assert r.spot == "left calf" and r.force_n == pytest.approx(20.0)
    assert c.prepare_input(Rating(t=60.0, value=6, spot="x")).force_n is None


def test_cues_are_cues():
    cues = run(coach(), bout(1.0, 35, 40))
    assert all(isinstance(q, Cue) for q in cues)
    assert [q.t for q in cues] == sorted(q.t for q in cues)


def test_lifting_off_after_a_bout_already_ended_is_not_a_pause():
    m = StrokeMaker()
    strokes = [m.at(1.3 + i) for i in range(12)]
    ev = [BoutStarted(0, 1.0, 2.45), *strokes, Bout(0, 1.0, 12.6, 15.0, 12, 60.0, 20.0),
          ContactChanged(at=20.0, on=False, t_confirmed=20.1)]
    cues = run(coach(), ev, until=30.0)
    assert "lift-off" not in kinds(cues)


def rated_history(n: int = 4, force: float = 20.0) -> MemorySpotHistory:
    h = MemorySpotHistory()
    for i in range(n):
        h.add_rating("left calf", WALL - 3600 + i, 7, force)
    return h


def test_after_a_few_ratings_it_asks_every_other_bout():
    c = coach(history=rated_history())
    for i in range(4):  # four ratings this session already, at the pressure of the bouts below
        c.on_events([Rating(t=0.1 * (i + 1), value=7, spot="", force_n=20.0)], 0.1 * (i + 1))
    m = StrokeMaker()
    ev = []
    for k in range(4):
        ev += bout(1.0 + 45 * k, 30, 60, peak_n=20.0, index=k, maker=m)
    ev.append(Rating(t=52.0, value=7, spot=""))  # the answer to the ask in bout 1
    cues = run(c, ev)
    asks = [int((q.t - 1.0) // 45) for q in cues if q.kind == "rate-discomfort"]
    assert asks == [1, 3]


def test_moving_the_pressure_away_from_the_last_rating_brings_an_ask():
    h = rated_history(4, 20.0)
    c = coach(history=h)
    for i in range(4):  # four ratings this session already, at 20 N
        c.on_events([Rating(t=0.1 * (i + 1), value=7, spot="", force_n=20.0)], 0.1 * (i + 1))
    m = StrokeMaker()
    same = run(c, bout(30.0, 30, 60, peak_n=20.0, maker=m))
    assert "rate-discomfort" not in kinds(same)
    moved = run(coach(history=h), bout(30.0, 30, 60, peak_n=26.0, maker=StrokeMaker()))
    assert "rate-discomfort" in kinds(moved)


def test_a_static_hold_above_the_ceiling_is_too_hard_first():
    ev = [HoldStarted(start=5.0, t_confirmed=7.0, mean_n=120.0), HoldEnded(start=5.0, end=9.0, t_confirmed=9.1, mean_n=120.0)]
    cues = run(coach(), ev, until=10.0)
    assert [(q.kind, q.t) for q in cues] == [("too-hard", 7.0), ("dont-hold", 7.0)]


@pytest.mark.parametrize("mode, slow, steady", [("auto", True, False), ("on", True, True), ("off", False, False)])
def test_metronome_follows_the_rhythm_only_in_auto(mode, slow, steady):
    c = coach(metronome=mode)
    run(c, bout(1.0, 12, 40), until=12.0)  # too slow
    assert c.metronome_on() is slow
    c = coach(metronome=mode)
    run(c, bout(1.0, 12, 60), until=12.0)  # on target
    assert c.metronome_on() is steady
    c.mute = True
    assert c.metronome_on() is False


@pytest.mark.parametrize("tenth_s", [35.0, 20.0])  # the tenth bout reaches bout-done, or counts without it
def test_daily_limit_once_at_the_limit_and_once_per_bout_started_over_it(tenth_s):
    m = StrokeMaker()
    ev: list = []
    for k in range(25):  # an hour's worth of bouts, a minute apart
        ev += bout(1.0 + 60 * k, tenth_s if k == 9 else 35.0, 60, index=k, maker=m)
    cues = run(coach(), ev)
    limit = [q for q in cues if q.kind == "daily-limit"]
    assert [q.text for q in cues if q.kind == "bout-count"] == [f"Bout {n} of today on left calf." for n in range(1, 11)]
    starts = [e.t for e in ev if isinstance(e, BoutStarted)]
    tenth_end = [e.t for e in ev if isinstance(e, Bout)][9]
    reached = next(q.t for q in cues if q.kind == "bout-done" and starts[9] < q.t < starts[10]) if tenth_s > 30 else tenth_end
    assert [q.t for q in limit] == pytest.approx([reached, *starts[10:]])
    assert [q.text.split(":")[0] for q in limit] == [f"{n} bouts today on left calf" for n in [10, *range(10, 25)]]


def test_too_hard_strokes_repeat_no_sooner_than_the_safety_interval():
    m = StrokeMaker()
    strokes = [m.at(1.0 + 0.9 * i, 120.0) for i in range(30)]
    cues = run(coach(), [BoutStarted(0, 0.7, strokes[1].t_confirmed), *strokes])
    hard = [q.t for q in cues if q.kind == "too-hard"]
    gap = Policy().safety_repeat_s
    assert hard[0] == pytest.approx(strokes[0].t_confirmed)  # at once
    # then at the first too-hard stroke once the interval has passed: every 4th stroke, 3.6 s apart
    assert hard == pytest.approx([s.t_confirmed for s in strokes[::4]])
    assert min(b - a for a, b in zip(hard, hard[1:])) >= gap


def test_a_static_hold_above_the_ceiling_repeats_too_hard_while_it_lasts():
    ev = [HoldStarted(start=5.0, t_confirmed=7.0, mean_n=120.0), HoldEnded(start=5.0, end=17.5, t_confirmed=17.6, mean_n=120.0)]
    cues = run(coach(), ev, until=30.0)
    gap = Policy().safety_repeat_s
    assert [q.t for q in cues if q.kind == "too-hard"] == pytest.approx([7.0 + k * gap for k in range(4)])
