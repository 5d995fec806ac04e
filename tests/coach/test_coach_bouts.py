"""The bout machine (`BoutMachine`): automatic bouts that pause and resume, overtime, manual bouts,
one record each; the coach following it; and the terminal's bout keys."""

from __future__ import annotations

import io

import pytest

from kneadback.clock import ManualClock
from kneadback.coach.bouts import BoutMachine
from kneadback.coach.coach import Coach
from kneadback.coach.rules import Policy
from kneadback.coach.spots import MemorySpotHistory
from kneadback.coach.targets import Targets
from kneadback.model import Bout, BoutControl, BoutPhase, BoutStarted, LinkStatus, SpotChanged, Stroke
from kneadback.store.events import from_dict, origin_of
from kneadback.ui.coach_view import CoachTerminalView, bout_field
from kneadback.ui.dashboard.feed import DashboardFeed
from kneadback.ui.dashboard.view import build_view
from kneadback.ui.terminal_keys import KeyPress, decode

from .helpers import StrokeMaker, batches, bout, run


def kinds(events) -> list[str]:
    return [e.type for e in events]


def of(events, cls) -> list:
    return [e for e in events if isinstance(e, cls)]


def fed(m: BoutMachine, events, until: float, block_s: float = 0.02) -> list:
    """`events` through the machine as the session hands them over: every `block_s` of session time."""
    return [ev for batch, now in batches(events, until, block_s) for ev in m.apply(batch, now)]


def test_a_short_pause_resumes_the_bout_and_a_long_one_ends_it():
    m = BoutMachine()
    mk = StrokeMaker()
    first = bout(1.0, 12, 60, maker=mk)  # strokes from 1.0 to 13.6, the engine's stretch ends there
    again = bout(18.0, 12, 60, index=1, maker=mk)  # 4.4 s later: within `resume_s`
    later = bout(50.0, 12, 60, index=2, maker=mk)
    out = fed(m, first + again + later, until=80.0)
    started, phases, records = of(out, BoutStarted), of(out, BoutPhase), of(out, Bout)
    assert [b.index for b in started] == [0, 1] and [b.index for b in records] == [0, 1]
    assert [(p.phase, p.at) for p in phases[:2]] == [("paused", first[-1].end), ("active", again[0].start)]
    one = records[0]
    assert (one.start, one.end) == (first[0].start, again[-1].end)  # one bout across the pause ...
    assert one.active_s == pytest.approx(first[-1].duration + again[-1].duration)  # ... timed without it
    assert one.strokes == 26 and one.rate_spm == pytest.approx(60.0) and one.counted and one.overtime_s == 0
    assert one.t == pytest.approx(again[-1].end + Policy().resume_s)  # ended once it could not resume
    assert records[1].start == later[0].start


def test_a_bout_past_its_length_runs_into_overtime_and_a_rest_then_ends_it():
    m = BoutMachine()
    mk = StrokeMaker()
    long = bout(1.0, 50, 60, maker=mk)
    soon = bout(long[-1].end + 3.0, 10, 60, index=1, maker=mk)  # back after 3 s: a new bout, not a resumed one
    out = fed(m, long + soon, until=80.0)
    (over,) = [p for p in of(out, BoutPhase) if p.phase == "overtime"]
    assert over.at == over.t == pytest.approx(long[0].start + 30.0) and over.active_s == 30.0
    first = of(out, Bout)[0]
    assert first.end == long[-1].end and first.t == long[-1].t  # over at its rest: no pause to resume from
    assert first.overtime_s == pytest.approx(first.active_s - 30.0) and first.overtime_s > 19.0 and first.counted
    assert [b.index for b in of(out, BoutStarted)] == [0, 1]


def test_a_short_try_is_recorded_and_does_not_count():
    out = fed(BoutMachine(), bout(1.0, 8, 60), until=30.0)
    (rec,) = of(out, Bout)
    assert rec.counted is False and rec.active_s == pytest.approx(rec.end - rec.start) and rec.active_s < 15.0


def test_the_output_does_not_depend_on_the_chunking():
    mk = StrokeMaker()
    evs = bout(1.0, 12, 60, maker=mk) + bout(18.0, 40, 60, index=1, maker=mk) + [BoutControl(t=70.0, action="start")]
    a = fed(BoutMachine(), evs, until=90.0, block_s=0.02)
    b = fed(BoutMachine(), evs, until=90.0, block_s=0.37)
    assert [e.to_dict() for e in a] == [e.to_dict() for e in b]


