"""The replay view's seeks (← / →, the slider, the bout jumps) go on exactly as the straight
replay from the point they land on, backwards too, with the same coach and bouts of the day."""

from __future__ import annotations

import math

import pytest
from pyqtgraph.Qt import QtCore

from kneadback.clock import ManualClock
from kneadback.coach.coach import Coach
from kneadback.engine.engine import Engine
from kneadback.session import Session
from kneadback.sink import Sink
from kneadback.sources.replay import ReplaySource
from kneadback.store.reader import open_recording
from kneadback.ui.dashboard.replay import SKIP_S, PlaybackClock, ReplayController
from kneadback.ui.dashboard.window import DashboardWindow

from .conftest import STEP_S

K = QtCore.Qt.Key


class _Heard(Sink):
    def __init__(self) -> None:
        self.events: list = []

    def on_events(self, events) -> None:
        self.events.extend(events)


def _straight(recording: str) -> list:
    clock = ManualClock()
    heard = _Heard()
    source = ReplaySource(open_recording(recording), clock, speed=math.inf)
    Session(source, clock, analyzer=Engine(), coach=Coach(spot="left calf"), sinks=[heard]).run()
    return heard.events


def _window(qtbot, recording: str):
    base = ManualClock()
    play = PlaybackClock(base)
    source = ReplaySource(open_recording(recording), clock=play)
    starts = [e.data["start"] for e in source.recording.events if e.type == "bout"]
    coach = Coach(spot="left calf")
    heard = _Heard()
    session = Session(source, base, analyzer=Engine(), coach=coach, sinks=[heard])
    window = DashboardWindow(session, base, replay=ReplayController(source, play, starts))
    qtbot.addWidget(window)
    window.start(timers=False)

    def run_to(t: float) -> None:
        for _ in range(round(200.0 / STEP_S)):  # a bound: a paused replay never gets there
            if source.position >= t or source.finished:
                return
            base.advance(STEP_S)
            window.pump()

    return window, source, heard, run_to


def _after(events, t: float, until: float = math.inf) -> list[dict]:
    return [e.to_dict() for e in events
            if t < getattr(e, "t", -1.0) <= until and not (e.type == "error" and e.kind == "reset")]


def test_seeking_back_gives_the_strokes_and_cues_of_the_straight_replay(qtbot, recorded):
    straight = _straight(recorded)
    w, src, heard, run_to = _window(qtbot, recorded)
    coach = w.session.coach
    run_to(30.0)
    t0 = src.position
    for _ in range(4):  # ← four times: 20 s back
        qtbot.keyClick(w, K.Key_Left)
    t = t0 - 4 * SKIP_S
    assert src.position == pytest.approx(t)
    heard.events.clear()
    run_to(t + 15.0)
    got = _after(heard.events, t, t + 14.0)
    assert sum(e["type"] == "stroke" for e in got) >= 10  # a fresh engine's strokes, not none
    assert got == _after(straight, t, t + 14.0)
    assert not [e for e in heard.events if getattr(e, "t", t) < t]
    assert w.session.coach is coach and w.coach is coach  # the same coach, back as it was


def test_bout_jumps_land_with_the_bouts_of_that_moment(qtbot, recorded):
    straight = _straight(recorded)
    w, src, heard, run_to = _window(qtbot, recorded)
    ctl = w.replay
    run_to(80.0)  # both bouts begun
    qtbot.keyClick(w, K.Key_BracketLeft)  # back to just before the second bout
    t = src.position
    assert t == pytest.approx(ctl.bout_starts[1] - 1.0)
    state = w.session.coach.state
    assert not state.bout_active and w.session.bouts._index == 1  # one bout so far, as at that moment
    heard.events.clear()
    run_to(src.duration)
    got = _after(heard.events, t)
    assert next(e for e in got if e["type"] == "bout-start")["index"] == 1
    assert got == _after(straight, t)
    qtbot.keyClick(w, K.Key_BracketLeft)
    qtbot.keyClick(w, K.Key_BracketLeft)  # to the start of the first bout, from the end
    assert not ctl.playing  # the end of the replay paused it
    ctl.play(True)
    t = src.position
    heard.events.clear()
    run_to(t + 20.0)
    assert _after(heard.events, t, t + 19.0) == _after(straight, t, t + 19.0)
