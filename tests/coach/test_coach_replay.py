"""A replayed demo-session fires the same cues as live: sim source → session (engine, coach,
recorder) with the user's ratings and spot changes typed in as it runs, then the recording
replayed through the same pipeline."""

from __future__ import annotations

import math

import pytest

from kneadback.app import recorded_coach, replay_session
from kneadback.clock import ManualClock
from kneadback.coach.coach import Coach
from kneadback.coach.targets import Targets
from kneadback.engine.engine import Engine
from kneadback.model import Cue, Rating, SpotChanged
from kneadback.session import Session
from kneadback.simulate.render import render
from kneadback.simulate.scenario import load_scenario
from kneadback.sink import Sink
from kneadback.sources import open_source
from kneadback.sources.base import SourceOptions
from kneadback.sources.replay import ReplaySource
from kneadback.store.reader import open_session
from kneadback.store.recorder import Recorder
from kneadback.store.spots import SqliteSpotHistory

WALL = 1_772_445_600.0


class Cues(Sink):
    def __init__(self) -> None:
        self.cues: list[Cue] = []

    def on_events(self, events) -> None:
        self.cues += [e for e in events if isinstance(e, Cue)]


@pytest.mark.slow
def test_replayed_demo_session_fires_the_live_cues():
    truth = render(load_scenario("demo-session"), seed=0).truth
    user = sorted([Rating(t=r.t, value=r.value, spot="") for r in truth.ratings]
                  + [SpotChanged(t=s.start, spot=s.spot) for s in truth.spots[1:]], key=lambda e: e.t)
    clock = ManualClock()
    source = open_source("sim:demo-session", SourceOptions(clock=clock, speed=20.0, seed=0))
    coach = Coach(Targets(), truth.spots[0].spot, SqliteSpotHistory(before=WALL), WALL)
    recorder = Recorder(clock=clock, source=source.spec, spot=coach.spot, targets=coach.targets, wall_start=WALL)
    live = Cues()
    session = Session(source, clock, analyzer=Engine(), coach=coach, sinks=[recorder, live])
    recorder.force_model_of = lambda: session.analyzer.force_model
    session.open()
    try:
        while not session.done:
            session.step()
            while user and user[0].t <= session.now:
                session.submit(user.pop(0))
    finally:
        session.close()
    kinds = {c.kind for c in live.cues}
    assert {"bout-count", "ten-seconds-left", "bout-done", "dont-hold", "faster", "slower"} <= kinds
    assert not user  # every rating and spot change went in

    rec = open_session(recorder.session_id)
    replayed = Cues()
    rclock = ManualClock()
    replay_session(rec, ReplaySource(rec, rclock, speed=math.inf), rclock, [replayed], recorded_coach(rec)).run()
    assert [c.to_dict() for c in replayed.cues] == [c.to_dict() for c in live.cues]
