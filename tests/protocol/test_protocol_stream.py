"""DeviceStream: device time to session time, lost samples, resets, drift, binary vs text."""

from __future__ import annotations

import functools
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kneadback.model import DeviceInfo, DeviceStatus, LinkEvent, SampleBlock
from kneadback.protocol.stream import DETECT_LIMIT, DeviceStream, detect_mode

from .fake_device import FakeBoard, flatten

FAST = settings(max_examples=200, deadline=None, derandomize=True)


def feed_all(data: bytes, step: int | None = None, t: float = 0.0, stream: DeviceStream | None = None):
    s = stream or DeviceStream("test")
    if step is None:
        return s, s.feed(data, t)
    out = []
    for i in range(0, len(data), step):
        out += s.feed(data[i : i + step], t)
    return s, out


def blocks(items):
    return [b for b in items if isinstance(b, SampleBlock)]


def test_samples_times_and_info():
    b = FakeBoard()
    s, out = feed_all(b.hello() + b.frames(50))
    assert isinstance(out[0], DeviceInfo) and out[0].sample_rate_hz == 200 and out[0].board == "uno"
    assert out[0].divider_ohms == 10000 and out[0].rate_source == "device" and out[0].device_clock
    t, adc, idx, lost, _ = flatten(out)
    assert adc.tolist() == b.sent
    np.testing.assert_allclose(t, np.arange(200) / 200.0, atol=1e-9)
    assert idx.tolist() == list(range(200)) and lost == []
    assert s.samples == 200 and s.lost == 0 and not s.needs_info


def test_lost_frames_are_counted_from_the_gap():
    b = FakeBoard()
    wire = b.hello() + b.frames(10)
    b.skip_frame()
    b.skip_frame()
    wire += b.frames(10)
    s, out = feed_all(wire)
    t, adc, idx, lost, _ = flatten(out)
    assert lost == [(48, 8)] and s.lost == 8
    assert idx[40] == 48 and t[40] == pytest.approx(48 / 200)
    assert adc.tolist() == b.sent


def test_u32_clock_wrap_is_unwrapped():
    b = FakeBoard(t0_us=2**32 - 30_000)
    _, out = feed_all(b.hello() + b.frames(20))
    t, *_ = flatten(out)
    assert np.all(np.diff(t) > 0)
    np.testing.assert_allclose(t, np.arange(80) / 200.0, atol=1e-9)


def test_board_reset_starts_a_new_segment_not_65000_lost():
    b = FakeBoard()
    wire = b.hello() + b.frames(500)  # seq 500, clock at 10 s
    b.reset()
    wire += b.hello() + b.frames(20)
    s, out = feed_all(wire)
    t, adc, idx, lost, events = flatten(out)
    kinds = [e[1] for e in events if e[0] == "link"]
    assert kinds == ["reset"] and s.resets == 1
    assert lost == [] and s.lost == 0
    assert np.all(np.diff(t) > 0)  # time never runs backwards
    assert t[2000] - t[1999] == pytest.approx(1 / 200)
    assert adc.tolist() == b.sent


def test_reset_without_a_hello_is_caught_by_the_clock_stepping_back():
    b = FakeBoard(t0_us=50_000_000)
    wire = b.hello() + b.frames(30)
    b.reset()
    wire += b.frames(30)
    s, out = feed_all(wire)
    t, *_ = flatten(out)
    assert s.resets == 1 and s.lost == 0 and np.all(np.diff(t) > 0)


def test_a_hello_from_get_info_is_not_a_reset():
    b = FakeBoard()
    wire = b.hello() + b.frames(10) + b.hello() + b.frames(10)
    s, out = feed_all(wire)
    assert s.resets == 0 and s.samples == 80
    assert sum(isinstance(i, DeviceInfo) for i in out) == 1  # the same info is not repeated


def test_a_paused_device_is_not_losing_samples():
    b = FakeBoard()
    wire = b.hello() + b.frames(10) + b.status(streaming=False)
    b.index += 2000  # ten seconds stopped
    wire += b.frames(10)
    s, out = feed_all(wire)
    assert s.lost == 0
    assert any(isinstance(i, DeviceStatus) and not i.streaming for i in out)
    t, *_ = flatten(out)
    assert t[40] - t[39] == pytest.approx(10.005)


