"""A stand-in for the firmware's output in tests: protocol v1 bytes with a known content."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kneadback.model import DeviceInfo
from kneadback.protocol.messages import START, STOP, Trailer, frame_ack, frame_data, frame_hello, frame_status

INFO = DeviceInfo(protocol_version=1, firmware_version="0.1.0", board="uno", sample_rate_hz=200.0, divider_ohms=10000)


@dataclass
class FakeBoard:
    """Frames as a board sends them: `per_frame` samples a DATA frame at `rate` Hz, its clock
    running `drift` (e.g. +0.01 = 1 % fast) against true time. Sample `index` is taken at device
    time `device_us(index)`: timer-paced from the last START, reset or rate change. A `minor` 1
    board sends protocol 1.1: HELLO with its `boot_id`, DATA with the trailer (boot, run, rate)."""

    rate: float = 200.0
    per_frame: int = 4
    t0_us: int = 0
    drift: float = 0.0
    seq: int = 0
    minor: int = 0
    boot_id: int = 7
    run: int = 0
    index: int = 0  # samples produced so far (sent or not)
    sent: list[int] = field(default_factory=list)  # adc values of the samples in frames made
    # where the sample clock last (re)started: sample index, its device µs and its true seconds
    _base: tuple[int, int, float] = (0, 0, 0.0)

    def __post_init__(self) -> None:
        self._base = (0, self.t0_us, 0.0)

    @property
    def period_us(self) -> float:
        return 1e6 / self.rate

    def hello(self) -> bytes:
        info = DeviceInfo(**{**INFO.__dict__, "sample_rate_hz": self.rate, "protocol_minor": self.minor, "boot_id": self.boot_id})
        return frame_hello(info, self.device_us(self.index))

    def device_us(self, index: int) -> int:
        i0, us0, _ = self._base
        return us0 + int(round((index - i0) * self.period_us))

    def true_time(self, index: int) -> float:
        """Host seconds at which sample `index` was taken (the device clock runs at 1+drift)."""
        i0, _, t0 = self._base
        return t0 + (index - i0) * self.period_us * 1e-6 / (1.0 + self.drift)

    def now(self) -> float:
        """When the last sample made so far reaches the host (2 ms later)."""
        return self.true_time(self.index - 1) + 0.002

    @staticmethod
    def value(index: int) -> int:
        return (index * 7) % 1024

    def data(self) -> bytes:
        idx = np.arange(self.index, self.index + self.per_frame)
        t = np.array([self.device_us(int(i)) for i in idx], dtype=np.int64)
        adc = (idx * 7) % 1024
        trailer = Trailer(self.boot_id, self.run, int(self.rate)) if self.minor else None
        frame = frame_data(self.seq, t, adc, trailer)
        self.seq = (self.seq + 1) & 0xFFFF
        self.index += self.per_frame
        self.sent.extend(int(a) for a in adc)
        return frame

    def skip_frame(self) -> None:
        """A frame the link loses."""
        self.seq = (self.seq + 1) & 0xFFFF
        self.index += self.per_frame

    def status(self, streaming: bool = True) -> bytes:
        return frame_status(self.device_us(self.index), 0, 0, streaming, int(self.rate))

    def frames(self, n: int) -> bytes:
        return b"".join(self.data() for _ in range(n))

    def stop(self, status: bool = True) -> bytes:
        """STOP as the firmware answers it: ACK(STOP), then STATUS with streaming off."""
        return frame_ack(STOP) + (self.status(streaming=False) if status else b"")

    def start(self) -> bytes:
        """START after STOP: ACK(START), and a new run."""
        self.run = (self.run + 1) % 256
        return frame_ack(START)

    def pause(self, seconds: float) -> None:
        """Stopped for `seconds`: the sample clock starts again from the device clock at START."""
        self._restart(self.device_us(self.index) + int(seconds * 1e6), self.true_time(self.index) + seconds)

    def set_rate(self, rate: float) -> None:
        """SET_RATE: the first sample at the new rate comes one new period after the last one."""
        last_us, last_t = self.device_us(self.index - 1), self.true_time(self.index - 1)
        self.rate = rate
        self.per_frame = int(min(20, max(1, rate // 50)))
        self._restart(last_us + int(round(self.period_us)), last_t + self.period_us * 1e-6 / (1.0 + self.drift))

    def reset(self) -> None:
        """The board restarts: sequence and clock from zero (the first sample 1.5 ms after boot)."""
        self.seq = self.run = 0
        self.boot_id += 1
        self._restart(1500, self.true_time(self.index))

    def _restart(self, device_us: int, true_s: float) -> None:
        self._base = (self.index, device_us, true_s)


def flatten(items):
    """Chunking-independent view of stream output: samples, times, indices, events."""
    from kneadback.model import DeviceInfo, DeviceStatus, LinkEvent, SampleBlock

    t, adc, idx, lost, events = [], [], [], [], []
    for it in items:
        if isinstance(it, SampleBlock):
            t.append(it.t)
            adc.append(it.adc)
            idx.append(it.first_index + np.arange(len(it)))
            if it.lost:
                lost.append((it.first_index, it.lost))
        elif isinstance(it, LinkEvent):
            events.append(("link", it.kind, it.count, it.detail, len(np.concatenate(adc)) if adc else 0))
        elif isinstance(it, (DeviceInfo, DeviceStatus)):
            events.append((type(it).__name__, it, len(np.concatenate(adc)) if adc else 0))
    cat = lambda xs, dt: np.concatenate(xs) if xs else np.empty(0, dt)  # noqa: E731
    return cat(t, float), cat(adc, np.int32), cat(idx, np.int64), lost, events
