"""COBS, CRC and the streaming decoder: properties that hold for any bytes."""

from __future__ import annotations

import random

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
    # one outcome per non-empty delimited chunk (an oversize one is reported when it overflows)
    chunks = junk.split(b"\x00")
    expect = sum(1 for c in chunks[:-1] if c) + (len(chunks[-1]) > MAX_ENCODED)
    assert len([o for o in whole if not (isinstance(o, BadFrame) and o.kind == "garbage")]) == expect


@FAST
@given(st.binary(min_size=1, max_size=300), st.integers(0, 2**32 - 1))
def test_a_frame_survives_garbage_before_it(junk, token):
    good = frame(bytes([0x04]) + token.to_bytes(4, "little") * 2)
    out = FrameDecoder().feed(junk + b"\x00" + good)
    assert isinstance(out[-1], Frame) and out[-1].message.token == token


def test_endless_garbage_costs_bounded_memory():
    rng = random.Random(5)
    dec = FrameDecoder()
    events = []
    for _ in range(2000):
        events += dec.feed(bytes(rng.randrange(1, 256) for _ in range(512)))
        assert len(dec._buf) <= MAX_ENCODED
    # reported as it happens: oversize once, then progress for every 1024 bytes dropped
    assert events[0].kind == "oversize" and {e.kind for e in events[1:]} == {"garbage"}
    assert len(events) == 1 + (2000 * 512 - MAX_ENCODED - 1) // 1024
    assert dec.dropped_bytes == 2000 * 512
    out = dec.feed(b"\x00" + frame(b"\x05\x10\x00"))
    assert [type(o) for o in out] == [Frame]


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
