"""Files a user might hand kneadback, good and bad: a small real database and its damaged kin."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from kneadback.clock import ManualClock
from kneadback.model import DeviceInfo, SampleBlock
from kneadback.store.db import Store
from kneadback.store.recorder import Recorder

INFO = DeviceInfo(1, "test", "uno", 200.0, source="test:wave")


def blocks(seconds: float = 20.0, rate: float = 200.0, per_block: int = 10, seed: int = 3) -> list[SampleBlock]:
    """A noisy 1 Hz wave, in blocks as a board at `rate` would deliver them."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    t = np.arange(n) / rate
    adc = np.clip(300 + 250 * np.sin(2 * np.pi * t) + rng.normal(0, 20, n), 0, 1023).astype(np.int32)
    dev = (1_000_000 + np.arange(n) * 5000).astype(np.uint32)
    return [
        SampleBlock(t[i : i + per_block], adc[i : i + per_block], i, 0, dev[i : i + per_block], float(t[min(i + per_block, n) - 1]))
        for i in range(0, n, per_block)
    ]


def make_db(path: Path, sessions: int = 2, seconds: float = 20.0) -> Path:
    """A real kneadback database holding `sessions` recorded sessions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for k in range(sessions):
        with Store.open(path) as store:
            rec = Recorder(store, clock=ManualClock(wall_start=1_750_000_000.0 + k), source="test:wave", spot="left calf")
            rec.on_info(INFO)
            for b in blocks(seconds, seed=k):
                rec.on_block(b)
            rec.close()
    _checkpoint(path)
    return path


def _checkpoint(path: Path) -> None:
    """Fold the WAL into the file, so the file alone is the whole database."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()


def foreign_db(path: Path) -> Path:
    """An SQLite file of another program."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE recipes (name TEXT, flour_g REAL)")
    conn.execute("INSERT INTO recipes VALUES (?, ?)", ("bread", 500.0))
    conn.commit()
    conn.close()
    return path


def truncated_db(path: Path, keep: float = 0.5) -> Path:
    """A real database cut short (a copy that stopped half-way)."""
    make_db(path)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def scrambled_db(path: Path) -> Path:
    """A real database with its SQLite header intact and every page after the first scrambled."""
    make_db(path)
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big") or 65536
    rng = np.random.default_rng(11)
    data[page:] = rng.integers(0, 256, len(data) - page, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))
    return path


def junk(path: Path, n: int = 4096, seed: int = 5) -> Path:
    path.write_bytes(np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes())
    return path
