"""The streaming frame decoder: bytes in (any chunking), messages or bad-frame values out.

It never raises on bad bytes. A bad frame is a `BadFrame` value whose `kind` is one of
"cobs", "truncated", "crc", "malformed", "unknown-type" or "oversize": one outcome per
non-empty 0x00-delimited chunk, as `firmware/PROTOCOL.md` specifies. Memory is bounded: a chunk
is buffered up to `MAX_ENCODED` bytes; a longer one is only counted, and reported once as
"oversize" when its delimiter arrives (as the C decoder does). The output depends only on the
bytes, never on how they were split into chunks.
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

MAX_ENCODED = 253  # the largest valid encoded frame, delimiter excluded: COBS of 250 + 2 bytes

BAD_KINDS = ("cobs", "truncated", "crc", "malformed", "unknown-type", "oversize")


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
        self._size = 0  # bytes of the current chunk so far (only the first MAX_ENCODED are kept)
        self.dropped_bytes = 0  # bytes of oversize chunks, in total

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
            whole = not self._size and z >= 0  # the chunk starts and ends in `data`: no copy
            self._size += end - pos
            self._pos += end - pos
            if self._size > MAX_ENCODED:
                self._buf.clear()  # too long to be a frame: counted, no longer kept
            elif not whole:
                self._buf += data[pos:end]
            if z < 0:
                break
            if self._size > MAX_ENCODED:
                out.append(self._oversize())
            elif self._size:
                out.append(decode_frame(data[pos:end] if whole else bytes(self._buf), self._start))
            self._buf.clear()
            self._size = 0
            self._pos += 1  # the delimiter
            self._start = self._pos
            pos = end + 1
        return out

    def reset(self) -> list[BadFrame]:
        """Forget an unfinished frame (after a reconnect); it is reported as truncated (or
        oversize, when it was already too long to be a frame)."""
        out: list[BadFrame] = []
        if self._size > MAX_ENCODED:
            out.append(self._oversize())
        elif self._size:
            out.append(BadFrame("truncated", self._start, self._size, "frame cut off by a disconnect"))
        self._buf.clear()
        self._size = 0
        self._start = self._pos
        return out

    def _oversize(self) -> BadFrame:
        self.dropped_bytes += self._size
        return BadFrame("oversize", self._start, self._size, f"{self._size} bytes without a delimiter (at most {MAX_ENCODED})")
