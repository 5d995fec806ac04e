"""Protocol v1 messages: typed values parsed from payloads, and frame builders.

A payload is ``type:u8 ‖ body`` (see `firmware/PROTOCOL.md`). `parse_payload` turns one
into a message value; a known type with a body of the wrong length raises `MalformedPayload`
(the streaming decoder counts it). Builders return complete frames:
``COBS(payload ‖ crc16_le(payload)) ‖ 0x00``.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from kneadback.errors import ProtocolError
from kneadback.model import Command, DeviceInfo
from kneadback.protocol import cobs
from kneadback.protocol.crc import crc16

PROTOCOL_VERSION = 1
MAX_PAYLOAD = 250
MAX_SAMPLES_PER_FRAME = 32

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
_DATA_HEAD = struct.Struct("<HB")
_STATUS = struct.Struct("<IIIBH")
_PONG = struct.Struct("<II")
_ACK = struct.Struct("<BB")


class MalformedPayload(ValueError):
    """A known message type whose body has the wrong length or an impossible value."""


@dataclass(frozen=True)
class Hello:
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

    @property
    def firmware_version(self) -> str:
        return f"{self.fw_major}.{self.fw_minor}.{self.fw_patch}"

    def to_device_info(self, source: str = "", serial_number: str | None = None) -> DeviceInfo:
        return DeviceInfo(
            protocol_version=self.protocol_version,
            firmware_version=self.firmware_version,
            board=self.board,
            sample_rate_hz=float(self.rate_hz),
            adc_bits=self.adc_bits,
            vref_mv=self.vref_mv,
            divider_ohms=self.divider_ohms,
            device_clock=True,
            rate_source="device",
            source=source,
            serial_number=serial_number,
        )


@dataclass(frozen=True, eq=False)
class Data:
    """One DATA frame: `t_us` (little-endian u32) and `adc` (u16) arrays of equal length."""

    seq: int
    t_us: np.ndarray
    adc: np.ndarray

    def __len__(self) -> int:
        return int(self.adc.shape[0])


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
        _need(body, 3 + 6 * n, f"DATA with {n} samples")
        rec = np.frombuffer(body, dtype=SAMPLE_DTYPE, count=n, offset=3)
        return Data(seq, rec["t_us"], rec["adc"])  # read-only views into the payload
    if kind == HELLO:
        _need(body, _HELLO_HEAD.size, "HELLO")
        version, major, minor, patch, adc_bits, vref_mv, rate_hz, divider_ohms, t_us, board_len = _HELLO_HEAD.unpack_from(body)
        _need(body, _HELLO_HEAD.size + board_len, "HELLO with its board name")
        board = body[_HELLO_HEAD.size : _HELLO_HEAD.size + board_len].decode("ascii", "replace")
        return Hello(version, major, minor, patch, adc_bits, vref_mv, rate_hz, divider_ohms, t_us, board)
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
    board = info.board.encode("ascii", "replace")[: MAX_PAYLOAD - 1 - _HELLO_HEAD.size]
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
    return bytes([HELLO]) + head + board


def frame_hello(info: DeviceInfo, t_us: int) -> bytes:
    """HELLO carrying `info`'s fields; `t_us` is taken modulo 2^32."""
    return frame(hello_payload(info, t_us))


def frame_data(seq: int, t_us: Sequence[int] | np.ndarray, adc: Sequence[int] | np.ndarray) -> bytes:
    """DATA with 1..32 samples; `seq` is taken modulo 2^16 and `t_us` modulo 2^32."""
    t = np.asarray(t_us)
    a = np.asarray(adc)
    n = int(t.shape[0])
    if n != a.shape[0] or not 1 <= n <= MAX_SAMPLES_PER_FRAME:
        raise ProtocolError(f"DATA needs 1..{MAX_SAMPLES_PER_FRAME} samples with one time each, got {n}/{a.shape[0]}")
    rec = np.empty(n, dtype=SAMPLE_DTYPE)
    rec["t_us"] = (t.astype(np.int64) & 0xFFFFFFFF).astype(np.uint32)
    rec["adc"] = np.clip(a.astype(np.int64), 0, 0xFFFF).astype(np.uint16)
    return frame(bytes([DATA]) + _DATA_HEAD.pack(int(seq) & 0xFFFF, n) + rec.tobytes())


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
