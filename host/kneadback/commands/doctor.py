"""`kneadback doctor`: check the session database without changing it (read-only)."""

from __future__ import annotations

import argparse
import json
import sqlite3
from pathlib import Path

from kneadback.errors import InputError, RecordingError
from kneadback.store.db import APPLICATION_ID, SCHEMA_VERSION, UNREADABLE, check_header, default_path, why

HELP = "check the session database for damage (read-only: never changes it)"
ORDER = 60


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="FILE", help="the database to check (default: the user's)")
    parser.set_defaults(func=run)


def check(path: Path) -> tuple[list[str], list[str]]:
    """(facts, problems) about the database at `path`; opens it read-only."""
    from kneadback.store import codec  # numpy: only to decode what is stored

    facts: list[str] = [f"database: {path}"]
    problems: list[str] = []
    check_header(path)
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as e:
        raise RecordingError(f"{path}: cannot open read-only: {e}") from None
    try:
        app = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if app != APPLICATION_ID:
            raise RecordingError(f"{path}: not a kneadback database (an SQLite file of another program)")
        facts.append(f"schema version {version} (this kneadback writes {SCHEMA_VERSION})")
        if version > SCHEMA_VERSION:
            problems.append(f"written by a newer kneadback (schema v{version})")
        integrity = [r[0] for r in conn.execute("PRAGMA integrity_check(20)").fetchall()]
        if integrity != ["ok"]:
            problems.extend(f"integrity: {line}" for line in integrity)
            return facts, problems
        facts.append("SQLite integrity check: ok")
        sessions = conn.execute("SELECT id, samples, ended_at FROM sessions ORDER BY id").fetchall()
        interrupted = [sid for sid, _n, ended in sessions if ended is None]
        facts.append(f"{len(sessions)} sessions, {sum(n for _s, n, _e in sessions)} samples")
        if interrupted:
            facts.append(f"interrupted (not closed cleanly; readable up to their last commit): "
                         f"{', '.join(map(str, interrupted))}")
        for sid, samples, _ended in sessions:
            got = 0
            next_block = 0
            for row in conn.execute(
                "SELECT seq, first_block, n_blocks, n_samples, t0, codec, blocks, t, adc, t_device_us "
                "FROM chunks WHERE session_id = ? ORDER BY seq", (sid,)
            ):
                seq, first_block, n_blocks, n_samples, t0, cdc, blocks, t, adc, dev = row
                try:
                    codec.decode(cdc, n_blocks, n_samples, t0, blocks, t, adc, dev)
                except ValueError as e:
                    problems.append(f"session {sid}, chunk {seq}: {e}")
                if first_block != next_block:
                    problems.append(f"session {sid}, chunk {seq}: blocks {next_block}..{first_block - 1} are missing")
                next_block = first_block + n_blocks
                got += n_samples
            if got != samples:
                problems.append(f"session {sid}: {got} samples stored, the session row says {samples}")
        bad_json = 0
        for row in conn.execute("SELECT device, calibration, targets, summary FROM sessions "
                                "UNION ALL SELECT data, NULL, NULL, NULL FROM events"):
            for text in (t for t in row if t is not None):
                try:
                    json.loads(text)
                except ValueError:
                    bad_json += 1
        if bad_json:
            problems.append(f"{bad_json} stored records are not valid JSON")
    except UNREADABLE as e:
        problems.append(f"unreadable: {why(e)}")
    finally:
        conn.close()
    return facts, problems


def run(args: argparse.Namespace) -> int:
    path = Path(args.db) if args.db else default_path()
    if not path.exists():
        if args.db:  # a file named by hand that is not there is a mistake, not an empty start
            raise InputError(f"doctor: --db {path}: no such file")
        print(f"no database yet at {path}: nothing to check")
        return 0
    facts, problems = check(path)
    for line in facts:
        print(line)
    if not problems:
        print("no problems found")
        return 0
    for line in problems:
        print(f"problem: {line}")
    print(f"the file was not changed. Keep a copy of {path} before any repair "
          f"(e.g. `sqlite3 COPY .recover`); `kneadback live` records into a new database once it is moved away")
    return 2
