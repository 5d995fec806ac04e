"""One session: a source wired to the engine, the coach and any number of sinks.

Live, replay and offline analysis all run this path; only the source and the sinks differ.
A recorder, the terminal view, the JSON-lines printer and the dashboard are all sinks.
Between the engine and the rest, one bout machine (`kneadback.coach.bouts.BoutMachine`, on the
coach's bout rules) makes the session's bouts of the engine's stretches of stroking and of the
user's `BoutControl` input: the bouts the coach counts are the bouts the sinks record.

The session also says how the link is, on its injected clock: a port that is open is not yet a
device that talks. `LinkStatus.state` is "waiting" (open, nothing valid heard yet), "streaming"
(valid frames or text samples within `SILENT_AFTER_S`), "silent" (nothing valid for that long:
the source's hint goes out once as a `Notice`) or "lost" (the port went away). Status goes to
the sinks at least every `STATUS_MAX_GAP_S` of the clock, data or not.

A replay can go on from any point, forward or back: `restart_at(t)` (and a `Rewind` that a
seekable source hands over, after a seek or when it starts past 0) resets the engine, the coach
and the bout state, runs everything recorded before `t` through them at full speed with the sinks
muted, and goes on live from `t`. The session then has exactly the bouts, counts, spot history
and score it had at `t`, and from there gives exactly the strokes and cues of the uninterrupted
replay; nothing reaches the sinks' `on_events` stamped before `t`. What the rebuild found goes to
their `on_history` at once, for the views that show the whole session (the rate history).
"""

from __future__ import annotations

import collections
import queue
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from typing import Protocol

import numpy as np

from kneadback.clock import Clock
from kneadback.coach.bouts import BoutMachine
from kneadback.model import (
    BoutControl,
    Command,
    DeviceInfo,
    DeviceStatus,
    Event,
    LinkEvent,
    LinkState,
    LinkStatus,
    Marker,
    Notice,
    Rating,
    Rewind,
    SampleBlock,
    SpotChanged,
)
from kneadback.protocol.health import NOT_ERRORS, NoiseMeter
from kneadback.sink import Sink
from kneadback.sources.base import Source

REBUILD_BLOCK = 1 << 16  # samples a block at most when the state is rebuilt (see `_coalesced`)
REBUILD_GAP_S = 0.1  # blocks further apart than this are not joined in a rebuild
STATUS_INTERVAL_S = 0.5  # session-time seconds between status reports to sinks
STATUS_MAX_GAP_S = 1.0  # clock seconds between status reports when session time stands still
SILENT_AFTER_S = 3.0  # clock seconds without valid data before a device counts as silent

class Analyzer(Protocol):
    """The engine, as the session sees it."""

    def configure(self, info: DeviceInfo) -> None: ...

    def process(self, block: SampleBlock) -> list[Event]: ...

    def finish(self) -> list[Event]: ...