def test_manual_bouts_replace_the_engines():
    m = BoutMachine()
    maker = StrokeMaker()
    engine = bout(1.0, 20, 60, maker=maker)  # BoutStarted at ~2 s, strokes, Bout at ~22 s
    out = m.apply(engine[:4], 2.9)  # the engine's bout has begun, three strokes in
    assert kinds(out) == ["bout-start", "stroke", "stroke", "stroke"]
    out = m.apply([BoutControl(t=3.0, action="start")], 3.0)
    # the automatic bout gives way: it ends here (a short try), and the one by hand starts
    assert kinds(out) == ["bout-control", "bout", "bout-start"] and out[1].end == 3.0 and not out[1].counted
    assert out[2] == BoutStarted(index=1, start=3.0, t_confirmed=3.0) and m.running == out[2]
    out = m.apply(engine[4:], 15.0)  # the rest of the engine's bout: its end is held back
    assert all(isinstance(e, Stroke) for e in out)
    out = m.apply([BoutControl(t=15.0, action="stop")], 15.0)
    done = out[1]
    assert isinstance(done, Bout) and (done.index, done.start, done.end) == (1, 3.0, 15.0)
    assert done.strokes == len(engine) - 5 and done.rate_spm == pytest.approx(60.0) and done.active_s == 12.0
    assert done.mean_peak_n == pytest.approx(20.0) and m.running is None and not m.auto
    # manual mode holds the engine's next bout back too, until `auto`
    assert kinds(m.apply(bout(30.0, 10, 60, index=1, maker=maker), 45.0)) == ["stroke"] * 11
    assert kinds(m.apply([BoutControl(t=45.0, action="auto")], 45.0)) == ["bout-control"]
    later = m.apply(bout(50.0, 10, 60, index=2, maker=maker), 80.0)
    assert kinds(later) == ["bout-start"] + ["stroke"] * 11 + ["bout-phase", "bout"]
    assert later[0].index == later[-1].index == 2  # numbered in the session's order


def test_auto_ends_a_manual_bout_and_the_session_end_does_too():
    m = BoutMachine()
    m.apply([BoutControl(t=2.0, action="start")], 2.0)
    out = m.apply([BoutControl(t=9.0, action="auto")], 9.0)
    assert kinds(out) == ["bout-control", "bout"] and out[1].end == 9.0 and out[1].strokes == 0
    assert out[1].rate_spm is None and out[1].mean_peak_n is None and m.auto
    m.apply([BoutControl(t=10.0, action="start")], 10.0)
    m.apply([BoutControl(t=10.5, action="start")], 10.5)  # already running: nothing new
    assert [b.index for b in of(m.finish(12.0), Bout)] == [1] and m.finish(12.0) == []


def test_a_manual_bout_does_not_pause_and_runs_into_overtime():
    m = BoutMachine()
    mk = StrokeMaker()
    evs = [BoutControl(t=1.0, action="start"), *bout(2.0, 10, 60, maker=mk), *bout(20.0, 30, 60, index=1, maker=mk)]
    out = fed(m, [*evs, BoutControl(t=45.0, action="stop")], until=50.0)
    assert [(p.phase, p.at) for p in of(out, BoutPhase)] == [("overtime", 31.0)]
    (rec,) = of(out, Bout)
    assert (rec.start, rec.end, rec.active_s, rec.overtime_s) == (1.0, 45.0, 44.0, 14.0)


def test_stop_during_an_automatic_bout_ends_it_there():
    m = BoutMachine()
    evs = bout(1.0, 20, 60)
    m.apply(evs[:8], 7.4)
    out = m.apply([BoutControl(t=7.5, action="stop")], 7.5)
    assert kinds(out) == ["bout-control", "bout"] and out[1].start == evs[0].start and out[1].end == 7.5
    assert out[1].strokes == 7 and not m.auto
    assert kinds(m.apply([evs[-1]], 30.0)) == []  # the engine's own end comes too late


def test_a_new_spot_ends_the_bout_there_and_the_stroking_goes_on_in_a_new_one():
    m = BoutMachine(spot="left calf")
    evs = bout(1.0, 20, 60)
    strokes = of(evs, Stroke)
    out = fed(m, [*evs[:12], SpotChanged(t=10.5, spot="left calf"), SpotChanged(t=11.5, spot="right calf"), *evs[12:]],
              until=40.0)
    records = of(out, Bout)
    assert [e.type for e in out if e.type in ("bout", "spot")] == ["spot", "bout", "spot", "bout"]  # the same spot again: no change
    assert records[0].end == 11.5 and records[1].start == next(s.t_start for s in strokes if s.t > 11.5)
    assert [b.index for b in of(out, BoutStarted)] == [0, 1]


