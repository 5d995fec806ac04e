"""The receiver's stream rules (firmware/PROTOCOL.md, "The receiver"): pauses, rates, loss, resets,
versions, as a live session gets them (sample blocks, session times, link events).

Each case is one the host got wrong with protocol 1.0's rules, replayed with a 1.0 board (no DATA
trailer: the heuristics) and, where it matters, a 1.1 board (the trailer says it). The
conformance streams (test_protocol_streams.py) check the same decisions event by event.
"""

from __future__ import annotations

import numpy as np
import pytest

from kneadback.model import DeviceInfo, LinkEvent
from kneadback.protocol.messages import PING, SET_RATE, frame_ack
from kneadback.protocol.stream import DeviceStream

from .fake_device import FakeBoard, flatten

BOTH = pytest.mark.parametrize("minor", [0, 1], ids=["1.0", "1.1"])


def decode(wire: bytes, t: float = 0.0) -> tuple[DeviceStream, list]:
    s = DeviceStream("test")
    return s, s.feed(wire, t) + s.flush(t)


def news(out) -> list[str]:
    """The link events but the stream's text-or-binary decision."""
    return [i.kind for i in out if isinstance(i, LinkEvent) and i.kind != "mode"]


@BOTH
@pytest.mark.parametrize("status_on", [False, True], ids=["", "STATUS(on) first"])
def test_stop_start_cycles_lose_nothing(minor, status_on):
    """14 STOP/START cycles with 5 s pauses at 200 Hz, the firmware's periodic STATUS(on) maybe
    between ACK(START) and the first DATA: not one phantom lost sample (1,000 a pause before)."""
    b = FakeBoard(minor=minor)
    wire = b.hello()
    for _ in range(14):
        wire += b.frames(50) + b.stop()
        b.pause(5.0)
        wire += b.start() + (b.status(streaming=True) if status_on else b"")
    wire += b.frames(50)
    s, out = decode(wire)
    assert s.lost == 0 and s.samples == len(b.sent) == 15 * 200
    assert news(out) == ["pause"] * 14
    t, *_ = flatten(out)
    assert np.all(np.diff(t) > 0) and t[-1] == pytest.approx(b.true_time(b.index - 1))  # the pauses are in session time


def test_a_lost_status_off_still_pauses_at_ack_stop():
    b = FakeBoard()
    wire = b.hello() + b.frames(50) + b.stop(status=False)  # STATUS(off) lost on the line
    b.pause(5.0)
    wire += b.start() + b.frames(50)
    s, out = decode(wire)
    assert s.lost == 0 and news(out) == ["pause"]


def test_a_1_1_pause_needs_none_of_ack_and_status():
    b = FakeBoard(minor=1)
    wire = b.hello() + b.frames(50)
    b.stop()  # ACK(STOP), STATUS(off) and ACK(START) all lost: the new run says it
    b.pause(2.0)
    b.start()
    wire += b.frames(50)
    s, out = decode(wire)
    assert s.lost == 0 and news(out) == ["pause"]


def test_an_ack_of_another_command_is_no_pause():
    b = FakeBoard()
    wire = b.hello() + b.frames(10) + frame_ack(PING)
    b.skip_frame()
    wire += b.frames(10)
    s, out = decode(wire)
    assert s.lost == 4 and news(out) == []


@BOTH
def test_a_hello_lost_after_set_rate(minor):
    """SET_RATE 200 → 10; the HELLO after it is lost. 1.0: the next STATUS says 10 Hz, and from
    then on the count is right (before: 19 phantom lost samples a frame for good); 1.1: each
    frame says its rate. Then two frames are lost: 2 samples."""
    b = FakeBoard(minor=minor)
    wire = b.hello() + b.frames(50) + frame_ack(SET_RATE)
    b.set_rate(10)
    wire += b.status()
    b.skip_frame()
    b.skip_frame()
    wire += b.frames(96)
    s, out = decode(wire)
    assert s.lost == 2
    infos = [i for i in out if isinstance(i, DeviceInfo)]
    assert [i.sample_rate_hz for i in infos] == [200, 10]
    t, *_ = flatten(out)
    assert np.diff(t)[-1] == pytest.approx(0.1)


def test_1_0_frames_between_a_lost_hello_and_the_next_status_are_all_a_1_0_receiver_can_miscount():
    b = FakeBoard()
    wire = b.hello() + b.frames(10) + frame_ack(SET_RATE)
    b.set_rate(10)
    wire += b.frames(3) + b.status() + b.frames(20)
    s, _ = decode(wire)
    assert s.lost == 3 * 19  # the 3 frames before STATUS, at 200 Hz; none after it


@BOTH
def test_a_seq_gap_with_continuous_time_loses_nothing(minor):
    b = FakeBoard(minor=minor)
    wire = b.hello() + b.frames(10)
    b.seq += 1000  # the sequence jumps; the samples are timer-paced and continuous
    wire += b.frames(10)
    s, _ = decode(wire)
    assert s.lost == 0


def test_a_time_gap_with_continuous_seq_is_counted_from_time():
    b = FakeBoard()
    wire = b.hello() + b.frames(10)
    b.index += 8  # samples the board dropped (its queue was full): time shows them, seq does not
    wire += b.frames(10)
    s, _ = decode(wire)
    assert s.lost == 8


