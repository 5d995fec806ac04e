"""The session database: one SQLite file, its schema, its versions and their migrations.

The schema is described in `SCHEMA.md` next to this file. The file is marked with
`PRAGMA application_id` (so a foreign SQLite file is recognised) and `PRAGMA user_version` (the
schema version); an older file is migrated in one transaction, after a backup copy, when it is
first opened. Readers open the file read-only, so a damaged database is never made worse.
Every statement takes its values as parameters.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kneadback import __version__, paths
from kneadback.errors import InputError, RecordingError
from kneadback.event_types import EventType

#: what reading a damaged file can raise: SQLite's errors, and a decoding error when SQLite's own
#: message quotes damaged bytes that are not text
UNREADABLE = (sqlite3.Error, UnicodeDecodeError)


def why(e: Exception) -> str:
    """One line on what SQLite found wrong."""
    if isinstance(e, UnicodeDecodeError):
        return "its schema holds bytes that are not text"
    return " ".join(str(e).split())

DB_NAME = "kneadback.sqlite3"
APPLICATION_ID = 0x4B4E4442  # "KNDB"
SCHEMA_VERSION = 2
SQLITE_HEADER = b"SQLite format 3\x00"

SCHEMA = """
CREATE TABLE sessions (
    id          INTEGER PRIMARY KEY,
    started_at  TEXT    NOT NULL,
    wall_start  REAL    NOT NULL,
    kind        TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    spot        TEXT,
    device      TEXT,
    calibration TEXT,
    targets     TEXT,
    software    TEXT    NOT NULL,
    duration_s  REAL    NOT NULL DEFAULT 0,
    samples     INTEGER NOT NULL DEFAULT 0,
    lost        INTEGER NOT NULL DEFAULT 0,
    blocks      INTEGER NOT NULL DEFAULT 0,
    ended_at    REAL,
    summary     TEXT
);
CREATE TABLE chunks (
    session_id  INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    first_block INTEGER NOT NULL,
    n_blocks    INTEGER NOT NULL,
    n_samples   INTEGER NOT NULL,
    first_index INTEGER NOT NULL,
    t0          REAL    NOT NULL,
    t1          REAL    NOT NULL,
    codec       INTEGER NOT NULL,
    blocks      BLOB    NOT NULL,
    t           BLOB    NOT NULL,
    adc         BLOB    NOT NULL,
    t_device_us BLOB,
    PRIMARY KEY (session_id, seq)
);
CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    session_id  INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    after_block INTEGER NOT NULL,
    origin      TEXT    NOT NULL,
    t           REAL    NOT NULL,
    type        TEXT    NOT NULL,
    spot        TEXT,
    data        TEXT    NOT NULL
);
CREATE INDEX events_by_session ON events (session_id, id);
CREATE INDEX events_by_spot ON events (type, spot);
"""


def _migrate_1_to_2(conn: sqlite3.Connection) -> None:
    """v2 adds `sessions.summary` and `events.spot` (the spot being worked), backfilled here."""
    conn.execute("ALTER TABLE sessions ADD COLUMN summary TEXT")
    conn.execute("ALTER TABLE events ADD COLUMN spot TEXT")
    for sid, spot in conn.execute("SELECT id, spot FROM sessions").fetchall():
        current = spot
        for eid, etype, data in conn.execute(
            "SELECT id, type, data FROM events WHERE session_id = ? ORDER BY id", (sid,)
        ).fetchall():
            if etype == EventType.SPOT:
                current = json.loads(data).get("spot", current)
            tagged = json.loads(data).get("spot", current) if etype == EventType.RATING else current
            conn.execute("UPDATE events SET spot = ? WHERE id = ?", (tagged, eid))
    conn.execute("CREATE INDEX events_by_spot ON events (type, spot)")


#: MIGRATIONS[v] turns a version-v database into version v + 1.
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {1: _migrate_1_to_2}


def default_path() -> Path:
    return paths.data_dir() / DB_NAME


@dataclass(frozen=True)
class SessionRow:
    id: int
    started_at: str
    wall_start: float
    kind: str
    source: str
    spot: str | None
    device: dict[str, Any] | None
    calibration: dict[str, Any] | None
    targets: dict[str, Any] | None
    software: str
    duration_s: float
    samples: int
    lost: int
    blocks: int
    ended_at: float | None
    summary: dict[str, Any] | None

    @property
    def interrupted(self) -> bool:
        return self.ended_at is None


_SESSION_COLS = (
    "id, started_at, wall_start, kind, source, spot, device, calibration, targets, software, "
    "duration_s, samples, lost, blocks, ended_at, summary"
)


def _json(text: str | None, want: type | None = None) -> Any:
    """A stored JSON value; RecordingError when the file holds something else (damage)."""
    try:
        value = None if text is None else json.loads(text)
    except (ValueError, TypeError) as e:
        raise RecordingError(f"damaged database: a stored record is not valid JSON ({e}); run `kneadback doctor`") from None
    if want is not None and not isinstance(value, want):
        raise RecordingError("damaged database: a stored event is not a JSON object; run `kneadback doctor`")
    return value


def _session_row(r: tuple) -> SessionRow:
    return SessionRow(
        id=r[0], started_at=r[1], wall_start=r[2], kind=r[3], source=r[4], spot=r[5],
        device=_json(r[6]), calibration=_json(r[7]), targets=_json(r[8]), software=r[9],
        duration_s=r[10], samples=r[11], lost=r[12], blocks=r[13], ended_at=r[14], summary=_json(r[15]),
    )


@dataclass(frozen=True)
class EventRow:
    after_block: int
    origin: str
    t: float
    type: str  # as stored: an `EventType` value (compare with the members)
    spot: str | None
    data: dict[str, Any]


@dataclass(frozen=True)
class ChunkRow:
    seq: int
    first_block: int
    n_blocks: int
    n_samples: int
    first_index: int
    t0: float
    t1: float
    codec: int
    blocks: bytes
    t: bytes
    adc: bytes
    t_device_us: bytes | None


def check_header(path: Path) -> None:
    """Refuse, in one line, a file that is not an SQLite database at all."""
    try:
        with open(path, "rb") as f:
            head = f.read(100)
    except OSError as e:
        raise RecordingError(f"{path}: cannot read the database: {e.strerror or e}") from None
    if head and (len(head) < 100 or not head.startswith(SQLITE_HEADER)):
        raise RecordingError(f"{path}: not a kneadback database (not an SQLite file, or truncated in its header)")


class Store:
    """An open session database. Use `Store.open()`; close it (or use `with`)."""

    def __init__(self, conn: sqlite3.Connection, path: Path, readonly: bool) -> None:
        self.conn = conn
        self.path = path
        self.readonly = readonly

    # --- opening -----------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path | str | None = None, *, readonly: bool = False) -> Store:
        """Open (creating, if writable and absent) the database, migrating an older schema.

        Read-only opening of a missing file raises `RecordingError` ("no sessions recorded").
        """
        p = Path(path) if path is not None else default_path()
        if p.exists():
            if p.is_dir():
                raise RecordingError(f"{p}: is a directory, not a database")
            check_header(p)
        elif readonly:
            raise RecordingError(f"no sessions recorded yet (no database at {p})")
        version = cls._inspect(p) if p.exists() else 0
        if readonly and version == 0:
            raise RecordingError(f"no sessions recorded yet (empty database at {p})")
        if version < SCHEMA_VERSION:
            cls._upgrade(p, version)
        conn = cls._connect(p, readonly)
        store = cls(conn, p, readonly)
        if not readonly:
            store._pragma_rw()
        return store

    @staticmethod
    def _connect(p: Path, readonly: bool) -> sqlite3.Connection:
        try:
            if readonly:
                conn = sqlite3.connect(f"{p.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
            else:
                conn = sqlite3.connect(p, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout = 5000")
            conn.execute("PRAGMA foreign_keys = ON")
            return conn
        except UNREADABLE as e:
            raise RecordingError(f"{p}: cannot open the database: {why(e)}") from None

    @classmethod
    def _inspect(cls, p: Path) -> int:
        """The schema version of an existing file (0 = empty); refuse foreign or damaged files."""
        try:
            conn = sqlite3.connect(f"{p.resolve().as_uri()}?mode=ro", uri=True)
            try:
                app = conn.execute("PRAGMA application_id").fetchone()[0]
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            finally:
                conn.close()
        except UNREADABLE as e:
            raise RecordingError(f"{p}: damaged database ({why(e)}); run `kneadback doctor`") from None
        if app == 0 and tables == 0:
            return 0
        if app != APPLICATION_ID:
            raise RecordingError(f"{p}: not a kneadback database (an SQLite file of another program)")
        if version > SCHEMA_VERSION:
            raise RecordingError(
                f"{p}: written by a newer kneadback (schema v{version}; this one reads up to v{SCHEMA_VERSION})"
            )
        if version < 1:
            raise RecordingError(f"{p}: kneadback database with no schema version; run `kneadback doctor`")
        return version

    @classmethod
    def _upgrade(cls, p: Path, version: int) -> None:
        """Create the schema (version 0) or migrate, in one transaction, after a backup copy."""
        conn = cls._connect(p, readonly=False)
        if version == 0:
            os.chmod(p, 0o600)  # the user's own health data: user-only, like the data dir
        try:
            if version > 0:
                backup = p.with_name(f"{p.name}.v{version}.bak")
                if not backup.exists():
                    tmp = backup.with_name(backup.name + ".part")
                    dst = sqlite3.connect(tmp)
                    conn.backup(dst)
                    dst.close()
                    tmp.replace(backup)
            conn.isolation_level = None
            conn.execute("BEGIN IMMEDIATE")
            try:
                if version == 0:
                    for stmt in SCHEMA.split(";"):
                        if stmt.strip():
                            conn.execute(stmt)
                    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                else:
                    while version < SCHEMA_VERSION:
                        MIGRATIONS[version](conn)
                        version += 1
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        except UNREADABLE as e:
            raise RecordingError(f"{p}: cannot prepare the database ({why(e)}); run `kneadback doctor`") from None
        finally:
            conn.close()

    def _pragma_rw(self) -> None:
        try:
            self.conn.execute("PRAGMA journal_mode = WAL")
            # FULL: each commit is synced to the WAL, so a power cut keeps every committed batch
            self.conn.execute("PRAGMA synchronous = FULL")
        except UNREADABLE as e:
            raise RecordingError(f"{self.path}: cannot write the database: {why(e)}") from None

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- queries -----------------------------------------------------------------------
    def _q(self, sql: str, params: tuple = ()) -> list[tuple]:
        try:
            return self.conn.execute(sql, params).fetchall()
        except UNREADABLE as e:
            raise RecordingError(f"{self.path}: damaged database ({why(e)}); run `kneadback doctor`") from None

    def sessions(self) -> list[SessionRow]:
        return [_session_row(r) for r in self._q(f"SELECT {_SESSION_COLS} FROM sessions ORDER BY id")]

    def session(self, session_id: int) -> SessionRow:
        rows = self._q(f"SELECT {_SESSION_COLS} FROM sessions WHERE id = ?", (session_id,))
        if not rows:
            raise InputError(f"no session {session_id} (see `kneadback sessions`)")
        return _session_row(rows[0])

    def resolve(self, spec: str) -> int:
        """A session id from what a user typed: a number, or `last`."""
        if spec == "last":
            rows = self._q("SELECT max(id) FROM sessions")
            if rows[0][0] is None:
                raise InputError("no sessions recorded yet")
            return int(rows[0][0])
        try:
            sid = int(spec)
        except ValueError:
            raise InputError(f"{spec!r} is not a session id (a number or `last`) or an existing file") from None
        return self.session(sid).id

    def chunks(self, session_id: int, from_t: float | None = None) -> Iterator[ChunkRow]:
        """The session's sample chunks in order (from the chunk that holds `from_t`)."""
        sql = (
            "SELECT seq, first_block, n_blocks, n_samples, first_index, t0, t1, codec, blocks, t, adc, "
            "t_device_us FROM chunks WHERE session_id = ?"
        )
        params: tuple = (session_id,)
        if from_t is not None:
            sql += " AND t1 >= ?"
            params += (from_t,)
        sql += " ORDER BY seq"
        try:
            cur = self.conn.execute(sql, params)
            while batch := cur.fetchmany(64):
                for r in batch:
                    yield ChunkRow(*r)
        except UNREADABLE as e:
            raise RecordingError(f"{self.path}: damaged database ({why(e)}); run `kneadback doctor`") from None

    def events(self, session_id: int, types: tuple[EventType, ...] | None = None) -> list[EventRow]:
        sql = "SELECT after_block, origin, t, type, spot, data FROM events WHERE session_id = ?"
        params: tuple = (session_id,)
        if types:
            sql += f" AND type IN ({', '.join('?' * len(types))})"
            params += tuple(types)
        sql += " ORDER BY id"
        return [EventRow(r[0], r[1], r[2], r[3], r[4], _json(r[5], dict)) for r in self._q(sql, params)]

    def spot_events(self, types: tuple[EventType, ...], spot: str | None = None) -> list[tuple[int, float, EventRow]]:
        """Events of `types` across sessions: (session id, session wall start, event), oldest first."""
        sql = (
            "SELECT e.session_id, s.wall_start, e.after_block, e.origin, e.t, e.type, e.spot, e.data "
            "FROM events e JOIN sessions s ON s.id = e.session_id "
            f"WHERE e.type IN ({', '.join('?' * len(types))})"
        )
        params: tuple = tuple(types)
        if spot is not None:
            sql += " AND e.spot = ?"
            params += (spot,)
        sql += " ORDER BY s.wall_start, e.id"
        return [
            (r[0], r[1], EventRow(r[2], r[3], r[4], r[5], r[6], _json(r[7], dict))) for r in self._q(sql, params)
        ]

    # --- writing (the recorder) -------------------------------------------------------
    def _w(self, sql: str, params: tuple = ()) -> sqlite3.Cursor:
        if self.readonly:
            raise RecordingError(f"{self.path}: opened read-only")
        try:
            return self.conn.execute(sql, params)
        except UNREADABLE as e:
            raise RecordingError(f"{self.path}: cannot write the database ({why(e)})") from None

    def create_session(self, *, started_at: str, wall_start: float, kind: str, source: str, spot: str | None,
                       calibration: dict | None, targets: dict | None) -> int:
        cur = self._w(
            "INSERT INTO sessions (started_at, wall_start, kind, source, spot, calibration, targets, software) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (started_at, wall_start, kind, source, spot, _dump(calibration), _dump(targets), __version__),
        )
        assert cur.lastrowid is not None  # set by every INSERT
        return int(cur.lastrowid)

    def update_session(self, session_id: int, **fields: Any) -> None:
        allowed = {"device", "calibration", "duration_s", "samples", "lost", "blocks", "ended_at", "summary", "source", "spot"}
        bad = set(fields) - allowed
        if bad:
            raise ValueError(f"cannot update {sorted(bad)}")
        names = sorted(fields)
        values = tuple(_dump(fields[n]) if n in ("device", "calibration", "summary") else fields[n] for n in names)
        self._w(
            f"UPDATE sessions SET {', '.join(f'{n} = ?' for n in names)} WHERE id = ?", values + (session_id,)
        )

    def put_chunk(self, session_id: int, seq: int, first_block: int, enc: Any) -> None:
        self._w(
            "INSERT OR REPLACE INTO chunks (session_id, seq, first_block, n_blocks, n_samples, first_index, t0, t1, "
            "codec, blocks, t, adc, t_device_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (session_id, seq, first_block, enc.n_blocks, enc.n_samples, enc.first_index, enc.t0, enc.t1,
             enc.codec, enc.blocks, enc.t, enc.adc, enc.t_device_us),
        )

    def add_events(self, session_id: int, rows: list[tuple[int, str, float, str, str | None, str]]) -> None:
        """rows: (after_block, origin, t, type, spot, data JSON)."""
        if self.readonly:
            raise RecordingError(f"{self.path}: opened read-only")
        try:
            self.conn.executemany(
                "INSERT INTO events (session_id, after_block, origin, t, type, spot, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(session_id, *r) for r in rows],
            )
        except UNREADABLE as e:
            raise RecordingError(f"{self.path}: cannot write the database ({why(e)})") from None

    def delete_session(self, session_id: int) -> None:
        self._w("DELETE FROM sessions WHERE id = ?", (session_id,))

    def commit(self) -> None:
        try:
            self.conn.commit()
        except UNREADABLE as e:
            raise RecordingError(f"{self.path}: cannot write the database ({why(e)})") from None

    def rollback(self) -> None:
        self.conn.rollback()


def _dump(value: Any) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True)
