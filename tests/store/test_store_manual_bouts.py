"""Bouts made by hand through the session API: recorded as user input, replayed (also from a JSON
export) into the same bouts and cues, and annotated in the EDF export; a JSON export whose device
info is broken is refused in one line."""

from __future__ import annotations

import json
import math

import pytest

from kneadback.app import recorded_coach, replay_session
from kneadback.clock import ManualClock
from kneadback.coach.coach import Coach
from kneadback.coach.targets import Targets
from kneadback.engine.engine import Engine
from kneadback.errors import InputError
from kneadback.session import Session
from kneadback.sources import open_source
from kneadback.sources.base import SourceOptions
from kneadback.sources.replay import ReplaySource
from kneadback.store.export import _annotations, export_json
from kneadback.store.reader import load_json, open_session
from kneadback.store.recorder import Recorder
from kneadback.store.spots import SqliteSpotHistory

from .fakes import Collect, run_pressing

WALL = 1_750_000_000.0
PRESSES = {4.0: "start", 16.0: "stop", 21.0: "start", 38.0: "auto"}  # session time → action


def test_store_manual_bouts_record_and_replay_exactly(tmp_path):
    clock = ManualClock()
    source = open_source("sim:bouts", SourceOptions(clock=clock, speed=8.0, seed=2))
    coach = Coach(Targets(rate_spm=58.0), "left calf", SqliteSpotHistory(before=WALL), WALL)
    recorder = Recorder(clock=clock, source=source.spec, spot=coach.spot, targets=coach.targets, wall_start=WALL)
    live = Collect()
    session = Session(source, clock, analyzer=Engine(), coach=coach, sinks=[recorder, live], duration=50.0)
    recorder.force_model_of = lambda: session.analyzer.force_model
    assert run_pressing(session, PRESSES) == {}
    made = [e for e in live.events if e.type == "bout"]
    controls = [e for e in live.events if e.type == "bout-control"]
    # the automatic bout under way gives way to the first start: it ends there, a short try
    assert [(b.end, b.counted) for b in made[:1]] == [(controls[0].t, False)]
    assert [(b.start, b.end) for b in made[1:]] == [(controls[0].t, controls[1].t), (controls[2].t, controls[3].t)]

    rec = open_session(recorder.session_id)
    export_json(rec, tmp_path / "s.json")
    assert [a for _t, _d, a in _annotations(rec) if "by hand" in a or a == "automatic bouts"] == [
        "bout start (by hand)", "bout stop (by hand)", "bout start (by hand)", "automatic bouts"]
    for recording in (rec, load_json(tmp_path / "s.json")):
        rclock = ManualClock()
        out = Collect()
        replay_session(recording, ReplaySource(recording, rclock, speed=math.inf), rclock, [out],
                       recorded_coach(recording)).run()
        assert [e.to_dict() for e in out.events] == [e.to_dict() for e in live.events]


def test_store_json_export_with_a_broken_device_info_is_refused_in_one_line(tmp_path):
    doc = {"format": "kneadback-session", "version": 1, "session": {"started_at": "", "wall_start": 0.0},
           "events": [{"after_block": 0, "origin": "engine", "t": 0.0, "type": "info", "data": {}}], "blocks": []}
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InputError, match=r"broken.json: not a valid session export .*bad info event"):
        load_json(path)
