"""COBS (Consistent Overhead Byte Stuffing, Cheshire & Baker 1999), standard form.

`encode` never emits a 0x00 byte; the frame delimiter is added by the framer, not here.
`decode` raises `CobsError` (a `ValueError`) for input that is not a valid encoding;
the streaming decoder turns that into a counted bad frame.
"""

from __future__ import annotations


class CobsError(ValueError):
    """The bytes are not a valid COBS encoding."""


def encode(data: bytes) -> bytes:
    """Encode `data`; the result holds no 0x00. An empty input encodes to ``b"\\x01"``."""
    out = bytearray()
    pos = 0
    n = len(data)
    while True:
        zero = data.find(b"\x00", pos, pos + 254)
        if zero < 0:
            block = data[pos : pos + 254]
            if len(block) == 254:
                out.append(255)
                out += block
                pos += 254
                if pos >= n:
                    return bytes(out)  # a full block that ends the input needs no final code
                continue
            out.append(len(block) + 1)
            out += block
            return bytes(out)
        out.append(zero - pos + 1)
        out += data[pos:zero]
        pos = zero + 1
        if pos == n:
            out.append(1)  # the trailing zero becomes an empty last block
            return bytes(out)


def decode(data: bytes) -> bytes:
    """Decode one COBS block (without its delimiter). Raises `CobsError` when it is invalid."""
    out = bytearray()
    pos = 0
    n = len(data)
    while pos < n:
        code = data[pos]
        if code == 0:
            raise CobsError(f"zero byte inside the encoding at offset {pos}")
        end = pos + code
        if end > n:
            raise CobsError(f"code byte {code} at offset {pos} points past the end ({n} bytes)")
        block = data[pos + 1 : end]
        if b"\x00" in block:
            raise CobsError(f"zero byte inside the encoding after offset {pos}")
        out += block
        pos = end
        if code != 255 and pos < n:
            out.append(0)
    return bytes(out)
