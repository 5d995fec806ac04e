"""A long 1 kHz session at full speed: the soak's source and its run through the whole pipeline.

`SoakSource` renders the `soak` scenario (a two-minute piece that starts and ends off the skin)
again and again, a new seed per piece, and sends the pieces as one unbroken stream of protocol
v1 bytes: one HELLO, DATA frames with a running sequence number, device microseconds that run
on (and wrap every 71.6 minutes) and a STATUS a second. Only the current piece is in memory.
The bytes go through the real `DeviceStream`, and `run_soak` drives the real `Session` with the
engine, the coach and the recorder on a `ManualClock`, timing every step.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from kneadback.clock import ManualClock
from kneadback.coach.coach import Coach
from kneadback.engine.engine import Engine
from kneadback.model import DeviceInfo, SourceItem
from kneadback.protocol.messages import frame_data, frame_hello, frame_status
from kneadback.protocol.stream import DeviceStream
from kneadback.session import Session
from kneadback.simulate.render import render
from kneadback.simulate.scenario import load_scenario
from kneadback.simulate.wire import samples_per_frame
from kneadback.sources.base import Source
from kneadback.store.recorder import Recorder

US_WRAP = 1 << 32
LATENCY_S = 0.0008  # USB and driver delay from a frame's last sample to its arrival
START_US = 3_000_000  # device micros() at the first sample


class SoakSource(Source):
    """`seconds` of the scenario's pieces as one stream of protocol bytes, paced by `clock`."""

    def __init__(self, seconds: float, clock: ManualClock, scenario: str = "soak", seed: int = 0) -> None:
        super().__init__(f"soak:{scenario}")
        self.scenario = load_scenario(scenario)
        self.rate = float(self.scenario.device.rate_hz)
        self.total = round(seconds * self.rate)  # samples to send
        self.clock = clock
        self.seed = seed
        self.per_frame = samples_per_frame(self.rate)
        self.piece_samples = round(self.scenario.duration_s * self.rate)
        self.stream = DeviceStream(self.spec)
        self.sent = 0  # samples put on the wire so far
        self.adc_sum = 0  # ... and the sum of their counts
        self.harness_ns = 0  # time spent rendering pieces (not kneadback's work)
        self._piece = 0
        self._seq = 0
        self._bytes = b""
        self._ends = np.zeros(0, np.int64)  # end offset of each frame in `_bytes`
        self._stops = np.zeros(0, np.int64)
        self._adc_sums = np.zeros(1, np.int64)
        self._arrivals = np.zeros(0)
        self._next = 0  # next frame of the current piece
        self._t0 = 0.0
        self._hello = b""

    @property
    def position(self) -> float:
        return self.clock.now() - self._t0

    def _open(self) -> None:
        self._t0 = self.clock.now()
        self._load_piece()
        self._hello = frame_hello(self._info(), START_US - 2000)

    def _close(self) -> None:
        self._bytes = b""

    def _info(self) -> DeviceInfo:
        d = self.scenario.device
        return DeviceInfo(1, "soak", d.board, self.rate, d.adc_bits, d.vref_mv, int(d.divider_ohms), source=self.spec)

    def _load_piece(self) -> None:
        """Render the next piece and lay out its frames; nothing when all samples are sent."""
        began = time.perf_counter_ns()
        first = self._piece * self.piece_samples  # index of the piece's first sample
        left = self.total - first
        first_us = (START_US + first * round(1e6 / self.rate)) % US_WRAP
        scenario = self.scenario.with_device(start_us=first_us)
        r = render(scenario, seed=self.seed + self._piece)
        n = min(len(r.t), left)
        t, t_us, adc = r.t[:n] + first / self.rate, r.t_us[:n], r.adc[:n]
        chunks: list[bytes] = []
        ends: list[int] = []
        stops: list[int] = []
        arrivals: list[float] = []
        pos = 0
        for i0 in range(0, n, self.per_frame):
            i1 = min(i0 + self.per_frame, n)
            data = frame_data(self._seq, t_us[i0:i1], adc[i0:i1])
            self._seq = (self._seq + 1) % 65536
            if (first + i1) // int(self.rate) > (first + i0) // int(self.rate):  # a STATUS a second
                data += frame_status(int(t_us[i1 - 1]) + 200, 0, 0, True, int(self.rate))
            chunks.append(data)
            pos += len(data)
            ends.append(pos)
            stops.append(i1)
            arrivals.append(float(t[i1 - 1]) + LATENCY_S)
        self._bytes = b"".join(chunks)
        self._ends = np.asarray(ends, np.int64)
        self._stops = np.asarray(stops, np.int64)  # sample index (in the piece) after each frame
        self._adc_sums = np.concatenate([[0], np.cumsum(adc, dtype=np.int64)])
        self._arrivals = np.asarray(arrivals)
        self._next = 0
        self._piece += 1
        self.harness_ns += time.perf_counter_ns() - began

    def read(self, timeout: float = 0.05) -> list[SourceItem]:
        if not self._opened or self.finished:
            return []
        out: list[SourceItem] = []
        if self._hello:
            out += self.stream.feed(self._hello, 0.0)
            self._hello = b""
        if self._next < len(self._arrivals) and self._arrivals[self._next] > self.position:
            self.clock.sleep(min(timeout, self._arrivals[self._next] - self.position))
        now = self.position
        stop = int(np.searchsorted(self._arrivals, now, side="right"))
        if stop > self._next:
            a = 0 if self._next == 0 else int(self._ends[self._next - 1])
            b = int(self._ends[stop - 1])
            out += self.stream.feed(self._bytes[a:b], now)
            first = 0 if self._next == 0 else int(self._stops[self._next - 1])
            last = int(self._stops[stop - 1])
            self.sent += last - first
            self.adc_sum += int(self._adc_sums[last] - self._adc_sums[first])
            self._next = stop
        if self._next >= len(self._arrivals):
            if self.sent < self.total:
                self._load_piece()
            else:
                out += self.stream.flush(now)
                self.finished = True
        for item in out:
            if isinstance(item, DeviceInfo):
                self.info = item
        return out


