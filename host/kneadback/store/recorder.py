"""The recorder: a `Sink` that writes a session into the database as it happens.

Blocks and events are buffered and committed together at least every `FLUSH_INTERVAL_S`, by
session time and by the injected clock, whichever comes first; user input (ratings, markers,
spot changes, bout start/stop) is committed at once. So a crash, kill -9 or power cut loses at most the last
half second or so, and everything before it stays readable (WAL mode, synchronous=FULL).

Samples go into chunk rows (`codec.py`): the open chunk is rewritten at each commit until it
holds `CHUNK_SAMPLES` samples or `CHUNK_SECONDS` of session time, then a new one begins. Each
event row keeps its place in the stream (`after_block`: how many blocks came before it) so a
replay re-creates the exact order the pipeline saw.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from kneadback.clock import Clock
from kneadback.fsr import ForceModel
from kneadback.model import DeviceInfo, Event, LinkStatus, Rating, SampleBlock, SpotChanged
from kneadback.sink import Sink
from kneadback.store import codec
from kneadback.store.calibration import force_model_to_dict
from kneadback.store.db import Store
from kneadback.store.events import USER_TYPES, origin_of, time_of, to_json

FLUSH_INTERVAL_S = 0.5
CHUNK_SAMPLES = 16384
CHUNK_SECONDS = 30.0


class Recorder(Sink):
    """Records one session. `atomic=True` (imports) commits only at `close()`, all or nothing.

    Without a `store` the recorder opens the user's database and closes it when it closes
    (`close_store` overrides that)."""

    def __init__(
        self,
        store: Store | None = None,
        *,
        clock: Clock,
        source: str = "",
        kind: str = "live",
        spot: str | None = None,
        targets: Any = None,
        force_model: ForceModel | None = None,
        wall_start: float | None = None,
        flush_interval: float = FLUSH_INTERVAL_S,
        atomic: bool = False,
        close_store: bool | None = None,
    ) -> None:
        self._own_store = store is None if close_store is None else close_store
        self.store = store if store is not None else Store.open()
        self.clock = clock
        self.flush_interval = flush_interval
        self.atomic = atomic
        self.wall_start = clock.wall() if wall_start is None else float(wall_start)
        self._row: dict[str, Any] = {
            "started_at": dt.datetime.fromtimestamp(self.wall_start).astimezone().isoformat(timespec="seconds"),
            "wall_start": self.wall_start,
            "kind": kind,
            "source": source,
            "spot": spot,
            "calibration": None if force_model is None else force_model_to_dict(force_model),
            "targets": _targets_dict(targets),
        }
        #: the session's id in the database, once something has arrived to record
        self.session_id: int | None = None
        self._source = source
        #: asked at the first device info for the force model in use (the engine's), if given
        self.force_model_of: Callable[[], ForceModel | None] | None = None
        self._spot = spot
        self._user_events = False
        self._info_seen = False
        self._device: DeviceInfo | None = None
        self._blocks_seen = 0
        self._samples = 0
        self._lost = 0
        self._t_end = 0.0
        self._chunk: list[SampleBlock] = []
        self._chunk_samples = 0
        self._chunk_seq = 0
        self._chunk_first_block = 0
        self._chunk_dirty = False
        self._events: list[tuple[int, str, float, str, str | None, str]] = []
        self._last_flush_clock = clock.now()
        self._last_flush_t = 0.0
        self._closed = False

    # --- Sink --------------------------------------------------------------------------
    def _ensure_session(self) -> int:
        if self.session_id is None:
            self.session_id = self.store.create_session(**self._row)
            if not self.atomic:
                self.store.commit()
        return self.session_id

    def on_info(self, info: DeviceInfo) -> None:
        session_id = self._ensure_session()
        if not self._info_seen:
            self._info_seen = True
            self._device = info
            model = self.force_model_of() if self.force_model_of is not None else None
            if model is not None:
                self.store.update_session(session_id, calibration=force_model_to_dict(model))
        self._events.append((self._blocks_seen, "source", self._t_end, info.type, self._spot, to_json(info)))
        self._maybe_flush(force=True)

    def on_block(self, block: SampleBlock) -> None:
        if not len(block):
            return
        self._ensure_session()
        if self._chunk and self._chunk_full(block):
            self._write_chunk()
            self._chunk_seq += 1
            self._chunk_first_block = self._blocks_seen
            self._chunk = []
            self._chunk_samples = 0
        self._chunk.append(block)
        self._chunk_samples += len(block)
        self._chunk_dirty = True
        self._blocks_seen += 1
        self._samples += len(block)
        self._lost += block.lost
        self._t_end = max(self._t_end, block.t_end)
        self._maybe_flush()

    def on_events(self, events: Sequence[Event]) -> None:
        if not events:
            return
        self._ensure_session()
        user = False
        for ev in events:
            if isinstance(ev, SpotChanged):
                self._spot = ev.spot
            spot = ev.spot if isinstance(ev, Rating) else self._spot
            self._events.append((self._blocks_seen, origin_of(ev), time_of(ev), ev.type, spot, to_json(ev)))
            user = user or isinstance(ev, USER_TYPES)
        self._user_events = self._user_events or user
        self._maybe_flush(force=user)

    def on_status(self, status: LinkStatus) -> None:
        if self.session_id is not None:
            self._maybe_flush()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            if self.session_id is None:
                return
            self._write_chunk()
            self.flush()
            if self._samples == 0 and not self._user_events:
                self.store.delete_session(self.session_id)
            else:
                from kneadback.store.summary import summarize_session

                summary = summarize_session(self.store, self.session_id)
                self.store.update_session(self.session_id, ended_at=self.clock.wall(), summary=summary)
            self.store.commit()
        finally:
            if self._own_store:
                self.store.close()

    def abort(self) -> None:
        """Forget everything not yet committed (all of it, for an atomic recorder)."""
        self._closed = True
        self.store.rollback()
        if self._own_store:
            self.store.close()

    # --- internals ---------------------------------------------------------------------
    def _chunk_full(self, block: SampleBlock) -> bool:
        if self._chunk_samples + len(block) > CHUNK_SAMPLES or block.t_end - float(self._chunk[0].t[0]) > CHUNK_SECONDS:
            return True
        first = self._chunk[0]
        return (block.t_device_us is None) != (first.t_device_us is None) or codec.extra_columns(block) != codec.extra_columns(first)

    def _write_chunk(self) -> None:
        if self._chunk and self._chunk_dirty:
            assert self.session_id is not None  # a chunk is only buffered once the session exists
            self.store.put_chunk(self.session_id, self._chunk_seq, self._chunk_first_block, codec.encode(self._chunk))
            self._chunk_dirty = False

    def _maybe_flush(self, force: bool = False) -> None:
        if (
            force
            or self._t_end - self._last_flush_t >= self.flush_interval
            or self.clock.now() - self._last_flush_clock >= self.flush_interval
        ):
            self.flush()

    def flush(self) -> None:
        """Write what is buffered and commit it (an atomic recorder commits only at close)."""
        if self.session_id is None:
            return
        if not self.atomic:  # an atomic recording writes each chunk once, when it is full
            self._write_chunk()
        if self._events:
            self.store.add_events(self.session_id, self._events)
            self._events = []
        fields: dict[str, Any] = {
            "duration_s": self._t_end,
            "samples": self._samples,
            "lost": self._lost,
            "blocks": self._blocks_seen,
        }
        if self._device is not None:
            fields["device"] = dataclasses.asdict(self._device)
            if not self._source and self._device.source:
                fields["source"] = self._device.source
            self._device = None
        self.store.update_session(self.session_id, **fields)
        if not self.atomic:
            self.store.commit()
        self._last_flush_clock = self.clock.now()
        self._last_flush_t = self._t_end


def _targets_dict(targets: Any) -> dict[str, Any] | None:
    if targets is None:
        return None
    if dataclasses.is_dataclass(targets) and not isinstance(targets, type):
        return dataclasses.asdict(targets)
    return dict(targets)

