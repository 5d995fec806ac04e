"""The real pipeline: a simulated live run with the engine and the coach, recorded, then replayed:
the same strokes, bouts, cues and scores, exactly."""

from __future__ import annotations

import math

import pytest

from kneadback.app import recorded_coach, replay_session
from kneadback.clock import ManualClock
from kneadback.coach.coach import Coach
from kneadback.coach.targets import Targets
from kneadback.engine.engine import Engine
from kneadback.model import Marker, Rating
from kneadback.session import Session
from kneadback.sources import open_source
from kneadback.sources.base import SourceOptions
from kneadback.sources.replay import ReplaySource
from kneadback.store.reader import open_session
from kneadback.store.recorder import Recorder
from kneadback.store.spots import SqliteSpotHistory

from .fakes import Collect

WALL = 1_750_000_000.0


def live_run(scenario: str, seconds: float, speed: float = 8.0, wall: float = WALL) -> tuple[int, Collect, Coach]:
    clock = ManualClock()
    source = open_source(f"sim:{scenario}", SourceOptions(clock=clock, speed=speed, seed=3))
    targets = Targets(rate_spm=58.0)
    coach = Coach(targets, "left calf", SqliteSpotHistory(before=wall), wall)
    recorder = Recorder(clock=clock, source=source.spec, spot=coach.spot, targets=coach.targets, wall_start=wall)
    seen = Collect()
    session = Session(source, clock, analyzer=Engine(), coach=coach, sinks=[recorder, seen], duration=seconds)
    recorder.force_model_of = lambda: session.analyzer.force_model
    session.open()
    steps = 0
    try:
        while not session.done:
            session.step()
            steps += 1
            if steps == 25:
                session.submit(Marker(t=session.now, label="tender here"))
            if steps == 60:
                session.submit(Rating(t=session.now, value=8, spot=""))
    finally:
        session.close()
    return recorder.session_id, seen, coach


@pytest.mark.parametrize("scenario, seconds", [("bouts", 75.0), ("disconnect", 40.0)])
def test_store_replay_gives_the_live_strokes_and_cues_exactly(scenario, seconds):
    sid, live, live_coach = live_run(scenario, seconds)
    kinds = {e.type for e in live.events}
    assert {"stroke", "bout", "cue", "rating", "marker"} <= kinds
    rec = open_session(sid)
    clock = ManualClock(123.0)
    out = Collect()
    coach = recorded_coach(rec)
    replay_session(rec, ReplaySource(rec, clock, speed=3.0), clock, [out], coach).run()
    assert [e.to_dict() for e in out.events] == [e.to_dict() for e in live.events]
    strokes = [e for e in out.events if e.type == "stroke"]
    assert len(strokes) > seconds / 2
    bouts, session_score = coach.scores()
    live_bouts, live_score = live_coach.scores()
    assert [b.to_dict() for b in bouts] == [b.to_dict() for b in live_bouts]
    assert session_score.to_dict() == live_score.to_dict()


def test_store_replay_of_a_later_session_sees_the_earlier_ratings():
    live_run("bouts", 40.0, wall=WALL)
    second, live2, coach2 = live_run("bouts", 40.0, wall=WALL + 86400)
    assert len(coach2.history.ratings("left calf")) >= 2  # the first session's ratings (and its own)
    rec = open_session(second)
    clock = ManualClock()
    out = Collect()
    replay_session(rec, ReplaySource(rec, clock, speed=math.inf), clock, [out]).run()
    assert [e.to_dict() for e in out.events] == [e.to_dict() for e in live2.events]