def test_rate_is_estimated_and_info_requested_without_hello():
    b = FakeBoard(rate=500, per_frame=10, t0_us=123_456_789)
    s, out = feed_all(b.frames(20))
    assert isinstance(out[0], DeviceInfo) and out[0].rate_source == "estimated"
    assert out[0].sample_rate_hz == pytest.approx(500)
    assert s.needs_info
    s.feed(b.hello(), 0.0)
    assert not s.needs_info and s.info.rate_source == "device"


@functools.cache
def _noisy_wire(seed: int):
    """A line with garbage, cut frames, lost frames, a status and a reset. Returns the bytes
    and the samples a receiver can get: those of whole frames right after a delimiter."""
    rng = random.Random(seed)
    b = FakeBoard()
    wire = bytearray(b.hello())
    receivable: list[int] = []
    for i in range(150):
        if i == 60:
            wire += b.status()
        if i == 100:
            b.reset()
            wire += b.hello()
        r = rng.random()
        if r < 0.1:
            wire += bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40)))
        elif r < 0.15:
            wire += b.data()[: rng.randrange(2, 20)]  # a frame cut short
        elif r < 0.2:
            b.skip_frame()
        whole_after_delimiter = not wire or wire[-1] == 0
        wire += b.data()
        if whole_after_delimiter:
            receivable += b.sent[-b.per_frame :]
    return bytes(wire), tuple(receivable)


@FAST
@given(st.integers(0, 3), st.lists(st.integers(1, 700), min_size=1, max_size=40))
def test_identical_output_in_any_chunking(seed, sizes):
    wire, _ = _noisy_wire(seed)
    whole = flatten(DeviceStream("x").feed(wire, 5.0))
    s = DeviceStream("x")
    out, pos, k = [], 0, 0
    while pos < len(wire):
        n = sizes[k % len(sizes)]
        out += s.feed(wire[pos : pos + n], 5.0)
        pos += n
        k += 1
    parts = flatten(out)
    np.testing.assert_array_equal(parts[0], whole[0])
    np.testing.assert_array_equal(parts[1], whole[1])
    np.testing.assert_array_equal(parts[2], whole[2])
    assert parts[3] == whole[3]
    assert parts[4] == whole[4]


def test_noisy_line_uses_only_good_frames():
    for seed in range(4):
        wire, receivable = _noisy_wire(seed)
        s, out = feed_all(wire, step=37)
        t, adc, idx, lost, events = flatten(out)
        # exactly the samples of whole frames; cut frames and garbage are counted, never used
        assert adc.tolist() == list(receivable)
        assert sum(s.counts.values()) > 0
        assert np.all(np.diff(t) > 0)


@pytest.mark.parametrize("drift", [0.01, -0.01])
def test_clock_drift_is_estimated_so_time_does_not_slide(drift):
    """Twenty minutes of a device clock running up to 1 % off: session time keeps up with the
    host (uncorrected, it would be 12 s off)."""
    b = FakeBoard(rate=50, per_frame=5, drift=drift)
    s = DeviceStream("x")
    rng = np.random.default_rng(1)
    s.feed(b.hello(), 0.0)
    t_last = 0.0
    for _ in range(1200 * 10):
        frame = b.data()
        arrival = b.true_time(b.index - 1) + 0.002 + rng.exponential(0.003)
        for it in s.feed(frame, arrival):
            if isinstance(it, SampleBlock):
                t_last = it.t_end
    host = b.true_time(b.index - 1)
    assert abs(t_last - host) < 0.1, (t_last, host)


def test_drift_estimate_survives_a_suspended_host():
    """Half a minute without reading, then the backlog at once: arrival is late, not drifting."""
    b = FakeBoard(rate=50, per_frame=5, drift=0.01)
    s = DeviceStream("x")
    rng = np.random.default_rng(2)
    s.feed(b.hello(), 0.0)
    t_last = 0.0
    for k in range(600 * 10):
        frame = b.data()
        arrival = b.true_time(b.index - 1) + 0.002 + rng.exponential(0.003)
        if 2000 <= k < 2300:
            arrival = b.true_time(2300 * 5 - 1) + 0.01  # suspended: all of it read at once later
        for it in s.feed(frame, arrival):
            if isinstance(it, SampleBlock):
                t_last = it.t_end
    assert abs(t_last - b.true_time(b.index - 1)) < 0.1


