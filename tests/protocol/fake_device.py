"""A stand-in for the firmware's output in tests: protocol v1 bytes with a known content."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kneadback.model import DeviceInfo
from kneadback.protocol.messages import frame_data, frame_hello, frame_status

INFO = DeviceInfo(protocol_version=1, firmware_version="0.1.0", board="uno", sample_rate_hz=200.0, divider_ohms=10000)


@dataclass
class FakeBoard:
    """Frames as a board sends them: `per_frame` samples a DATA frame at `rate` Hz, its clock
    running `drift` (e.g. +0.01 = 1 % fast) against true time."""

    rate: float = 200.0
    per_frame: int = 4
    t0_us: int = 0
    drift: float = 0.0
    seq: int = 0
    index: int = 0  # samples produced so far (sent or not)
    sent: list[int] = field(default_factory=list)  # adc values of the samples in frames made

    @property
    def period_us(self) -> float:
        return 1e6 / self.rate

    def hello(self) -> bytes:
        info = DeviceInfo(**{**INFO.__dict__, "sample_rate_hz": self.rate})
        return frame_hello(info, self.device_us(self.index))

    def device_us(self, index: int) -> int:
        return self.t0_us + int(round(index * self.period_us))

    def true_time(self, index: int) -> float:
        """Host seconds at which sample `index` was taken (the device clock runs at 1+drift)."""
        return index * self.period_us * 1e-6 / (1.0 + self.drift)

    @staticmethod
    def value(index: int) -> int:
        return (index * 7) % 1024

    def data(self) -> bytes:
        idx = np.arange(self.index, self.index + self.per_frame)
        t = self.t0_us + np.round(idx * self.period_us).astype(np.int64)
        adc = (idx * 7) % 1024
        frame = frame_data(self.seq, t, adc)
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

    def reset(self) -> None:
        """The board restarts: sequence and clock from zero."""
        self.seq = 0
        self.t0_us = -int(round(self.index * self.period_us)) + 1500


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
