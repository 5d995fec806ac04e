"""COBS, CRC and the streaming decoder: properties that hold for any bytes."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from kneadback.protocol import cobs
from kneadback.protocol.crc import crc16
from kneadback.protocol.decoder import MAX_ENCODED, BadFrame, Frame, FrameDecoder
from kneadback.protocol.messages import MAX_PAYLOAD, Unknown, frame, parse_payload

FAST = settings(max_examples=200, deadline=None, derandomize=True)


def test_crc_check_value():
    assert crc16(b"123456789") == 0x29B1


@FAST
@given(st.binary(max_size=1200))
def test_cobs_roundtrip_has_no_zero(data):
    enc = cobs.encode(data)
    assert 0 not in enc
    assert len(enc) <= len(data) + len(data) // 254 + 1
    assert cobs.decode(enc) == data


@FAST
@given(st.lists(st.binary(min_size=1, max_size=MAX_PAYLOAD), min_size=1, max_size=8), st.data())
def test_frames_decode_back_to_their_payloads_in_any_chunking(payloads, data):
    wire = b"".join(frame(p) for p in payloads)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(wire)), max_size=12)))
    dec = FrameDecoder()
    out, last = [], 0
    for c in [*cuts, len(wire)]:
        out += dec.feed(wire[last:c])
        last = c
    assert len(out) == len(payloads)
    for o, p in zip(out, payloads):
        expect = _outcome_of(p)
        got = "ok" if isinstance(o, Frame) else o.kind
        assert got == expect, (p.hex(), o)


def _outcome_of(payload: bytes) -> str:
    try:
        msg = parse_payload(payload)
    except ValueError:
        return "malformed"
    return "unknown-type" if isinstance(msg, Unknown) else "ok"


@FAST
@given(st.binary(max_size=4000), st.integers(1, 64))
def test_garbage_never_raises_and_is_chunking_independent(junk, step):
    whole = FrameDecoder().feed(junk)
    dec = FrameDecoder()
    parts = [o for i in range(0, len(junk), step) for o in dec.feed(junk[i : i + step])]
    assert parts == whole
    assert all(isinstance(o, (Frame, BadFrame)) for o in whole)
    # one outcome per non-empty delimited chunk, when its delimiter comes; none for the last, unfinished one
    chunks = junk.split(b"\x00")[:-1]
    assert [o.size for o in whole] == [len(c) for c in chunks if c]
    assert all((o.kind == "oversize") == (o.size > MAX_ENCODED) for o in whole if isinstance(o, BadFrame))


@FAST
@given(st.binary(min_size=1, max_size=300), st.integers(0, 2**32 - 1))
def test_a_frame_survives_garbage_before_it(junk, token):
    good = frame(bytes([0x04]) + token.to_bytes(4, "little") * 2)
    out = FrameDecoder().feed(junk + b"\x00" + good)
    assert isinstance(out[-1], Frame) and out[-1].message.token == token


def test_endless_garbage_is_one_oversize_chunk_at_its_delimiter():
    """8 MiB of noise without a 0x00: bounded memory, and one "oversize" when the delimiter comes
    (not one at byte 257 and 8,191 "garbage" reports)."""
    rng = np.random.default_rng(5)
    dec = FrameDecoder()
    events = []
    for _ in range(2048):
        events += dec.feed(rng.integers(1, 256, 4096, dtype=np.uint8).tobytes())
        assert len(dec._buf) <= MAX_ENCODED
    assert events == []
    out = dec.feed(b"\x00" + frame(b"\x05\x10\x00"))
    assert [o.kind if isinstance(o, BadFrame) else "ok" for o in out] == ["oversize", "ok"]
    assert out[0].offset == 0 and out[0].size == 8 << 20 and dec.dropped_bytes == 8 << 20


def test_the_largest_frame_is_253_bytes_and_one_more_is_oversize():
    largest = frame(bytes([0x7F]) + bytes(range(1, 250)))  # a 250-byte payload without zeros
    assert len(largest) - 1 == MAX_ENCODED == 253
    assert [o.kind for o in FrameDecoder().feed(largest)] == ["unknown-type"]
    longer = largest[:-1] + b"\x01\x00"
    out = FrameDecoder().feed(longer)
    assert [(o.kind, o.size) for o in out] == [("oversize", 254)]
    dec = FrameDecoder()
    assert dec.feed(longer[:-1]) == []  # counted when its delimiter arrives, as the C decoder does
    assert [o.kind for o in dec.feed(b"\x00")] == ["oversize"]


def test_a_crc_failure_is_never_used():
    good = frame(b"\x02\x01\x00\x01" + b"\x10\x00\x00\x00\x00\x02")
    for i in range(len(good) - 1):
        for bit in range(8):
            bad = bytearray(good)
            bad[i] ^= 1 << bit
            out = FrameDecoder().feed(bytes(bad))
            assert not any(isinstance(o, Frame) for o in out), (i, bit)


def test_bad_frames_name_their_byte_offset():
    wire = frame(b"\x05\x10\x00") + b"\x07junk\x00"
    out = FrameDecoder().feed(wire)
    assert out[1].offset == len(frame(b"\x05\x10\x00")) and out[1].size == 5
