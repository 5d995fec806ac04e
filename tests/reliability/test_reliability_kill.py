"""kill -9 during a schema migration and during an export, in real subprocesses.

The child runs kneadback with one hook that, at a chosen point, prints KILLME and waits; the
test then sends SIGKILL. Afterwards the database must open and hold everything it held before
(migrated or not), and an export target must be either absent, or the old file untouched, or
complete: never half-written.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import edfio
import numpy as np
import pytest

from kneadback.sources.csvfile import read_csv
from kneadback.store.db import SCHEMA_VERSION, Store
from kneadback.store.reader import load_json, open_session

from .cli import run_cli
from .files import make_db

CHILD = r'''
import sys, time
from pathlib import Path

point, args = sys.argv[1], sys.argv[2:]


def pause():
    print("KILLME", flush=True)
    time.sleep(120)


from kneadback.store import db as dbm

if point == "backup":  # the backup copy is written, not yet renamed into place
    replace = Path.replace
    def hooked(self, target):
        if self.name.endswith(".part"):
            pause()
        return replace(self, target)
    Path.replace = hooked
elif point in ("migrating", "before-commit"):
    real = dbm.MIGRATIONS[1]
    def migrate(conn):
        if point == "migrating":  # half-way through the rows the migration rewrites
            total = conn.execute("SELECT count(*) FROM events").fetchone()[0]
            seen = [0]
            def trace(sql):
                if sql.startswith("UPDATE events"):
                    seen[0] += 1
                    if seen[0] == total // 2:
                        pause()
            conn.set_trace_callback(trace)
        real(conn)
        if point == "before-commit":  # every change made, the transaction not committed
            pause()
    dbm.MIGRATIONS[1] = migrate
elif point == "export":  # half of the samples written to the export
    from kneadback.store.reader import Recording
    blocks = Recording.blocks
    def hooked_blocks(self, from_t=None):
        items = list(blocks(self, from_t))
        for k, item in enumerate(items):
            if k == len(items) // 2:
                pause()
            yield item
    Recording.blocks = hooked_blocks

if args[0] == "open":
    dbm.Store.open(Path(args[1])).close()
else:
    from kneadback.cli import main
    sys.exit(main(args))
'''


def _kill_at(point: str, args: list[str], home: Path) -> None:
    """Run the child until it reaches `point`, then SIGKILL it."""
    env = dict(os.environ, KNEADBACK_HOME=str(home), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-c", CHILD, point, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, text=True)
    try:
        line = proc.stdout.readline()
        assert line.strip() == "KILLME", f"the child never reached {point}: {line!r} {proc.stderr.read()}"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL


def _content(db: Path) -> tuple[list, list, list]:
    """Sessions, events and samples of every session, as plain values."""
    with Store.open(db, readonly=True) as store:
        sessions = [(s.id, s.started_at, s.spot, s.samples, s.duration_s) for s in store.sessions()]
        events = [[(e.after_block, e.type, e.data) for e in store.events(s[0])] for s in sessions]
    samples = []
    for s in sessions:
        with open_session(s[0], db) as rec:
            t, adc, dev = rec.samples()
            samples.append((t.tolist(), adc.tolist(), None if dev is None else dev.tolist()))
    return sessions, events, samples


def _make_v1(path: Path, journal: str) -> tuple[list, list, list]:
    """A version-1 database (the schema before `summary` and `events.spot`) with real sessions."""
    make_db(path, sessions=3, seconds=20.0)
    conn = sqlite3.connect(path)
    for e in range(400):  # enough rows that the migration takes many steps
        conn.execute("INSERT INTO events (session_id, after_block, origin, t, type, spot, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (2, 10 + e, "user", e * 0.1, "marker", None, json.dumps({"type": "marker", "t": e * 0.1, "label": f"m{e}"})))
    conn.commit()
    before = _content(path)
    conn.execute("DROP INDEX events_by_spot")
    conn.execute("ALTER TABLE events DROP COLUMN spot")
    conn.execute("ALTER TABLE sessions DROP COLUMN summary")
    conn.execute("PRAGMA user_version = 1")
    conn.execute(f"PRAGMA journal_mode = {journal}")
    conn.commit()
    conn.close()
    return before



@pytest.mark.parametrize(
    ("point", "journal"),
    [("backup", "wal"), ("migrating", "wal"), ("before-commit", "wal"), ("before-commit", "delete")],
)
def test_kill_9_during_a_schema_migration_loses_nothing(point: str, journal: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    db = home / "data" / "kneadback.sqlite3"
    before = _make_v1(db, journal)
    _kill_at(point, ["open", str(db)], home)

    # the file is still a consistent version-1 database: the migration left no trace in it
    # (looked at in a copy, so that kneadback below meets the files exactly as the kill left them)
    copy = tmp_path / "copy"
    copy.mkdir()
    for f in db.parent.glob(db.name + "*"):
        shutil.copy2(f, copy / f.name)
    conn = sqlite3.connect(copy / db.name)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    finally:
        conn.close()
    backup = db.with_name(db.name + ".v1.bak")
    if backup.exists():  # a backup, if there is one, is whole
        with sqlite3.connect(f"file:{backup}?mode=ro", uri=True) as bak:
            assert bak.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert bak.execute("SELECT count(*) FROM events").fetchone()[0] == sum(len(e) for e in before[1])

    # the next run migrates it, and every session, event and sample is there
    assert _content(db) == before
    with Store.open(db, readonly=True) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert backup.exists()


@pytest.mark.parametrize("fmt", ["json", "csv", "edf"])
def test_kill_9_during_an_export_never_leaves_half_a_file(
    fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    make_db(home / "data" / "kneadback.sqlite3", sessions=1, seconds=30.0)
    out = tmp_path / "exports" / f"session.{fmt}"
    out.parent.mkdir()
    args = ["export", "last", "--format", fmt, "--out", str(out)]

    _kill_at("export", args, home)
    assert not out.exists()  # nothing under the target's name

    out.write_bytes(b"an older export, complete")
    _kill_at("export", args, home)
    assert out.read_bytes() == b"an older export, complete"  # the old file untouched

    monkeypatch.setenv("KNEADBACK_HOME", str(home))
    code, _, err = run_cli(capsys, args)
    assert code == 0, err
    with open_session("last", home / "data" / "kneadback.sqlite3") as rec:
        t, adc, _dev = rec.samples()
    if fmt == "json":
        with load_json(out) as rec:
            t2, adc2, _ = rec.samples()
    elif fmt == "csv":
        _meta, t2, adc2, _imu = read_csv(out)
    else:
        edf = edfio.read_edf(out)
        adc2 = edf.signals[0].data[: len(adc)]
        t2 = t[0] + np.arange(len(adc2)) / edf.signals[0].sampling_frequency
    assert np.array_equal(np.asarray(adc2), adc)
    assert np.allclose(t2, t, atol=1e-6)
    # the killed runs' temporary files are hidden, and never carry the target's name
    assert sorted(p.name for p in out.parent.iterdir() if not p.name.startswith(".")) == [out.name]
