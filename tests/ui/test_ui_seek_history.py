"""A replay started or sought at a point has what the uninterrupted replay has there: the stroke
motion the coach judges (the direction tile, the terminal's direction field) and the dashboard's
rate history, then the same events from there on; for a tool with a motion sensor and without."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kneadback.clock import ManualClock
from kneadback.coach.coach import Coach
from kneadback.engine.engine import Engine
from kneadback.session import Session
from kneadback.sources import open_source
from kneadback.sources.base import SourceOptions
from kneadback.sources.replay import ReplaySource
from kneadback.store.db import Store
from kneadback.store.reader import open_recording
from kneadback.store.recorder import Recorder
from kneadback.ui.dashboard.feed import DashboardFeed

from .conftest import STEP_S


class _Heard(DashboardFeed):
    """The dashboard's feed, also keeping every event it hears."""

    def __init__(self, clock: ManualClock) -> None:
        super().__init__(clock)
        self.events: list = []

    def on_events(self, events) -> None:
        self.events.extend(events)
        super().on_events(events)


@pytest.fixture(scope="module")
def one_direction(tmp_path_factory) -> str:
    """A recorded session of the one-way scenario (a tool with a motion sensor)."""
    tmp = tmp_path_factory.mktemp("motion")
    clock = ManualClock()
    source = open_source("sim:one-direction", SourceOptions(clock=clock, speed=50.0, seed=3))
    store = Store.open(tmp / "sessions.sqlite3")
    recorder = Recorder(store, clock=clock, source=source.spec, spot="left calf")
    Session(source, clock, analyzer=Engine(), coach=Coach(spot="left calf"), sinks=[recorder]).run()
    store.close()
    return str(tmp / "sessions.sqlite3")


def _session(recording: str, clock: ManualClock, speed: float, start: float = 0.0) -> tuple[Session, _Heard]:
    heard = _Heard(clock)
    source = ReplaySource(open_recording(recording), clock, speed=speed, start=start)
    return Session(source, clock, analyzer=Engine(), coach=Coach(spot="left calf"), sinks=[heard]), heard


def _state(session: Session, heard: _Heard) -> dict:
    coach = session.coach
    assert isinstance(coach, Coach)
    st = coach.state
    t, rate = heard.rate.latest()
    return {"motion": st.stroke_motion, "excursion": st.last_excursion_cm, "bout_active": st.bout_active,
            "rate_history": (t.tolist(), rate.tolist()), "bouts": [b.to_dict() for b in heard.bouts]}


def _at(recording: str, t: float) -> dict:
    """The uninterrupted replay's state once everything due by `t` went through."""
    clock = ManualClock()
    session, heard = _session(recording, clock, speed=1.0)
    session.open()
    clock.advance(t)
    samples = -1
    while session.status.samples != samples:
        samples = session.status.samples
        session.step(timeout=0.0)
    state = _state(session, heard)
    session.source.close()
    return state


def _run(session: Session, until: float = math.inf) -> None:
    while not session.done and session.now < until:
        session.step()


def _points(recording: str, straight: list) -> list[float]:
    """Into each bout and between the bouts, each on the end of a recorded block (where the
    uninterrupted replay's state is known exactly)."""
    bouts = [e for e in straight if e.type == "bout"]
    assert len(bouts) == 2
    wanted = [b.start + 0.5 * (b.end - b.start) for b in bouts] + [(bouts[0].end + bouts[1].start) / 2]
    ends = np.array([block.t_end for _, block in open_recording(recording).blocks()])
    return [float(ends[np.argmin(abs(ends - w))]) for w in wanted]


def _later(events: list, t: float) -> list[dict]:
    return [e.to_dict() for e in events if getattr(e, "t", math.inf) > t
            and not (e.type == "error" and e.kind == "reset")]


@pytest.mark.parametrize("which", ["one_direction", "recorded"])
def test_a_replay_from_a_point_or_sought_to_it_is_the_uninterrupted_one(request, which):
    recording = request.getfixturevalue(which)
    clock = ManualClock()
    straight, straight_heard = _session(recording, clock, speed=math.inf)
    straight.run()
    for t in _points(recording, straight_heard.events):
        expected = _at(recording, t)
        assert len(expected["rate_history"][0]) >= 5  # strokes before `t`, so there is a history to keep
        if which == "one_direction":
            assert expected["motion"] is not None and expected["motion"].strokes >= 5
        # from `t` (replay --from) and sought back to `t` from later on (the dashboard's seek)
        fresh, heard = _session(recording, ManualClock(), speed=math.inf, start=t)
        fresh.open()
        fresh.step()  # the first read rebuilds the state at `t`
        sought, sought_heard = _session(recording, ManualClock(), speed=math.inf)
        sought.open()
        _run(sought, t + 20.0)
        sought.restart_at(t)
        sought_heard.events.clear()
        for session, h in ((fresh, heard), (sought, sought_heard)):
            assert _state(session, h) == expected, f"at {t:.2f} s"
            _run(session)
            session.close()
            assert _later(h.events, t) == _later(straight_heard.events, t), f"at {t:.2f} s"
            assert not [e for e in h.events if getattr(e, "t", t) < t]
            assert _state(session, h)["rate_history"] == _state(straight, straight_heard)["rate_history"]


def test_a_seek_starts_the_force_trace_afresh(one_direction):
    """The trace shows only what was delivered from the seek on: the samples before it are not
    handed to the sinks, so neither are the peaks and holds drawn on them."""
    clock = ManualClock()
    session, heard = _session(one_direction, clock, speed=1.0, start=40.0)
    session.open()
    for _ in range(round(2.0 / STEP_S)):
        clock.advance(STEP_S)
        session.step(timeout=0.0)
    t_force, _ = heard.force.latest()
    t_peaks, _ = heard.strokes.latest()
    assert t_force.min() >= 40.0 and (len(t_peaks) == 0 or t_peaks.min() >= 40.0)
    assert heard.rate.latest()[0].min() < 35.0  # while the rate history goes back to the start
    session.source.close()


def test_a_replay_from_a_point_tells_the_device_once_and_a_seek_again(recorded):
    """The terminal prints the device's line when it hears of it: once for `--from`, as for a
    replay from the start, and again with "replay continues at" after a seek."""
    infos: list[float] = []

    class Infos(DashboardFeed):
        def on_info(self, info) -> None:
            infos.append(self.status.t)
            super().on_info(info)

    clock = ManualClock()
    source = ReplaySource(open_recording(recorded), clock, speed=math.inf, start=20.0)
    session = Session(source, clock, analyzer=Engine(), coach=Coach(spot="left calf"), sinks=[Infos(clock)])
    session.open()
    _run(session, 30.0)
    assert len(infos) == 1
    session.restart_at(10.0)
    assert len(infos) == 2
    session.close()
