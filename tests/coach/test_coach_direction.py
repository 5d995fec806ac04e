"""The coach's direction and length cues, on hand-made strokes with the motion a board with an IMU
adds (`StrokeMotion`): when they come, what comes first, and that without motion nothing changes."""

from __future__ import annotations

from collections.abc import Sequence

from kneadback.coach.rules import Policy
from kneadback.model import Event, Stroke, StrokeMotion

from .helpers import bout, kinds, run
from .test_coach_rules import coach, corrections

MOTION_CUES = {"one-direction", "shorter-strokes", "good-strokes"}


def with_motion(events: Sequence[Event], direction: Sequence[float], excursion: Sequence[float] = (3.0,),
                share: Sequence[float] = (0.05,), circling: bool = False) -> list[Event]:
    """The events, each stroke followed by its motion just after its end (values cycle)."""
    out: list[Event] = []
    strokes = [e for e in events if isinstance(e, Stroke)]
    for e in events:
        out.append(e)
        if isinstance(e, Stroke):
            i = strokes.index(e)
            out.append(StrokeMotion(e.index, e.t_end + 0.1, direction[i % len(direction)] % 360.0,
                                    excursion[i % len(excursion)], None if i == 0 else share[i % len(share)],
                                    circling))
    return sorted(out, key=lambda e: e.t)


def motion_times(events: Sequence[Event]) -> list[float]:
    return [e.t for e in events if isinstance(e, StrokeMotion)]


def test_short_strokes_one_way_get_no_direction_cue():
    cues = run(coach(), with_motion(bout(1.0, 30, 60), direction=[40.0, 47.0, 35.0], excursion=[3.0, 4.2, 2.5]))
    assert not MOTION_CUES & set(kinds(cues))
    assert corrections(cues) == []


def test_back_and_forth_gets_one_direction_after_three_strokes():
    events = with_motion(bout(1.0, 30, 60), direction=[0.0, 180.0])
    cues = run(coach(), events)
    first = next(c for c in cues if c.kind == "one-direction")
    # the bout starts as stroke 1 is confirmed, and stroke 1 has nothing of the bout to turn
    # from: strokes 2, 3, 4 are its first three off ones
    assert first.t == motion_times(events)[4]
    assert first.text == "Stroke one way, then lift or ease off for the return."
    assert first.severity == "correction"


def test_scrubbing_one_way_with_a_loaded_return_gets_one_direction():
    cues = run(coach(), with_motion(bout(1.0, 30, 60), direction=[90.0], share=[0.5]))
    assert "one-direction" in kinds(cues)


def test_circling_with_its_loaded_halves_one_way_gets_one_direction():
    """Kneading circles pressed hardest on one half: the loaded halves agree and the returns are
    light, yet no stroke goes one way."""
    cues = run(coach(), with_motion(bout(1.0, 30, 60), direction=[90.0], circling=True))
    assert "one-direction" in kinds(cues) and "good-strokes" not in kinds(cues)


def test_a_stroke_turned_less_than_the_limit_is_still_one_way():
    turn = Policy().direction_turn_deg - 10.0
    cues = run(coach(), with_motion(bout(1.0, 30, 60), direction=[0.0, turn]))
    assert "one-direction" not in kinds(cues)


def test_long_strokes_get_shorter_strokes():
    limit = Policy().max_excursion_cm
    events = with_motion(bout(1.0, 30, 60), direction=[10.0], excursion=[limit + 3.0])
    cues = run(coach(), events)
    assert kinds(cues).count("shorter-strokes") >= 1
    assert next(c for c in cues if c.kind == "shorter-strokes").t == motion_times(events)[3]  # strokes 1, 2, 3 of the bout
    assert "one-direction" not in kinds(cues)


def test_persistent_scrubbing_is_repeated_only_at_the_anti_nag_spacing():
    p = Policy()
    cues = run(coach(), with_motion(bout(1.0, 60, 60), direction=[0.0, 180.0], excursion=[8.0]))
    corr = [c for c in corrections(cues) if c.kind != "overtime"]  # (the bout timer's own reminder)
    assert {"one-direction", "shorter-strokes"} <= set(kinds(corr))
    for a, b in zip(corr, corr[1:]):
        assert b.t - a.t >= p.correction_gap_s - 1e-9
    for kind in ("one-direction", "shorter-strokes"):
        times = [c.t for c in corr if c.kind == kind]
        assert all(b - a >= p.repeat_gap_s - 1e-9 for a, b in zip(times, times[1:]))


def test_a_followed_correction_earns_praise():
    events = bout(1.0, 30, 60)
    n = sum(isinstance(e, Stroke) for e in events)
    directions = [0.0, 180.0] * 3 + [20.0] * (n - 6)  # scrubs, then strokes one way after the cue
    cues = run(coach(), with_motion(events, direction=directions))
    ks = kinds(cues)
    assert ks.count("one-direction") == 1
    assert "good-strokes" in ks and ks.index("good-strokes") > ks.index("one-direction")


def test_rhythm_comes_first():
    """Too slow and scrubbing: the rhythm is corrected; the direction waits until it is back."""
    cues = run(coach(), with_motion(bout(1.0, 20, 30), direction=[0.0, 180.0]))
    assert "faster" in kinds(cues)
    assert "one-direction" not in kinds(cues)


def test_on_target_motion_changes_nothing_and_no_motion_means_no_motion_cues():
    """An FSR-only board sends no motion: its cues are those of the same strokes with good motion."""
    events = bout(1.0, 60, 30, peak_n=[10, 10, 10, 10, 10, 10, 10, 10, 30])
    without = run(coach(), events)
    assert corrections(without) and not MOTION_CUES & set(kinds(without))
    with_good = run(coach(), with_motion(events, direction=[30.0], excursion=[3.0]))
    assert with_good == without
