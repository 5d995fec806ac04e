"""Protocol 1.x messages: typed values parsed from payloads, and frame builders.

A payload is ``type:u8 ‖ body`` (see `firmware/PROTOCOL.md`). `parse_payload` turns one
into a message value; a known type with a body too short for its fields raises `MalformedPayload`
(the streaming decoder counts it). Version 1.1 appends fields to HELLO (the device description)
and to DATA (the trailer: boot, run, rate and the other channels); a 1.0 message simply has none,
and bytes after the fields this version knows are ignored. Builders return complete frames:
``COBS(payload ‖ crc16_le(payload)) ‖ 0x00``.
"""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from kneadback.errors import ProtocolError
from kneadback.model import Channel, Command, DeviceInfo
from kneadback.protocol import cobs
from kneadback.protocol.crc import crc16

PROTOCOL_VERSION = 1  # the major version: HELLO's first byte
PROTOCOL_MINOR = 1  # the newest minor version this host reads
MAX_PAYLOAD = 250
MAX_SAMPLES_PER_FRAME = 32
MAX_BOARD_NAME = 32
MAX_BOARD_ID = 20
MAX_CHANNELS = 8

#: HELLO 1.1 codes → names
FRONT_ENDS = ("unknown", "fsr-low", "fsr-high", "linear")
CHANNEL_KINDS = ("force-adc", "accel-x", "accel-y", "accel-z", "gyro-x", "gyro-y", "gyro-z")
UNITS = ("counts", "m/s2", "rad/s", "N")

# device → host
HELLO = 0x01
DATA = 0x02
STATUS = 0x03
PONG = 0x04
ACK = 0x05
# host → device
START = 0x10
STOP = 0x11
SET_RATE = 0x12
GET_INFO = 0x13
PING = 0x14

COMMAND_TYPES: dict[str, int] = {
    "start": START,
    "stop": STOP,
    "set-rate": SET_RATE,
    "get-info": GET_INFO,
    "ping": PING,
}
COMMAND_NAMES: dict[int, str] = {v: k for k, v in COMMAND_TYPES.items()}

ACK_OK = 0
ACK_BAD_ARGUMENT = 1
ACK_UNKNOWN_COMMAND = 2
ACK_BAD_LENGTH = 3

#: one DATA sample on the wire: t_us:u32, adc:u16, little-endian, packed
SAMPLE_DTYPE = np.dtype([("t_us", "<u4"), ("adc", "<u2")])

_HELLO_HEAD = struct.Struct("<BBBBBHHIIB")  # 18 bytes, board follows
_HELLO_EXT = struct.Struct("<BIBIB")  # minor, boot_id, front_end, front_ohms, serial_len; serial follows
_CHANNEL = struct.Struct("<BBf")
_DATA_HEAD = struct.Struct("<HB")
_TRAILER = struct.Struct("<HBH")  # boot, run, rate_hz
_STATUS = struct.Struct("<IIIBH")
_PONG = struct.Struct("<II")
_ACK = struct.Struct("<BB")


class MalformedPayload(ValueError):
    """A known message type whose body has the wrong length or an impossible value."""


@dataclass(frozen=True)
class WireChannel:
    """A HELLO channel as sent: kind, unit and scale codes (see `CHANNEL_KINDS`, `UNITS`)."""

    kind: int
    unit: int
    scale: float


FORCE = WireChannel(0, 0, 1.0)


