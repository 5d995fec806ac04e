"""`--lsl-markers NAME`: the samples of another LSL stream (a marker button, an experiment's
events) recorded as kneadback markers, at their time in the session, beside any source."""

from __future__ import annotations

import collections
from typing import Any

from kneadback.clock import Clock
from kneadback.errors import SourceError
from kneadback.lsl import api
from kneadback.lsl.inlet import LslSource, Query, connect, parse_query, resolve
from kneadback.model import Marker, SampleBlock
from kneadback.sources.base import Source

OFFSET_WINDOW_S = 10.0  # session seconds of samples the LSL-to-session offset is the least lag of


class MarkerSource(Source):
    """A source with the samples of another LSL stream added as `Marker`s at their session time.

    On an LSL force source the two streams share the LSL clock, so a marker's time maps exactly.
    For any other source its samples' arrival gives the map: a marker is at the session time of
    the sample that arrived with it, taking the least lag seen over `OFFSET_WINDOW_S` (the transfer
    without its jitter). A marker is delivered once the samples have caught up with it."""

    def __init__(self, inner: Source, query: Query, stream: Any, clock: Clock) -> None:
        super().__init__(inner.spec)
        self.inner = inner
        self.query = query
        self._stream = stream
        self.clock = clock
        self.spot = inner.spot
        self.speed = inner.speed
        self._pylsl: Any = None
        self._inlet: Any = None
        self._lags: collections.deque[tuple[float, float]] = collections.deque()  # (session time, lag)
        self._held: list[Marker] = []
        self._t = 0.0

    def _open(self) -> None:
        self._pylsl = api.load()
        self.inner.spot = self.spot
        self.inner.open()
        try:
            self._inlet, _ = connect(self._stream, f"--lsl-markers {self.query.value}", recover=True)
        except SourceError:
            self.inner.close()
            raise
        self.info = self.inner.info

    def _close(self) -> None:
        inlet, self._inlet = self._inlet, None
        if inlet is not None:
            inlet.close_stream()
        self.inner.close()

    def read(self, timeout: float = 0.05) -> list[Any]:
        items = list(self.inner.read(timeout))
        now = self._pylsl.local_clock()
        for item in items:
            if isinstance(item, SampleBlock) and len(item):
                self._t = max(self._t, item.t_end)
                self._lags.append((item.t_end, now - item.t_end))
        while self._lags and self._lags[0][0] < self._t - OFFSET_WINDOW_S:
            self._lags.popleft()
        labels, stamps = self._inlet.pull_chunk(timeout=0.0)
        for label, stamp in zip(labels, stamps, strict=True):
            t = self._session_time(stamp)
            self._held.append(Marker(t=t if t is not None else self._t, label=" ".join(str(v) for v in label)))
        self.info = self.inner.info
        self.finished = self.inner.finished
        due = [m for m in self._held if m.t <= self._t or self.finished]
        self._held = [m for m in self._held if not (m.t <= self._t or self.finished)]
        return items + sorted(due, key=lambda m: m.t)

    def _session_time(self, stamp: float) -> float | None:
        if isinstance(self.inner, LslSource):
            return self.inner.session_time(stamp)
        if not self._lags:
            return None
        return stamp - min(lag for _, lag in self._lags)

    def send(self, command: Any) -> bool:
        return self.inner.send(command)

    def silence_hint(self, quiet_s: float, talked: bool) -> str | None:
        return self.inner.silence_hint(quiet_s, talked)


def with_markers(source: Source, name: str, clock: Clock) -> MarkerSource:
    """`source` with `--lsl-markers NAME` (the stream is looked up now: a wrong name is the only line)."""
    query = parse_query(name, "--lsl-markers")
    return MarkerSource(source, query, resolve(query, clock, f"--lsl-markers {name}"), clock)