class Coach(Protocol):
    """The coach, as the session sees it: events (and user input) in, cues out."""

    def on_events(self, events: Sequence[Event], now: float) -> list[Event]: ...


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
        make = getattr(coach, "bout_machine", None)  # the machine on the coach's bout length, else the defaults
        self.bouts: BoutMachine = make() if make is not None else BoutMachine()
        self._rate = _RateMeter()
        self._noise = NoiseMeter()
        self._inbox: queue.SimpleQueue[Event] = queue.SimpleQueue()
        self._stop = False
        self._next_status = 0.0
        self._next_status_clock = 0.0
        self._progress_clock: float | None = None  # clock time when samples last arrived
        self._heard_clock = 0.0  # clock time when valid data last came (or the port (re)opened)
        self._talked = False  # valid data came since the port (re)opened
        self._history: list[Event] | None = None  # while rebuilding: the events the muted sinks missed

    # --- control -----------------------------------------------------------------------
    def submit(self, event: Event) -> None:
        """User input (rating, marker, spot change, bout control) from any thread; handled at the
        next step."""
        self._inbox.put(event)

    def send(self, command: Command) -> bool:
        return self.source.send(command)

    def stop(self) -> None:
        self._stop = True

    def restart_at(self, t: float) -> None:
        """Go on from session time `t` of a seekable source (a replay), forward or back, with the
        engine, the coach and the bouts exactly as they were at `t`."""
        rewind = getattr(self.source, "rewind", None)
        if rewind is None:
            raise TypeError(f"{self.source.spec} cannot go to another time")
        self._rewind(rewind(t))

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
        self._progress_clock = self._heard_clock = self.clock.now()
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
            if isinstance(item, Rewind):
                self._rewind(item)
            else:
                self._take(item)
        self._drain_inbox()
        self._report_status()

    def _take(self, item: object, live: bool = True) -> None:
        """One item from the source through the pipeline (`live` False: rebuilding, no status)."""
        if isinstance(item, SampleBlock):
            if len(item) and live:
                self._heard()
            self._on_block(item)
            if live:
                self._report_status()  # a backlog read in one go still reports every interval
        elif isinstance(item, DeviceInfo):
            if live:
                self._heard()
            self._on_info(item)
        elif isinstance(item, LinkEvent):
            self._on_link_event(item)
        elif isinstance(item, DeviceStatus):
            if live:
                self._heard()
            self.status.device_dropped = item.dropped
            self._emit([item])
        elif isinstance(item, (Rating, Marker, SpotChanged, BoutControl)):
            # user input from the source (a simulated user, a replay), at its place in the stream
            prepare = getattr(self.coach, "prepare_input", None)
            self._emit([prepare(item) if prepare else item])

    def _rewind(self, rewind: Rewind) -> None:
        """Rebuild the state at `rewind.t` from scratch: reset, then everything before `t` at full
        speed with the sinks muted; the sinks then hear the history before `t` and, after a seek
        (an announced rewind), the device info again and a `reset` link event at `t`. A replay that
        starts at `t` told them the info when it opened."""
        for part in (self.analyzer, self.coach):
            reset = getattr(part, "reset", None)
            if reset is not None:
                reset()
        self.bouts.reset()
        old = self.status
        self.status = LinkStatus(state=old.state, quiet_s=old.quiet_s)
        self._noise = NoiseMeter()
        info = getattr(self.source, "info", None)
        sinks, self.sinks = self.sinks, []
        history: list[Event] = []
        self._history = history
        try:
            if info is not None and self.analyzer is not None:
                self.analyzer.configure(info)
            for item in _coalesced(rewind.before):
                self._take(item, live=False)
            self.status.t = max(self.status.t, rewind.t)
            self._emit([], tick=True)  # the bouts' and the coach's timers up to `t`: what is due by then is past
        finally:
            self.sinks = sinks
            self._history = None
        self._rate = _RateMeter()  # measured on what is delivered from `t` on
        self.status.rate_hz = None
        self._progress_clock = self.clock.now()
        self._next_status = 0.0
        self._next_status_clock = 0.0
        if info is not None and rewind.announce:
            for sink in self.sinks:
                sink.on_info(info)
        for sink in self.sinks:
            sink.on_history(history)
        if rewind.announce:
            ev = LinkEvent(t=rewind.t, kind="reset", detail=f"replay continues at {rewind.t:.1f} s")
            for sink in self.sinks:
                sink.on_events([ev])

    def _report_status(self) -> None:
        st = self.status
        st.noisy = self._noise.noisy(st.t)
        now = self.clock.now()
        st.quiet_s = now - self._heard_clock
        if st.state in ("waiting", "streaming") and st.quiet_s >= SILENT_AFTER_S:
            self._set_state("silent")
            hint = self.source.silence_hint(st.quiet_s, self._talked)
            if hint is not None:
                notice = Notice(st.t, "silent", hint)
                for sink in self.sinks:
                    sink.on_notice(notice)
        if st.t >= self._next_status or now >= self._next_status_clock:
            self._next_status = st.t + STATUS_INTERVAL_S
            self._next_status_clock = now + STATUS_MAX_GAP_S
            for sink in self.sinks:
                sink.on_status(st)

    def _heard(self) -> None:
        """Valid data came from the device: it talks."""
        self._heard_clock = self.clock.now()
        self._talked = True
        self._set_state("streaming")

    def _set_state(self, state: LinkState) -> None:
        if state == self.status.state:
            return
        if self.status.state == "streaming":  # a rate measured across a gap would be made up
            self._rate = _RateMeter()
            self.status.rate_hz = None
        self.status.state = state
        self._next_status_clock = 0.0  # sinks hear of the change at once

    def close(self) -> None:
        """The engine's last events, the end of a bout under way and a last status; then the source
        and every sink close. Each step runs even when one before it failed (a sink that fails
        must not leave the recorder open and the session unsaved); the first failure is raised
        once all have run."""
        failures: list[BaseException] = []

        def attempt(step: Callable[[], object]) -> None:
            try:
                step()
            except BaseException as e:  # raised again below, once everything is closed
                failures.append(e)

        analyzer = self.analyzer
        if analyzer is not None:
            attempt(lambda: self._emit(analyzer.finish()))
        attempt(lambda: self._deliver(self.bouts.finish(self.status.t)))  # the bout under way ends here
        for sink in self.sinks:
            attempt(partial(sink.on_status, self.status))
        attempt(self.source.close)
        for sink in self.sinks:
            attempt(sink.close)
        if failures:
            raise failures[0]

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
            self._set_state("lost")
        elif ev.kind == "reconnected":
            self._heard_clock = self.clock.now()  # the port is back; the device has yet to talk
            self._talked = False
            self._set_state("waiting")
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
        self._deliver(self.bouts.apply(events, self.status.t), tick)

    def _deliver(self, events: Sequence[Event], tick: bool = False) -> None:
        if not events and not tick:
            return
        if events:
            self._tell(events)
        if self.coach is not None:
            cues = self.coach.on_events(events, self.status.t)
            if cues:
                self._tell(cues)

    def _tell(self, events: Sequence[Event]) -> None:
        """Events to the sinks, or, while the state is rebuilt, to the history they hear after."""
        if self._history is not None:
            self._history.extend(events)
        for sink in self.sinks:
            sink.on_events(events)


