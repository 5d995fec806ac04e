"""One session: a source wired to the engine, the coach and any number of sinks.

Live, replay and offline analysis all run this path; only the source and the sinks differ.
A recorder, the terminal view, the JSON-lines printer and the dashboard are all sinks.
Between the engine and the rest, `BoutSwitch` keeps the engine's bouts or, when the user starts
and stops bouts by hand (`BoutControl` input), makes those instead.
"""

from __future__ import annotations

import collections
import queue
from dataclasses import dataclass, field
from typing import Protocol, Sequence

import numpy as np

from kneadback.clock import Clock
from kneadback.coach.bouts import BoutSwitch
from kneadback.model import (
    BoutControl,
    DeviceInfo,
    DeviceStatus,
    Event,
    LinkEvent,
    Marker,
    Rating,
    SampleBlock,
    SpotChanged,
)
from kneadback.protocol.health import NOT_ERRORS, NoiseMeter
from kneadback.sources.base import Command, Source

STATUS_INTERVAL_S = 0.5  # session-time seconds between status reports to sinks


class Analyzer(Protocol):
    """The engine, as the session sees it."""

    def configure(self, info: DeviceInfo) -> None: ...

    def process(self, block: SampleBlock) -> list[Event]: ...

    def finish(self) -> list[Event]: ...


class Coach(Protocol):
    """The coach, as the session sees it: events (and user input) in, cues out."""

    def on_events(self, events: Sequence[Event], now: float) -> list[Event]: ...


class Sink:
    """A listener. Override what you need; every method defaults to doing nothing."""

    def on_info(self, info: DeviceInfo) -> None:
        pass

    def on_block(self, block: SampleBlock) -> None:
        pass

    def on_events(self, events: Sequence[Event]) -> None:
        pass

    def on_status(self, status: LinkStatus) -> None:
        pass

    def close(self) -> None:
        pass


@dataclass
class LinkStatus:
    """Counts so far, reported to sinks at least every `STATUS_INTERVAL_S` of session time."""

    t: float = 0.0
    samples: int = 0
    lost: int = 0
    errors: int = 0
    errors_by_kind: dict[str, int] = field(default_factory=dict)
    rate_hz: float | None = None
    last_adc: int | None = None
    connected: bool = True
    device_dropped: int = 0
    noisy: bool = False  # many link errors lately: "noisy connection"

    def to_dict(self) -> dict[str, object]:
        return {
            "type": "status",
            "t": round(self.t, 6),
            "samples": self.samples,
            "lost": self.lost,
            "errors": self.errors,
            "errors_by_kind": dict(self.errors_by_kind),
            "rate_hz": None if self.rate_hz is None else round(self.rate_hz, 3),
            "last_adc": self.last_adc,
            "connected": self.connected,
            "device_dropped": self.device_dropped,
            "noisy": self.noisy,
        }


class _RateMeter:
    """Sample rate over the last few seconds of session time."""

    def __init__(self, window_s: float = 2.0) -> None:
        self.window_s = window_s
        self._marks: collections.deque[tuple[float, int]] = collections.deque()
        self._count = 0

    def add(self, block: SampleBlock) -> None:
        if not len(block):
            return
        self._count += len(block)
        self._marks.append((block.t_end, self._count))
        while len(self._marks) > 2 and self._marks[-1][0] - self._marks[1][0] >= self.window_s:
            self._marks.popleft()

    @property
    def rate_hz(self) -> float | None:
        if len(self._marks) < 2:
            return None
        (t0, c0), (t1, c1) = self._marks[0], self._marks[-1]
        return (c1 - c0) / (t1 - t0) if t1 > t0 else None


