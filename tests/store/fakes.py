"""Hand-made stand-ins for a device, an engine and a coach: the store's tests need only their shape."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from kneadback.clock import Clock
from kneadback.model import BoutControl, Cue, DeviceInfo, Event, LinkEvent, Rating, SampleBlock, Stroke
from kneadback.session import Session
from kneadback.sink import Sink
from kneadback.sources.base import Source

RATE_HZ = 200.0


def make_blocks(seconds: float, seed: int = 0, rate_hz: float = RATE_HZ) -> list[SampleBlock]:
    """A stroking-like signal in blocks of uneven size, with device times, a few lost samples."""
    rng = np.random.default_rng(seed)
    n_total = int(seconds * rate_hz)
    idx = np.arange(n_total)
    t_all = idx / rate_hz * 1.0003 + 0.0  # a device clock a little fast
    adc_all = (400 + 300 * np.sin(2 * np.pi * 1.0 * t_all) + rng.normal(0, 8, n_total)).clip(0, 1023).astype(np.int32)
    us_all = ((idx * 5000 + 4_294_000_000) % 2**32).astype(np.uint32)  # wraps early on
    blocks = []
    i = 0
    while i < n_total:
        n = int(rng.integers(1, 25))
        lost = int(rng.integers(1, 4)) if rng.random() < 0.02 else 0
        i += lost
        sl = slice(i, min(i + n, n_total))
        if sl.start >= n_total:
            break
        blocks.append(SampleBlock(t=t_all[sl].copy(), adc=adc_all[sl].copy(), first_index=i, lost=lost,
                                  t_device_us=us_all[sl].copy(), t_arrival=float(t_all[sl][-1]) + 0.01))
        i = sl.stop
    return blocks


INFO = DeviceInfo(protocol_version=1, firmware_version="test", board="fake", sample_rate_hz=RATE_HZ,
                  source="fake:wave", serial_number="F1")


class FakeSource(Source):
    """Blocks delivered when the clock reaches their last sample; link events in between."""

    speed = 1.0

    def __init__(self, blocks: list[SampleBlock], clock: Clock, speed: float = 1.0) -> None:
        super().__init__("fake:wave")
        self.blocks = blocks
        self.clock = clock
        self.speed = speed
        self.info = INFO
        self._i = 0
        self._t0 = 0.0

    def _open(self) -> None:
        self._t0 = self.clock.now()

    def _close(self) -> None:
        pass

    def read(self, timeout: float = 0.05) -> list:
        out: list = []
        target = (self.clock.now() - self._t0) * self.speed
        while self._i < len(self.blocks) and self.blocks[self._i].t_end <= target:
            b = self.blocks[self._i]
            if self._i % 97 == 50:
                out.append(LinkEvent(t=b.t_end, kind="crc", detail="bad frame"))
            out.append(b)
            self._i += 1
        if not out:
            self.clock.sleep(timeout)
        self.finished = self._i >= len(self.blocks)
        return out


class FakeEngine:
    """Emits a stroke at each upward crossing of 550 counts (state carried across blocks)."""

    def __init__(self) -> None:
        self.prev: int | None = None
        self.n = 0
        self.info: DeviceInfo | None = None

    def configure(self, info: DeviceInfo) -> None:
        self.info = info
        self.prev = None

    def process(self, block: SampleBlock) -> list[Event]:
        out: list[Event] = []
        for t, a in zip(block.t, block.adc):
            if self.prev is not None and self.prev < 550 <= a:
                out.append(Stroke(index=self.n, t_start=float(t) - 0.2, t_peak=float(t), t_end=float(t) + 0.2,
                                  t_confirmed=float(t), peak_n=float(a) / 10, mean_n=float(a) / 20, peak_adc=int(a),
                                  impulse_ns=1.0, release=0.5))
                self.n += 1
            self.prev = int(a)
        return out

    def finish(self) -> list[Event]:
        return []


class FakeCoach:
    """A cue on every third stroke and one after each rating; its text names `now`."""

    def __init__(self) -> None:
        self.strokes = 0

    def on_events(self, events: Sequence[Event], now: float) -> list[Event]:
        out: list[Event] = []
        for ev in events:
            if isinstance(ev, Stroke):
                self.strokes += 1
                if self.strokes % 3 == 0:
                    out.append(Cue(t=now, kind="good-rhythm", severity="praise", text=f"good at {now!r}"))
            elif isinstance(ev, Rating):
                out.append(Cue(t=now, kind="ease-off", severity="correction", text=f"rated {ev.value} after {self.strokes}"))
        return out


class Collect(Sink):
    def __init__(self) -> None:
        self.events: list = []
        self.blocks: list[SampleBlock] = []
        self.infos: list[DeviceInfo] = []
        self.closed = False

    def on_info(self, info: DeviceInfo) -> None:
        self.infos.append(info)

    def on_block(self, block: SampleBlock) -> None:
        self.blocks.append(block)

    def on_events(self, events) -> None:
        self.events.extend(events)

    def close(self) -> None:
        self.closed = True


def run_pressing(session: Session, presses: dict[float, str]) -> dict[float, str]:
    """Run `session` to its end, pressing the bout keys (`start`, `stop`, `auto`) at their session
    times, as a person at the live window would; returns the presses the run never reached."""
    pending = sorted(presses.items())
    session.open()
    try:
        while not session.done:
            session.step()
            while pending and session.now >= pending[0][0]:
                session.submit(BoutControl(t=session.now, action=pending.pop(0)[1]))
    finally:
        session.close()
    return dict(pending)