@dataclass(frozen=True)
class Hello:
    """HELLO. The 1.1 fields keep their defaults for a 1.0 board (`minor` 0, no `boot_id`)."""

    protocol_version: int
    fw_major: int
    fw_minor: int
    fw_patch: int
    adc_bits: int
    vref_mv: int
    rate_hz: int
    divider_ohms: int
    t_us: int
    board: str
    minor: int = 0
    boot_id: int | None = None
    front_end: int = 1
    front_ohms: int = 0
    serial: str = ""
    channels: tuple[WireChannel, ...] = (FORCE,)

    @property
    def firmware_version(self) -> str:
        return f"{self.fw_major}.{self.fw_minor}.{self.fw_patch}"

    @property
    def front_end_name(self) -> str:
        return FRONT_ENDS[self.front_end] if self.front_end < len(FRONT_ENDS) else "unknown"

    @property
    def channel_kinds(self) -> list[str]:
        """The channels' kinds by name; "unknown" for a kind of a later minor version."""
        return [CHANNEL_KINDS[c.kind] if c.kind < len(CHANNEL_KINDS) else "unknown" for c in self.channels]

    def to_device_info(self, source: str = "", serial_number: str | None = None) -> DeviceInfo:
        front = self.front_end_name
        divider = self.front_ohms if front in ("fsr-low", "fsr-high") and self.front_ohms else self.divider_ohms
        return DeviceInfo(
            protocol_version=self.protocol_version,
            firmware_version=self.firmware_version,
            board=self.board,
            sample_rate_hz=float(self.rate_hz),
            adc_bits=self.adc_bits,
            vref_mv=self.vref_mv,
            divider_ohms=divider,
            device_clock=True,
            rate_source="device",
            source=source,
            serial_number=serial_number,
            protocol_minor=self.minor,
            boot_id=self.boot_id,
            front_end=front,
            board_id=self.serial,
            channels=tuple(
                Channel(kind, UNITS[c.unit] if c.unit < len(UNITS) else "counts", c.scale)  # an unknown unit: raw counts
                for kind, c in zip(self.channel_kinds, self.channels)
            ),
        )


@dataclass(frozen=True, eq=False)
class Data:
    """One DATA frame: `t_us` (little-endian u32) and `adc` (u16) arrays of equal length. A 1.1
    frame also carries its trailer (`boot`, `run`, `rate_hz`) and, in `tail`, what follows it: the
    other channels' samples, read with the channel count from HELLO (`extra_channels`)."""

    seq: int
    t_us: np.ndarray
    adc: np.ndarray
    boot: int | None = None
    run: int | None = None
    rate_hz: int | None = None
    tail: bytes = b""

    def __len__(self) -> int:
        return int(self.adc.shape[0])

    def extra_channels(self, count: int) -> np.ndarray | None:
        """The samples of `count` channels after the first: an (n, count) int16 array, or None
        when the frame does not hold them all."""
        n = len(self)
        if count <= 0 or len(self.tail) < 2 * count * n:
            return None
        return np.frombuffer(self.tail, dtype="<i2", count=count * n).reshape(n, count)


@dataclass(frozen=True)
class Status:
    t_us: int
    dropped: int
    overruns: int
    flags: int
    rate_hz: int

    @property
    def streaming(self) -> bool:
        return bool(self.flags & 1)


@dataclass(frozen=True)
class Pong:
    token: int
    t_us: int


@dataclass(frozen=True)
class Ack:
    command: int
    result: int


@dataclass(frozen=True)
class Unknown:
    """A message type this version does not know; skipped by receivers."""

    msg_type: int
    body: bytes


Message = Hello | Data | Status | Pong | Ack | Command | Unknown


def _need(body: bytes, size: int, name: str) -> None:
    if len(body) < size:
        raise MalformedPayload(f"{name} body has {len(body)} bytes, needs {size}")


def parse_payload(payload: bytes) -> Message:
    """Parse one payload (type byte first, CRC already checked and removed)."""
    if not payload:
        raise MalformedPayload("empty payload")
    kind, body = payload[0], bytes(payload[1:])
    if kind == DATA:
        _need(body, 3, "DATA")
        seq, n = _DATA_HEAD.unpack_from(body)
        if not 1 <= n <= MAX_SAMPLES_PER_FRAME:
            raise MalformedPayload(f"DATA with n={n} samples (allowed 1..{MAX_SAMPLES_PER_FRAME})")
        end = 3 + 6 * n
        _need(body, end, f"DATA with {n} samples")
        rec = np.frombuffer(body, dtype=SAMPLE_DTYPE, count=n, offset=3)
        if len(body) == end:  # 1.0
            return Data(seq, rec["t_us"], rec["adc"])  # read-only views into the payload
        _need(body, end + _TRAILER.size, f"DATA 1.1 with {n} samples and its trailer")
        boot, run, rate_hz = _TRAILER.unpack_from(body, end)
        if not rate_hz:
            raise MalformedPayload("DATA with a trailer of rate 0")
        return Data(seq, rec["t_us"], rec["adc"], boot, run, rate_hz, body[end + _TRAILER.size :])
    if kind == HELLO:
        return _parse_hello(body)
    if kind == STATUS:
        _need(body, _STATUS.size, "STATUS")
        return Status(*_STATUS.unpack_from(body))
    if kind == PONG:
        _need(body, _PONG.size, "PONG")
        return Pong(*_PONG.unpack_from(body))
    if kind == ACK:
        _need(body, _ACK.size, "ACK")
        return Ack(*_ACK.unpack_from(body))
    if kind in COMMAND_NAMES:
        name = COMMAND_NAMES[kind]
        if kind == SET_RATE:
            _need(body, 2, "SET_RATE")
            return Command(name, struct.unpack_from("<H", body)[0])
        if kind == PING:
            _need(body, 4, "PING")
            return Command(name, struct.unpack_from("<I", body)[0])
        return Command(name)
    return Unknown(kind, body)


