"""Fuzzed readers (bad bytes are one-line errors, never crashes) and the SQLite SpotHistory."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kneadback.cli import main
from kneadback.clock import ManualClock
from kneadback.coach.spots import day_of
from kneadback.errors import InputError
from kneadback.model import Bout, Rating
from kneadback.store import codec
from kneadback.store.reader import load_json
from kneadback.store.recorder import Recorder
from kneadback.store.spots import SqliteSpotHistory

from .fakes import INFO, make_blocks

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(st.binary(max_size=300), st.integers(0, 3), st.integers(0, 5000), st.integers(0, 600))
def test_store_codec_rejects_damaged_chunks_with_value_error(blob, which, n_blocks, flags):
    enc = codec.encode(make_blocks(0.5, seed=1))
    cols = [enc.blocks, enc.t, enc.adc, enc.t_device_us]
    cols[which] = blob
    try:
        out = codec.decode(enc.codec | (flags & 0x300), n_blocks or enc.n_blocks, enc.n_samples, enc.t0, *cols)
    except ValueError:
        return
    assert sum(len(b) for b in out) == enc.n_samples


@FUZZ
@given(st.one_of(
    st.binary(max_size=200),
    st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
                 lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4), max_leaves=20)
        .map(lambda v: json.dumps({"format": "kneadback-session", "version": 1, "session": v, "events": v,
                                   "blocks": v}).encode()),
))
def test_store_json_export_reader_fails_with_one_line(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "x.json"
    path.write_bytes(data)
    try:
        rec = load_json(path)
        for _i, _b in rec.blocks():
            pass
    except InputError as e:
        assert "\n" not in str(e) and str(path) in str(e)


def test_store_spot_history_reads_earlier_sessions_only():
    day = dt.datetime(2026, 4, 2, 9, 0).timestamp()
    for k, wall in enumerate((day, day + 3600, day + 86400)):
        rec = Recorder(clock=ManualClock(), source="x", spot="calf", wall_start=wall)
        rec.on_info(INFO)
        rec.on_block(make_blocks(0.2)[0])
        rec.on_events([Rating(t=5.0, value=6 + k, spot="calf", force_n=20.0 + k),
                       Bout(index=0, start=10.0, end=40.0, t_confirmed=41.0, strokes=30, rate_spm=60.0, mean_peak_n=20.0),
                       # a short try: under half the bout length, it never counts toward the day
                       Bout(index=1, start=50.0, end=60.0, t_confirmed=61.0, strokes=10, rate_spm=60.0, mean_peak_n=20.0)])
        rec.close()
    h = SqliteSpotHistory(before=day + 86400)  # as the third session saw it
    assert [r.value for r in h.ratings("calf")] == [6, 7]
    assert h.bouts_on("calf", day_of(day)) == 2 and h.bouts_on("calf", day_of(day + 86400)) == 0
    h.add_rating("calf", day + 86400 + 5, 9, 30.0)
    h.add_bout("calf", day + 86400 + 50, 30.0, 30)
    assert [r.value for r in h.ratings("calf")] == [6, 7, 9]
    assert h.bouts_on("calf", day_of(day + 86400)) == 1
    assert SqliteSpotHistory(before=day).ratings("calf") == []


def test_store_sessions_lists_and_marks_interrupted(capsys):
    rec = Recorder(clock=ManualClock(), source="x", spot="calf", wall_start=1_760_000_000.0)
    rec.on_info(INFO)
    for b in make_blocks(3.0):
        rec.on_block(b)
    rec.flush()  # never closed: as after a crash
    assert main(["sessions", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["id"] == 1 and rows[0]["interrupted"] and rows[0]["spots"] == ["calf"]
    assert rows[0]["duration_s"] == pytest.approx(3.0, abs=0.05) and rows[0]["score"] is None
    assert main(["sessions"]) == 0
    assert "interrupted" in capsys.readouterr().out
    assert np.isfinite(rows[0]["duration_s"])
