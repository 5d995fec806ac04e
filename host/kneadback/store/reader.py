"""Read a recorded session, from the database or from a JSON export, as one `Recording`.

`open_recording(spec)` takes what a user types: a session id (`12`, `last`), a kneadback
database file (its latest session), or a JSON export (`kneadback export --format json`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kneadback.errors import InputError, RecordingError
from kneadback.event_types import EventType
from kneadback.fsr import ForceModel
from kneadback.model import DeviceInfo, SampleBlock
from kneadback.progress import Progress
from kneadback.store import codec
from kneadback.store.calibration import force_model_from_dict
from kneadback.store.db import SQLITE_HEADER, EventRow, SessionRow, Store
from kneadback.store.events import device_info_from_dict, from_dict

JSON_FORMAT = "kneadback-session"
JSON_VERSION = 1


@dataclass
class Recording:
    """One recorded session: its facts, its events in stream order, and its sample blocks."""

    meta: SessionRow
    events: list[EventRow]
    store: Store | None = None
    json_blocks: list[dict[str, Any]] | None = field(default=None, repr=False)
    label: str = ""

    @property
    def info(self) -> DeviceInfo | None:
        for e in self.events:
            if e.type == EventType.INFO:
                return device_info_from_dict(e.data)
        return device_info_from_dict(self.meta.device) if self.meta.device else None

    @property
    def force_model(self) -> ForceModel:
        return force_model_from_dict(self.meta.calibration, self.meta.device)

    @property
    def duration_s(self) -> float:
        return self.meta.duration_s

    def blocks(self, from_t: float | None = None) -> Iterator[tuple[int, SampleBlock]]:
        """(block number in the session, block), in order; from the block that holds `from_t`."""
        if self.json_blocks is not None:
            for i, b in enumerate(self.json_blocks):
                blk = _json_block(b, self.label, i)
                if from_t is None or blk.t_end >= from_t:
                    yield i, blk
            return
        assert self.store is not None
        for row in self.store.chunks(self.meta.id, from_t):
            try:
                blocks = codec.decode(row.codec, row.n_blocks, row.n_samples, row.t0, row.blocks, row.t, row.adc,
                                      row.t_device_us)
            except ValueError as e:
                raise RecordingError(
                    f"{self.store.path}: session {self.meta.id}, chunk {row.seq}: {e}; run `kneadback doctor`"
                ) from None
            for k, blk in enumerate(blocks):
                if from_t is None or blk.t_end >= from_t:
                    yield row.first_block + k, blk

    def samples(self, progress: Progress | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """All samples: session times, counts and device microseconds (None if any block lacks them).
        `progress` is advanced by the samples read."""
        ts, adcs, devs = [], [], []
        for _i, b in self.blocks():
            ts.append(b.t)
            adcs.append(b.adc)
            devs.append(b.t_device_us)
            if progress is not None:
                progress.update(len(b))
        if not ts:
            return np.zeros(0), np.zeros(0, np.int32), None
        known = [d for d in devs if d is not None]
        dev = None if len(known) < len(devs) else np.concatenate(known).astype(np.uint32)
        return np.concatenate(ts), np.concatenate(adcs).astype(np.int32), dev

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None

    def __enter__(self) -> Recording:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _json_block(b: Any, label: str, i: int) -> SampleBlock:
    try:
        t = np.asarray(b["t"], dtype=np.float64)
        adc = np.asarray(b["adc"], dtype=np.int64)
        dev = b.get("t_device_us")
        extra = None if b.get("extra") is None else np.asarray(b["extra"], dtype=np.int64)
        if len(t) != len(adc) or (dev is not None and len(dev) != len(t)) or t.ndim != 1:
            raise ValueError("arrays of different lengths")
        if extra is not None and (extra.ndim != 2 or len(extra) != len(t) or np.any((extra < -32768) | (extra > 32767))):
            raise ValueError("extra is not one row of 16-bit counts per sample")
        return SampleBlock(
            t=t,
            adc=adc.astype(np.int32),
            first_index=int(b.get("first_index", 0)),
            lost=int(b.get("lost", 0)),
            t_device_us=None if dev is None else (np.asarray(dev, dtype=np.int64) % 2**32).astype(np.uint32),
            t_arrival=float(b.get("t_arrival", 0.0)),
            extra=None if extra is None else extra.astype(np.int16),
        )
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as e:
        raise InputError(f"{label}: block {i} is not valid ({e})") from None


def open_session(session: str | int, db: Path | None = None) -> Recording:
    """A session of the database by id (or `last`), opened read-only."""
    store = Store.open(db, readonly=True)
    try:
        sid = store.resolve(str(session))
        return Recording(store.session(sid), store.events(sid), store, label=f"session {sid}")
    except BaseException:
        store.close()
        raise


def open_recording(spec: str) -> Recording:
    """A session id, a database file or a JSON export."""
    path = Path(spec)
    if path.is_file():
        try:
            with open(path, "rb") as f:
                head = f.read(16)
        except OSError as e:
            raise InputError(f"{path}: cannot read: {e.strerror or e}") from None
        if head.startswith(SQLITE_HEADER):
            store = Store.open(path, readonly=True)
            try:
                return open_session(store.resolve("last"), path)
            finally:
                store.close()
        if path.suffix.lower() == ".json":
            return load_json(path)
        if path.suffix.lower() == ".csv":
            raise InputError(f"{path}: a CSV is not a recorded session: `kneadback import {path}` makes it one")
        raise InputError(f"{path}: not a recording (expected a kneadback database or a JSON export)")
    if path.exists():
        raise InputError(f"{path}: not a file")
    return open_session(spec)


def load_json(path: Path) -> Recording:
    """A JSON export as a recording (parsed with json only; nothing in it is evaluated)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror or e}") from None
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: not UTF-8 text (byte {e.start})") from None
    except json.JSONDecodeError as e:
        raise InputError(f"{path}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    if not isinstance(doc, dict) or doc.get("format") != JSON_FORMAT:
        raise InputError(f"{path}: not a kneadback session export (no \"format\": \"{JSON_FORMAT}\")")
    if doc.get("version") != JSON_VERSION:
        raise InputError(f"{path}: export version {doc.get('version')!r} is not supported (this kneadback reads {JSON_VERSION})")
    try:
        s = doc["session"]
        meta = SessionRow(
            id=int(s.get("id", 0)), started_at=str(s["started_at"]), wall_start=float(s["wall_start"]),
            kind=str(s.get("kind", "import")), source=str(s.get("source", "")), spot=s.get("spot"),
            device=s.get("device"), calibration=s.get("calibration"), targets=s.get("targets"),
            software=str(s.get("software", "")), duration_s=float(s.get("duration_s", 0.0)),
            samples=int(s.get("samples", 0)), lost=int(s.get("lost", 0)), blocks=int(s.get("blocks", 0)),
            ended_at=s.get("ended_at"), summary=s.get("summary"),
        )
        events = [
            EventRow(int(e["after_block"]), str(e["origin"]), float(e["t"]), str(e["type"]), e.get("spot"), dict(e["data"]))
            for e in doc["events"]
        ]
        blocks = doc["blocks"]
        if not isinstance(blocks, list):
            raise TypeError("\"blocks\" must be a list")
        if meta.device:
            device_info_from_dict(meta.device)
        for ev in events:
            if ev.type == EventType.INFO:  # the device info is read whatever its origin
                device_info_from_dict(ev.data)
            elif ev.origin in ("source", "user"):  # replayed: each must be a known event
                from_dict(ev.data)
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as e:
        raise InputError(f"{path}: not a valid session export ({type(e).__name__}: {e})") from None
    return Recording(meta, events, None, blocks, label=str(path))