def rss_bytes() -> int:
    """Resident memory of this process, from /proc."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@dataclass
class SoakRun:
    """What a soak did: counts, each step's session time and duration, memory over time."""

    source: SoakSource
    session: Session
    engine: Engine
    coach: Coach
    recorder: Recorder
    step_t: np.ndarray  # session time after each step (float32)
    step_ns: np.ndarray  # the step's processing time, rendering the scenario excluded (uint32)
    step_samples: np.ndarray  # samples delivered in the step (uint16)
    rss: list[tuple[float, int]] = field(default_factory=list)  # (session time, bytes) while running
    rss_closed: int = 0  # after the session closed (the recorder summarised the session)


def run_soak(
    seconds: float,
    *,
    seed: int = 0,
    probe_every_s: float = 60.0,
    probe: Callable[[SoakRun], None] | None = None,
) -> SoakRun:
    """`seconds` of the soak scenario through source → engine → coach → recorder, at full speed.

    Every `probe_every_s` of session time the memory is read and `probe(run)` is called.
    """
    clock = ManualClock(0.0)
    source = SoakSource(seconds, clock, seed=seed)
    spot = next(iter(source.scenario.spots))
    engine = Engine()
    coach = Coach(spot=spot)
    recorder = Recorder(clock=clock, source=source.spec, spot=spot, wall_start=1_750_000_000.0)
    session = Session(source, clock, analyzer=engine, coach=coach, sinks=[recorder])
    steps = int(seconds * source.rate / source.per_frame * 1.05) + 1000  # about a frame a step
    # every page written now, so filling them in does not look like memory growth
    run = SoakRun(source, session, engine, coach, recorder, np.full(steps, -1, np.float32),
                  np.full(steps, 0, np.uint32), np.full(steps, 0, np.uint16))
    k = 0
    next_probe = 0.0
    session.open()
    try:
        while not session.done:
            rendering = source.harness_ns
            before = session.status.samples
            t0 = time.perf_counter_ns()
            session.step()
            ns = time.perf_counter_ns() - t0 - (source.harness_ns - rendering)
            if k < steps:
                run.step_t[k], run.step_ns[k] = session.now, min(ns, 2**32 - 1)
                run.step_samples[k] = session.status.samples - before
            k += 1
            if session.now >= next_probe:
                next_probe += probe_every_s
                run.rss.append((session.now, rss_bytes()))
                if probe is not None:
                    probe(run)
    finally:
        session.close()
    run.step_t, run.step_ns, run.step_samples = run.step_t[:k], run.step_ns[:k], run.step_samples[:k]
    run.rss_closed = rss_bytes()
    return run
