#!/usr/bin/env python3
"""Generate firmware/test/streams.json, the wire protocol 1.1 conformance streams.

Each case is a byte stream as a receiver gets it (with arrival times) and the events a correct
receiver reports for it: samples with their device times and loss counts, pauses, resets,
rate changes, errors, the binary/text decision. The events are those of PROTOCOL.md's receiver
rules, as implemented here a second time, independently of the host package (nothing is
imported from it) and of the C code. The streams come from a small model of the firmware
(`Board`) and of a plain-text sketch (`TextBoard`) that know the truth (how many samples were
really lost, where the pauses and resets are); each case checks that the expected events tell
that truth before it is written.

    python3 firmware/test/make_streams.py            # rewrite streams.json next to this file
    python3 firmware/test/make_streams.py --check    # exit 1 if streams.json is out of date
    python3 firmware/test/make_streams.py --decode [--case FILE]   # the reference decoder

firmware/test/README.md describes the format, the events and how to run a decoder against it
(run_streams.py).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import struct
import sys
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

OUT = Path(__file__).with_name("streams.json")

MAX_PAYLOAD = 250
MAX_CHUNK = 253  # COBS of a 250-byte payload and its 2 CRC bytes
MAX_SAMPLES, MAX_BOARD, MAX_SERIAL, MAX_CHANNELS = 32, 32, 20, 8
MAX_LINE = 256  # a longer text line is junk
COUNT_LIMIT = 2**31 - 2  # a text reading must fit an int32 count
U32 = 1 << 32

T_HELLO, T_DATA, T_STATUS, T_PONG, T_ACK = 0x01, 0x02, 0x03, 0x04, 0x05
T_START, T_STOP, T_SET_RATE, T_GET_INFO, T_PING = 0x10, 0x11, 0x12, 0x13, 0x14
COMMANDS = {T_START, T_STOP, T_SET_RATE, T_GET_INFO, T_PING}
BODY_SIZE = {T_STATUS: 15, T_PONG: 8, T_ACK: 2, T_START: 0, T_STOP: 0, T_SET_RATE: 2,
             T_GET_INFO: 0, T_PING: 4}

FRONT_ENDS = ["unknown", "fsr-low", "fsr-high", "linear"]
KINDS = ["force-adc", "accel-x", "accel-y", "accel-z", "gyro-x", "gyro-y", "gyro-z"]
FORCE = [(0, 0, 1.0)]  # (kind, unit, scale): the firmware's one channel, force ADC counts
IMU = FORCE + [(k, 1, 0.0005985) for k in (1, 2, 3)] + [(k, 2, 0.0001332) for k in (4, 5, 6)]
# the firmware's channels with an MPU-6050 (PROTOCOL.md, HELLO): accel at +-2 g, gyro at
# +-250 deg/s
MPU6050 = FORCE + [(k, 1, 9.80665 / 16384) for k in (1, 2, 3)] + [
    (k, 2, math.pi / 180 / 131) for k in (4, 5, 6)]
RATE_TOLERANCE = 0.02  # an estimated text rate may differ this much from the true rate
ESTIMATE_SPAN_S = 2.0  # continuous text arrival this reference settles its rate estimate on


# --- frames -----------------------------------------------------------------------------------

def crc16(data: bytes) -> int:
    """CRC-16/CCITT-FALSE, from a table built at import."""
    crc = 0xFFFF
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ _CRC_TABLE[(crc >> 8) ^ byte]
    return crc


def _crc_table() -> list[int]:
    table = []
    for i in range(256):
        c = i << 8
        for _ in range(8):
            c = ((c << 1) ^ 0x1021) if c & 0x8000 else c << 1
        table.append(c & 0xFFFF)
    return table


_CRC_TABLE = _crc_table()


def cobs_encode(data: bytes) -> bytes:
    """COBS by blocks: split at zeros, and at 254 non-zero bytes."""
    out = bytearray()
    block = bytearray()
    for byte in data:
        if byte == 0:
            out += bytes([len(block) + 1]) + block
            block.clear()
            continue
        block.append(byte)
        if len(block) == 254:
            out += b"\xff" + block
            block.clear()
    if block or not out or data[-1] == 0 or len(data) % 254:
        out += bytes([len(block) + 1]) + block
    return bytes(out)


def cobs_decode(chunk: bytes) -> bytes | None:
    out = bytearray()
    i = 0
    while i < len(chunk):
        code = chunk[i]
        if i + code > len(chunk):
            return None
        out += chunk[i + 1:i + code]
        i += code
        if code != 0xFF and i < len(chunk):
            out.append(0)
    return bytes(out)


def frame(payload: bytes) -> bytes:
    assert 1 <= len(payload) <= MAX_PAYLOAD, len(payload)
    return cobs_encode(payload + struct.pack("<H", crc16(payload))) + b"\x00"


def corrupt(f: bytes) -> bytes:
    """`f` with one data byte changed (not a COBS code byte), so only its CRC fails."""
    codes, pos = set(), 0
    while pos < len(f) - 1:
        codes.add(pos)
        pos += f[pos]
    i = next(i for i in range(len(f) // 2, len(f) - 1) if i not in codes)
    b = bytearray(f)
    b[i] = b[i] ^ 0x10 or 0x20  # never 0x00, which would split the frame
    return bytes(b)


# --- messages ---------------------------------------------------------------------------------

def p_hello(rate: int, t_us: int, board: str = "uno", major: int = 1, minor: int = 1,
            boot_id: int = 0, front: int = 1, ohms: int = 10000, serial: str = "",
            channels: list[tuple[int, int, float]] = FORCE, more: bytes = b"") -> bytes:
    """HELLO; minor 0 is a 1.0 HELLO, `more` the fields of a newer minor."""
    name = board.encode("ascii")
    out = struct.pack("<BBBBBBHHIIB", T_HELLO, major, 0, 2, 0, 10, 5000, rate,
                      ohms if front in (1, 2) else 0, t_us % U32, len(name)) + name
    if minor:
        sn = serial.encode("ascii")
        out += struct.pack("<BIBIB", minor, boot_id, front, ohms, len(sn)) + sn
        out += bytes([len(channels)]) + b"".join(struct.pack("<BBf", *c) for c in channels)
    return out + more


def p_data(seq: int, samples: list[tuple[int, int]], trailer: tuple[int, int, int] | None = None,
           extra: list[list[int]] | None = None, more: bytes = b"") -> bytes:
    """DATA; `trailer` = (boot, run, rate_hz) makes it 1.1, `extra` holds i16s sample by sample."""
    out = struct.pack("<BHB", T_DATA, seq & 0xFFFF, len(samples))
    out += b"".join(struct.pack("<IH", t % U32, a) for t, a in samples)
    if trailer is not None:
        boot, run, rate = trailer
        out += struct.pack("<HBH", boot & 0xFFFF, run & 0xFF, rate)
        out += b"".join(struct.pack(f"<{len(e)}h", *e) for e in extra or [])
    return out + more


def p_status(t_us: int, streaming: bool, rate: int, dropped: int = 0, overruns: int = 0,
             flags: int = 0) -> bytes:
    return struct.pack("<BIIIBH", T_STATUS, t_us % U32, dropped, overruns,
                       flags | int(streaming), rate)


def p_ack(command: int, result: int = 0) -> bytes:
    return bytes([T_ACK, command, result])


def p_pong(token: int, t_us: int) -> bytes:
    return struct.pack("<BII", T_PONG, token, t_us % U32)


# --- parsing (what a receiver knows without any state) ----------------------------------------

@dataclass
class Hello:
    major: int
    rate: int
    ohms: int
    board: str
    minor: int = 0
    boot_id: int | None = None
    front: int = 1
    front_ohms: int = 0
    serial: str = ""
    kinds: list[int] = field(default_factory=lambda: [0])


@dataclass
class Data:
    seq: int
    t_us: list[int]
    adc: list[int]
    trailer: tuple[int, int, int] | None
    rest: bytes  # the bytes after the trailer: extra channels (and a newer minor's fields)


Message = Hello | Data | tuple[int, bytes]  # (type, body) for the other known types


def parse(payload: bytes) -> tuple[str, Message | None]:
    """(kind, message) of a payload whose CRC passed: ("ok", message), or ("malformed" or
    "unknown-type", None)."""
    t, b = payload[0], payload[1:]
    if t == T_HELLO:
        return parse_hello(b)
    if t == T_DATA:
        return parse_data(b)
    if t in BODY_SIZE:
        return ("ok", (t, b)) if len(b) >= BODY_SIZE[t] else ("malformed", None)
    return "unknown-type", None


def parse_hello(b: bytes) -> tuple[str, Hello | None]:
    if len(b) < 18 or b[17] > MAX_BOARD or len(b) < 18 + b[17]:
        return "malformed", None
    major, rate, ohms, blen = b[0], *struct.unpack_from("<H", b, 7), *struct.unpack_from("<I", b, 9), b[17]
    h = Hello(major, rate, ohms, b[18:18 + blen].decode("ascii", "replace"), front_ohms=ohms)
    at = 18 + blen
    if len(b) <= at or b[at] == 0:  # a 1.0 HELLO
        return "ok", h
    if len(b) < at + 11:
        return "malformed", None
    h.minor, h.boot_id, h.front, h.front_ohms, slen = struct.unpack_from("<BIBIB", b, at)
    at += 11
    if slen > MAX_SERIAL or len(b) < at + slen + 1:
        return "malformed", None
    h.serial = b[at:at + slen].decode("ascii", "replace")
    nch = b[at + slen]
    at += slen + 1
    if not 1 <= nch <= MAX_CHANNELS or len(b) < at + 6 * nch:
        return "malformed", None
    h.kinds = [b[at + 6 * i] for i in range(nch)]
    return "ok", h


def parse_data(b: bytes) -> tuple[str, Data | None]:
    if len(b) < 3 or not 1 <= b[2] <= MAX_SAMPLES or len(b) < 3 + 6 * b[2]:
        return "malformed", None
    seq, n = struct.unpack_from("<HB", b)
    pairs = [struct.unpack_from("<IH", b, 3 + 6 * i) for i in range(n)]
    at = 3 + 6 * n
    trailer = None
    if len(b) > at:
        if len(b) < at + 5 or struct.unpack_from("<H", b, at + 3)[0] == 0:
            return "malformed", None
        trailer = struct.unpack_from("<HBH", b, at)
        at += 5
    return "ok", Data(seq, [t for t, _ in pairs], [a for _, a in pairs], trailer, b[at:])


def chunk_outcomes(data: bytes) -> list[tuple[str, bytes | None]]:
    """Each 0x00-delimited chunk's outcome, without stream state: (kind, payload when the CRC
    passed). The C decoder must give the same."""
    out: list[tuple[str, bytes | None]] = []
    splitter = Splitter()
    for byte in data:
        got = splitter.feed(byte)
        if got is not None:
            kind, payload = got
            if payload is not None:
                kind = parse(payload)[0]
            out.append((kind, payload))
    return out


class Splitter:
    """Splits bytes at 0x00; a chunk outcome is (kind, payload) with payload set when the CRC
    passed. It buffers at most MAX_CHUNK bytes and reports a longer chunk once, at its 0x00."""

    def __init__(self) -> None:
        self.chunk = bytearray()
        self.over = False

    def feed(self, byte: int) -> tuple[str, bytes | None] | None:
        if byte:
            if len(self.chunk) < MAX_CHUNK:
                self.chunk.append(byte)
            else:
                self.over = True
            return None
        chunk, over = bytes(self.chunk), self.over
        self.chunk.clear()
        self.over = False
        if over:
            return "oversize", None
        if not chunk:
            return None
        raw = cobs_decode(chunk)
        if raw is None:
            return "cobs", None
        if len(raw) < 3:
            return "truncated", None
        if crc16(raw[:-2]) != struct.unpack("<H", raw[-2:])[0]:
            return "crc", None
        return "ok", raw[:-2]


# --- text lines --------------------------------------------------------------------------------

_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)")
_FIELDS = re.compile(r"[,;\s]+")
_HEADER = re.compile(r"# kneadback(\s|$)")


def reading(line: str) -> int | None:
    """The reading of a sample line, or None when the line is not one.

    Every field (separated by commas, semicolons, spaces or tabs) must be a number or a
    `label:number` pair; the first is the reading, rounded half away from zero."""
    fields = [f for f in _FIELDS.split(re.sub(r"\s*:\s*", ":", line.strip())) if f]
    values = []
    for f in fields:
        label, _, number = f.rpartition(":")
        if (f.count(":") and not label) or not _NUMBER.fullmatch(number):
            return None
        values.append(float(number))
    if not values or abs(values[0]) > COUNT_LIMIT:
        return None
    return int(values[0] + 0.5) if values[0] >= 0 else -int(-values[0] + 0.5)


def header(line: str) -> dict | None:
    """The fields of a `# kneadback key=value ...` line; None when a value is bad."""
    out: dict = {"rate_hz": None, "front_end": "unknown", "front_ohms": 0}
    for pair in line.strip().split()[2:]:
        key, eq, value = pair.partition("=")
        if not eq:
            return None
        if key == "front":
            if value not in FRONT_ENDS:
                return None
            out["front_end"] = value
        elif key in ("rate", "divider", "bits", "vref"):
            if not _NUMBER.fullmatch(value) or value.startswith(("+", "-")):
                return None
            number = float(value)
            if key == "rate":
                if number <= 0:
                    return None
                out["rate_hz"] = int(number) if number.is_integer() else number
            elif key == "divider":
                out["front_ohms"] = int(number)
        # other keys: room to grow, ignored
    return out


def printable(raw: bytes) -> bool:
    return all(32 <= b < 127 or b == 9 for b in raw)


def no_text_in(f: bytes) -> bool:
    """True when frame `f`, read as text, makes no line: each of its CR/LF-ended pieces holds a
    byte that is no text."""
    pieces = re.split(rb"[\r\n]", f)[:-1]  # the last piece ends at the 0x00
    return all(not p or not printable(p) for p in pieces)


# --- the reference receiver --------------------------------------------------------------------

class Receiver:
    """PROTOCOL.md's receiver rules, event by event (see README.md for the events)."""

    def __init__(self, text_rate: float | None = None) -> None:
        self.events: list[dict] = []
        self.text_rate_truth = text_rate  # the generator's truth, to check the estimate
        self.mode: str | None = None
        self.head = bytearray()  # the bytes before the text or binary decision
        self.head_run = 0  # bytes since the last 0x00
        self.head_ends = 0  # CR or LF bytes with only text between them
        self.stopped = False  # refused another major: nothing more is reported
        self.counts: Counter[str] = Counter()
        self.splitter = Splitter()
        # text lines
        self.line = bytearray()
        self.line_over = False
        self.pending: list[int] = []  # text readings of this input item
        self.held: list[tuple[str, bytes | None]] = []  # chunk outcomes held in text mode
        self.held_frames = 0
        self.text_rate: float | None = None  # the rate text samples are reported at
        self.declared: float | None = None
        self.span: list[float] | None = None  # [start, last arrival, samples after the start]
        self.settled = False
        # binary
        self.rate: int | None = None  # 1.0: from HELLO and STATUS
        self.reported_rate: float | None = None
        self.channels: int | None = None
        self.boot: int | None = None  # the low 16 bits of the current boot's id
        self.v11 = False
        self.prev: tuple[int, int, int] | None = None  # seq, raw t_us, unwrapped t_us
        self.run: int | None = None
        self.paused = False
        self.active = False  # 1.0: DATA came since the last pause or reset
        self.hello_since_data = False

    # --- input --------------------------------------------------------------------------
    def feed(self, at: float, data: bytes) -> None:
        for byte in data:
            if self.mode is None:
                self.head.append(byte)
                self.mode = self.detect(byte)
                if self.mode is not None:
                    self.emit("mode", mode=self.mode)
                    for b in bytes(self.head):
                        self.take(b)
                    self.head.clear()
            else:
                self.take(byte)
        self.flush_text(at)

    def detect(self, byte: int) -> str | None:
        """Binary when a 0x00 ends a chunk of at least 3 bytes; text at the 4th CR or LF byte
        with only printable ASCII or tab between them; binary after 512 bytes."""
        if byte == 0:
            if self.head_run >= 3:
                return "binary"
            self.head_run = self.head_ends = 0
        else:
            self.head_run += 1
            if byte in (10, 13):
                self.head_ends += 1
                if self.head_ends >= 4:
                    return "text"
            elif not printable(bytes([byte])):
                self.head_ends = 0
        return "binary" if len(self.head) >= 512 else None

    def take(self, byte: int) -> None:
        """A byte of a decided stream: to the line splitter (text) and the frame splitter; at
        most one of them completes something with it."""
        if self.stopped:
            return
        if self.mode == "text":
            self.line_byte(byte)
        got = self.splitter.feed(byte)
        if got is not None:
            self.chunk(*got)

    def emit(self, event: str, **fields: object) -> None:
        if self.pending:
            self.emit_pending()
        self.events.append({"event": event, **fields})

    def error(self, kind: str) -> None:
        self.counts[kind] += 1
        self.emit("error", kind=kind, count=self.counts[kind])

    # --- text ---------------------------------------------------------------------------
    def line_byte(self, byte: int) -> None:
        if byte == 0:  # a frame's end: its bytes were no text
            self.line.clear()
            self.line_over = False
        elif byte in (10, 13):
            line, over = bytes(self.line), self.line_over
            self.line.clear()
            self.line_over = False
            self.text_line(line, over)
        elif len(self.line) < MAX_LINE:
            self.line.append(byte)
        else:
            self.line_over = True

    def text_line(self, raw: bytes, over: bool) -> None:
        text = raw.decode("latin-1")
        if not over and (not text.strip() or not printable(raw)):
            return  # blank, or bytes that are no text (a frame's, noise): not a line
        head = header(text) if not over and _HEADER.match(text.strip()) else None
        if head is not None:
            self.emit("info", major=None, minor=None, boot_id=None, rate_hz=head["rate_hz"],
                      front_end=head["front_end"], front_ohms=head["front_ohms"], serial=None,
                      channels=["force-adc"], board=None)
            if head["rate_hz"] is not None:
                self.declared = head["rate_hz"]
            return
        value = None if over else reading(text)
        if value is None:
            self.error("text-parse")
            return
        if self.declared is not None and self.declared != self.text_rate:
            self.text_rate = self.declared
            self.emit("rate", rate_hz=self.declared)
        self.pending.append(value)

    def flush_text(self, at: float) -> None:
        """End of an input item: its text readings become one event; the arrival estimate."""
        count = len(self.pending)
        if count:
            self.emit_pending()
        if self.mode != "text" or self.declared is not None or self.settled or not count:
            return
        span = self.span
        # a gap of more than a few periods (by the span's own estimate) ends a span
        limit = 0.25 if span is None or span[2] < 5 or span[1] == span[0] else max(
            0.05, 4 * (span[1] - span[0]) / span[2])
        if span is None or at - span[1] > limit:
            self.span = [at, at, 0]
            return
        span[1] = at
        span[2] += count
        if span[1] - span[0] >= ESTIMATE_SPAN_S:
            estimate = span[2] / (span[1] - span[0])
            truth = self.text_rate_truth
            if truth is not None:  # generating: the file says the truth
                assert abs(estimate - truth) < 0.005 * truth, (estimate, truth)
                estimate = truth
            self.settled = True
            self.text_rate = estimate
            self.events.append({"event": "rate", "rate_hz": round(estimate, 1), "estimated": True})

    def emit_pending(self) -> None:
        """Text readings: consecutive ones make one event (their grouping is free)."""
        last = self.events[-1] if self.events else {}
        if last.get("event") == "samples" and "t_us" not in last:
            last["adc"] = last["adc"] + self.pending
        else:
            self.events.append({"event": "samples", "adc": self.pending, "lost": 0})
        self.pending = []

    # --- frames -------------------------------------------------------------------------
    def chunk(self, kind: str, payload: bytes | None) -> None:
        msg = None
        if payload is not None:
            kind, msg = parse(payload)
        if self.mode == "text":
            self.hold(kind, payload)
        elif msg is None:
            self.error(kind)
        elif not (isinstance(msg, tuple) and msg[0] in COMMANDS):  # a loopback's: not for us
            self.message(msg)

    def hold(self, kind: str, payload: bytes | None) -> None:
        """Text mode: the second valid HELLO or DATA switches to binary; the outcomes from the
        first one on are then taken in order."""
        valid = kind == "ok" and payload is not None and payload[0] in (T_HELLO, T_DATA)
        if not valid and not self.held:
            return
        self.held.append((kind, payload))
        self.held_frames += valid
        if self.held_frames < 2:
            return
        self.mode = "binary"
        self.emit("mode", mode="binary")
        held, self.held = self.held, []
        for kind, payload in held:
            self.chunk(kind if payload is None else "ok", payload)

    def message(self, msg: Message) -> None:
        if isinstance(msg, Hello):
            self.hello(msg)
        elif isinstance(msg, Data):
            self.data(msg)
        else:
            t, b = msg
            if t == T_STATUS:
                self.status(b)
            elif t == T_ACK:
                self.emit("ack", command=b[0], result=b[1])
                if not self.v11 and b[0] == T_STOP:
                    self.pause_1_0()
            elif t == T_PONG:
                self.emit("pong", token=struct.unpack_from("<I", b)[0])

    def hello(self, h: Hello) -> None:
        if h.major != 1:
            self.emit("refused", major=h.major)
            self.stopped = True
            return
        if h.boot_id is not None:  # 1.1
            if self.boot is not None and h.boot_id & 0xFFFF != self.boot:
                self.reset()
            self.boot = h.boot_id & 0xFFFF
        else:
            self.boot = None
            self.hello_since_data = True
        self.v11 = h.minor >= 1
        self.channels = len(h.kinds)
        self.rate = h.rate
        front = FRONT_ENDS[h.front] if h.front < len(FRONT_ENDS) else "unknown"
        self.emit("info", major=1, minor=h.minor, boot_id=h.boot_id, rate_hz=h.rate,
                  front_end=front, front_ohms=h.front_ohms, serial=h.serial,
                  channels=[KINDS[k] if k < len(KINDS) else "unknown" for k in h.kinds],
                  board=h.board)

    def reset(self) -> None:
        self.emit("reset")
        self.prev = self.run = None
        self.paused = self.active = False

    def status(self, b: bytes) -> None:
        _, dropped, overruns, flags, rate = struct.unpack_from("<IIIBH", b)
        streaming = bool(flags & 1)
        self.emit("status", dropped=dropped, overruns=overruns, streaming=streaming, rate_hz=rate)
        if not self.v11:
            if rate:
                self.rate = rate
            if not streaming:
                self.pause_1_0()

    def pause_1_0(self) -> None:
        if self.active:
            self.active = False
            self.paused = True
            self.emit("pause")

    def data(self, d: Data) -> None:
        extra = None
        rate: int | None
        if d.trailer is not None:
            boot, run, rate = d.trailer
            ch = self.channels if self.v11 else None
            if ch and ch > 1:
                need = 2 * (ch - 1) * len(d.adc)
                if len(d.rest) < need:
                    self.error("malformed")
                    return
                values = struct.unpack_from(f"<{need // 2}h", d.rest)
                extra = [list(values[c::ch - 1]) for c in range(ch - 1)]
            self.v11 = True
            if self.boot is not None and boot != self.boot:
                self.reset()
            self.boot = boot
            new_run = self.run is not None and run != self.run
            if new_run:
                self.emit("pause")
            self.run = run
            counted = self.prev is not None and not new_run
        else:
            self.v11 = False
            rate = self.rate
            p = self.prev
            follows = p is not None and (d.seq - p[0]) % 65536 == 1
            if p is not None and (
                    (self.hello_since_data and d.seq == 0 and not follows)
                    or (d.t_us[0] - p[1]) % U32 >= U32 // 2
                    or (d.seq < 64 and not follows and d.t_us[0] < p[1])):
                self.reset()
            counted = self.prev is not None and not self.paused and rate is not None
        if rate is not None and rate != self.reported_rate:
            self.reported_rate = rate
            self.emit("rate", rate_hz=rate)
        if self.prev is None:
            raw, u = d.t_us[0], 0
        else:
            _, raw, u = self.prev
        times = []
        for t in d.t_us:
            u += (t - raw) % U32
            raw = t
            times.append(u)
        lost = 0
        if counted and self.prev is not None and rate is not None:
            gap = times[0] - self.prev[2]
            lost = max(0, (2 * gap * rate + 1_000_000) // 2_000_000 - 1)
        event: dict = {"t_us": times, "adc": d.adc, "lost": lost}
        if extra:
            event["extra"] = extra
        self.emit("samples", **event)
        self.prev = (d.seq, d.t_us[-1], times[-1])
        self.paused = self.hello_since_data = False
        self.active = True


# --- the firmware, modelled --------------------------------------------------------------------

def adc_of(k: int) -> int:
    return (k * 37 + 100) % 1024


def extra_of(k: int, c: int) -> int:
    return (k * 97 + c * 5000) % 65536 - 32768


class Board:
    """A board running the firmware: timer-paced samples, DATA of n = max(1, rate/50) samples
    (at most 20), STATUS once a second, the commands' replies, resets; any frame can be lost.

    `items` are (arrival seconds, bytes); `lost` counts the samples of lost frames (the truth).
    """

    def __init__(self, items: list[tuple[float, bytes]] | None = None, *, minor: int = 1,
                 rate: int = 200, boot_id: int = 7, first_us: int = 1_500_000, at: float = 0.0,
                 channels: list[tuple[int, int, float]] = FORCE, board: str = "uno",
                 serial: str = "", hello: bool = True, auto_status: bool = True,
                 hello_more: bytes = b"", data_more: bytes = b"", major: int = 1) -> None:
        self.items = [] if items is None else items
        self.minor, self.major, self.channels, self.board, self.serial = (
            minor, major, channels, board, serial)
        self.hello_more, self.data_more = hello_more, data_more
        self.auto_status = auto_status
        self.lost = 0
        self.sent = 0
        self.k = 0
        self.boot(boot_id, first_us, at, rate, hello)

    # --- clock --------------------------------------------------------------------------
    def boot(self, boot_id: int, first_us: int, at: float, rate: int, hello: bool) -> None:
        self.boot_id, self.rate = boot_id, rate
        self.h0 = at + 0.002 - first_us / 1e6  # host seconds at micros() = 0 (unwrapped)
        self.now_us = first_us - 2000
        self.seq = self.run = 0
        self.buf: list[tuple[int, int, list[int]]] = []
        self.next_us = first_us
        self.status_us = first_us + 1_000_000
        self.streaming = True
        self.send(self.hello_payload(), lose=not hello)

    @property
    def period(self) -> int:
        assert 1_000_000 % self.rate == 0, self.rate
        return 1_000_000 // self.rate

    @property
    def per_frame(self) -> int:
        # the firmware samples at most 500 Hz with an IMU: 20 of its samples would pass 250 bytes
        assert len(self.channels) == 1 or self.rate <= 500, self.rate
        return min(20, max(1, self.rate // 50))

    def send(self, payload: bytes, lose: bool = False, bad: bool = False, before: bytes = b"") -> None:
        """A frame (after `before`) leaves now; `lose` drops it, `bad` changes a byte."""
        f = frame(payload)
        if lose:
            f = b""
        elif bad:
            f = corrupt(f)
        self.raw(before + f)

    def raw(self, data: bytes) -> None:
        """Bytes that leave now: they arrive after 1 ms and their time on the wire."""
        if not data:
            return
        t = self.h0 + self.now_us / 1e6
        at = round(t + 0.001 + len(data) * 10 / 115200, 6)
        if self.items:
            at = max(at, self.items[-1][0])
        self.items.append((at, data))

    # --- messages -----------------------------------------------------------------------
    def hello_payload(self) -> bytes:
        return p_hello(self.rate, self.now_us, self.board, self.major, self.minor, self.boot_id,
                       serial=self.serial, channels=self.channels, more=self.hello_more)

    def status(self, lose: bool = False) -> None:
        self.send(p_status(self.now_us, self.streaming, self.rate), lose)

    def ack(self, command: int, lose: bool = False) -> None:
        self.now_us += 300
        self.send(p_ack(command), lose)

    def data_frame(self, lose: bool = False, bad: bool = False, before: bytes = b"") -> None:
        samples = [(t, a) for t, a, _ in self.buf]
        trailer = (self.boot_id, self.run, self.rate) if self.minor else None
        extra = [e for _, _, e in self.buf] if len(self.channels) > 1 else None
        payload = p_data(self.seq, samples, trailer, extra, self.data_more)
        self.seq = (self.seq + 1) % 65536
        self.send(payload, lose, bad, before)
        self.sent += len(samples)
        self.lost += len(samples) if lose or bad else 0
        self.buf = []

    # --- what it does -------------------------------------------------------------------
    def stream(self, frames: int, lose: Collection[int] = (), bad: Collection[int] = (),
               junk: dict[int, bytes] | None = None, tail: int = 0) -> None:
        """`frames` DATA frames (numbered from 0 for lose/bad/junk), then `tail` samples
        taken but not yet sent (a STOP or SET_RATE sends them)."""
        assert self.streaming
        for i in range(frames + (1 if tail else 0)):
            for _ in range(tail if i == frames else self.per_frame):
                extra = [extra_of(self.k, c) for c in range(1, len(self.channels))]
                self.buf.append((self.next_us, adc_of(self.k), extra))
                self.now_us = self.next_us
                self.next_us += self.period
                self.k += 1
            if i == frames:
                break
            self.data_frame(i in lose, i in bad, (junk or {}).get(i, b""))
            self.periodic_status()

    def periodic_status(self) -> None:
        if self.auto_status and self.now_us >= self.status_us:
            self.status_us += 1_000_000
            self.status()

    def stop(self, lose_ack: bool = False, lose_status: bool = False) -> None:
        if self.buf:
            self.data_frame()
        self.streaming = False
        self.ack(T_STOP, lose_ack)
        self.status(lose_status)

    def wait(self, seconds: float) -> None:
        """Stopped for `seconds`; STATUS(off) once a second."""
        assert not self.streaming
        end = self.now_us + int(seconds * 1e6)
        while self.auto_status and self.status_us <= end:
            self.now_us = self.status_us
            self.status_us += 1_000_000
            self.status()
        self.now_us = end

    def start(self, status_first: bool = False, lose_ack: bool = False) -> None:
        """START: ACK, then (1.1) a new run; `status_first` puts a STATUS(on) between the ACK
        and the first DATA, as a 1.0 firmware's periodic STATUS could."""
        self.streaming = True
        self.ack(T_START, lose_ack)
        self.run = (self.run + 1) % 256
        if status_first:
            self.status()
        self.next_us = self.now_us + self.period
        self.status_us = self.now_us + 1_000_000

    def set_rate(self, rate: int, lose_hello: bool = False) -> None:
        """SET_RATE: the old rate's samples go out, then ACK and HELLO; the first new sample
        comes one new period after the last old one."""
        if self.buf:
            self.data_frame()
        last = self.next_us - self.period
        self.rate = rate
        self.next_us = last + self.period
        self.ack(T_SET_RATE)
        self.send(self.hello_payload(), lose_hello)

    def get_info(self) -> None:
        self.ack(T_GET_INFO)
        self.send(self.hello_payload())

    def ping(self, token: int) -> None:
        self.ack(T_PING)
        self.send(p_pong(token, self.now_us))

    def reset(self, boot_id: int, first_us: int = 1_500_000, off_s: float = 1.6,
              lose_hello: bool = False, rate: int = 200) -> None:
        """The board restarts (a replug, the reset button): `off_s` later it boots again with
        a fresh clock, sequence and run, at its default rate."""
        assert not self.buf
        at = self.h0 + self.now_us / 1e6 + off_s
        self.boot(boot_id, first_us, at, rate, not lose_hello)


READ_US = 20_000  # how often the host reads a text board


class TextBoard:
    """A sketch that prints one reading a line at `rate`; the host reads what has arrived
    every 20 ms, and every 7th read ends in the middle of a line."""

    def __init__(self, items: list[tuple[float, bytes]], rate: int, at: float = 0.0,
                 fmt: str = "{}\r\n") -> None:
        assert 1_000_000 % rate == 0
        self.items, self.rate, self.fmt = items, rate, fmt
        self.t_us = int(at * 1e6)
        self.k = 0
        self.values: list[int] = []

    def lines(self, seconds: float, stall: tuple[float, float] | None = None) -> None:
        """Print for `seconds`. In a host `stall` (start, length in seconds), nothing is read;
        what was printed arrives at its end, all at once."""
        reads: dict[int, bytearray] = {}
        end = self.t_us + int(seconds * 1e6)
        while self.t_us < end:
            read = -(-self.t_us // READ_US) * READ_US
            if stall and stall[0] * 1e6 <= read < (stall[0] + stall[1]) * 1e6:
                read = int((stall[0] + stall[1]) * 1e6)
            reads.setdefault(read, bytearray()).extend(self.fmt.format(adc_of(self.k)).encode())
            self.values.append(adc_of(self.k))
            self.k += 1
            self.t_us += 1_000_000 // self.rate
        carry = b""
        for n, (read, printed) in enumerate(sorted(reads.items())):
            data, carry = carry + bytes(printed), b""
            if n % 7 == 6 and read != max(reads):
                data, carry = data[:-2], data[-2:]
            self.text(data, read / 1e6)

    def text(self, data: bytes, at: float | None = None) -> None:
        """Bytes that arrive at `at` (by default, the next read)."""
        if at is None:
            at = -(-self.t_us // READ_US) * READ_US / 1e6
        self.items.append((round(at + 0.001, 6), data))

    def unplug(self, seconds: float) -> None:
        """The cable is out: nothing is printed or read for `seconds`; the sketch restarts."""
        self.t_us += int(seconds * 1e6)


# --- the cases ---------------------------------------------------------------------------------

ESP32_BANNER = (
    b"ets Jun  8 2016 00:22:57\r\n\r\nrst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\r\n"
    b"configsip: 0, SPIWP:0xee\r\nclk_drv:0x00,q_drv:0x00,d_drv:0x00,cs0_drv:0x00,hd_drv:0x00,"
    b"wp_drv:0x00\r\nmode:DIO, clock div:1\r\nload:0x3fff0018,len:4\r\nload:0x3fff001c,len:1044"
    b"\r\nload:0x40078000,len:10124\r\nload:0x40080400,len:5828\r\nentry 0x400806a8\r\n")
ESP32_BANNER_LINES = 10
HEADER = b"# kneadback rate=200 divider=10000 front=fsr-low bits=10 vref=5000\r\n"


def junk(n: int, seed: int) -> bytes:
    """n bytes of noise without 0x00 (a small LCG: the same on every Python)."""
    out = bytearray()
    x = seed
    while len(out) < n:
        x = (x * 1103515245 + 12345) % 2**31
        if (x >> 16) & 0xFF:
            out.append((x >> 16) & 0xFF)
    return bytes(out)


@dataclass
class Case:
    name: str
    description: str
    items: list[tuple[float, bytes]]
    text_rate: float | None = None
    events: list[dict] = field(default_factory=list)

    def run(self) -> Case:
        rx = Receiver(self.text_rate)
        for at, data in self.items:
            rx.feed(at, data)
        self.events = rx.events
        return self

    # --- what the events say ------------------------------------------------------------
    def of(self, kind: str) -> list[dict]:
        return [e for e in self.events if e["event"] == kind]

    def lost(self) -> list[int]:
        return [e["lost"] for e in self.of("samples")]

    def samples(self) -> int:
        return sum(len(e["adc"]) for e in self.of("samples"))

    def errors(self) -> dict[str, int]:
        return dict(Counter(e["kind"] for e in self.of("error")))

    def expect(self, samples: int | None = None, lost: int = 0, pauses: int = 0,
               resets: int = 0, errors: dict[str, int] | None = None,
               rates: list[float] | None = None, modes: tuple[str, ...] = ("binary",)) -> Case:
        """Checks the events against the truth the case was built with."""
        got = {"samples": self.samples(), "lost": sum(self.lost()),
               "pauses": len(self.of("pause")), "resets": len(self.of("reset")),
               "errors": self.errors(), "modes": tuple(e["mode"] for e in self.of("mode"))}
        want = {"samples": got["samples"] if samples is None else samples, "lost": lost,
                "pauses": pauses, "resets": resets, "errors": errors or {}, "modes": modes}
        if rates is not None:
            got["rates"] = [e["rate_hz"] for e in self.of("rate")]
            want["rates"] = rates
        assert got == want, (self.name, got, want)
        return self

    def as_json(self) -> dict:
        return {"name": self.name, "description": self.description,
                "input": [{"at": at, "hex": data.hex()} for at, data in self.items],
                "expect": self.events}


def clean_cases() -> list[Case]:
    out = []
    for minor in (0, 1):
        v = f"1.{minor}"
        for rate, frames in ((10, 12), (50, 15), (200, 30), (1000, 12)):
            b = Board(minor=minor, rate=rate)
            b.stream(frames)
            out.append(Case(
                f"{v} clean at {rate} Hz",
                f"HELLO then {frames} DATA frames of {b.per_frame} sample(s), STATUS once a "
                "second: device times from 0 at the first sample, exactly one period apart, "
                "nothing lost.", b.items).run().expect(samples=b.sent, rates=[rate]))
    return out


def pause_cases() -> list[Case]:
    out = []
    for minor in (0, 1):
        v = f"1.{minor}"
        b = Board(minor=minor, rate=200)
        b.stream(10, tail=2)
        b.stop()
        b.wait(5.0)
        b.start(status_first=True)
        b.stream(10)
        out.append(Case(
            f"{v} STOP/START with STATUS(on) between ACK(START) and the first DATA",
            "A 5 s pause at 200 Hz; the last frame before STOP holds 2 samples. The periodic "
            "STATUS(on) comes after ACK(START) but before the first DATA: it does not end the "
            "pause (1.0: the pause began at ACK(STOP) and ends at the next DATA; 1.1: the run "
            "changed). Nothing is lost; a receiver that counts the pause gets 1000 phantom "
            "lost samples.", b.items).run().expect(samples=b.sent, pauses=1))

    b = Board(minor=0, rate=200, auto_status=False)
    b.stream(10)
    b.stop(lose_status=True)
    b.wait(0.7)
    b.start()
    b.stream(10)
    out.append(Case(
        "1.0 STOP with its STATUS(off) lost: ACK(STOP) starts the pause",
        "The STATUS(off) after STOP is lost; ACK(STOP) alone marks the pause, so the 0.7 s "
        "gap is not a loss.", b.items).run().expect(samples=b.sent, pauses=1))

    b = Board(minor=0, rate=200, auto_status=False)
    b.stream(10)
    b.stop(lose_ack=True)
    b.wait(0.7)
    b.start()
    b.stream(10)
    out.append(Case(
        "1.0 STOP with its ACK lost: STATUS(off) starts the pause",
        "Whichever of ACK(STOP) and STATUS(streaming off) comes first starts the pause.",
        b.items).run().expect(samples=b.sent, pauses=1))

    b = Board(minor=0, rate=100)
    b.stream(60)
    b.stop()
    b.wait(3.2)
    b.start(status_first=True)
    b.stream(20)
    out.append(Case(
        "1.0 a long pause: STATUS(off) every second makes one pause",
        "ACK(STOP), then STATUS(off) once a second for 3 s, then START: one pause event; the "
        "repeated STATUS(off) and a STATUS(on) before the first DATA change nothing.",
        b.items).run().expect(samples=b.sent, pauses=1))

    b = Board(minor=1, rate=200, auto_status=False)
    b.stream(10)
    b.stop(lose_ack=True, lose_status=True)
    b.wait(2.0)
    b.start(lose_ack=True)
    b.stream(10)
    out.append(Case(
        "1.1 STOP/START with ACK(STOP), STATUS(off) and ACK(START) all lost: the run tells",
        "Nothing but the DATA frames arrives; the new `run` in the trailer marks the pause, "
        "so the 2 s gap is not a loss.", b.items).run().expect(samples=b.sent, pauses=1))

    for rate, frames in ((10, 4), (1000, 3)):
        b = Board(minor=1, rate=rate)
        for cycle in range(4):
            b.stream(frames)
            b.stop()
            b.wait(0.4 + 0.3 * cycle)
            b.start(status_first=cycle % 2 == 1)
        b.stream(frames)
        out.append(Case(
            f"1.1 four STOP/START cycles at {rate} Hz",
            "Pauses of 0.4 to 1.3 s, some with a STATUS(on) before the first DATA: one pause "
            "event each, seq continuing across them, nothing lost.",
            b.items).run().expect(samples=b.sent, pauses=4))
    return out


def rate_cases() -> list[Case]:
    out = []
    for minor in (0, 1):
        v = f"1.{minor}"
        b = Board(minor=minor, rate=200)
        b.stream(20, tail=1)
        b.set_rate(10)
        b.stream(8)
        out.append(Case(
            f"{v} SET_RATE 200 to 10 Hz",
            "The old rate's last sample goes out in a short frame, then ACK and HELLO; the first "
            "sample at 10 Hz comes one new period (100 ms) after the last at 200 Hz: no loss.",
            b.items).run().expect(samples=b.sent, rates=[200, 10]))

    b = Board(minor=0, rate=200)
    b.stream(20)
    b.set_rate(10, lose_hello=True)
    b.stream(12)
    c = Case(
        "1.0 SET_RATE 200 to 10 Hz with the HELLO lost: corrected by STATUS.rate_hz",
        "A 1.0 receiver keeps 200 Hz until the next STATUS says 10 Hz, so the 10 Hz frames "
        "before it count 19 lost each (a 1.0 stream cannot know better); from the STATUS on, "
        "nothing is lost. The 1.1 trailer removes this (next case).", b.items).run()
    status_at = c.events.index(next(e for e in c.of("status") if e["rate_hz"] == 10))
    before = [e["lost"] for e in c.events[:status_at] if e["event"] == "samples"][20:]
    after = [e["lost"] for e in c.events[status_at:] if e["event"] == "samples"]
    assert before and set(before) == {19} and set(after) == {0}, (before, after)
    out.append(c.expect(samples=b.sent, lost=19 * len(before), rates=[200, 10]))

    b = Board(minor=1, rate=200)
    b.stream(20)
    b.set_rate(10, lose_hello=True)
    b.stream(12)
    out.append(Case(
        "1.1 SET_RATE 200 to 10 Hz with the HELLO lost: the trailer gives the rate",
        "Each DATA frame carries its rate, so nothing is lost at any frame.",
        b.items).run().expect(samples=b.sent, rates=[200, 10]))

    for minor in (0, 1):
        v = f"1.{minor}"
        b = Board(minor=minor, rate=1000)
        b.stream(10, lose={5, 6})
        b.set_rate(200)
        b.stream(12, lose={2, 3, 4})
        b.set_rate(1000)
        b.stream(8, lose={3})
        out.append(Case(
            f"{v} rate changes with lost frames",
            "At 1000 Hz 2 frames (40 samples) are lost, then at 200 Hz 3 frames (12 samples), "
            "then at 1000 Hz again 1 frame (20 samples): each loss is counted at its frame's "
            f"rate, exactly ({b.lost} in all).", b.items).run().expect(
                samples=b.sent - b.lost, lost=b.lost, rates=[1000, 200, 1000]))
    return out


def seq_cases() -> list[Case]:
    out = []
    for minor in (0, 1):
        v = f"1.{minor}"
        b = Board(minor=minor, rate=200)
        b.stream(10)
        b.seq = (b.seq + 1000) % 65536
        b.stream(10)
        out.append(Case(
            f"{v} seq jumps by 1000 while time is continuous: nothing lost",
            "Time wins: samples are timer-paced, so a seq gap with no time gap is no loss.",
            b.items).run().expect(samples=b.sent))

    b = Board(minor=0, rate=200)
    b.seq = 65530
    b.stream(12, lose={7, 8})
    out.append(Case(
        "1.0 seq wraps from 65535 to 0, with frames lost across the wrap",
        "seq 65535 and 0 are lost; seq restarting near 0 is not a reset while time goes on: "
        "8 samples lost.", b.items).run().expect(samples=b.sent - b.lost, lost=b.lost))
    return out


def reset_cases() -> list[Case]:
    out = []
    b = Board(minor=0, rate=200)
    b.stream(20)
    b.reset(boot_id=0)
    b.stream(20)
    out.append(Case(
        "1.0 reset with its HELLO",
        "The board restarts (a replug): HELLO, then seq 0 with a clock that starts again. "
        "A reset, not a loss: device times restart at 0.", b.items).run().expect(
            samples=b.sent, resets=1))

    b = Board(minor=0, rate=200, first_us=1_200_000)
    b.stream(5)
    b.reset(boot_id=0, first_us=2_600_000, off_s=0.3)
    b.stream(10)
    out.append(Case(
        "1.0 quick reset with its HELLO: the clock does not step back",
        "The board ran for 0.1 s, so its new clock (2.6 s at the first sample) is ahead of "
        "the old one; HELLO then seq 0 (not the next seq) is a reset all the same.",
        b.items).run().expect(samples=b.sent, resets=1))

    b = Board(minor=0, rate=200, first_us=2_999_000_000)
    b.stream(20)
    b.reset(boot_id=0, lose_hello=True)
    b.stream(20)
    out.append(Case(
        "1.0 lost reset HELLO after the board ran 50 min",
        "The clock was past 2^31 us (35.8 min), so the new boot's small t_us looks like a "
        "1296 s jump forward modulo 2^32. seq restarting near 0 while t_us steps back (as "
        "unsigned values) is a reset even without the HELLO: no loss, times restart at 0.",
        b.items).run().expect(samples=b.sent, resets=1))

    b = Board(minor=0, rate=10, first_us=U32 - 200_000)
    b.stream(25)
    b.reset(boot_id=0, lose_hello=True)
    b.stream(55)
    out.append(Case(
        "1.0 lost reset HELLO after the u32 clock wrapped",
        "The clock wraps 0.2 s in, and 2.5 s after the wrap the board resets; its HELLO is "
        "lost. A reset (seq back near 0, t_us back). The board restarts at 200 Hz: until "
        "STATUS says so, a 1.0 receiver keeps 10 Hz (which loses nothing here).",
        b.items).run().expect(samples=b.sent, resets=1, rates=[10, 200]))

    b = Board(minor=1, rate=200, first_us=2_999_000_000, boot_id=41)
    b.stream(20)
    b.reset(boot_id=42, lose_hello=True)
    b.stream(20)
    out.append(Case(
        "1.1 lost reset HELLO: the DATA's boot tells",
        "After 50 min the board resets and its HELLO is lost; the trailer's boot (42, not "
        "41) is a reset: no loss, times restart at 0.", b.items).run().expect(
            samples=b.sent, resets=1))

    b = Board(minor=1, rate=200, boot_id=0x1_0005)
    b.stream(10)
    b.reset(boot_id=0x1_0006)
    b.stream(10)
    out.append(Case(
        "1.1 reset with its HELLO: a new boot_id",
        "The reset is known at the HELLO (reset, then info), before any DATA of the new boot.",
        b.items).run().expect(samples=b.sent, resets=1))

    for minor in (0, 1):
        v = f"1.{minor}"
        b = Board(minor=minor, rate=200)
        b.stream(10)
        b.get_info()
        b.stream(10)
        b.ping(0xC0FFEE)
        b.get_info()
        b.stream(5)
        out.append(Case(
            f"{v} re-sent HELLO (GET_INFO): no reset",
            "HELLO in reply to GET_INFO, with the same boot_id (1.1) or followed by the next "
            "seq (1.0), describes the board again: no reset, no loss.",
            b.items).run().expect(samples=b.sent))
    return out


def wrap_cases() -> list[Case]:
    out = []
    b = Board(minor=0, rate=200, first_us=U32 - 50_000)
    b.stream(25)
    out.append(Case(
        "1.0 t_us wraps at 2^32",
        "Device times are unwrapped: they go on past 2^32 us, 5000 us apart, nothing lost.",
        b.items).run().expect(samples=b.sent))
    b = Board(minor=1, rate=1000, first_us=U32 - 50_000)
    b.stream(8, lose={1, 2, 3})
    out.append(Case(
        "1.1 t_us wraps while frames are lost",
        "The 3 frames lost straddle the wrap: 60 samples lost, counted from unwrapped time.",
        b.items).run().expect(samples=b.sent - b.lost, lost=b.lost))
    return out


def junk_cases() -> list[Case]:
    out = []
    items: list[tuple[float, bytes]] = [(0.0, ESP32_BANNER + b"\x00")]
    b = Board(items, minor=1, rate=200, at=0.3)
    b.stream(50)
    out.append(Case(
        "ESP32 boot banner, a 0x00, then 1.1 frames",
        "The ROM banner's lines make the stream text; none of them is a reading (10 "
        "text-parse). The second valid frame (the first DATA) switches to binary, HELLO and "
        "DATA are both taken, and all 200 samples arrive.",
        b.items).run().expect(samples=200, errors={"text-parse": ESP32_BANNER_LINES},
                              modes=("text", "binary")))

    items = [(0.0, ESP32_BANNER)]
    b = Board(items, minor=1, rate=200, at=0.3)
    b.stream(25)
    out.append(Case(
        "ESP32 boot banner glued to the HELLO (no 0x00)",
        "Text at first; the banner and the HELLO make one chunk, lost. The first 2 DATA "
        "switch to binary; 1.1 DATA need no HELLO (each says its rate and boot), so all 100 "
        "samples arrive.",
        b.items).run().expect(samples=100, errors={"text-parse": ESP32_BANNER_LINES},
                              modes=("text", "binary"), rates=[200]))

    b = Board(minor=1, rate=200)
    bursts = {3: junk(7, 1) + b"\x00", 6: b"\x00\x00\x00", 9: junk(40, 2) + b"\x00",
              12: b"\x02\x05\x00", 15: b"512\r\n\x00"}
    b.stream(20, junk=bursts)
    c = Case(
        "junk between frames",
        "Noise bursts ending in 0x00 between frames are counted (each chunk once); runs of "
        "0x00 are empty chunks and ignored; every frame arrives.", b.items).run()
    out.append(c.expect(samples=b.sent, errors=c.errors()))
    assert sum(c.errors().values()) == 4, c.errors()

    b = Board(minor=0, rate=200)
    b.stream(20, junk={5: junk(9, 3), 11: junk(3, 4)})
    c = Case(
        "junk glued to frames (no 0x00 after it)",
        "Noise without a 0x00 joins the next frame's chunk, which fails and is counted; the "
        "frame after it counts the lost samples.", b.items).run()
    assert b.lost == 0 and len(c.of("samples")) == 18
    out.append(c.expect(samples=b.sent - 8, lost=8, errors=c.errors()))

    b = Board(minor=1, rate=200)
    b.raw(b"\x41" * 600 + b"\x00")
    b.stream(5)
    b.raw(b"\xff" + b"\x41" * 253 + b"\x00")
    b.stream(5)
    b.raw(b"\xfd" + b"\x41" * 252 + b"\x00")
    b.stream(5)
    b.raw(junk(2000, 5) + b"\x00")
    b.stream(5)
    b.raw(junk(300, 6))
    out.append(Case(
        "over-long chunks: oversize counted once, at the delimiter",
        "600 bytes then 0x00: one oversize; a 254-byte chunk: oversize; a 253-byte chunk is "
        "the largest valid size (it fails its CRC); 2000 bytes: one oversize; 300 bytes "
        "without a 0x00 at the end are an unfinished frame, not counted.",
        b.items).run().expect(samples=b.sent, errors={"oversize": 3, "crc": 1}))

    b = Board(minor=1, rate=200)
    data11 = p_data(1, [(1000, 1)], (7, 0, 200))
    b.stream(3, bad={1})
    b.raw(b"\x05\x11\x22\x00" + b"\x02\x05\x00" + b"\x55" * 400 + b"\x00")
    b.stream(2)
    for payload in (b"\x02\x01\x00", data11[:-1], p_data(1, [(1, 2)], (7, 0, 0)),
                    p_hello(200, 0, "x" * 33, minor=0), b"\x7f\x01\x02", b"\x06"):
        b.raw(frame(payload))
    b.stream(2)
    b.raw(frame(bytes([T_START])) + frame(struct.pack("<BH", T_SET_RATE, 100)))
    b.stream(2)
    out.append(Case(
        "every error kind in one binary stream",
        "crc (a corrupted DATA: its samples are lost), cobs, truncated, oversize, malformed "
        "(DATA header only, a cut 1.1 trailer, rate 0, a 33-byte board name), unknown-type "
        "(0x7f, 0x06); a loopback's START and SET_RATE are not for a receiver.",
        b.items).run().expect(samples=b.sent - b.lost, lost=b.lost, errors={
            "crc": 1, "cobs": 1, "truncated": 1, "oversize": 1, "malformed": 4,
            "unknown-type": 2}))

    items = []
    b = Board(items, minor=1, rate=200, hello=False)
    b.stream(10)
    items[0] = (items[0][0], items[0][1][9:])
    out.append(Case(
        "port opened in the middle of a frame",
        "The first chunk is the tail of a frame (a cobs error); the next DATA decides binary.",
        items).run().expect(samples=b.sent - 4, errors={"cobs": 1}))
    return out


def version_cases() -> list[Case]:
    out = []
    for major in (2, 0):
        b = Board(minor=1, rate=200, major=major)
        b.stream(5)
        c = Case(
            f"HELLO with major version {major} is refused",
            "Another major version: the receiver refuses the board (one line to the user "
            "naming both versions) and reports nothing more.", b.items).run()
        assert c.events[-1] == {"event": "refused", "major": major}
        out.append(c.expect(samples=0))

    b = Board(minor=2, rate=100, channels=FORCE + [(1, 1, 0.0006), (9, 0, 1.0)],
              hello_more=b"\x05\x01\x02\x03", data_more=b"\xaa\xbb")
    b.stream(12)
    out.append(Case(
        "HELLO minor 2 (a newer board): known fields used",
        "A newer minor appends fields to HELLO (skipped), lists a channel kind this version "
        "does not know (\"unknown\", its values still in `extra`), and appends bytes to DATA "
        "(ignored). The board is accepted; a host tells the user once that it is newer.",
        b.items).run().expect(samples=b.sent))

    b = Board(minor=1, rate=100, channels=IMU, serial="KB-0042", board="esp32-s3")
    b.stream(10)
    out.append(Case(
        "1.1 with 6 IMU channels",
        "HELLO lists force, accel x/y/z and gyro x/y/z; each DATA sample carries 6 i16 after "
        "the trailer, reported per channel in `extra`.", b.items).run().expect(samples=b.sent))

    b = Board(minor=1, rate=100, channels=IMU)
    b.stream(4)
    b.channels = IMU[:4]
    b.stream(2)
    b.channels = IMU
    b.stream(2)
    out.append(Case(
        "1.1 DATA with fewer extra values than HELLO's channels is malformed",
        "Two frames carry 3 extra channels where HELLO said 6: malformed, not used; the next "
        "good frame counts their 4 samples as lost.", b.items).run().expect(
            samples=12, lost=4, errors={"malformed": 2}))

    b = Board(minor=1, rate=200, channels=MPU6050)
    b.stream(12)
    out.append(Case(
        "1.1 as the firmware sends it with an MPU-6050",
        "HELLO lists the firmware's seven channels (force counts, accel x/y/z in m/s² at ±2 g, "
        "gyro x/y/z in rad/s at ±250 °/s); 4 samples a frame at 200 Hz, each with 6 i16 "
        "after the trailer.", b.items).run().expect(samples=b.sent))

    b = Board(minor=1, rate=500, channels=MPU6050)
    b.stream(6)
    out.append(Case(
        "1.1 with an MPU-6050 at 500 Hz, the firmware's most with it",
        "10 samples a frame, 18 bytes each: 193-byte DATA payloads, the largest the firmware sends "
        "with the IMU (at 1000 Hz its 20 samples a frame would pass the 250-byte payload, so it "
        "samples at most 500 Hz with one).", b.items).run().expect(samples=b.sent))

    b = Board(minor=1, rate=200, channels=MPU6050)
    b.stream(3)
    b.channels = FORCE
    b.stream(2)
    b.channels = MPU6050
    b.stream(3)
    out.append(Case(
        "1.1 DATA without extra values after an MPU-6050 HELLO is malformed",
        "HELLO lists 7 channels; two frames carry the force samples only (6 bytes a sample "
        "where HELLO needs 18): malformed, not used; the next good frame counts their 8 "
        "samples as lost.", b.items).run().expect(samples=24, lost=8, errors={"malformed": 2}))

    b = Board(minor=1, rate=200)
    b.channels = MPU6050
    b.stream(6)
    out.append(Case(
        "1.1 DATA with IMU values after a force-only HELLO: the values are ignored",
        "HELLO lists the force channel only; DATA carries 6 i16 a sample after the trailer, "
        "more than HELLO needs: bytes beyond the extra values belong to a later minor and are "
        "ignored, so the samples are used and there is no `extra`.",
        b.items).run().expect(samples=b.sent))

    items: list[tuple[float, bytes]] = []
    b = Board(items, minor=1, rate=100, channels=IMU, hello=False)
    b.stream(6)
    out.append(Case(
        "1.1 DATA without a HELLO (port opened mid-stream)",
        "No HELLO: no info; the trailer gives boot, run and rate; the extra channels cannot "
        "be split without HELLO's channel list, so there is no `extra`.",
        items).run().expect(samples=b.sent, rates=[100]))

    b = Board(minor=0, rate=200, hello=False, auto_status=False)
    b.stream(10)
    b.status()
    b.stream(10, lose={4})
    out.append(Case(
        "1.0 DATA without a HELLO: no rate until STATUS",
        "Without a rate no loss can be counted (and none is); STATUS gives the rate, and the "
        "frame lost after it is counted.", b.items).run().expect(
            samples=b.sent - 4, lost=4, rates=[200]))

    items = [(0.01 * i, frame(p_data(i, [(5_000_000, 512)] * 4))) for i in range(30)]
    out.append(Case(
        "1.0 DATA without a HELLO whose time never increases",
        "30 frames all stamped 5 s: every sample at time 0, nothing lost, nothing held back "
        "(a receiver must not wait for time to move).", items).run().expect(samples=120))

    b = Board(minor=1, rate=200)
    b.stream(3)
    b.ping(0x12345678)
    b.send(p_status(b.now_us, True, 200, dropped=3, overruns=1, flags=0xFE))
    b.send(p_ack(0x1F, 2))
    b.send(p_ack(T_SET_RATE, 1))
    b.stream(3)
    out.append(Case(
        "PONG, ACK results and STATUS counts",
        "PONG gives its token; ACK its command and result; STATUS its counts, and bits 1..7 "
        "of its flags are reserved: ignored (flags 0xFF is streaming).",
        b.items).run().expect(samples=b.sent))
    return out


def text_cases() -> list[Case]:
    out = []
    items: list[tuple[float, bytes]] = []
    t = TextBoard(items, 100)
    t.text(b"Booting...\r\nsensor ready\r\n")
    t.lines(4.0)
    out.append(Case(
        "text at 100 Hz without a header",
        "Two banner lines (counted text-parse), then one reading a line; the rate is "
        "estimated from arrival times (within 2 %).", items, 100).run().expect(
            samples=len(t.values), errors={"text-parse": 2}, modes=("text",), rates=[100]))

    items = []
    t = TextBoard(items, 200)
    t.text(HEADER)
    t.lines(0.7)
    t.text(b"oops\r\n" + b"7" * 300 + b"\r\n")
    t.lines(0.7)
    out.append(Case(
        "text with the # kneadback header",
        "The header declares rate, divider and front end (info), so no estimate is needed; "
        "a junk line and a 300-byte line are counted.", items).run().expect(
            samples=len(t.values), errors={"text-parse": 2}, modes=("text",), rates=[200]))

    items = []
    t = TextBoard(items, 50, fmt="fsr:{}\tpot: 3,77\n")
    t.text(b"# kneadback divider=4700 front=fsr-high extra=1\n")
    t.lines(2.0)
    t.fmt = "{}.4;1\r"
    t.lines(2.0)
    t.text(b"\xf8\x80\xfe\x10\r\n12 apples\r\n-\r\n")
    t.lines(0.5)
    out.append(Case(
        "text formats: labels, columns, decimals, a header without rate",
        "`label:value` pairs and columns (the first is the reading), decimals rounded, CR "
        "line ends; a header without rate (estimated) and an unknown key. Lines that are not "
        "all numbers are counted; bytes that are no text (not printable ASCII or tab) make no "
        "line.", items, 50).run().expect(
            samples=len(t.values), errors={"text-parse": 2}, modes=("text",), rates=[50]))

    items = []
    t = TextBoard(items, 200)
    t.lines(0.8)
    t.unplug(3.0)
    t.lines(2.5)
    out.append(Case(
        "text at 200 Hz replugged before its rate settled",
        "0.8 s of lines, 3 s unplugged, 2.5 s of lines: the estimate uses continuous spans "
        "only, so the gap does not enter it.", items, 200).run().expect(
            samples=len(t.values), modes=("text",), rates=[200]))

    items = []
    t = TextBoard(items, 200)
    t.lines(2.5)
    t.unplug(3.0)
    t.lines(0.5)
    out.append(Case(
        "text at 200 Hz replugged after its rate settled",
        "The estimate settled before the replug and never changes: one rate event.",
        items, 200).run().expect(samples=len(t.values), modes=("text",), rates=[200]))

    items = []
    t = TextBoard(items, 100)
    t.lines(4.5, stall=(1.0, 0.6))
    out.append(Case(
        "text at 100 Hz with a 0.6 s host stall",
        "The host reads nothing for 0.6 s, then 60 lines at once: the rate stays 100 Hz.",
        items, 100).run().expect(samples=len(t.values), modes=("text",), rates=[100]))

    items = []
    t = TextBoard(items, 100)
    t.text(ESP32_BANNER)
    t.lines(3.0)
    out.append(Case(
        "ESP32 boot banner then text readings",
        "No banner line is a reading (`configsip: 0, SPIWP:0xee` is not all numbers): 10 "
        "text-parse, then every reading.", items, 100).run().expect(
            samples=len(t.values), errors={"text-parse": ESP32_BANNER_LINES}, modes=("text",),
            rates=[100]))

    items = []
    t = TextBoard(items, 50)
    t.lines(3.0)
    t.text(b"\x00" + frame(p_data(0, [(1000, 5)], (3, 0, 50))))
    t.lines(1.0)
    out.append(Case(
        "one valid frame inside text does not switch to binary",
        "It takes 2 valid HELLO or DATA frames; a lone one is held, then dropped.",
        items, 50).run().expect(samples=len(t.values), modes=("text",), rates=[50]))

    items = []
    t = TextBoard(items, 50)
    t.text(HEADER.replace(b"200", b"50"))
    t.lines(1.0)
    t.text(b"\x00")
    # a clock at which the frames read as text before the switch make no text line (a line
    # of frame bytes that happen to be printable would be junk, or even a reading)
    first_us = next(us for us in range(1_500_000, 1_600_000, 4) if all(no_text_in(frame(p)) for p in (
        p_hello(200, us - 2000, boot_id=3),
        p_data(0, [(us + 5000 * i, adc_of(i)) for i in range(4)], (3, 0, 200)))))
    b = Board(items, minor=1, rate=200, at=t.t_us / 1e6 + 0.5, boot_id=3, first_us=first_us)
    b.stream(10)
    out.append(Case(
        "text, then the board is flashed with the firmware: binary",
        "While in text mode the receiver keeps decoding frames; at the second valid frame "
        "(HELLO, DATA) it switches to binary and takes both.", items).run().expect(
            samples=len(t.values) + b.sent, modes=("text", "binary"), rates=[50, 200]))
    return out


def all_cases() -> list[Case]:
    cases = (clean_cases() + pause_cases() + rate_cases() + seq_cases() + reset_cases()
             + wrap_cases() + junk_cases() + version_cases() + text_cases())
    names = [c.name for c in cases]
    assert len(set(names)) == len(names), "case names must be unique"
    kinds = {e["kind"] for c in cases for e in c.of("error")}
    assert kinds == {"crc", "cobs", "truncated", "oversize", "malformed", "unknown-type",
                     "text-parse"}, kinds
    return cases


# --- the file ----------------------------------------------------------------------------------

FORMAT = (
    "kneadback wire protocol 1.1 conformance streams; see firmware/test/README.md. Each case: "
    "input, the bytes a receiver gets (hex) and when they arrive (seconds), and expect, the "
    "events a correct receiver reports for them, in order. run_streams.py runs a decoder on "
    "every case and compares."
)


def render() -> str:
    """JSON with one input item or event a line, so that changes are easy to review."""
    def dump(value: object) -> str:
        return json.dumps(value, separators=(", ", ": "))

    lines = ["{", f' "format": {dump(FORMAT)},', ' "protocol": "1.1",',
             f' "rate_tolerance": {RATE_TOLERANCE},', ' "cases": [']
    cases = all_cases()
    for i, case in enumerate(cases):
        d = case.as_json()
        lines += ["  {", f'   "name": {dump(d["name"])},',
                  f'   "description": {dump(d["description"])},', '   "input": [']
        lines += [f"    {dump(x)}," for x in d["input"]]
        lines[-1] = lines[-1].rstrip(",")
        lines += ["   ],", '   "expect": [']
        lines += [f"    {dump(e)}," for e in d["expect"]]
        lines[-1] = lines[-1].rstrip(",")
        lines += ["   ]", "  }" + ("," if i < len(cases) - 1 else "")]
    lines += [" ]", "}"]
    return "\n".join(lines) + "\n"


def self_check() -> None:
    assert crc16(b"123456789") == 0x29B1
    nz = bytes(range(1, 256))
    for data, enc in ((b"", b"\x01"), (b"\x00", b"\x01\x01"), (b"\x11\x22\x00\x33",
                      b"\x03\x11\x22\x02\x33"), (nz[:254], b"\xff" + nz[:254]),
                      (nz[:255], b"\xff" + nz[:254] + b"\x02\xff"),
                      (nz[1:255] + b"\x00", b"\xff" + nz[1:255] + b"\x01\x01")):
        assert cobs_encode(data) == enc and cobs_decode(enc) == data, data
    assert len(frame(bytes([0x7E]) + nz[:249])) == MAX_CHUNK + 1
    assert reading("configsip: 0, SPIWP:0xee") is None and reading("fsr: 511.5") == 512
    assert reading("-2.5") == -3 and reading("12 apples") is None and reading("x:") is None


def decode(case: Path | None) -> None:
    """Prints the events of a case file's input (or of the bytes on stdin), one a line."""
    if case is None:
        items = [(0.0, sys.stdin.buffer.read())]
    else:
        items = [(x["at"], bytes.fromhex(x["hex"])) for x in json.loads(case.read_text())["input"]]
    rx = Receiver()
    for at, data in items:
        rx.feed(at, data)
    for event in rx.events:
        print(json.dumps(event))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="fail if streams.json is stale")
    ap.add_argument("--decode", action="store_true",
                    help="be a decoder: print the events of --case FILE or of stdin")
    ap.add_argument("--case", type=Path, help="with --decode: a case file (input with times)")
    args = ap.parse_args()
    if args.decode:
        decode(args.case)
        return 0
    self_check()
    text = render()
    if args.check:
        if not OUT.exists() or OUT.read_text() != text:
            print(f"{OUT.name} is out of date: run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT.name}: {text.count(chr(10))} lines, {len(text) // 1024} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
