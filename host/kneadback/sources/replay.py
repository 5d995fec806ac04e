"""Replay: a recorded session as a `Source`, through the very same pipeline as live.

The source yields the recorded sample blocks exactly as they were delivered, the device info,
the link events and device status, and the user's ratings, markers, spot changes and bout
controls (manual start/stop), each at its recorded place in the stream, so the engine and the coach see what they saw live and give
the same strokes and cues. Delivery is paced by the injected clock at `speed` (session seconds
per clock second; `math.inf` = as fast as the pipeline goes).

`seek(t)` restarts delivery at session time `t`: the next read re-sends the device info (the
engine starts afresh, as after a board reset) and a `reset` link event that says so; the user
input recorded before `t` (spot changes, ratings, bout controls) is handed over first so the coach knows the
spot.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

from kneadback.clock import Clock, MonotonicClock
from kneadback.model import LinkEvent, SampleBlock
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
        self._t_origin = 0.0
        self._clock_origin = 0.0

    @property
    def duration(self) -> float:
        return self.recording.duration_s

    def _open(self) -> None:
        self._restart(self.start, announce=False)

    def _close(self) -> None:
        self.recording.close()

    def seek(self, t: float) -> None:
        """Continue from session time `t` (clamped to the recording)."""
        self._restart(min(max(0.0, float(t)), self.duration), announce=True)

    def _restart(self, t: float, announce: bool) -> None:
        self.finished = False
        self.position = t
        self._items = self._stream(t, announce)
        self._next = next(self._items, None)
        self._t_origin = t
        self._clock_origin = self.clock.now()

    def _stream(self, start: float, announce: bool) -> Iterator[tuple[float, object]]:
        """(due session time, item) in recorded order, from `start`."""
        events = [e for e in self.recording.events if e.origin in _REPLAYED]
        first_info = next((i for i, e in enumerate(events) if e.type == "info"), None)
        if announce:
            if self.info is not None:
                yield start, self.info
            yield start, LinkEvent(t=start, kind="reset", detail=f"replay continues at {start:.1f} s")
        k = 0  # index into events
        started = start <= 0.0
        t_prev = start
        for n, block in self.recording.blocks(None if started else start):
            # everything recorded before this block
            while k < len(events) and events[k].after_block <= n:
                e = events[k]
                if k != first_info and (started or e.origin == "user"):
                    yield t_prev, from_dict(e.data)
                k += 1
            started = True
            t_prev = block.t_end
            yield t_prev, block
        for j in range(k, len(events)):
            if j != first_info:
                yield t_prev, from_dict(events[j].data)

    def read(self, timeout: float = 0.05) -> list[object]:  # type: ignore[override]
        if self.finished:
            return []
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

