"""The serial source, for real: through ptys, pyserial's loop:// and a TCP socket."""

from __future__ import annotations

import errno
import socket
import threading

import numpy as np
import pytest
import serial

from kneadback import ports
from kneadback.clock import ManualClock
from kneadback.errors import InputError, SourceError
from kneadback.model import Command, DeviceInfo, LinkEvent, SampleBlock
from kneadback.protocol.decoder import FrameDecoder
from kneadback.protocol.messages import frame_data
from kneadback.sources import open_source
from kneadback.sources import serial as serial_source
from kneadback.sources.base import SourceOptions
from protocol.fake_device import FakeBoard, flatten

from .ptys import FakePort


@pytest.fixture
def port(tmp_path):
    p = FakePort(tmp_path / "ttyFAKE0")
    yield p
    p.close()


def read_until(src, n_samples: int, items: list | None = None, tries: int = 400) -> list:
    """Read until `n_samples` samples came (each read waits at most 0.05 s for bytes)."""
    items = [] if items is None else items
    for _ in range(tries):
        items += src.read(0.05)
        if sum(len(b) for b in items if isinstance(b, SampleBlock)) >= n_samples:
            return items
    raise AssertionError(f"only {sum(len(b) for b in items if isinstance(b, SampleBlock))} of {n_samples} samples")


def test_pty_end_to_end(port):
    clock = ManualClock()
    src = open_source(str(port.path), SourceOptions(clock=clock))
    assert isinstance(src, serial_source.SerialSource)
    b = FakeBoard()
    with src:
        port.write(b.hello() + b.frames(100))
        items = read_until(src, 400)
    t, adc, idx, lost, _ = flatten(items)
    assert isinstance(items[0], DeviceInfo) and items[0].source == str(port.path)
    assert adc.tolist() == b.sent and lost == []
    np.testing.assert_allclose(t, np.arange(400) / 200)
    assert src.info == items[0]


def test_no_hello_asks_the_board_for_its_info(port):
    src = open_source(str(port.path), SourceOptions(clock=ManualClock()))
    b = FakeBoard(t0_us=9_000_000)
    with src:
        port.write(b.frames(10))
        items = read_until(src, 40)
        sent = port.read_commands()
    assert items[0].rate_source == "estimated"
    commands = FrameDecoder().feed(sent)
    assert [c.message for c in commands] == [Command("get-info")]


def test_pyserial_loop_url():
    src = open_source("loop://", SourceOptions(clock=ManualClock()))
    b = FakeBoard()
    with src:
        src._ser.write(b.hello() + b.frames(20))  # what a board would send, into the loop
        items = read_until(src, 80)
        assert src.send(Command("ping", 7))  # our own command echoes back and is not data
        items += src.read(0.05)
    t, adc, *_ = flatten(items)
    assert adc.tolist() == b.sent
    assert not [i for i in items if isinstance(i, LinkEvent)]


def test_text_board_through_a_pty(port):
    src = open_source(str(port.path), SourceOptions(clock=ManualClock(), rate_hz=50.0))
    with src:
        # the port opens while the board prints: the first, partial line is no reading
        port.write(b"3\r\n" + b"".join(f"{v}\r\n".encode() for v in range(200)))
        items = read_until(src, 200)
        assert not src.send(Command("start"))  # a text board takes no commands
        port.write(b"20")
        while src.stream.bytes_in < port.written:
            items += src.read(0.05)
        port.unplug()  # mid-line
        while src.connected:
            items += src.read(0.05)
        port.plug()
        while not src.connected:
            items += src.read(0.05)
        port.write(b"1\r\n202\r\n203\r\n")  # "20" + "1" must not become a reading
        items = read_until(src, 202, items)
    t, adc, *_ = flatten(items)
    info = items[0]
    assert adc.tolist() == [*range(200), 202, 203]
    assert not info.device_clock and info.rate_source == "declared"
    np.testing.assert_allclose(t[:200], np.arange(200) / 50)
    assert not [i for i in items if isinstance(i, LinkEvent) and i.kind == "text-parse"]


def test_a_host_that_falls_behind_reads_the_backlog(port):
    """Ten seconds at 1 kHz pile up while the host is busy; all of it is read, with device times."""
    clock = ManualClock()
    src = open_source(str(port.path), SourceOptions(clock=clock))
    b = FakeBoard(rate=1000, per_frame=20)
    with src:
        port.write(b.hello() + b.frames(50))
        items = read_until(src, 1000)
        clock.advance(12.0)  # the host was suspended
        writer = port.write_in_background(b.frames(500))
        items = read_until(src, 11_000, items)
        writer.join(5)
    t, adc, idx, lost, _ = flatten(items)
    assert adc.tolist() == b.sent and lost == []
    np.testing.assert_allclose(t, np.arange(11_000) / 1000)


