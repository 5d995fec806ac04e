"""A replay started or seeked at any point, forward or back, is the session as it was there.

Several recorded sessions (a realistic one recorded as the day's second, one with bouts made by
hand, one with a pulled cable) are replayed straight, then from seek points chosen at random
(a fixed seed) and by kind: into a bout, into a hold, just past a bout made by hand, back in time
from later on. After a restart at `t` the session must have the spot, the day's bout count and
the score it had at `t`; from `t` on it must give exactly the events of the straight replay (the
settling window is 0 strokes), and nothing stamped before `t`.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import pytest

from kneadback.app import recorded_coach, replay_session
from kneadback.clock import ManualClock
from kneadback.coach.coach import Coach
from kneadback.coach.targets import Targets
from kneadback.engine.engine import Engine
from kneadback.model import HoldEnded
from kneadback.session import Session
from kneadback.sources import open_source
from kneadback.sources.base import SourceOptions
from kneadback.sources.replay import ReplaySource
from kneadback.store.reader import open_session
from kneadback.store.recorder import Recorder
from kneadback.store.spots import SqliteSpotHistory

from .fakes import Collect, run_pressing

WALL = 1_750_000_000.0
SEEDS = {"demo": 11, "manual": 23, "cable": 37}  # random seek points, the same every run
PRESSES = {4.0: "start", 16.0: "stop", 21.0: "start", 38.0: "auto"}  # session time → bout control


def _record(scenario: str, seconds: float | None, wall: float, presses: dict[float, str] | None = None) -> int:
    clock = ManualClock()
    source = open_source(f"sim:{scenario}", SourceOptions(clock=clock, speed=50.0, seed=4))
    coach = Coach(Targets(rate_spm=58.0), "left calf", SqliteSpotHistory(before=wall), wall)
    recorder = Recorder(clock=clock, source=source.spec, spot=coach.spot, targets=coach.targets, wall_start=wall)
    session = Session(source, clock, analyzer=Engine(), coach=coach, sinks=[recorder], duration=seconds)
    recorder.force_model_of = lambda: session.analyzer.force_model
    run_pressing(session, presses or {})
    assert recorder.session_id is not None
    return recorder.session_id


@dataclass
class Run:
    events: list  # what the sinks heard after the restart (all of it for a straight replay)
    coach: Coach
    session: Session
    at_restart: dict  # the coach's and the bouts' state just after the restart


def _state(session: Session) -> dict:
    coach = session.coach
    assert isinstance(coach, Coach)
    st = coach.state
    return {"spot": st.spot, "bouts_today": st.bouts_today, "ratings": st.ratings,
            "bout_active": st.bout_active, "next_bout": session.bouts._index,
            "session_score": st.session_score.value}


_STRAIGHT: dict[int, Run] = {}  # the straight replay of each session, made once
_DEMO = [0]  # the demo session's id: it has a hold


def _straight(sid: int) -> Run:
    if sid not in _STRAIGHT:
        _STRAIGHT[sid] = _replay(sid)
    return _STRAIGHT[sid]


def _replay(sid: int, *, start: float = 0.0, play_to: float | None = None, seek_to: float | None = None) -> Run:
    """Straight (or from `start`); with `seek_to`: play to `play_to` first, then restart there."""
    rec = open_session(sid)
    clock = ManualClock()
    out = Collect()
    coach = recorded_coach(rec)
    session = replay_session(rec, ReplaySource(rec, clock, speed=math.inf, start=start), clock, [out], coach)
    at_restart: dict = {}
    session.open()
    try:
        if start > 0:
            session.step()  # the first read rebuilds the state at `start`
            at_restart = _state(session)
        if seek_to is not None:
            assert play_to is not None
            while not session.done and session.now < play_to:
                session.step()
            session.restart_at(seek_to)
            at_restart = _state(session)
            out.events.clear()
        while not session.done:
            session.step()
    finally:
        session.close()
    return Run(out.events, coach, session, at_restart)


def _reference_state(sid: int, t: float) -> dict:
    """The straight replay's state after the last block that ends by `t`."""
    rec = open_session(sid)
    clock = ManualClock()
    session = replay_session(rec, ReplaySource(rec, clock, speed=1.0), clock, [])
    session.open()
    clock.advance(t)
    idle = 0
    while idle < 2:  # until nothing more is due by `t`
        samples = session.status.samples
        session.step(timeout=0.0)
        idle = idle + 1 if session.status.samples == samples else 0
    state = _state(session)
    session.source.close()
    return state


def _dicts(events, t: float) -> list[dict]:
    return [e.to_dict() for e in events if getattr(e, "t", math.inf) > t]


