"""The serial source: a board on a USB serial port (or a pyserial URL such as ``loop://``).

Specs: ``auto`` (the first port whose USB VID/PID belongs to a common Arduino or USB-serial
chip), a port path (``/dev/ttyACM0``, ``COM3``), or a pyserial URL (``loop://``,
``socket://HOST:PORT``). Bytes go through `kneadback.protocol.stream.DeviceStream`, so binary
protocol v1 and plain-text boards both work.

When the port vanishes mid-session (a cable pulled, a hub glitch) the source reports a
"disconnected" `LinkEvent`, keeps what it received, and tries again every
`RECONNECT_INTERVAL_S`: the same path or URL, or for ``auto`` the board with the same serial
number wherever it shows up. A "reconnected" `LinkEvent` marks the end of the gap.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass

import serial
from serial.tools import list_ports

from kneadback.errors import SourceError
from kneadback.model import DeviceInfo
from kneadback.protocol.messages import frame_command
from kneadback.protocol.stream import DeviceStream
from kneadback.sources.base import Command, Source, SourceItem, SourceOptions

RECONNECT_INTERVAL_S = 0.5
MAX_READ = 4096  # bytes per read: a backlog is read over several steps (none dropped), each step short

#: USB VID (and PID, or None for any) of boards and USB-serial chips an Arduino sits behind
KNOWN_USB: tuple[tuple[int, int | None, str], ...] = (
    (0x2341, None, "Arduino"),
    (0x2A03, None, "Arduino (arduino.org)"),
    (0x1A86, 0x7523, "CH340 USB-serial (Nano clone)"),
    (0x1A86, 0x5523, "CH341 USB-serial"),
    (0x1A86, 0x55D4, "CH9102 USB-serial"),
    (0x0403, 0x6001, "FTDI FT232R USB-serial"),
    (0x0403, 0x6015, "FTDI FT231X USB-serial"),
    (0x10C4, 0xEA60, "CP210x USB-serial"),
    (0x067B, 0x2303, "PL2303 USB-serial"),
    (0x1B4F, None, "SparkFun"),
    (0x239A, None, "Adafruit"),
)

DIALOUT_HINT = (
    "add your user to the 'dialout' group (sudo usermod -aG dialout $USER), then log out and in again"
)


@dataclass(frozen=True)
class PortCandidate:
    """A serial port as `kneadback ports` shows it."""

    device: str
    description: str
    vid: int | None
    pid: int | None
    serial_number: str | None
    board: str | None  # what kind of board it likely is, None when unknown

    @property
    def usb_id(self) -> str:
        return f"{self.vid:04X}:{self.pid:04X}" if self.vid is not None and self.pid is not None else ""


class NoBoardFound(SourceError):
    """`auto` found no board; the message lists the ports it saw."""


def board_kind(vid: int | None, pid: int | None) -> str | None:
    for v, p, name in KNOWN_USB:
        if vid == v and (p is None or pid == p):
            return name
    return None


def scan_ports() -> list[PortCandidate]:
    """Every serial port the system lists, likely boards first."""
    found = []
    for p in list_ports.comports():
        found.append(
            PortCandidate(
                device=p.device,
                description="" if p.description in (None, "n/a") else p.description,
                vid=p.vid,
                pid=p.pid,
                serial_number=p.serial_number,
                board=board_kind(p.vid, p.pid),
            )
        )
    return sorted(found, key=lambda c: (c.board is None, _rank(c), c.device))


def _rank(c: PortCandidate) -> int:
    return next((i for i, (v, p, _) in enumerate(KNOWN_USB) if c.vid == v and (p is None or c.pid == p)), len(KNOWN_USB))


def ports_seen(ports: list[PortCandidate] | None = None) -> str:
    ports = scan_ports() if ports is None else ports
    if not ports:
        return "no serial ports at all"
    return "ports seen: " + ", ".join(f"{c.device} ({c.usb_id or c.description or 'no USB id'})" for c in ports)


def find_board(serial_number: str | None = None) -> PortCandidate:
    """The likely board (with `serial_number`, that board). Raises `NoBoardFound`."""
    ports = scan_ports()
    boards = [c for c in ports if c.board is not None]
    if serial_number is not None:
        boards = [c for c in boards if c.serial_number == serial_number]
    if not boards:
        what = f"board with serial number {serial_number}" if serial_number else "Arduino or USB-serial board"
        raise NoBoardFound(f"no {what} found ({ports_seen(ports)}); plug it in or name its port with --source")
    return boards[0]


def is_url(spec: str) -> bool:
    return "://" in spec


def describe_open_error(port: str, err: BaseException) -> str:
    """One line that says why `port` could not be opened and what to do."""
    code = getattr(err, "errno", None)
    text = str(err)
    if code in (errno.EACCES, errno.EPERM) or "Permission denied" in text:
        return f"permission denied on {port}: {DIALOUT_HINT}"
    if code == errno.ENOENT or "No such file" in text:
        return f"no such port {port} ({ports_seen()})"
    if code in (errno.EBUSY, errno.EAGAIN) or "exclusively lock" in text:
        return f"port {port} is busy: another program (a serial monitor?) has it open"
    return f"cannot open {port}: {text}"


class SerialSource(Source):
    """A board on a serial port, read through `DeviceStream`."""

    def __init__(
        self, spec: str, options: SourceOptions, port: str, serial_number: str | None = None, *, real_time: bool = True
    ) -> None:
        super().__init__(spec)
        self.options = options
        self.clock = options.clock
        self.port = port
        self.serial_number = serial_number
        where = port if spec == "auto" else spec  # what DeviceInfo.source shows
        self.stream = DeviceStream(
            where, options.rate_hz, serial_number=serial_number, mid_stream=True, real_time=real_time
        )
        self._ser: serial.SerialBase | None = None
        self._next_attempt = 0.0
        self._asked_info = False

    @property
    def connected(self) -> bool:
        return self._ser is not None

    # --- Source ------------------------------------------------------------------------
    def _open(self) -> None:
        self._ser = self._connect(self.port)

    def _close(self) -> None:
        self._drop_port()

    def read(self, timeout: float = 0.05) -> list[SourceItem]:
        if self._ser is None:
            return self._try_reconnect(timeout)
        try:
            data = self._read_bytes(self._ser, timeout)
        except (serial.SerialException, OSError) as e:
            return self._lost(e)
        if not data:
            return []
        items = self.stream.feed(data, self.clock.now())
        self._after_feed(items)
        return items

    def send(self, command: Command) -> bool:
        if self._ser is None or self.stream.mode == "text":
            return False
        try:
            self._ser.write(frame_command(command))
        except (serial.SerialException, OSError):
            return False
        return True

    # --- internals ---------------------------------------------------------------------
    def _connect(self, port: str) -> serial.SerialBase:
        try:
            if is_url(port):
                return serial.serial_for_url(port, baudrate=self.options.baud, timeout=0.05)
            return serial.Serial(port, self.options.baud, timeout=0.05, exclusive=True)
        except (serial.SerialException, OSError, ValueError) as e:
            raise SourceError(describe_open_error(port, e)) from None

    def _read_bytes(self, ser: serial.SerialBase, timeout: float) -> bytes:
        """What has arrived, waiting at most `timeout` for the first byte."""
        first = b""
        if not ser.in_waiting:
            if ser.timeout != timeout:
                ser.timeout = timeout
            first = ser.read(1)
            if not first:
                return b""
        if is_url(self.port):  # URL handlers may not count waiting bytes: read what is there
            ser.timeout = 0
            rest = ser.read(MAX_READ)
            ser.timeout = timeout
            return first + rest
        waiting = ser.in_waiting
        return first + (ser.read(min(waiting, MAX_READ)) if waiting else b"")

    def _after_feed(self, items: list[SourceItem]) -> None:
        for item in items:
            if isinstance(item, DeviceInfo):
                self.info = item
        if self.stream.needs_info and not self._asked_info:
            self._asked_info = self.send(Command("get-info"))

    def _lost(self, err: BaseException) -> list[SourceItem]:
        self._drop_port()
        now = self.clock.now()
        items = self.stream.reconnected(now) + self.stream.flush(now)
        reason = str(err) or type(err).__name__
        items.append(self.stream.event("disconnected", f"{self.port}: device disconnected, waiting… ({reason})"))
        self._next_attempt = now + RECONNECT_INTERVAL_S
        return items

    def _drop_port(self) -> None:
        ser, self._ser = self._ser, None
        if ser is not None:
            try:
                ser.close()
            except (serial.SerialException, OSError):
                pass

    def _where_now(self) -> str | None:
        """Where the board is now: the same path or URL, else the board with the same serial
        number wherever it shows up (a replugged board may get a new name)."""
        if is_url(self.port) or (self.spec != "auto" and os.path.exists(self.port)):
            return self.port
        if self.serial_number:
            try:
                return find_board(self.serial_number).device
            except SourceError:
                return None
        return self.port if os.path.exists(self.port) else None

    def _try_reconnect(self, timeout: float) -> list[SourceItem]:
        now = self.clock.now()
        if now < self._next_attempt:
            self.clock.sleep(min(timeout, self._next_attempt - now))
            return []
        self._next_attempt = now + RECONNECT_INTERVAL_S
        port = self._where_now()
        if port is None:
            return []
        try:
            self._ser = self._connect(port)
        except SourceError:
            return []
        moved = f" (now {port})" if port != self.port else ""
        self.port = port
        self._asked_info = False
        return [self.stream.event("reconnected", f"{self.spec}: device reconnected{moved}")]


def from_spec(spec: str, options: SourceOptions) -> SerialSource:
    """A serial source for ``auto``, a port path or a pyserial URL (not opened yet)."""
    if spec == "auto":
        board = find_board()
        return SerialSource(spec, options, board.device, board.serial_number)
    if is_url(spec):
        return SerialSource(spec, options, spec)
    if not os.path.exists(spec) and not spec.upper().startswith("COM"):
        raise SourceError(f"no such port {spec} ({ports_seen()})")
    return SerialSource(spec, options, spec, _serial_number_of(spec))


def _serial_number_of(path: str) -> str | None:
    """The USB serial number of the port at `path` (a symlink such as /dev/serial/by-id/... too)."""
    real = os.path.realpath(path)
    for c in scan_ports():
        if c.device in (path, real) or os.path.realpath(c.device) == real:
            return c.serial_number
    return None
