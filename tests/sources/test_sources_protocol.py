"""Protocol 1.1 decisions a user meets through a real port (a pty) and a session: a board of
another major version, a text board replugged, a board that prints a boot banner before its
frames, pauses and a newer board."""

from __future__ import annotations

import numpy as np
import pytest

from kneadback.clock import ManualClock
from kneadback.errors import SourceError
from kneadback.model import DeviceInfo, LinkEvent
from kneadback.protocol.messages import frame, hello_payload
from kneadback.session import Session
from kneadback.sink import Sink
from kneadback.sources import open_source
from kneadback.sources.base import SourceOptions
from protocol.fake_device import FakeBoard, flatten

from .bytes_source import BytesSource
from .ptys import FakePort


@pytest.fixture
def port(tmp_path):
    p = FakePort(tmp_path / "ttyACM0")
    yield p
    p.close()


def read_all(src, port: FakePort, items: list) -> list:
    """Read until everything written to the port came through."""
    while src.stream.bytes_in < port.written:
        items += src.read(0.05)
    return items


@pytest.mark.parametrize("major", [0, 2])
def test_a_board_of_another_major_version_is_refused_in_one_line(port, major):
    b = FakeBoard()
    info = DeviceInfo(protocol_version=major, firmware_version="2.0.0", board="uno", sample_rate_hz=200.0)
    src = open_source(str(port.path), SourceOptions(clock=ManualClock()))
    with src:
        port.write(b.frames(10) + frame(hello_payload(info, 0)) + b.frames(10))
        items = read_all(src, port, [])
        with pytest.raises(SourceError) as err:
            src.read(0.05)
    t, adc, *_ = flatten(items)
    assert adc.tolist() == b.sent[:40]  # what came before the HELLO is kept; nothing after it
    line = str(err.value)
    assert "\n" not in line and str(port.path) in line and f"protocol {major}.x" in line and "1.x" in line
    assert ("update kneadback" if major > 1 else "update the board's firmware") in line


def test_a_text_board_keeps_its_rate_and_its_pace_over_three_replugs(port):
    """200 lines a second, read every 20 ms; unplugged for 2 s three times (the port's symlink
    re-pointed to a new pty each time). Before, the rate estimate took in the gaps and fell to
    87-98 Hz: session time ran at half speed, and strokes at a true 60/min showed as 30/min."""
    clock = ManualClock()
    src = open_source(str(port.path), SourceOptions(clock=clock))
    items: list = []
    value = 0
    first_lines = []  # a port opened, or opened again, skips its first line: it may be half a line
    with src:
        for plug in range(4):
            first_lines.append(value)
            for _ in range(150):  # 3 s
                port.write("".join(f"{value + k}\r\n" for k in range(4)).encode())
                value += 4
                clock.advance(0.02)
                read_all(src, port, items)
            if plug < 3:
                port.unplug()
                while src.connected:
                    items += src.read(0.05)
                clock.advance(2.0)
                port.plug()
                while not src.connected:
                    items += src.read(0.05)
        items += src.stream.flush(clock.now())
    t, adc, *_ = flatten(items)
    assert adc.tolist() == [v for v in range(value) if v not in first_lines]
    infos = [i for i in items if isinstance(i, DeviceInfo)]
    assert len(infos) == 1 and infos[0].rate_source == "estimated"
    assert infos[0].sample_rate_hz == pytest.approx(200, rel=0.01)
    assert t[-1] == pytest.approx(clock.now(), abs=0.05)  # session time keeps pace with the clock
    assert np.all(np.diff(t) > 0)
    gaps = np.diff(t)[np.diff(t) > 0.1]
    assert gaps == pytest.approx([2.0 + 0.005 * 4] * 3, abs=0.03)  # the replugs, as long as they were


def test_a_text_board_that_prints_its_header_when_the_port_opens_is_described_by_it(port):
    clock = ManualClock()
    src = open_source(str(port.path), SourceOptions(clock=clock))
    with src:
        port.write(b"# kneadback rate=200 divider=4700 front=fsr-high bits=12 vref=3300\r\n")
        port.write(b"".join(f"{v}\r\n".encode() for v in range(100)))
        clock.advance(0.5)
        items = read_all(src, port, [])
    info = next(i for i in items if isinstance(i, DeviceInfo))
    assert (info.sample_rate_hz, info.rate_source, info.device_clock) == (200, "declared", False)
    assert (info.divider_ohms, info.front_end, info.adc_bits, info.vref_mv) == (4700, "fsr-high", 12, 3300)
    t, adc, *_ = flatten(items)
    assert adc.tolist() == list(range(100))  # no wait for an estimate, nothing skipped
    np.testing.assert_allclose(t, np.arange(100) / 200)


def test_a_boot_banner_then_frames_is_a_binary_board(port):
    """An ESP32 prints its ROM banner at reset, then the firmware's frames: 1 bogus sample and
    none of the 200 real ones before; now every frame's samples and no sample from the banner."""
    banner = (
        b"ets Jun  8 2016 00:22:57\r\n\r\nrst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\r\n"
        b"configsip: 0, SPIWP:0xee\r\nclk_drv:0x00,q_drv:0x00,d_drv:0x00,cs0_drv:0x00,hd_drv:0x00\r\n"
        b"mode:DIO, clock div:1\r\nload:0x3fff0018,len:4\r\nentry 0x400806a8\r\n"
    )
    b = FakeBoard(minor=1)
    src = open_source(str(port.path), SourceOptions(clock=ManualClock()))
    with src:
        port.write(b"\r\n" + banner + b"\x00" + b.hello() + b.frames(50))
        items = read_all(src, port, [])
    t, adc, *_ = flatten(items)
    assert adc.tolist() == b.sent and len(adc) == 200
    assert src.stream.mode == "binary" and src.info is not None and src.info.board == "uno"
    assert [i.kind for i in items if isinstance(i, LinkEvent)] == ["text-parse", "mode"]


def test_pauses_and_a_newer_board_are_news_not_link_errors():
    from kneadback.protocol.messages import PROTOCOL_MINOR

    b = FakeBoard(minor=PROTOCOL_MINOR + 1)
    chunks = [b.hello()]
    for _ in range(5):
        chunks += [b.data() for _ in range(50)] + [b.stop()]
        b.pause(1.0)
        chunks.append(b.start())
    chunks += [b.data() for _ in range(50)]
    clock = ManualClock()
    kinds: list[str] = []

    class Watch(Sink):
        def on_events(self, events) -> None:
            kinds.extend(e.kind for e in events if isinstance(e, LinkEvent))

    session = Session(BytesSource(chunks, clock), clock, sinks=[Watch()])
    session.run()
    assert kinds == ["newer-protocol"] + ["pause"] * 5
    assert session.status.errors == 0 and session.status.lost == 0 and session.status.samples == 1200
