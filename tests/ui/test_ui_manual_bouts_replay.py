"""Bouts started and stopped by hand in the live window are user input: recorded, replayed at
their place in the stream, and the replay gives the live run's strokes, bouts and cues exactly."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest
from pyqtgraph.Qt import QtCore

from kneadback.app import recorded_coach, replay_session
from kneadback.clock import ManualClock
from kneadback.coach.coach import Coach
from kneadback.coach.targets import Targets
from kneadback.engine.engine import Engine
from kneadback.model import BoutControl, Event
from kneadback.session import Session
from kneadback.sink import Sink
from kneadback.sources import open_source
from kneadback.sources.base import SourceOptions
from kneadback.sources.replay import ReplaySource
from kneadback.store.reader import open_session
from kneadback.store.recorder import Recorder
from kneadback.store.spots import SqliteSpotHistory
from kneadback.ui.dashboard.window import DashboardWindow

from .conftest import STEP_S, write_scenario

K = QtCore.Qt.Key
WALL = 1_750_000_000.0


class Collect(Sink):
    def __init__(self) -> None:
        self.events: list[Event] = []

    def on_events(self, events: Sequence[Event]) -> None:
        self.events.extend(events)


def _dicts(events: Sequence[Event], *types: str) -> list[dict]:
    return [e.to_dict() for e in events if not types or e.type in types]


def test_manual_bouts_from_the_keys_replay_with_the_same_bouts_and_cues(qtbot, tmp_path):
    clock = ManualClock()
    spec = "sim:" + str(write_scenario(tmp_path / "steady.toml", rate_hz=1.0, force_n=20.0, seconds=70.0))
    source = open_source(spec, SourceOptions(clock=clock, seed=5))
    coach = Coach(Targets(), "left calf", SqliteSpotHistory(before=WALL), WALL)
    recorder = Recorder(clock=clock, source=source.spec, spot=coach.spot, targets=coach.targets, wall_start=WALL)
    live = Collect()
    session = Session(source, clock, analyzer=Engine(), coach=coach, sinks=[recorder, live])
    recorder.force_model_of = lambda: session.analyzer.force_model
    w = DashboardWindow(session, clock)
    qtbot.addWidget(w)
    w.start(timers=False)

    def run_to(t: float) -> None:
        while session.now < t:
            clock.advance(STEP_S)
            w.pump()

    # stroking all along: the engine would make one long automatic bout from the first strokes
    run_to(5.0)
    qtbot.keyClick(w, K.Key_Space)  # a bout by hand from 5 s ...
    run_to(20.0)
    qtbot.keyClick(w, K.Key_Space)  # ... to 20 s
    run_to(20.5)
    assert w.bouts.auto is False and w.bouts.running is None and not coach.state.bout_active
    run_to(26.0)
    qtbot.keyClick(w, K.Key_Space)  # a second one, long enough for its timer cues
    run_to(60.0)
    qtbot.keyClick(w, K.Key_A)  # automatic bouts again: the manual one ends here
    run_to(63.0)
    w.redraw()
    assert "auto bouts" in w.status_label.text()
    w.finish()

    controls = [e for e in live.events if isinstance(e, BoutControl)]
    assert [c.action for c in controls] == ["start", "stop", "start", "auto"]
    bouts = [e for e in live.events if e.type == "bout"]
    # the engine's automatic bout gives way to the first by hand (a short try, recorded as such);
    # then only the manual ones: the engine's were held back in manual mode
    assert len(bouts) == 3 and bouts[0].start < 5.0 and bouts[0].end == controls[0].t and not bouts[0].counted
    for bout, (start, stop) in zip(bouts[1:], [(controls[0], controls[1]), (controls[2], controls[3])]):
        assert bout.start == start.t and bout.end == stop.t and bout.counted
        assert bout.strokes >= 0.8 * (stop.t - start.t) and bout.rate_spm is not None
    starts = [e for e in live.events if e.type == "bout-start"]
    assert [b.index for b in starts] == [b.index for b in bouts] == [0, 1, 2]
    cues = [e for e in live.events if e.type == "cue"]
    second = controls[2].t
    done = [c for c in cues if c.kind == "bout-done"]
    assert len(done) == 1 and math.isclose(done[0].t, second + coach.targets.bout_s)  # timed from the key
    assert [c.kind for c in cues if c.kind in ("bout-count", "daily-limit")] == ["bout-count"] * 3

    # the recording keeps the controls as user input
    rec = open_session(recorder.session_id)
    assert [(e.origin, e.data["action"]) for e in rec.events if e.type == "bout-control"] == [
        ("user", "start"), ("user", "stop"), ("user", "start"), ("user", "auto")]
    assert rec.meta.summary["bouts"] == 2
    assert rec.meta.summary["bout_scores"] == [b.to_dict() for b in coach.scores()[0]]  # scored as coached

    rclock = ManualClock(50.0)
    out = Collect()
    replay_coach = recorded_coach(rec)
    replay_session(rec, ReplaySource(rec, rclock, speed=math.inf), rclock, [out], replay_coach).run()
    assert _dicts(out.events, "bout-start", "bout") == _dicts(live.events, "bout-start", "bout")
    assert _dicts(out.events, "cue") == _dicts(live.events, "cue")
    assert _dicts(out.events, "stroke") == _dicts(live.events, "stroke")
    assert _dicts(out.events) == _dicts(live.events)
    assert [b.to_dict() for b in replay_coach.scores()[0]] == [b.to_dict() for b in coach.scores()[0]]


def test_replay_at_other_speeds_keeps_the_manual_bouts(qtbot, tmp_path):
    """A manual bout still running at the end is closed by the session, live and in replay alike."""
    clock = ManualClock()
    spec = "sim:" + str(write_scenario(tmp_path / "steady.toml", rate_hz=1.1, force_n=22.0, seconds=30.0))
    source = open_source(spec, SourceOptions(clock=clock, seed=1))
    coach = Coach(Targets(), "left calf", SqliteSpotHistory(before=WALL), WALL)
    recorder = Recorder(clock=clock, source=source.spec, spot=coach.spot, targets=coach.targets, wall_start=WALL)
    live = Collect()
    session = Session(source, clock, analyzer=Engine(), coach=coach, sinks=[recorder, live])
    w = DashboardWindow(session, clock)
    qtbot.addWidget(w)
    w.start(timers=False)
    while session.now < 8.0:
        clock.advance(STEP_S)
        w.pump()
    qtbot.keyClick(w, K.Key_Space)
    while session.now < 20.0:
        clock.advance(STEP_S)
        w.pump()
    w.finish()
    bouts = [e for e in live.events if e.type == "bout"]
    assert [b.end for b in bouts] == [pytest.approx(8.0, abs=0.1), session.now]  # the last ended with the session
    rec = open_session(recorder.session_id)
    for speed in (1.0, 7.0):
        rclock = ManualClock()
        out = Collect()
        replay = replay_session(rec, ReplaySource(rec, rclock, speed=speed), rclock, [out], recorded_coach(rec))
        replay.open()
        while not replay.done:
            rclock.advance(0.05)
            replay.step(timeout=0.0)
        replay.close()
        assert _dicts(out.events) == _dicts(live.events)
        rec = open_session(recorder.session_id)  # the replay source closes its recording