def _parse_hello(body: bytes) -> Hello:
    _need(body, _HELLO_HEAD.size, "HELLO")
    version, major, minor, patch, adc_bits, vref_mv, rate_hz, divider_ohms, t_us, board_len = _HELLO_HEAD.unpack_from(body)
    if board_len > MAX_BOARD_NAME:
        raise MalformedPayload(f"HELLO with a {board_len}-byte board name (at most {MAX_BOARD_NAME})")
    pos = _HELLO_HEAD.size + board_len
    _need(body, pos, "HELLO with its board name")
    board = body[_HELLO_HEAD.size : pos].decode("ascii", "replace")
    hello = Hello(version, major, minor, patch, adc_bits, vref_mv, rate_hz, divider_ohms, t_us, board)
    if len(body) <= pos or body[pos] == 0:  # 1.0: no extension (or bytes a 1.0 receiver ignores)
        return hello
    _need(body, pos + _HELLO_EXT.size, "HELLO 1.1")
    proto_minor, boot_id, front_end, front_ohms, serial_len = _HELLO_EXT.unpack_from(body, pos)
    if serial_len > MAX_BOARD_ID:
        raise MalformedPayload(f"HELLO with a {serial_len}-byte board id (at most {MAX_BOARD_ID})")
    pos += _HELLO_EXT.size
    _need(body, pos + serial_len + 1, "HELLO 1.1 with its board id")
    serial = body[pos : pos + serial_len].decode("ascii", "replace")
    count = body[pos + serial_len]
    pos += serial_len + 1
    if not 1 <= count <= MAX_CHANNELS:
        raise MalformedPayload(f"HELLO with {count} channels (allowed 1..{MAX_CHANNELS})")
    _need(body, pos + count * _CHANNEL.size, f"HELLO with {count} channels")
    channels = tuple(WireChannel(*_CHANNEL.unpack_from(body, pos + i * _CHANNEL.size)) for i in range(count))
    return dataclasses.replace(
        hello, minor=proto_minor, boot_id=boot_id, front_end=front_end, front_ohms=front_ohms, serial=serial, channels=channels
    )


# --- builders -----------------------------------------------------------------------------


def frame(payload: bytes) -> bytes:
    """A complete frame for `payload`: COBS(payload ‖ crc16 little-endian) ‖ 0x00."""
    if not 1 <= len(payload) <= MAX_PAYLOAD:
        raise ProtocolError(f"payload of {len(payload)} bytes (allowed 1..{MAX_PAYLOAD})")
    return cobs.encode(payload + crc16(payload).to_bytes(2, "little")) + b"\x00"


def _version_parts(version: str) -> tuple[int, int, int]:
    parts = [int(p) if p.isdigit() else 0 for p in version.split(".")[:3]]
    parts += [0] * (3 - len(parts))
    return parts[0] & 0xFF, parts[1] & 0xFF, parts[2] & 0xFF