def test_reset_is_a_machine_as_built():
    m = BoutMachine()
    fed(m, [*bout(1.0, 10, 60), BoutControl(t=15.0, action="start")], until=16.0)
    m.reset()
    assert m.auto and m.running is None and m.phase is None
    assert of(fed(m, bout(1.0, 10, 60), until=30.0), Bout)[0].index == 0


def test_bout_control_and_phase_are_events_with_a_json_form():
    c = BoutControl(t=4.25, action="stop")
    assert c.to_dict() == {"type": "bout-control", "t": 4.25, "action": "stop"}
    assert from_dict(c.to_dict()) == c and origin_of(c) == "user"
    with pytest.raises(ValueError, match="bout action"):
        from_dict({"type": "bout-control", "t": 1.0, "action": "pause"})
    p = BoutPhase(index=2, phase="overtime", at=31.0, t_confirmed=31.0, active_s=30.0)
    assert from_dict(p.to_dict()) == p and p.to_dict()["type"] == "bout-phase" and origin_of(p) == "engine"
    old = {"type": "bout", "index": 0, "start": 1.0, "end": 9.0, "t_confirmed": 10.0, "strokes": 8,
           "rate_spm": 60.0, "mean_peak_n": 20.0}  # as recorded before bouts had a record of their own
    assert from_dict(old) == Bout(0, 1.0, 9.0, 10.0, 8, 60.0, 20.0, active_s=None, overtime_s=None, counted=None)


def test_a_bout_started_by_hand_is_a_new_bout_not_a_resumed_one():
    maker = StrokeMaker()
    strokes = [maker.at(0.5 + i) for i in range(60)]
    controls = [BoutControl(t=2.0, action="start"), BoutControl(t=17.0, action="stop"),
                BoutControl(t=20.0, action="start")]
    coach = Coach(Targets(), "calf", MemorySpotHistory(), 0.0)
    cues = run(coach, strokes + controls, until=55.0)
    assert [c.kind for c in cues if c.kind == "bout-count"] == ["bout-count", "bout-count"]
    done = [c.t for c in cues if c.kind == "bout-done"]
    assert done == [pytest.approx(50.0)]  # 30 s from the second start, not 15 s + 15 s
    # automatic bouts with the same pause resume (a short lift-off is not a new bout)
    auto = Coach(Targets(), "calf", MemorySpotHistory(), 0.0)
    m = StrokeMaker()
    evs = bout(2.0, 15, 60, maker=m) + bout(20.0, 30, 60, index=1, maker=m)
    cues = run(auto, evs, until=55.0)
    assert [c.kind for c in cues].count("bout-count") == 1


def test_the_coach_shows_the_phase_and_the_overtime():
    coach = Coach(Targets(), "calf", MemorySpotHistory(), 0.0)
    run(coach, bout(1.0, 50, 60), until=45.0)
    s = coach.state
    assert (s.bout_phase, s.bout_active, s.bout_left_s) == ("overtime", True, 0.0)
    assert s.overtime_s == pytest.approx(45.0 - 31.0)
    assert bout_field(s).text == "bout 0:44, 0:14 over"  # the terminal
    view = build_view(DashboardFeed(ManualClock()), None, s, s.targets, s.spot)  # the dashboard: "+14", in red
    assert view.overtime_s == s.overtime_s and view.countdown_zone == "off"
    paused = Coach(Targets(), "calf", MemorySpotHistory(), 0.0)
    run(paused, bout(1.0, 10, 60), until=13.0)
    assert (paused.state.bout_phase, paused.state.bout_active, paused.state.overtime_s) == ("paused", False, None)


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
            self.bouts = BoutMachine()
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
    session.bouts.apply(session.got, 4.0)  # the session handles them
    session.got.clear()
    keys.queue = [decode("a"), decode("a")]
    view.on_status(LinkStatus(t=4.0))
    assert [c.action for c in session.got] == ["auto", "stop"]
    assert "bout started by hand" in out.getvalue() and "automatic bouts" in out.getvalue()
    view.close()
