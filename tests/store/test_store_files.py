"""Crash safety, schema migration, exports read back, imports, and bad files."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys

import edfio
import numpy as np
import pytest

from kneadback.cli import main
from kneadback.clock import ManualClock
from kneadback.errors import RecordingError
from kneadback.model import Cue, Marker, Rating, SpotChanged
from kneadback.store import codec
from kneadback.store.db import APPLICATION_ID, SCHEMA_VERSION, Store, default_path
from kneadback.store.reader import load_json, open_session
from kneadback.store.recorder import Recorder

from .fakes import INFO, make_blocks


def record(seconds: float = 12.0, wall: float = 1_760_000_000.0, spot: str = "left calf") -> int:
    clock = ManualClock()
    rec = Recorder(clock=clock, source="fake:wave", spot=spot, wall_start=wall)
    rec.on_info(INFO)
    for k, b in enumerate(make_blocks(seconds, seed=5)):
        clock.advance(len(b) / 200)
        rec.on_block(b)
        if k == 100:
            rec.on_events([Rating(t=b.t_end, value=7, spot=spot, force_n=25.0),
                           Cue(t=b.t_end, kind="ease-off", severity="correction", text="Ease off a little.")])
        if k == 200:
            rec.on_events([Marker(t=b.t_end, label="here"), SpotChanged(t=b.t_end, spot="right calf")])
    rec.close()
    return rec.session_id


# --- kill -9 ---------------------------------------------------------------------------------

def test_store_kill_9_during_live_recording_loses_at_most_the_last_second(tmp_path):
    env = dict(os.environ, KNEADBACK_HOME=str(tmp_path / "home"), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "kneadback", "live", "--source", "sim:steady", "--speed", "5", "--no-gui", "--jsonl"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True,
    )
    seen_t = 0.0
    try:
        for line in proc.stdout:
            obj = json.loads(line)
            if obj.get("type") == "status":
                seen_t = obj["t"]
                if seen_t >= 8.0:
                    break
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL and seen_t >= 8.0
    db = tmp_path / "home" / "data" / "kneadback.sqlite3"
    assert main(["doctor", "--db", str(db)]) == 0
    with open_session("last", db) as rec:
        assert rec.meta.ended_at is None  # interrupted, yet readable
        t, adc, dev = rec.samples()
        index = np.concatenate([b.first_index + np.arange(len(b)) for _i, b in rec.blocks()])
        assert np.array_equal(index, np.arange(index[0], index[0] + len(index)))  # nothing missing inside
        assert t[0] < 0.1 and t[-1] >= seen_t - 1.0  # all but (at most) the last second
        assert rec.meta.samples == len(adc) and dev is not None
        assert any(e.type == "stroke" for e in rec.events)


# --- migration -----------------------------------------------------------------------------

V1_SCHEMA = """
CREATE TABLE sessions (id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, wall_start REAL NOT NULL,
  kind TEXT NOT NULL, source TEXT NOT NULL, spot TEXT, device TEXT, calibration TEXT, targets TEXT,
  software TEXT NOT NULL, duration_s REAL NOT NULL DEFAULT 0, samples INTEGER NOT NULL DEFAULT 0,
  lost INTEGER NOT NULL DEFAULT 0, blocks INTEGER NOT NULL DEFAULT 0, ended_at REAL);
CREATE TABLE chunks (session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL, first_block INTEGER NOT NULL, n_blocks INTEGER NOT NULL, n_samples INTEGER NOT NULL,
  first_index INTEGER NOT NULL, t0 REAL NOT NULL, t1 REAL NOT NULL, codec INTEGER NOT NULL, blocks BLOB NOT NULL,
  t BLOB NOT NULL, adc BLOB NOT NULL, t_device_us BLOB, PRIMARY KEY (session_id, seq));
