"""Replay: a recorded session as a `Source`, through the very same pipeline as live.

The source yields the recorded sample blocks exactly as they were delivered, the device info,
the link events and device status, and the user's ratings, markers, spot changes and bout
controls (manual start/stop), each at its recorded place in the stream, so the engine and the coach see what they saw live and give
the same strokes and cues. Delivery is paced by the injected clock at `speed` (session seconds
per clock second; `math.inf` = as fast as the pipeline goes).

Starting at `start` or seeking to `t` restarts delivery there, and the next read hands over a
`Rewind` first: everything recorded before that point (the block that holds it split at it), for
the session to rebuild its state at that point (`Session.restart_at`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from kneadback.clock import Clock, MonotonicClock
from kneadback.event_types import EventType
from kneadback.model import Rewind, SampleBlock
from kneadback.sources.base import Source, SourceOptions
from kneadback.store.events import from_dict
from kneadback.store.reader import Recording, open_recording

MAX_BLOCKS_PER_READ = 512  # a fast replay still hands over in slices, so views stay responsive
_REPLAYED = ("source", "user")
_EPSILON_S = 1e-6  # clock rounding: an item this close to due is due


class ReplaySource(Source):
    def __init__(self, recording: Recording, clock: Clock | None = None, speed: float = 1.0, start: float = 0.0) -> None:
        super().__init__(recording.label or f"session {recording.meta.id}")
        if not speed > 0:
            raise ValueError("speed must be > 0")
        self.recording = recording
        self.clock = clock or MonotonicClock()
        self.speed = speed
        self.start = max(0.0, float(start))
        self.info = recording.info
        self.position = self.start  # session time delivered so far
        self._items: Iterator[tuple[float, object]] = iter(())
        self._next: tuple[float, object] | None = None
        self._before: Iterator[object] | None = None  # the items before the restart, not yet taken
        self._pending: Rewind | None = None  # handed over by the next read
        self._t_origin = 0.0
        self._clock_origin = 0.0

    @property
    def duration(self) -> float:
        return self.recording.duration_s

    def _open(self) -> None:
        rewind = self.rewind(self.start, announce=False)
        self._pending = rewind if self.start > 0 else None

    def _close(self) -> None:
        self.recording.close()

    def seek(self, t: float) -> None:
        """Continue from session time `t` (clamped to the recording); the next read hands over
        the `Rewind` first."""
        self._pending = self.rewind(t, announce=True)

    def rewind(self, t: float, announce: bool = True) -> Rewind:
        """Restart delivery at session time `t` (clamped to the recording) and give what was
        recorded before it, which the caller takes before the next read."""
        t = min(max(0.0, float(t)), self.duration)
        self.finished = False
        self.position = t
        self._pending = None
        self._items = self._stream()
        self._next = None
        self._before = self._split(t)
        self._t_origin = t
        self._clock_origin = self.clock.now()
        return Rewind(t, self._before, announce)

    def _split(self, t: float) -> Iterator[object]:
        """The items before `t`: all up to the block that holds `t`, and that block's samples up
        to `t`; delivery goes on with the rest of that block. From 0: nothing, all is delivered."""
        for due, item in self._items if t > 0 else ():
            if isinstance(item, SampleBlock) and item.t_end > t:
                head, tail = _split_block(item, t)
                if head is not None:
                    yield head
                self._next = (due, tail)
                break
            yield item
        self._before = None

    def _stream(self) -> Iterator[tuple[float, object]]:
        """(due session time, item) in recorded order, from the start."""
        events = [e for e in self.recording.events if e.origin in _REPLAYED]
        first_info = next((i for i, e in enumerate(events) if e.type == EventType.INFO), None)
        k = 0  # index into events
        t_prev = 0.0
        for n, block in self.recording.blocks():
            # everything recorded before this block
            while k < len(events) and events[k].after_block <= n:
                if k != first_info:
                    yield t_prev, from_dict(events[k].data)
                k += 1
            t_prev = block.t_end
            yield t_prev, block
        for j in range(k, len(events)):
            if j != first_info:
                yield t_prev, from_dict(events[j].data)

    def read(self, timeout: float = 0.05) -> list[object]:  # type: ignore[override]
        if self.finished:
            return []
        if self._pending is not None:
            pending, self._pending = self._pending, None
            return [pending]
        if self._before is not None:  # a rewind nobody took: skip what it held
            for _ in self._before:
                pass
        out = self._due()
        if not out and self._next is not None and math.isfinite(self.speed):
            wait = (self._next[0] - self._target()) / self.speed
            self.clock.sleep(max(0.0, min(timeout, wait)))
            out = self._due()
        if self._next is None:
            self.finished = True
        return out

    def _target(self) -> float:
        if math.isinf(self.speed):
            return math.inf
        return self._t_origin + (self.clock.now() - self._clock_origin) * self.speed

    def _due(self) -> list[object]:
        target = self._target() + _EPSILON_S
        out: list[object] = []
        if self._next is None:
            self._next = next(self._items, None)
        blocks = 0
        while self._next is not None and self._next[0] <= target and blocks < MAX_BLOCKS_PER_READ:
            t, item = self._next
            out.append(item)
            if isinstance(item, SampleBlock):
                blocks += 1
                self.position = t
            self._next = next(self._items, None)
        return out


def from_spec(spec: str, options: SourceOptions) -> Source:
    """A session id (`12`, `last`), a kneadback database, a JSON export, or a `time_s,adc` CSV."""
    if Path(spec).suffix.lower() == ".csv" and Path(spec).is_file():
        from kneadback.sources import csvfile

        return csvfile.from_spec(spec, options)
    return ReplaySource(open_recording(spec), options.clock, options.speed)



def _split_block(block: SampleBlock, t: float) -> tuple[SampleBlock | None, SampleBlock]:
    """`block` cut after its last sample at or before `t`: (the samples up to `t` or None, the rest)."""
    k = int(np.searchsorted(np.asarray(block.t), t, side="right"))
    if k == 0:
        return None, block
    return block.rows(0, k), block.rows(k)