def _coalesced(items: Iterable[object]) -> Iterator[object]:
    """`items` with runs of consecutive sample blocks joined into long ones (nothing lost between
    them, no gap): the engine's and the coach's output does not depend on how the stream is cut
    into blocks, and few long blocks go through far faster than many short ones."""
    run: list[SampleBlock] = []

    def joined() -> SampleBlock:
        if len(run) == 1:
            return run[0]
        dev = [b.t_device_us for b in run if b.t_device_us is not None]
        extra = [b.extra for b in run if b.extra is not None]  # the IMU's rows go with their samples (all or none)
        return SampleBlock(
            np.concatenate([b.t for b in run]), np.concatenate([b.adc for b in run]), run[0].first_index,
            run[0].lost, np.concatenate(dev) if len(dev) == len(run) else None, run[-1].t_arrival,
            np.concatenate(extra) if len(extra) == len(run) else None)

    size = 0
    for item in items:
        if isinstance(item, SampleBlock) and len(item):
            if run and (item.lost or item.first_index != run[-1].first_index + len(run[-1])
                        or not 0 < float(item.t[0]) - run[-1].t_end <= REBUILD_GAP_S
                        or (item.extra is None) != (run[-1].extra is None)
                        or size + len(item) > REBUILD_BLOCK):
                yield joined()
                run, size = [], 0
            run.append(item)
            size += len(item)
            continue
        if run:
            yield joined()
            run, size = [], 0
        yield item
    if run:
        yield joined()
