"""The streaming frame decoder: bytes in (any chunking), messages or bad-frame values out.

It never raises on bad bytes. A bad frame is a `BadFrame` value whose `kind` is one of
"cobs", "truncated", "crc", "malformed", "unknown-type" or "oversize": one outcome per
non-empty 0x00-delimited chunk, as `firmware/PROTOCOL.md` specifies. Memory is bounded: a chunk
is buffered up to `MAX_ENCODED` bytes; the byte past that makes it "oversize" (reported right
then), and its further bytes up to the next delimiter are only counted, with a "garbage"
progress report for every `GARBAGE_REPORT_BYTES` of them, so endless garbage keeps showing.
The output depends only on the bytes, never on how they were split into chunks.
"""

from __future__ import annotations

from dataclasses import dataclass

from kneadback.protocol import cobs
from kneadback.protocol.crc import crc16
from kneadback.protocol.messages import (
    MalformedPayload,
    Message,
    Unknown,
    parse_payload,
)

MAX_ENCODED = 256  # the largest valid encoded frame, delimiter excluded
GARBAGE_REPORT_BYTES = 1024

BAD_KINDS = ("cobs", "truncated", "crc", "malformed", "unknown-type", "oversize", "garbage")


@dataclass(frozen=True)
class BadFrame:
    """A chunk that did not decode to a usable message. `offset` is its first byte's position
    in the stream, `size` how many bytes it spans (delimiter excluded)."""

    kind: str
    offset: int
    size: int
    detail: str = ""


@dataclass(frozen=True)
class Frame:
    """A good message and where its encoded frame starts in the stream."""

    message: Message
    offset: int
    size: int


Decoded = Frame | BadFrame


def decode_frame(chunk: bytes, offset: int = 0) -> Decoded:
    """Decode one encoded frame (no delimiter) into a `Frame` or a `BadFrame`."""
    size = len(chunk)
    if size > MAX_ENCODED:
        return BadFrame("oversize", offset, size, f"{size} bytes without a delimiter")
    try:
        raw = cobs.decode(chunk)
    except cobs.CobsError as e:
        return BadFrame("cobs", offset, size, str(e))
    if len(raw) < 3:
        return BadFrame("truncated", offset, size, f"{len(raw)} decoded bytes, need at least 3")
    payload = raw[:-2]
    got = raw[-2] | (raw[-1] << 8)
    want = crc16(payload)
    if got != want:
        return BadFrame("crc", offset, size, f"CRC {got:#06x}, computed {want:#06x}")
    try:
        msg = parse_payload(payload)
    except MalformedPayload as e:
        return BadFrame("malformed", offset, size, str(e))
    if isinstance(msg, Unknown):
        return BadFrame("unknown-type", offset, size, f"message type {msg.msg_type:#04x} skipped")
    return Frame(msg, offset, size)


class FrameDecoder:
    """Splits a byte stream at 0x00 and decodes each non-empty chunk into one outcome."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._pos = 0  # stream offset of the next byte to arrive
        self._start = 0  # stream offset of the first byte of the current chunk
        self._oversize = False  # the current chunk passed MAX_ENCODED and is being dropped
        self._over = 0  # bytes of the current oversize chunk past its first MAX_ENCODED + 1
        self._over_reported = 0
        self.dropped_bytes = 0  # bytes dropped in oversize chunks, in total

    @property
    def position(self) -> int:
        """How many bytes have been fed so far."""
        return self._pos

    def feed(self, data: bytes) -> list[Decoded]:
        out: list[Decoded] = []
        n = len(data)
        pos = 0
        while pos < n:
            z = data.find(0, pos)
            end = n if z < 0 else z
            if self._oversize:
                self._drop(end - pos, out)
            elif len(self._buf) + end - pos > MAX_ENCODED:
                detail = f"more than {MAX_ENCODED} bytes without a delimiter"
                out.append(BadFrame("oversize", self._start, MAX_ENCODED + 1, detail))
                self.dropped_bytes += MAX_ENCODED + 1
                self._oversize = True
                self._over = self._over_reported = 0
                self._drop(len(self._buf) + end - pos - (MAX_ENCODED + 1), out)
                self._buf.clear()
            elif self._buf or z < 0:
                self._buf += data[pos:end]
            if z < 0:
                self._pos += end - pos
                break
            chunk_end = self._pos + end - pos
            if self._oversize:
                self._oversize = False
            else:
                chunk = bytes(self._buf) if self._buf else data[pos:end]
                self._buf.clear()
                if chunk:
                    out.append(decode_frame(chunk, self._start))
            self._pos = chunk_end + 1
            self._start = self._pos
            pos = end + 1
        return out

    def reset(self) -> list[BadFrame]:
        """Forget an unfinished frame (after a reconnect); it is reported as truncated."""
        out: list[BadFrame] = []
        if self._buf:
            out.append(BadFrame("truncated", self._start, len(self._buf), "frame cut off by a disconnect"))
        self._buf.clear()
        self._oversize = False
        self._start = self._pos
        return out

    def _drop(self, count: int, out: list[Decoded]) -> None:
        self._over += count
        self.dropped_bytes += count
        while self._over - self._over_reported >= GARBAGE_REPORT_BYTES:
            offset = self._start + MAX_ENCODED + 1 + self._over_reported
            detail = f"{GARBAGE_REPORT_BYTES} more bytes without a delimiter dropped"
            out.append(BadFrame("garbage", offset, GARBAGE_REPORT_BYTES, detail))
            self._over_reported += GARBAGE_REPORT_BYTES
