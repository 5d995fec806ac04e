"""Automatic or manual bouts (`BoutSwitch`), the coach with bouts made by hand, and the terminal's
bout keys."""

from __future__ import annotations

import io

import pytest

from kneadback.clock import ManualClock
from kneadback.coach.bouts import BoutSwitch
from kneadback.coach.coach import Coach
from kneadback.coach.keys import KeyPress, decode
from kneadback.coach.spots import MemorySpotHistory
from kneadback.coach.targets import Targets
from kneadback.coach.terminal import CoachTerminalView
from kneadback.model import Bout, BoutControl, BoutStarted, Stroke
from kneadback.session import LinkStatus
from kneadback.store.events import from_dict, origin_of

from .helpers import StrokeMaker, bout


def kinds(events) -> list[str]:
    return [e.type for e in events]


def test_automatic_bouts_pass_untouched():
    sw = BoutSwitch()
    evs = bout(1.0, 10, 60) + bout(20.0, 10, 60, index=1)
    assert sw.apply(evs) == evs and sw.auto


def test_manual_bouts_replace_the_engines():
    sw = BoutSwitch()
    maker = StrokeMaker()
    engine = bout(1.0, 20, 60, maker=maker)  # BoutStarted at ~2 s, strokes, Bout at ~22 s
    out = sw.apply(engine[:4])  # the engine's bout has begun, three strokes in
    assert kinds(out) == ["bout-start", "stroke", "stroke", "stroke"]
    out = sw.apply([BoutControl(t=3.0, action="start")])
    assert kinds(out) == ["bout-control", "bout-start"]
    assert out[1] == BoutStarted(index=1, start=3.0, t_confirmed=3.0) and sw.running == out[1]
    out = sw.apply(engine[4:])  # the rest of the engine's bout: its end is held back
    assert all(isinstance(e, Stroke) for e in out)
    out = sw.apply([BoutControl(t=15.0, action="stop")])
    done = out[1]
    assert isinstance(done, Bout) and (done.index, done.start, done.end) == (1, 3.0, 15.0)
    assert done.strokes == len(engine) - 5 and done.rate_spm == pytest.approx(60.0)
    assert done.mean_peak_n == pytest.approx(20.0) and sw.running is None and not sw.auto
    # manual mode holds the engine's next bout back too, until `auto`
    assert kinds(sw.apply(bout(30.0, 10, 60, index=1, maker=maker))) == ["stroke"] * 11
    assert kinds(sw.apply([BoutControl(t=45.0, action="auto")])) == ["bout-control"]
    later = sw.apply(bout(50.0, 10, 60, index=2, maker=maker))
    assert kinds(later) == ["bout-start"] + ["stroke"] * 11 + ["bout"]
    assert later[0].index == later[-1].index == 2  # numbered in the session's order


def test_auto_ends_a_manual_bout_and_the_session_end_does_too():
    sw = BoutSwitch()
    sw.apply([BoutControl(t=2.0, action="start")])
    out = sw.apply([BoutControl(t=9.0, action="auto")])
    assert kinds(out) == ["bout-control", "bout"] and out[1].end == 9.0 and out[1].strokes == 0
    assert out[1].rate_spm is None and out[1].mean_peak_n is None and sw.auto
    sw.apply([BoutControl(t=10.0, action="start")])
    sw.apply([BoutControl(t=10.5, action="start")])  # already running: nothing new
    assert [b.index for b in sw.finish(12.0)] == [1] and sw.finish(12.0) == []


def test_stop_during_an_automatic_bout_ends_it_there():
    sw = BoutSwitch()
    evs = bout(1.0, 20, 60)
    sw.apply(evs[:8])
    out = sw.apply([BoutControl(t=7.5, action="stop")])
    assert kinds(out) == ["bout-control", "bout"] and out[1].start == evs[0].start and out[1].end == 7.5
    assert out[1].strokes == 7 and not sw.auto
    assert kinds(sw.apply([evs[-1]])) == []  # the engine's own end comes too late


def test_bout_control_is_user_input_with_a_json_form():
    c = BoutControl(t=4.25, action="stop")
    assert c.to_dict() == {"type": "bout-control", "t": 4.25, "action": "stop"}
    assert from_dict(c.to_dict()) == c and origin_of(c) == "user"
    with pytest.raises(ValueError, match="bout action"):
        from_dict({"type": "bout-control", "t": 1.0, "action": "pause"})


def feed(coach: Coach, sw: BoutSwitch, events, until: float, block_s: float = 0.02):
    evs = sorted(events, key=lambda e: e.t)
    cues, i, k = [], 0, 1
    while True:
        now = min(k * block_s, until)
        batch = []
        while i < len(evs) and evs[i].t <= now:
            batch.append(evs[i])
            i += 1
        cues += coach.on_events(sw.apply(batch), now)
        if now >= until:
            return cues
        k += 1


def test_a_bout_started_by_hand_is_a_new_bout_not_a_resumed_one():
    maker = StrokeMaker()
    strokes = [maker.at(0.5 + i) for i in range(60)]
    controls = [BoutControl(t=2.0, action="start"), BoutControl(t=17.0, action="stop"),
                BoutControl(t=20.0, action="start")]
    coach = Coach(Targets(), "calf", MemorySpotHistory(), 0.0)
    cues = feed(coach, BoutSwitch(), strokes + controls, until=55.0)
    assert [c.kind for c in cues if c.kind == "bout-count"] == ["bout-count", "bout-count"]
    done = [c.t for c in cues if c.kind == "bout-done"]
    assert done == [pytest.approx(50.0)]  # 30 s from the second start, not 15 s + 15 s
    # automatic bouts with the same pause resume (a short lift-off is not a new bout)
    auto = Coach(Targets(), "calf", MemorySpotHistory(), 0.0)
    m = StrokeMaker()
    evs = bout(2.0, 15, 60, maker=m) + bout(20.0, 30, 60, index=1, maker=m)
    cues = feed(auto, BoutSwitch(), evs, until=55.0)
    assert [c.kind for c in cues].count("bout-count") == 1


def test_terminal_space_and_a_control_the_bouts():
    class Keys:
        def __init__(self):
            self.queue: list[KeyPress] = []

        def poll(self):
            q, self.queue = self.queue, []
            return q

        def close(self):
            pass

    class Session:
        def __init__(self):
            self.now = 4.0
            self.bouts = BoutSwitch()
            self.got: list = []
            self.sinks: list = []

        def submit(self, event):
            self.got.append(event)

    assert decode(" ") == KeyPress(bout=True) and decode("a") == KeyPress(auto=True)
    out = io.StringIO()
    keys = Keys()
    view = CoachTerminalView(ManualClock(), out, Coach(Targets(), "calf", MemorySpotHistory(), 0.0), keys, tty=False)
    session = Session()
    view.attach(session)
    keys.queue = [decode(" "), decode(" "), decode(" ")]  # three in one read: start, stop, start
    view.on_status(LinkStatus(t=4.0))
    assert [c.action for c in session.got] == ["start", "stop", "start"]
    session.bouts.apply(session.got)  # the session handles them
    session.got.clear()
    keys.queue = [decode("a"), decode("a")]
    view.on_status(LinkStatus(t=4.0))
    assert [c.action for c in session.got] == ["auto", "stop"]
    assert "bout started by hand" in out.getvalue() and "automatic bouts" in out.getvalue()
    view.close()