def test_unplug_and_replug_twenty_times_loses_nothing_received(port):
    clock = ManualClock()
    src = open_source(str(port.path), SourceOptions(clock=clock))
    b = FakeBoard()
    received_ok: list[int] = []
    items: list = []
    with src:
        port.write(b.hello())
        for _cycle in range(20):
            port.write(b.frames(5))
            received_ok += b.sent[-20:]
            items = read_until(src, len(received_ok), items)
            port.write(b.data()[:10])  # the cable goes mid-frame
            while src.stream.bytes_in < port.written:
                items += src.read(0.05)
            port.unplug()
            for _ in range(5):
                b.skip_frame()  # the board keeps sampling while unplugged
            while src.connected:
                items += src.read(0.05)
            port.plug()
            while not src.connected:
                items += src.read(0.05)  # the clock moves on; the source retries by itself
    t, adc, idx, lost, events = flatten(items)
    assert adc.tolist() == received_ok
    kinds = [e[1] for e in events if e[0] == "link"]
    assert kinds.count("disconnected") == 20 and kinds.count("reconnected") == 20
    assert kinds.count("truncated") == 20  # each cut frame is reported, not used
    # each gap is marked: the 6 frames the board sent while unplugged or cut
    assert [n for _, n in lost] == [24] * 19
    assert np.all(np.diff(t) > 0)
    detail = next(i.detail for i in items if isinstance(i, LinkEvent) and i.kind == "disconnected")
    assert "device disconnected, waiting" in detail


def test_replug_of_a_board_that_resets_continues_the_session(port):
    """A real Arduino restarts when plugged in: new HELLO, sequence and clock from zero."""
    clock = ManualClock()
    src = open_source(str(port.path), SourceOptions(clock=clock))
    b = FakeBoard(t0_us=5_000_000)
    with src:
        port.write(b.hello() + b.frames(50))
        items = read_until(src, 200)
        port.unplug()
        while src.connected:
            items += src.read(0.05)
        clock.advance(3.0)  # three seconds unplugged
        port.plug()
        while not src.connected:
            items += src.read(0.05)
        b.reset()
        port.write(b.hello() + b.frames(50))
        items = read_until(src, 400, items)
    t, adc, idx, lost, events = flatten(items)
    assert adc.tolist() == b.sent and lost == [] and src.stream.resets == 1
    assert [e[1] for e in events if e[0] == "link"] == ["disconnected", "reconnected", "reset"]
    gap = t[200] - t[199]
    assert 2.5 < gap < 4.0  # the gap in session time is the time the board was away


class _PortInfo:
    def __init__(self, device: str, vid: int | None, pid: int | None, serial_number: str | None) -> None:
        self.device, self.vid, self.pid, self.serial_number = device, vid, pid, serial_number
        self.description = "fake"


def test_auto_reconnects_to_the_same_board_by_serial_number(tmp_path, monkeypatch):
    ours = FakePort(tmp_path / "ttyACM0")
    other = FakePort(tmp_path / "ttyUSB9")
    listed = [_PortInfo(str(ours.path), 0x2341, 0x0043, "A1B2"), _PortInfo(str(other.path), 0x1A86, 0x7523, None)]
    monkeypatch.setattr(ports.list_ports, "comports", lambda: listed)
    clock = ManualClock()
    src = open_source("auto", SourceOptions(clock=clock))
    assert src.port == str(ours.path) and src.serial_number == "A1B2"
    b = FakeBoard()
    try:
        with src:
            ours.write(b.hello() + b.frames(5))
            items = read_until(src, 20)
            ours.unplug()
            listed[:] = [listed[1]]
            while src.connected:
                items += src.read(0.05)
            for _ in range(5):
                items += src.read(0.05)
            assert not src.connected  # the CH340 board is not ours: keep waiting
            ours.plug(tmp_path / "ttyACM1")  # back, under a new name
            listed.append(_PortInfo(str(ours.path), 0x2341, 0x0043, "A1B2"))
            while not src.connected:
                items += src.read(0.05)
            assert src.port == str(ours.path)
            ours.write(b.frames(5))
            items = read_until(src, 40, items)
    finally:
        ours.close()
        other.close()
    t, adc, *_ = flatten(items)
    assert adc.tolist() == b.sent
    assert any(isinstance(i, LinkEvent) and i.kind == "reconnected" and "ttyACM1" in i.detail for i in items)


def test_a_named_port_that_comes_back_under_a_new_name(tmp_path, monkeypatch):
    """--source /dev/ttyACM0, and the replugged board shows up as ttyACM1: found by serial number."""
    ours = FakePort(tmp_path / "ttyACM0")
    listed = [_PortInfo(str(ours.path), 0x2341, 0x0043, "S1")]
    monkeypatch.setattr(ports.list_ports, "comports", lambda: listed)
    src = open_source(str(ours.path), SourceOptions(clock=ManualClock()))
    assert src.serial_number == "S1"
    b = FakeBoard()
    try:
        with src:
            ours.write(b.hello() + b.frames(5))
            items = read_until(src, 20)
            ours.unplug()
            listed.clear()
            while src.connected:
                items += src.read(0.05)
            ours.plug(tmp_path / "ttyACM1")
            listed.append(_PortInfo(str(ours.path), 0x2341, 0x0043, "S1"))
            while not src.connected:
                items += src.read(0.05)
            ours.write(b.frames(5))
            items = read_until(src, 40, items)
    finally:
        ours.close()
    assert flatten(items)[1].tolist() == b.sent and src.port == str(ours.path)