def _check(sid: int, straight: Run, run: Run, t: float) -> None:
    seen = [e for e in run.events if not (e.type == "error" and e.detail.startswith("replay continues at"))]
    early = [(e.type, e.t) for e in seen if getattr(e, "t", t) < t]
    assert not early, f"restart at {t:.2f} s: events stamped before it: {early[:5]}"
    # the settling window is 0 strokes: every event from `t` on is the straight replay's
    assert _dicts(seen, t) == _dicts(straight.events, t), f"restart at {t:.2f} s"
    assert [e.to_dict() for e in seen] == _dicts(seen, t)  # and none at `t` or before
    strokes = [e for e in seen if e.type == "stroke"]
    assert strokes == [] or strokes[0].index == next(e.index for e in straight.events if e.type == "stroke" and e.t > t)
    # what the session had at `t`: its spot, the day's bouts, its ratings, its bouts, its score
    ref = _reference_state(sid, t)
    got = dict(run.at_restart)
    assert got.pop("session_score") == pytest.approx(ref.pop("session_score"), abs=1.0)
    assert got == ref, f"restart at {t:.2f} s"
    # and so the same scores and history at the end
    bouts, score = run.coach.scores()
    s_bouts, s_score = straight.coach.scores()
    assert [b.to_dict() for b in bouts] == [b.to_dict() for b in s_bouts]
    assert score.to_dict() == s_score.to_dict()
    assert run.coach.history.ratings(run.coach.spot) == straight.coach.history.ratings(straight.coach.spot)
    assert run.coach.state.bouts_today == straight.coach.state.bouts_today


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """A data folder with the recorded sessions: the demo twice on one day (the second one's
    bouts of the day start from the first one's), bouts by hand, a pulled cable."""
    path = tmp_path_factory.mktemp("seek-home")
    mp = pytest.MonkeyPatch()
    mp.setenv("KNEADBACK_HOME", str(path))
    try:
        _record("demo-session", 70.0, WALL)
        demo = _DEMO[0] = _record("demo-session", 200.0, WALL + 1200.0)  # a hold, ratings, a second spot
        manual = _record("bouts", 50.0, WALL + 3600.0, PRESSES)
        cable = _record("disconnect", 40.0, WALL + 4800.0)
    finally:
        mp.undo()
    return {"path": str(path), "demo": demo, "manual": manual, "cable": cable}


@pytest.fixture
def sessions(home, monkeypatch):
    monkeypatch.setenv("KNEADBACK_HOME", home["path"])
    return home


def _points(sid: int, straight: Run, n: int, seed: int) -> list[float]:
    """Random points, a point in a bout and a point in a hold (when the session has them)."""
    duration = open_session(sid).duration_s
    rng = random.Random(seed)
    points = [round(rng.uniform(0.5, duration - 1.0), 3) for _ in range(n)]
    bouts = [e for e in straight.events if e.type == "bout"]
    holds = [e for e in straight.events if isinstance(e, HoldEnded)]
    if bouts:
        b = bouts[len(bouts) // 2]
        points.append(round(b.start + 0.4 * (b.end - b.start), 3))  # into a bout
    assert holds or sid != _DEMO[0]
    if holds:
        h = holds[0]
        points.append(round(h.start + 0.5 * (h.end - h.start), 3))  # into a hold
    return points


@pytest.mark.parametrize("name", ["demo", "manual", "cable"])
def test_store_replay_from_any_point_is_the_straight_replay_from_there(sessions, name):
    sid = sessions[name]
    straight = _straight(sid)
    assert straight.coach.scores()[0]
    for t in _points(sid, straight, 3, seed=SEEDS[name]):
        _check(sid, straight, _replay(sid, start=t), t)


@pytest.mark.parametrize("name", ["demo", "manual", "cable"])
def test_store_seeks_back_and_forward_are_the_straight_replay_from_there(sessions, name):
    sid = sessions[name]
    straight = _straight(sid)
    duration = open_session(sid).duration_s
    rng = random.Random(SEEDS[name] + 1)
    for t in _points(sid, straight, 1, seed=SEEDS[name] + 2):
        back_from = min(duration - 0.5, t + rng.uniform(5.0, 40.0))  # later on, then back to `t`
        _check(sid, straight, _replay(sid, play_to=back_from, seek_to=t), t)
        forward_from = rng.uniform(0.0, t)  # earlier, then on to `t`
        _check(sid, straight, _replay(sid, play_to=forward_from, seek_to=t), t)


def test_store_seek_past_a_bout_made_by_hand_and_back_into_it(sessions):
    sid = sessions["manual"]
    straight = _straight(sid)
    controls = [e for e in straight.events if e.type == "bout-control"]
    assert [c.action for c in controls] == ["start", "stop", "start", "auto"]
    by_hand = [e for e in straight.events if e.type == "bout" and e.start == controls[0].t]
    assert by_hand
    past = controls[1].t + 1.5  # the first bout made by hand is over
    into = controls[2].t + 4.0  # the second one is under way
    _check(sid, straight, _replay(sid, start=past), past)
    _check(sid, straight, _replay(sid, play_to=past, seek_to=into), into)
    _check(sid, straight, _replay(sid, play_to=controls[3].t + 3.0, seek_to=into), into)
    run = _replay(sid, play_to=45.0, seek_to=into)
    assert run.at_restart["bout_active"]  # back into the bout made by hand: it is under way again


def test_store_from_gives_the_days_bout_count_of_that_moment(sessions):
    """The demo recorded as the day's second: its bout cues count on from the first session's."""
    sid = sessions["demo"]
    straight = _straight(sid)
    counts = [e for e in straight.events if e.type == "cue" and e.kind == "bout-count"]
    assert len(counts) >= 3
    t = (counts[1].t + counts[2].t) / 2
    run = _replay(sid, start=t)
    later = [e.text for e in run.events if e.type == "cue" and e.kind == "bout-count"]
    assert later == [e.text for e in counts if e.t > t]
    assert run.coach.scores()[1].to_dict() == straight.coach.scores()[1].to_dict()
