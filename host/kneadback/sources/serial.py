"""The serial source: a board on a USB serial port (or a pyserial URL such as ``loop://``).

Specs: ``auto`` (the first port whose USB VID/PID belongs to a common Arduino or USB-serial
chip), a port path (``/dev/ttyACM0``, ``COM3``), or a pyserial URL (``loop://``,
``socket://HOST:PORT``). Bytes go through `kneadback.protocol.stream.DeviceStream`, so binary
protocol 1.x and plain-text boards both work. A board of another major protocol version is
refused with one line (`SourceError`), once what came before it is delivered.

When the port vanishes mid-session (a cable pulled, a hub glitch) the source reports a
"disconnected" `LinkEvent`, keeps what it received, and tries again every
`RECONNECT_INTERVAL_S`: the same path or URL, or for ``auto`` the board with the same serial
number wherever it shows up. A "reconnected" `LinkEvent` marks the end of the gap.
"""

from __future__ import annotations

import errno
import os

import serial

from kneadback import frontend
from kneadback.errors import SourceError
from kneadback.model import Command, DeviceInfo, DeviceStatus, SampleBlock, SourceItem
from kneadback.ports import PortCandidate, ports_seen, scan_ports
from kneadback.protocol.messages import frame_command
from kneadback.protocol.stream import DeviceStream
from kneadback.sources import DEFAULT_SPEC
from kneadback.sources.base import Source, SourceOptions

RECONNECT_INTERVAL_S = 0.5
MAX_READ = 4096  # bytes per read: a backlog is read over several steps (none dropped), each step short

DIALOUT_HINT = (
    "add your user to the 'dialout' group (sudo usermod -aG dialout $USER), then log out and in again"
)


class NoBoardFound(SourceError):
    """`auto` found no board; the message lists the ports it saw."""


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
        # what the user declared now, else what was declared for this board before
        self.front = options.front or frontend.remembered(serial_number)
        where = port if spec == DEFAULT_SPEC else spec  # what DeviceInfo.source shows
        self.stream = DeviceStream(
            where, options.rate_hz, serial_number=serial_number, mid_stream=True, real_time=real_time
        )
        self._ser: serial.SerialBase | None = None
        self._next_attempt = 0.0
        self._asked_info = False
        self._unheard_bytes = 0  # bytes read since the last valid message: a wrong baud rate's noise

    @property
    def connected(self) -> bool:
        return self._ser is not None

    # --- Source ------------------------------------------------------------------------
    def _open(self) -> None:
        self._ser = self._connect(self.port)
        frontend.remember(self.serial_number, self.options.front)

    def _close(self) -> None:
        self._drop_port()

    def read(self, timeout: float = 0.05) -> list[SourceItem]:
        """What arrived, the board's description with the declared front end in it."""
        items = self._read(timeout)
        if self.front:
            items = [self.front.apply(i) if isinstance(i, DeviceInfo) else i for i in items]
            if self.info is not None:
                self.info = self.front.apply(self.info)
        return items

    def _read(self, timeout: float) -> list[SourceItem]:
        if self.stream.refusal is not None:
            raise SourceError(self.stream.refusal)
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
        heard = any(isinstance(i, (SampleBlock, DeviceInfo, DeviceStatus)) for i in items)
        self._unheard_bytes = 0 if heard else self._unheard_bytes + len(data)
        return items

    def silence_hint(self, quiet_s: float, talked: bool) -> str:
        garbled = self._unheard_bytes > 0
        if talked:
            return (
                f"{self.port}: the board stopped sending {quiet_s:.0f} s ago; it may have hung "
                f"(press its reset button) or lost power"
            )
        port = "the wrong port (see `kneadback ports`)"
        baud = f"a baud rate other than the board's (--baud, now {self.options.baud})"
        causes = [baud, port] if garbled else [port, baud]  # garbled bytes: the speed is the likelier
        heard = "only garbled bytes" if garbled else "nothing"
        return (
            f"{self.port}: no valid data in {quiet_s:.0f} s ({heard} came); likely {causes[0]}, "
            f"{causes[1]}, or a board not running the kneadback sketch"
        )

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
        if is_url(self.port) or (self.spec != DEFAULT_SPEC and os.path.exists(self.port)):
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
        self._unheard_bytes = 0
        return [self.stream.event("reconnected", f"{self.spec}: device reconnected{moved}")]


def from_spec(spec: str, options: SourceOptions) -> SerialSource:
    """A serial source for ``auto``, a port path or a pyserial URL (not opened yet)."""
    if spec == DEFAULT_SPEC:
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