def test_socket_that_goes_away_and_comes_back():
    server = socket.create_server(("127.0.0.1", 0))
    host, port_no = server.getsockname()
    b = FakeBoard()
    payloads = [b.hello() + b.frames(10), b.frames(10)]
    go, done = threading.Event(), threading.Event()

    def serve():
        for data in payloads:
            conn, _ = server.accept()
            go.wait(5)  # pyserial drops what arrives while it opens, as with a real port
            go.clear()
            conn.sendall(data)
            done.wait(5)
            done.clear()
            conn.close()

    th = threading.Thread(target=serve, daemon=True)
    th.start()
    src = open_source(f"socket://{host}:{port_no}", SourceOptions(clock=ManualClock()))
    with src:
        go.set()
        items = read_until(src, 40)
        done.set()
        while src.connected:
            items += src.read(0.05)
        while not src.connected:
            items += src.read(0.05)
        go.set()
        items = read_until(src, 80, items)
        done.set()
    th.join(5)
    server.close()
    t, adc, *_ = flatten(items)
    assert adc.tolist() == b.sent
    kinds = [i.kind for i in items if isinstance(i, LinkEvent)]
    assert kinds == ["disconnected", "reconnected"]


def test_auto_without_a_board_lists_the_ports(monkeypatch):
    monkeypatch.setattr(ports.list_ports, "comports", lambda: [_PortInfo("/dev/ttyS0", None, None, None)])
    with pytest.raises(serial_source.NoBoardFound, match=r"no Arduino or USB-serial board found \(ports seen: /dev/ttyS0"):
        open_source("auto")


def test_known_boards_are_recognised():
    assert ports.board_kind(0x2341, 0x0043) == "Arduino"
    assert ports.board_kind(0x1A86, 0x7523).startswith("CH340")
    assert ports.board_kind(0x0403, 0x6001).startswith("FTDI")
    assert ports.board_kind(0x10C4, 0xEA60).startswith("CP210x")
    assert ports.board_kind(0x1234, 0x5678) is None


def test_missing_port_is_one_clear_error(monkeypatch):
    monkeypatch.setattr(ports.list_ports, "comports", lambda: [_PortInfo("/dev/ttyS0", None, None, None)])
    with pytest.raises(SourceError, match=r"no such port /dev/ttyNOPE7 \(ports seen: /dev/ttyS0"):
        open_source("/dev/ttyNOPE7")


def test_busy_port(port):
    first = open_source(str(port.path), SourceOptions(clock=ManualClock()))
    with first:
        second = open_source(str(port.path), SourceOptions(clock=ManualClock()))
        with pytest.raises(SourceError, match="is busy"):
            second.open()


def test_permission_denied_explains_dialout(port, monkeypatch):
    def denied(*a, **k):
        raise serial.SerialException(errno.EACCES, f"could not open port {port.path}: [Errno 13] Permission denied")

    monkeypatch.setattr(serial_source.serial, "Serial", denied)
    src = open_source(str(port.path), SourceOptions(clock=ManualClock()))
    with pytest.raises(SourceError, match=r"permission denied on .*dialout"):
        src.open()


def test_routing(port, tmp_path, monkeypatch):
    import kneadback.sources.emulated as emulated
    import kneadback.sources.replay as replay
    import kneadback.sources.simulated as simulated

    for mod in (simulated, emulated, replay):
        monkeypatch.setattr(mod, "from_spec", lambda rest, options, name=mod.__name__: (name, rest))
    assert isinstance(open_source(str(port.path)), serial_source.SerialSource)
    assert isinstance(open_source("loop://"), serial_source.SerialSource)
    assert open_source("sim") == ("kneadback.sources.simulated", "")
    assert open_source("sim:steady") == ("kneadback.sources.simulated", "steady")
    assert open_source("emu:steady") == ("kneadback.sources.emulated", "steady")
    recording = tmp_path / "s.csv"
    recording.write_text("t,adc\n")
    assert open_source(str(recording)) == ("kneadback.sources.replay", str(recording))
    assert open_source("last") == ("kneadback.sources.replay", "last")
    with pytest.raises(InputError, match="empty source"):
        open_source("  ")


def test_frame_data_builder_rejects_misuse():
    from kneadback.errors import ProtocolError

    with pytest.raises(ProtocolError):
        frame_data(0, [], [])
