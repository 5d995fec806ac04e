"""One stroke rate (`kneadback.engine.rate`): the rate the dashboard and the terminal show while
stroking is the one `analyze` gives and the report plots for the same strokes, and recordings made
before strokes carried their rate get it by the same rules."""

from __future__ import annotations

import datetime as dt

import pytest

from kneadback.app import analyze
from kneadback.clock import ManualClock
from kneadback.coach.coach import Coach
from kneadback.coach.spots import MemorySpotHistory
from kneadback.coach.targets import Targets
from kneadback.engine.bouts import stroke_rates as rates_from_times
from kneadback.engine.engine import Engine
from kneadback.report.report import facts_of, stroke_rates
from kneadback.session import Session
from kneadback.sources import open_source
from kneadback.sources.base import SourceOptions
from kneadback.store.reader import open_session
from kneadback.store.recorder import Recorder
from kneadback.ui.dashboard.feed import DashboardFeed
from kneadback.ui.dashboard.view import build_view

WALL = dt.datetime(2026, 3, 2, 10, 0).timestamp()


def test_the_rate_on_screen_is_the_rate_analysis_and_the_report_give():
    clock = ManualClock(wall_start=WALL)
    source = open_source("sim:irregular", SourceOptions(clock=clock, speed=50.0))  # a jittered rhythm
    coach = Coach(Targets(), "calf", MemorySpotHistory(), WALL)
    engine = Engine()
    recorder = Recorder(clock=clock, source=source.spec, spot="calf", targets=coach.targets, wall_start=WALL)
    recorder.force_model_of = lambda: engine.force_model
    feed = DashboardFeed(clock)
    session = Session(source, clock, analyzer=engine, coach=coach, sinks=[recorder, feed])
    shown: dict[float, float | None] = {}  # each stroke's time → the rate the dashboard showed after it
    session.open()
    try:
        while not session.done:
            session.step()
            last = feed.strokes.last
            if last is not None and last[0] not in shown:
                view = build_view(feed, engine.state, coach.state, coach.targets, coach.spot)
                assert view.rate_spm == coach.state.rate_spm  # the terminal shows the coach's state too
                shown[last[0]] = view.rate_spm
    finally:
        session.close()

    rec = open_session(recorder.session_id)
    t, rates = stroke_rates(facts_of(rec).strokes)
    plotted = dict(zip(t.tolist(), rates.tolist()))
    analysed = {s["t_peak"]: s["rate_spm"] for s in analyze(str(recorder.session_id)).to_dict()["strokes"]}
    assert len(shown) > 30 and sum(r is not None for r in shown.values()) > 30
    for at, rate in shown.items():
        assert rate == plotted.get(at)
        assert analysed[round(at, 4)] == (None if rate is None else pytest.approx(rate, abs=0.005))


def test_a_recording_without_stroke_rates_gets_them_by_the_engines_rules():
    times = [1.0, 2.0, 3.0, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5, 20.0, 21.0]  # then a pause, and again
    rates = rates_from_times(times)
    assert rates[:3] == [None, 60.0, 60.0] and rates[3] == pytest.approx(60.0 * 3 / 3.5)
    assert rates[8] == pytest.approx(60.0 * 5 / 5.0) and rates[9:] == [None, 60.0]  # the last five only; restarted
    old = [{"t_peak": x} for x in times]  # as recorded before strokes carried their rate
    t, r = stroke_rates(old)
    assert t.tolist() == times[1:9] + times[10:] and r.tolist() == [x for x in rates if x is not None]