def hello_payload(info: DeviceInfo, t_us: int) -> bytes:
    """HELLO for `info`: the 1.0 body, and the 1.1 device description when `info.protocol_minor`
    is 1 or more (its `boot_id`, front end, board id and channels)."""
    board = info.board.encode("ascii", "replace")[:MAX_BOARD_NAME]
    major, minor, patch = _version_parts(info.firmware_version)
    head = _HELLO_HEAD.pack(
        info.protocol_version & 0xFF,
        major,
        minor,
        patch,
        info.adc_bits & 0xFF,
        info.vref_mv & 0xFFFF,
        int(round(info.sample_rate_hz)) & 0xFFFF,
        int(info.divider_ohms) & 0xFFFFFFFF,
        int(t_us) & 0xFFFFFFFF,
        len(board),
    )
    payload = bytes([HELLO]) + head + board
    if info.protocol_minor < 1:
        return payload
    front = FRONT_ENDS.index(info.front_end) if info.front_end in FRONT_ENDS else 0
    ohms = int(info.divider_ohms) if front in (1, 2) else 0
    serial = info.board_id.encode("ascii", "replace")[:MAX_BOARD_ID]
    ext = _HELLO_EXT.pack(info.protocol_minor & 0xFF, (info.boot_id or 0) & 0xFFFFFFFF, front, ohms & 0xFFFFFFFF, len(serial))
    channels = b"".join(
        _CHANNEL.pack(CHANNEL_KINDS.index(c.kind), UNITS.index(c.unit) if c.unit in UNITS else 0, c.scale)
        for c in info.channels
    )
    return payload + ext + serial + bytes([len(info.channels)]) + channels


def frame_hello(info: DeviceInfo, t_us: int) -> bytes:
    """HELLO carrying `info`'s fields; `t_us` is taken modulo 2^32."""
    return frame(hello_payload(info, t_us))


@dataclass(frozen=True)
class Trailer:
    """The DATA 1.1 trailer: the low 16 bits of the boot id, the run and the rate."""

    boot: int
    run: int
    rate_hz: int


def frame_data(
    seq: int,
    t_us: Sequence[int] | np.ndarray,
    adc: Sequence[int] | np.ndarray,
    trailer: Trailer | None = None,
    extra: np.ndarray | None = None,
) -> bytes:
    """DATA with 1..32 samples; `seq` is taken modulo 2^16 and `t_us` modulo 2^32. With a
    `trailer` it is a 1.1 frame, and `extra` (n × channels−1, int16) its other channels."""
    t = np.asarray(t_us)
    a = np.asarray(adc)
    n = int(t.shape[0])
    if n != a.shape[0] or not 1 <= n <= MAX_SAMPLES_PER_FRAME:
        raise ProtocolError(f"DATA needs 1..{MAX_SAMPLES_PER_FRAME} samples with one time each, got {n}/{a.shape[0]}")
    rec = np.empty(n, dtype=SAMPLE_DTYPE)
    rec["t_us"] = (t.astype(np.int64) & 0xFFFFFFFF).astype(np.uint32)
    rec["adc"] = np.clip(a.astype(np.int64), 0, 0xFFFF).astype(np.uint16)
    payload = bytes([DATA]) + _DATA_HEAD.pack(int(seq) & 0xFFFF, n) + rec.tobytes()
    if trailer is not None:
        payload += _TRAILER.pack(trailer.boot & 0xFFFF, trailer.run & 0xFF, trailer.rate_hz & 0xFFFF)
        if extra is not None:
            if extra.shape[0] != n:
                raise ProtocolError(f"DATA extra channels need one row a sample, got {extra.shape[0]} for {n}")
            payload += np.ascontiguousarray(extra, dtype="<i2").tobytes()
    return frame(payload)


def frame_status(t_us: int, dropped: int, overruns: int, streaming: bool, rate_hz: int) -> bytes:
    body = _STATUS.pack(
        int(t_us) & 0xFFFFFFFF,
        int(dropped) & 0xFFFFFFFF,
        int(overruns) & 0xFFFFFFFF,
        1 if streaming else 0,
        int(rate_hz) & 0xFFFF,
    )
    return frame(bytes([STATUS]) + body)


def frame_pong(token: int, t_us: int) -> bytes:
    return frame(bytes([PONG]) + _PONG.pack(int(token) & 0xFFFFFFFF, int(t_us) & 0xFFFFFFFF))


def frame_ack(command: int, result: int = ACK_OK) -> bytes:
    return frame(bytes([ACK]) + _ACK.pack(command & 0xFF, result & 0xFF))


def frame_command(command: Command) -> bytes:
    """A host→device command frame; raises `ProtocolError` for an unknown command name."""
    kind = COMMAND_TYPES.get(command.name)
    if kind is None:
        raise ProtocolError(f"unknown command {command.name!r} (known: {', '.join(COMMAND_TYPES)})")
    body = b""
    if kind == SET_RATE:
        body = struct.pack("<H", int(command.value) & 0xFFFF)
    elif kind == PING:
        body = struct.pack("<I", int(command.value) & 0xFFFFFFFF)
    return frame(bytes([kind]) + body)
