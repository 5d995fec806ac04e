"""One bout, one count: the bouts the coach counts ("bouts today") are the bouts recorded, and the
ones `sessions`, `history` and the report count, through a lift-off shorter than the resume time,
a short try, a bout made by hand and a bout past its length. Recordings made before bouts had a
record of their own are still counted by their length."""

from __future__ import annotations

import datetime as dt

import pytest

from kneadback.clock import ManualClock
from kneadback.coach.coach import Coach
from kneadback.coach.spots import day_of
from kneadback.coach.targets import Targets
from kneadback.engine.engine import Engine
from kneadback.report.history import HistorySettings, build_history
from kneadback.report.report import facts_of, plain_summary
from kneadback.session import Session
from kneadback.sources import open_source
from kneadback.sources.base import SourceOptions
from kneadback.store.db import Store
from kneadback.store.reader import open_session
from kneadback.store.recorder import Recorder
from kneadback.store.spots import SqliteSpotHistory
from kneadback.store.summary import is_counted

from .fakes import Collect, run_pressing

WALL = dt.datetime(2026, 3, 2, 10, 0).timestamp()
SPOT = "left calf"

#: session time: 0-12 s strokes, a 5 s lift-off, strokes to 29 s (one bout of 24 s); a 6 s try at
#: 49 s; 75-95 s stroked in a bout made by hand; 115-165 s a bout 20 s past its 30 s
SCENARIO = f"""description = "a day's bouts"
[device]
rate_hz = 200
[user]
rate_hz = 1.0
force_n = 20.0
[[spots]]
name = "{SPOT}"
[[phase]]
kind = "strokes"
duration_s = 12
[[phase]]
kind = "rest"
duration_s = 5
[[phase]]
kind = "strokes"
duration_s = 12
[[phase]]
kind = "rest"
duration_s = 20
[[phase]]
kind = "strokes"
duration_s = 6
[[phase]]
kind = "rest"
duration_s = 20
[[phase]]
kind = "strokes"
duration_s = 20
[[phase]]
kind = "rest"
duration_s = 20
[[phase]]
kind = "strokes"
duration_s = 50
[[phase]]
kind = "rest"
duration_s = 12
"""
PRESSES = {74.5: "start", 95.5: "stop", 105.0: "auto"}


def test_the_coach_the_record_and_the_readers_count_the_same_bouts(tmp_path):
    path = tmp_path / "day.toml"
    path.write_text(SCENARIO)
    clock = ManualClock(wall_start=WALL)
    source = open_source(f"sim:{path}", SourceOptions(clock=clock, speed=50.0))
    coach = Coach(Targets(), SPOT, SqliteSpotHistory(before=WALL), WALL)
    recorder = Recorder(clock=clock, source=source.spec, spot=SPOT, targets=coach.targets, wall_start=WALL)
    live = Collect()
    session = Session(source, clock, analyzer=Engine(), coach=coach, sinks=[recorder, live])
    recorder.force_model_of = lambda: session.analyzer.force_model
    assert run_pressing(session, PRESSES) == {}

    bouts = [e for e in live.events if e.type == "bout"]
    assert [b.counted for b in bouts] == [True, False, True, True]  # the lift-off joined, the try left out
    joined, _try, by_hand, long = bouts
    assert joined.active_s == pytest.approx(24.0, abs=1.0) and joined.end - joined.start > joined.active_s + 4.0
    assert (by_hand.start, by_hand.end) == (pytest.approx(74.5, abs=0.1), pytest.approx(95.5, abs=0.1))
    assert long.overtime_s == pytest.approx(20.0, abs=1.0) and joined.overtime_s == by_hand.overtime_s == 0.0
    assert [c.text for c in live.events if c.type == "cue" and c.kind == "bout-count"] == [
        f"Bout {n} of today on {SPOT}." for n in (1, 2, 2, 3)]  # the try was said as bout 2, and did not count

    assert coach.state.bouts_today == 3
    rec = open_session(recorder.session_id)
    assert rec.meta.summary["bouts"] == 3 and rec.meta.summary["short_tries"] == 1  # `sessions`
    assert rec.meta.summary["overtime_s"] == pytest.approx(long.overtime_s, abs=1e-3)
    assert rec.meta.summary["time_in_bouts_s"] == pytest.approx(joined.active_s + by_hand.active_s + long.active_s, abs=1e-3)
    assert [is_counted(e.data, 30.0) for e in rec.events if e.type == "bout"] == [True, False, True, True]
    assert plain_summary(rec, facts_of(rec)).startswith(f"3 bouts on {SPOT}, 1 short try")  # the report
    with Store.open(readonly=True) as store:
        reports, _targets = build_history(store, HistorySettings())  # `history`
    (day,) = reports[0].days
    assert (reports[0].spot, day.day, day.bouts) == (SPOT, day_of(WALL), 3)
    assert day.overtime_s == pytest.approx(long.overtime_s, abs=1e-3)
    assert SqliteSpotHistory(before=WALL + 3600).bouts_on(SPOT, day_of(WALL)) == 3  # the next session's count