def test_arrival_times_that_do_not_track_the_device_are_ignored():
    b = FakeBoard()
    s, out = feed_all(b.hello() + b.frames(3000), step=500, t=0.0)  # a minute, all at once
    t, *_ = flatten(out)
    np.testing.assert_allclose(t, np.arange(12000) / 200.0, atol=1e-9)


def test_detect_mode():
    assert detect_mode(b"12\r\n34\r\n") == "text"
    assert detect_mode(b"12\r\n3") is None
    assert detect_mode(b"\x03\x02\x11\x00") == "binary"
    assert detect_mode(b"\x00\x03\x02\x11\x00") == "binary"  # a leading delimiter
    assert detect_mode(b"\x00512\r\n513\r\n514\r\n") == "text"  # a glitch as the port opens
    assert detect_mode(b"\xff\xfe" * (DETECT_LIMIT // 2)) == "binary"
    assert detect_mode(b"\xf0\x80boot\n1\n2\n3\n4\n") == "text"  # junk at reset, then lines


@FAST
@given(st.lists(st.integers(1, 50), min_size=1, max_size=20))
def test_text_with_declared_rate_in_any_chunking(sizes):
    text = b"".join(f"{v}\r\n".encode() for v in range(300))
    s = DeviceStream("x", declared_rate=100.0)
    out, pos, k = [], 0, 0
    while pos < len(text):
        out += s.feed(text[pos : pos + sizes[k % len(sizes)]], 1.0)
        pos += sizes[k % len(sizes)]
        k += 1
    t, adc, *_ = flatten(out)
    assert adc.tolist() == list(range(300))
    np.testing.assert_allclose(t, np.arange(300) / 100.0)
    info = next(i for i in out if isinstance(i, DeviceInfo))
    assert not info.device_clock and info.rate_source == "declared" and info.sample_rate_hz == 100


def test_text_rate_is_estimated_from_arrival():
    s = DeviceStream("x")
    out = []
    for k in range(300):  # 50 Hz sketch, lines arriving in 10-line bursts
        chunk = "".join(f"A0:{10 * k + j},other:5\n" for j in range(10)).encode()
        out += s.feed(chunk, 0.2 * k + 0.2)
    info = next(i for i in out if isinstance(i, DeviceInfo))
    assert info.rate_source == "estimated" and not info.device_clock
    assert info.sample_rate_hz == pytest.approx(50, rel=0.15)
    t, adc, *_ = flatten(out + s.flush(60.0))
    assert adc.tolist() == list(range(3000))
    assert t[-1] == pytest.approx(60.0, rel=0.05)


def test_text_junk_is_counted_not_fatal():
    s, out = feed_all(b"Starting...\r\n512\r\n513\r\n\xff\xfe\r\n514\r\nA0:515 A1:3\r\n1,2,3\r\n12 apples\r\n", t=0.0)
    out += s.flush(0.0)
    t, adc, *_ = flatten(out)
    assert adc.tolist() == [512, 513, 514, 515, 1]
    assert s.counts["text-parse"] == 2  # the lines that are not all numbers; bytes that are no text make no line
    assert [e.kind for e in out if isinstance(e, LinkEvent)] == ["text-parse", "text-parse"]


def test_endless_garbage_keeps_memory_bounded():
    s = DeviceStream("x")
    rng = random.Random(3)
    for _ in range(300):
        s.feed(bytes(rng.randrange(1, 256) for _ in range(1000)), 0.0)
        assert len(s._head) == 0 and len(s._decoder._buf) <= 256
    assert s.mode == "binary"


@FAST
@given(st.binary(max_size=3000), st.integers(1, 300), st.sampled_from([None, 50.0]))
def test_any_bytes_never_raise_and_any_chunking_agrees(junk, step, rate):
    whole = DeviceStream("x", declared_rate=rate)
    a = flatten(whole.feed(junk, 0.0) + whole.flush(0.0))
    parts = DeviceStream("x", declared_rate=rate)
    out = [i for k in range(0, len(junk), step) for i in parts.feed(junk[k : k + step], 0.0)]
    b = flatten(out + parts.flush(0.0))
    np.testing.assert_array_equal(a[1], b[1])
    np.testing.assert_array_equal(a[0], b[0])
    assert a[3] == b[3] and a[4] == b[4]
