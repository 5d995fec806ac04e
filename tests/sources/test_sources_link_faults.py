"""Link faults made to happen: a wrong baud rate, garbage bursts, half frames, through a Session."""

from __future__ import annotations

import io
import random

import numpy as np

from kneadback.clock import ManualClock
from kneadback.model import LinkEvent, LinkStatus, SampleBlock
from kneadback.protocol.stream import DeviceStream
from kneadback.session import Session
from kneadback.sink import Sink
from kneadback.ui.terminal import TerminalView
from protocol.fake_device import FakeBoard, flatten

from .bytes_source import BytesSource


def uart_at_wrong_baud(data: bytes, tx_baud: int, rx_baud: int) -> bytes:
    """What a receiver at `rx_baud` reads from 8N1 bytes sent at `tx_baud`. A byte whose stop
    bit is missing (a framing error) reads as 0x00, as a Linux tty delivers it by default."""
    bits = np.ones(len(data) * 10 + 20, dtype=np.uint8)
    for i, byte in enumerate(data):
        k = i * 10
        bits[k] = 0  # start bit
        bits[k + 1 : k + 9] = [(byte >> j) & 1 for j in range(8)]
    ratio = tx_baud / rx_baud  # tx bits per rx bit
    out = bytearray()
    pos = 0.0
    n = len(bits)
    while pos < n - 10 * ratio:
        if bits[int(pos)] == 1:
            pos += ratio / 8  # idle: look again a little later
            continue
        sample = [bits[min(n - 1, int(pos + (j + 0.5) * ratio))] for j in range(10)]
        value = sum(int(b) << j for j, b in enumerate(sample[1:9]))
        out.append(value if sample[9] == 1 else 0)
        pos += 10 * ratio
    return bytes(out)


def board_bytes(seconds: float) -> tuple[bytes, FakeBoard]:
    b = FakeBoard()
    return b.hello() + b.frames(int(seconds * 50)), b


def test_wrong_baud_rate_invents_no_samples_and_is_counted():
    wire, _ = board_bytes(20)
    for rx in (9600, 57600, 230400):
        garbled = uart_at_wrong_baud(wire, 115200, rx)
        s = DeviceStream("x")
        out = [i for k in range(0, len(garbled), 500) for i in s.feed(garbled[k : k + 500], 0.0)]
        out += s.flush(0.0)
        t, adc, *_ = flatten(out)
        assert len(adc) == 0, rx  # no CRC-valid frame comes out of it
        events = [i for i in out if isinstance(i, LinkEvent)]
        bad = sum(s.counts.values())
        if b"\x00" not in garbled:  # one chunk without end: counted when its 0x00 comes (the
            assert bad == 0, rx  # user hears of the baud rate from the silence hint meanwhile)
            assert [(i.kind, i.count) for i in s.feed(b"\x00", 0.0) + s.flush(0.0)] == [("oversize", 1)]
            continue
        assert bad > 10 and sum(e.count for e in events) == bad, rx
        # reported in runs (one event per kind every 4 KB at most), not one line per bad frame
        assert len(events) <= 4 * (len(garbled) // 4096 + 1), rx


def test_the_uart_model_is_right_at_the_right_baud():
    wire, b = board_bytes(1)
    assert uart_at_wrong_baud(wire, 115200, 115200) == wire


def _run_session(chunks: list[bytes]) -> tuple[Session, list[tuple[float, bool, int]], str]:
    clock = ManualClock()
    out = io.StringIO()
    view = TerminalView(clock, out, tty=False)
    statuses: list[tuple[float, bool, int]] = []

    class Watch(Sink):
        def on_status(self, st: LinkStatus) -> None:
            statuses.append((st.t, st.noisy, st.errors))

    session = Session(BytesSource(chunks, clock), clock, sinks=[view, Watch()])
    session.run()
    return session, statuses, out.getvalue()


def test_noisy_line_says_noisy_connection_and_recovers():
    rng = random.Random(7)
    b = FakeBoard()
    chunks = [b.hello()]
    for second in range(30):
        for _ in range(50):
            frame = b.data()
            if 10 <= second < 15:  # five seconds of a flaky cable: bursts and cut frames
                r = rng.random()
                if r < 0.3:
                    frame = bytes(rng.randrange(256) for _ in range(rng.randrange(5, 60))) + frame
                elif r < 0.5:
                    frame = frame[: len(frame) // 2]
            chunks.append(frame)
    session, statuses, text = _run_session(chunks)
    st = session.status
    noisy_times = [t for t, noisy, _ in statuses if noisy]
    assert noisy_times and 10 <= min(noisy_times) <= 12 and max(noisy_times) < 27
    assert not st.noisy  # it recovered
    assert st.errors == sum(v for k, v in st.errors_by_kind.items()) > 50
    assert "noisy connection" in text
    assert st.samples + st.lost == 30 * 200  # every sample either arrived or is counted lost


def test_garbage_bursts_and_half_frames_never_crash_and_lose_nothing_clean():
    rng = random.Random(11)
    b = FakeBoard()
    good = bytearray(b.hello())
    delivered = []
    for _ in range(2000):
        r = rng.random()
        if r < 0.05:
            good += bytes(rng.randrange(256) for _ in range(rng.randrange(1, 600))) + b"\x00"
        elif r < 0.08:
            good += b.data()[:7] + b"\x00"  # half a frame (never delivered), then the line recovers
            continue
        good += b.data()
        delivered += b.sent[-4:]
    s = DeviceStream("x")
    out = []
    pos = 0
    while pos < len(good):
        n = rng.randrange(1, 3000)
        out += s.feed(bytes(good[pos : pos + n]), pos / 6400)
        pos += n
    t, adc, *_ = flatten(out)
    assert adc.tolist() == delivered
    assert s.counts["oversize"] > 0 and s.counts["cobs"] + s.counts["crc"] + s.counts["truncated"] > 0
    assert all(isinstance(i, SampleBlock) or hasattr(i, "type") for i in out)