class Session:
    """Drives a source through the analyzer and coach into the sinks."""

    def __init__(
        self,
        source: Source,
        clock: Clock,
        *,
        analyzer: Analyzer | None = None,
        coach: Coach | None = None,
        sinks: Sequence[Sink] = (),
        duration: float | None = None,
    ) -> None:
        self.source = source
        self.clock = clock
        self.analyzer = analyzer
        self.coach = coach
        self.sinks: list[Sink] = list(sinks)
        self.duration = duration
        self.status = LinkStatus()
        self.bouts = BoutSwitch()  # automatic or manual bouts, as the user's BoutControl says
        self._rate = _RateMeter()
        self._noise = NoiseMeter()
        self._inbox: queue.SimpleQueue[Event] = queue.SimpleQueue()
        self._stop = False
        self._next_status = 0.0
        self._progress_clock: float | None = None  # clock time when samples last arrived

    # --- control -----------------------------------------------------------------------
    def submit(self, event: Event) -> None:
        """User input (rating, marker, spot change, bout control) from any thread; handled at the
        next step."""
        self._inbox.put(event)

    def send(self, command: Command) -> bool:
        return self.source.send(command)

    def stop(self) -> None:
        self._stop = True

    @property
    def now(self) -> float:
        """Session time: the time of the latest sample."""
        return self.status.t

    @property
    def done(self) -> bool:
        if self._stop or self.source.finished:
            return True
        if self.duration is None:
            return False
        if self.status.t >= self.duration:
            return True
        # a source that stops sending must not keep us forever: give up when the session time
        # still missing should have arrived since the last sample, plus 2 s of grace on the
        # clock (a fast run that lags but still delivers runs to the end)
        if self._progress_clock is not None:
            waited = self.clock.now() - self._progress_clock
            return waited >= (self.duration - self.status.t) / self.source.speed + 2.0
        return False

    # --- running -----------------------------------------------------------------------
    def open(self) -> None:
        self.source.open()
        self._progress_clock = self.clock.now()
        if self.source.info is not None:
            self._on_info(self.source.info)

    def run(self) -> LinkStatus:
        """Run until the duration passes, the source ends or `stop()`; then close everything."""
        self.open()
        try:
            while not self.done:
                self.step()
        finally:
            self.close()
        return self.status

    def step(self, timeout: float = 0.05) -> None:
        """Read once from the source and push everything through."""
        for item in self.source.read(timeout):
            if isinstance(item, SampleBlock):
                self._on_block(item)
                self._report_status()  # a backlog read in one go still reports every interval
            elif isinstance(item, DeviceInfo):
                self._on_info(item)
            elif isinstance(item, LinkEvent):
                self._on_link_event(item)
            elif isinstance(item, DeviceStatus):
                self.status.device_dropped = item.dropped
                self._emit([item])
            elif isinstance(item, (Rating, Marker, SpotChanged, BoutControl)):
                # user input from the source (a simulated user, a replay), at its place in the stream
                prepare = getattr(self.coach, "prepare_input", None)
                self._emit([prepare(item) if prepare else item])
        self._drain_inbox()
        self._report_status()

    def _report_status(self) -> None:
        self.status.noisy = self._noise.noisy(self.status.t)
        if self.status.t >= self._next_status:
            self._next_status = self.status.t + STATUS_INTERVAL_S
            for sink in self.sinks:
                sink.on_status(self.status)

    def close(self) -> None:
        if self.analyzer is not None:
            self._emit(self.analyzer.finish())
        self._deliver(self.bouts.finish(self.status.t))  # a manual bout under way ends with the session
        for sink in self.sinks:
            sink.on_status(self.status)
        self.source.close()
        for sink in self.sinks:
            sink.close()

    # --- internals ---------------------------------------------------------------------
    def _on_info(self, info: DeviceInfo) -> None:
        if self.analyzer is not None:
            self.analyzer.configure(info)
        for sink in self.sinks:
            sink.on_info(info)

    def _on_block(self, block: SampleBlock) -> None:
        if not len(block):
            return
        st = self.status
        st.samples += len(block)
        st.lost += block.lost
        st.t = max(st.t, block.t_end)
        self._progress_clock = self.clock.now()
        st.last_adc = int(np.asarray(block.adc)[-1])
        self._rate.add(block)
        st.rate_hz = self._rate.rate_hz
        for sink in self.sinks:
            sink.on_block(block)
        # the coach hears every block, events or not: its timers run on session time
        self._emit(self.analyzer.process(block) if self.analyzer is not None else [], tick=True)

    def _on_link_event(self, ev: LinkEvent) -> None:
        st = self.status
        if ev.kind == "disconnected":
            st.connected = False
        elif ev.kind == "reconnected":
            st.connected = True
        elif ev.kind not in NOT_ERRORS:
            st.errors += ev.count
            self._noise.add(st.t, ev.count)
            st.errors_by_kind[ev.kind] = st.errors_by_kind.get(ev.kind, 0) + ev.count
        self._emit([ev])

    def _drain_inbox(self) -> None:
        user: list[Event] = []
        while True:
            try:
                user.append(self._inbox.get_nowait())
            except queue.Empty:
                break
        if user:
            prepare = getattr(self.coach, "prepare_input", None)  # e.g. pair a rating with the force
            self._emit([prepare(e) for e in user] if prepare else user)

    def _emit(self, events: Sequence[Event], tick: bool = False) -> None:
        self._deliver(self.bouts.apply(events) if events else [], tick)

    def _deliver(self, events: Sequence[Event], tick: bool = False) -> None:
        if not events and not tick:
            return
        if events:
            for sink in self.sinks:
                sink.on_events(events)
        if self.coach is not None:
            cues = self.coach.on_events(events, self.status.t)
            if cues:
                for sink in self.sinks:
                    sink.on_events(cues)