@BOTH
def test_rate_changes_with_lost_frames_count_each_loss_at_its_rate(minor):
    b = FakeBoard(rate=1000, per_frame=20, minor=minor)
    wire = b.hello() + b.frames(5)
    b.skip_frame()
    b.skip_frame()
    wire += b.frames(5) + frame_ack(SET_RATE)
    b.set_rate(200)
    wire += b.hello() + b.frames(2)
    for _ in range(3):
        b.skip_frame()
    wire += b.frames(5)
    s, _ = decode(wire)
    assert s.lost == 40 + 12


@BOTH
def test_a_reset_whose_hello_is_lost_after_36_minutes_is_a_reset(minor):
    """After 35.8 min the u32 clock of a fresh boot looks like a jump *forward*: 259,273 lost
    samples and a 1,296 s jump in session time, before. 1.0: the sequence restarting near 0
    while the clock steps back says it is a reset; 1.1: the trailer's boot."""
    b = FakeBoard(rate=200, t0_us=2_200_000_000, minor=minor)  # 36.7 min after the board's boot
    wire = b.hello() + b.frames(200)
    b.reset()  # its HELLO is lost
    wire += b.frames(200)
    s, out = decode(wire, t=1.0)
    assert s.lost == 0 and news(out) == ["reset"] and s.resets == 1
    t, *_ = flatten(out)
    assert np.all(np.diff(t) > 0) and t[-1] < 10.0


def test_a_u32_wrap_with_the_sequence_going_on_is_no_reset():
    b = FakeBoard(t0_us=2**32 - 100_000)
    s, out = decode(b.hello() + b.frames(50))
    assert s.resets == 0 and s.lost == 0 and news(out) == []


def test_a_1_1_hello_of_a_new_boot_is_a_reset_and_a_re_sent_one_is_not():
    b = FakeBoard(minor=1)
    wire = b.hello() + b.frames(10) + b.hello() + b.frames(10)  # GET_INFO's HELLO: the same boot
    b.reset()
    wire += b.hello() + b.frames(10)
    s, out = decode(wire)
    assert news(out) == ["reset"] and s.lost == 0 and s.samples == 120
    boots = [i.boot_id for i in out if isinstance(i, DeviceInfo)]
    assert boots == [7, 8]


@pytest.mark.parametrize("major", [0, 2])
def test_another_major_version_is_refused(major):
    b = FakeBoard()
    hello = bytearray(b.hello())
    good = DeviceStream("x").feed(bytes(hello), 0.0)
    assert isinstance(good[-1], DeviceInfo)
    from kneadback.protocol.messages import frame, hello_payload

    payload = bytearray(hello_payload(good[-1], 0))
    payload[1] = major
    s = DeviceStream("/dev/ttyACM0")
    out = s.feed(b.frames(5) + frame(bytes(payload)) + b.frames(5), 0.0)
    assert s.refused_major == major and s.samples == 20  # what came before is kept, nothing after
    assert s.feed(b.frames(5), 1.0) == []
    assert s.refusal is not None and "protocol" in s.refusal and f"{major}.x" in s.refusal and "1.x" in s.refusal
    assert ("update kneadback" if major > 1 else "update the board's firmware") in s.refusal
    assert not any(isinstance(i, DeviceInfo) and i.protocol_version == major for i in out)


def test_a_newer_minor_is_used_and_said_once():
    from kneadback.protocol.messages import frame, hello_payload

    b = FakeBoard(minor=1)
    info = DeviceStream("x").feed(b.hello(), 0.0)[-1]
    payload = bytearray(hello_payload(info, 0))
    at = payload.index(b"uno") + 3
    payload[at] = 3  # minor 3
    newer = frame(bytes(payload) + b"\x01\x02")  # and fields of 1.3 this host does not know
    s, out = decode(newer + b.frames(5) + newer + b.frames(5))
    assert news(out) == ["newer-protocol"] and s.samples == 40 and s.lost == 0
    assert next(i for i in out if isinstance(i, DeviceInfo)).protocol_minor == 3


def test_data_with_no_hello_and_a_clock_that_never_moves_is_not_held_back():
    """Before: held until flush(), and quadratic (2,000 frames took 17.7 s)."""
    from kneadback.protocol.messages import frame_data

    s = DeviceStream("x")
    for i in range(40):
        out = s.feed(frame_data(i, [5_000_000] * 4, [512] * 4), 0.01 * i)
        assert sum(len(b) for b in out if hasattr(b, "adc")) == 4  # each frame comes out at once
    assert s.info is not None and s.info.rate_source == "estimated" and s.needs_info


def test_without_hello_the_timestamps_of_a_frame_show_the_rate_and_count_losses():
    """1.0, the HELLO missed (a port opened mid-stream): four samples a frame show 200 Hz; one
    sample a frame shows nothing, so nothing is counted until the board says its rate."""
    b = FakeBoard(t0_us=9_000_000)
    wire = b.frames(10)
    b.skip_frame()
    s, out = decode(wire + b.frames(10))
    assert s.lost == 4 and s.info is not None and (s.info.sample_rate_hz, s.info.rate_source) == (200, "estimated")
    b = FakeBoard(rate=10, per_frame=1, t0_us=9_000_000)
    wire = b.frames(10)
    b.skip_frame()
    wire += b.frames(10)
    b.skip_frame()
    s, out = decode(wire + b.status() + b.frames(10))
    assert s.lost == 1  # the frame lost after STATUS said 10 Hz; not the one before