CREATE TABLE events (id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  after_block INTEGER NOT NULL, origin TEXT NOT NULL, t REAL NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX events_by_session ON events (session_id, id);
"""


def make_v1_db(path) -> list:
    blocks = make_blocks(5.0, seed=9)
    conn = sqlite3.connect(path)
    conn.executescript(V1_SCHEMA)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO sessions VALUES (1, '2026-01-02T10:00:00+00:00', 1767348000.0, 'live', 'sim', "
                 "'neck', ?, NULL, NULL, '0.0.9', ?, ?, 0, ?, 1767348100.0)",
                 (json.dumps(INFO.to_dict()), blocks[-1].t_end, sum(len(b) for b in blocks), len(blocks)))
    enc = codec.encode(blocks)
    conn.execute("INSERT INTO chunks VALUES (1, 0, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 (enc.n_blocks, enc.n_samples, enc.first_index, enc.t0, enc.t1, enc.codec, enc.blocks, enc.t, enc.adc,
                  enc.t_device_us))
    rows = [(0, "source", 0.0, "info", json.dumps(INFO.to_dict())),
            (10, "user", 1.0, "rating", json.dumps(Rating(1.0, 6, "neck", 20.0).to_dict())),
            (20, "user", 2.0, "spot", json.dumps(SpotChanged(2.0, "shoulder").to_dict())),
            (30, "user", 3.0, "marker", json.dumps(Marker(3.0, "x").to_dict()))]
    conn.executemany("INSERT INTO events (session_id, after_block, origin, t, type, data) VALUES (1, ?, ?, ?, ?, ?)", rows)
    conn.commit()
    conn.close()
    return blocks


def test_store_migrates_a_version_1_database():
    path = default_path()
    blocks = make_v1_db(path)
    with Store.open() as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        events = store.events(1)
        assert [(e.type, e.spot) for e in events] == [("info", "neck"), ("rating", "neck"), ("spot", "shoulder"),
                                                      ("marker", "shoulder")]
        assert store.session(1).summary is None
    assert path.with_name(path.name + ".v1.bak").exists()  # the untouched original
    with open_session(1) as rec:
        got = [b for _i, b in rec.blocks()]
    assert len(got) == len(blocks) and all(np.array_equal(a.t, b.t) for a, b in zip(got, blocks))
    assert main(["sessions", "--json"]) == 0


def test_store_refuses_a_newer_schema(capsys):
    path = default_path()
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE x (a)")
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    assert main(["sessions"]) == 2
    assert "newer kneadback" in capsys.readouterr().err


# --- exports -------------------------------------------------------------------------------

def test_store_exports_read_back(tmp_path, capsys):
    sid = record()
    with open_session(sid) as rec:
        t, adc, dev = rec.samples()
        events = rec.events
    assert main(["export", str(sid), "--format", "csv", "--out", str(tmp_path / "s.csv")]) == 0
    lines = [ln for ln in (tmp_path / "s.csv").read_text().splitlines() if not ln.startswith("#")]
    assert lines[0] == "time_s,adc,force_n" and len(lines) == len(adc) + 1
    first = lines[1].split(",")
    assert float(first[0]) == pytest.approx(t[0], abs=1e-6) and int(first[1]) == adc[0]

    assert main(["export", str(sid), "--out", str(tmp_path / "s.json")]) == 0
    back = load_json(tmp_path / "s.json")
    t2, adc2, dev2 = back.samples()
    assert np.array_equal(t2, t) and np.array_equal(adc2, adc) and np.array_equal(dev2, dev)
    assert [e.data for e in back.events] == [e.data for e in events]

    assert main(["export", str(sid), "--format", "edf", "--out", str(tmp_path / "s.edf")]) == 0
    edf = edfio.read_edf(tmp_path / "s.edf")
    assert edf.labels == ("FSR ADC", "Force")
    counts = edf.get_signal("FSR ADC").data
    index = np.concatenate([b.first_index + np.arange(len(b)) for _i, b in open_session(sid).blocks()])
    assert np.allclose(counts[index - index[0]], adc, atol=0.5)  # each real sample at its place
    texts = [a.text for a in edf.annotations]
    assert "rating 7/10 on left calf at 25.0 N" in texts
    assert any(x.startswith("cue ease-off") for x in texts) and "marker here" in texts
    assert any(x.endswith("samples lost") for x in texts)  # the fake device loses a few


def test_store_import_csv_makes_a_session(tmp_path, capsys):
    rng = np.random.default_rng(2)
    t = np.arange(0, 20, 0.005)
    adc = (300 + 250 * np.clip(np.sin(2 * np.pi * t), 0, None) + rng.normal(0, 3, len(t))).astype(int)
    csv = tmp_path / "logger.csv"
    csv.write_text("time_s,adc\n" + "".join(f"{a:.3f},{b}\n" for a, b in zip(t, adc)))
    assert main(["import", str(csv), "--spot", "hip", "--start", "2026-02-03T08:00"]) == 0
    with open_session("last") as rec:
        assert rec.meta.kind == "import" and rec.meta.spot == "hip" and rec.meta.ended_at is not None
        t2, adc2, _ = rec.samples()
        assert np.array_equal(adc2, adc) and rec.meta.started_at.startswith("2026-02-03T08:00")
    bad = tmp_path / "bad.csv"
    bad.write_text("time_s,adc\n0.0,1\n0.005,2\n0.010,zz\n")
    assert main(["import", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.csv" in err and "line 4" in err and len(err.strip().splitlines()) == 1
    with Store.open(readonly=True) as store:
        assert len(store.sessions()) == 1  # nothing half-imported


# --- bad input -----------------------------------------------------------------------------

@pytest.mark.parametrize("argv, needle", [
    (["replay", "42", "--no-gui"], "no session 42"),
    (["export", "7", "--format", "csv", "--out", "x.csv"], "no session 7"),
    (["replay", "soon"], "not a session id"),
])
def test_store_unknown_sessions_are_one_line_exit_2(argv, needle, capsys):
    record(2.0)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert needle in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("content, needle", [
    (b"this is not a database at all, just text" * 10, "not a kneadback database"),
    (b"SQLite format 3\x00" + b"\x10\x00\x01\x01" + b"\x00" * 80, "damaged"),
    (b"", None),
])
def test_store_bad_database_files(tmp_path, content, needle, capsys):
    path = tmp_path / "x.sqlite3"
    path.write_bytes(content)
    if needle is None:  # an empty file is an empty database: nothing recorded yet, and left as it is
        with pytest.raises(RecordingError, match="no sessions recorded yet"):
            open_session("last", path)
        assert path.read_bytes() == b""
        return
    before = path.read_bytes()
    assert main(["replay", str(path), "--no-gui"]) == 2
    assert main(["doctor", "--db", str(path)]) == 2
    err = capsys.readouterr().err
    assert needle in err and all(len(x) < 300 for x in err.splitlines())
    assert path.read_bytes() == before  # never made worse


def test_store_truncated_database_is_reported_not_repaired(tmp_path, capsys):
    for _ in range(3):
        record(20.0)
    src = default_path()
    with Store.open() as store:
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = src.read_bytes()
    bad = tmp_path / "cut.sqlite3"
    bad.write_bytes(data[: len(data) * 2 // 3])
    assert main(["doctor", "--db", str(bad)]) == 2
    out = capsys.readouterr()
    assert "problem" in out.out
    assert bad.read_bytes() == data[: len(data) * 2 // 3]


def test_store_kill_9_during_a_schema_migration_leaves_the_old_version(tmp_path):
    path = default_path()
    make_v1_db(path)
    script = (
        "import os, signal\n"
        "from kneadback.store import db\n"
        "real = db.MIGRATIONS[1]\n"
        "def dying(conn):\n"
        "    real(conn)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)  # after the changes, before the commit\n"
        "db.MIGRATIONS[1] = dying\n"
        "db.Store.open()\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], env=dict(os.environ), timeout=60)
    assert proc.returncode == -signal.SIGKILL
    conn = sqlite3.connect(path)  # SQLite rolls the half-done migration back on the next open
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    assert "spot" not in [r[1] for r in conn.execute("PRAGMA table_info(events)")]
    conn.close()
    with Store.open() as store:  # and the migration then runs to the end
        assert store.events(1)[2].spot == "shoulder"


def test_store_kill_9_during_export_never_leaves_half_a_file(tmp_path):
    record(20.0)
    out = tmp_path / "s.json"
    out.write_text("previous export\n")
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from kneadback.outfile import open_out\n"
        "from kneadback.store import export\n"
        "real = export.export_json\n"
        "def dying(rec, path, progress=None):\n"
        "    real(rec, Path(path).with_name('done.json'))\n"
        "    with open_out(path) as f:\n"
        "        f.write('{\"format\": \"kneadback-session\", ')\n"
        "        f.flush()\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "export.export_json = dying\n"
        "from kneadback.cli import main\n"
        f"main(['export', 'last', '--format', 'json', '--out', {str(out)!r}])\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], env=dict(os.environ), timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert out.read_text() == "previous export\n"  # the target is untouched, never half-written
    assert (tmp_path / "done.json").exists()
