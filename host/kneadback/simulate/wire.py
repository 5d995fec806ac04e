"""What a board running our firmware puts on the USB serial line, faults included.

The firmware (firmware/PROTOCOL.md, protocol 1.1) sends a 0x00 and HELLO after reset (with its
boot id, front end and channels), then DATA frames of n = max(1, rate/50) samples (at most 20)
with the 1.1 trailer (boot, run, rate), and STATUS once a second. With an IMU it samples at
500 Hz at most (`max_rate_hz`), so a frame of 18-byte samples fits the protocol's payload. Its
timestamps are those of its sample timer: `micros()` at the first sample, then exactly one timer
period (counted in half microseconds) apart, a u32 that wraps; its clock may run fast or slow
(`clock_ppm`): the timer paces samples in *device* microseconds, so with a fast clock they come
a little more often in real time. Sample times (`Rendering.t`) and arrival times are real seconds; the host maps the
device clock onto them by estimating the drift.

Faults are planned once per rendering, from the seed, so the truth can list every lost sample:
- lost frames: a frame is dropped whole, or arrives with a corrupted byte (fails its CRC);
- garbage: bursts of random bytes between frames; a burst that does not end in 0x00 glues onto
  the next frame and destroys it;
- a disconnect: nothing arrives for `disconnect_s`; the board resets (as a USB re-plug does),
  boots (its boot id one more), and starts again with HELLO, sequence 0 and a fresh clock.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from kneadback.model import DeviceInfo
from kneadback.simulate.motion import IMU_CHANNELS
from kneadback.simulate.scenario import Scenario

US_WRAP = 1 << 32
BOOT_S = 1.5  # an Uno's bootloader wait after a reset
FIRST_BOOT_ID = 1  # the board's boot counter at the first boot a rendering shows
BAUD = 115200
LOST_OK, LOST_DROPPED, LOST_CORRUPTED, LOST_GARBLED = 0, 1, 2, 3


FRAME_SAMPLES_MAX = 20  # the sketch's KB_FRAME_SAMPLES_MAX
MAX_RATE_HZ = 1000  # KB_MAX_RATE
IMU_MAX_RATE_HZ = 500  # KB_IMU_MAX_RATE: 18-byte samples, 84 % of 115200 baud


def max_rate_hz(extra_channels: int) -> int:
    """The most the firmware samples at: with an IMU's channels its setup caps a higher default
    rate and SET_RATE refuses one, as the link carries no more (and a frame would pass 250 bytes)."""
    return IMU_MAX_RATE_HZ if extra_channels else MAX_RATE_HZ


def samples_per_frame(rate_hz: float, extra_channels: int = 0) -> int:
    """Samples in a DATA frame, as the sketch's `set_frame_samples`: rate/50, 1..20, of the rate
    the board runs at with these channels."""
    rate = min(int(rate_hz), max_rate_hz(extra_channels))
    return min(FRAME_SAMPLES_MAX, max(1, rate // 50))


def extra_channels_of(scenario: Scenario) -> int:
    """Channels after the force the scenario's board sends: the IMU's, with [motion]."""
    return len(IMU_CHANNELS) if scenario.motion is not None else 0


def board_rate_hz(scenario: Scenario) -> float:
    """The rate the scenario's board samples at: its own, capped as the firmware caps it."""
    return float(min(scenario.device.rate_hz, max_rate_hz(extra_channels_of(scenario))))


def rate_cap_note(scenario: Scenario) -> str | None:
    """What the user is told when the board cannot sample at the scenario's rate; None when it can."""
    rate = board_rate_hz(scenario)
    if rate == scenario.device.rate_hz:
        return None
    return (
        f"scenario {scenario.name}: device.rate_hz {scenario.device.rate_hz:g} is more than a board with a "
        f"motion sensor samples (its link carries {rate:g} Hz at most): the board runs at {rate:g} Hz"
    )


def timer_period_half_us(rate_hz: float) -> int:
    """The firmware's sample period in half microseconds: its Timer1 ticks at 0.5 µs from 31 Hz
    up, at 4 µs below (`timer_for` in the sketch)."""
    rate = int(rate_hz)
    if rate >= 31:
        return (2_000_000 + rate // 2) // rate
    return (250_000 + rate // 2) // rate * 8


@dataclass(frozen=True)
class Segment:
    """A run of samples streamed between two resets of the board."""

    first: int  # sample index range [first, stop)
    stop: int
    start_us: int  # micros() at the first sample


@dataclass
class WirePlan:
    per_frame: int
    segments: list[Segment]
    frame_first: np.ndarray  # per frame (all segments): first sample index
    frame_stop: np.ndarray
    frame_segment: np.ndarray
    frame_seq: np.ndarray
    frame_lost: np.ndarray  # LOST_* code per frame
    garbage: dict[int, bytes] = field(default_factory=dict)  # bytes sent just before frame g
    corruption: dict[int, tuple[float, int]] = field(default_factory=dict)  # g → (position 0..1, xor)
    disconnect: tuple[float, float] | None = None  # session time the cable is out, start..end

    def lost_mask(self, n: int) -> np.ndarray:
        """True for each sample the host never receives."""
        i = np.arange(n)
        g = np.searchsorted(self.frame_first, i, side="right") - 1
        ok = (g >= 0) & (self.frame_lost[np.maximum(g, 0)] == LOST_OK)
        return ~(ok & (i < self.frame_stop[np.maximum(g, 0)]))


def plan_wire(scenario: Scenario, t: np.ndarray, rng: np.random.Generator) -> WirePlan:
    """Segments (resets), frames and which of them the faults destroy."""
    n = len(t)
    dev, faults = scenario.device, scenario.faults
    per = samples_per_frame(dev.rate_hz, extra_channels_of(scenario))
    start_us = dev.start_us if dev.start_us is not None else int(rng.integers(1_100_000, 2_600_000))
    segments = [Segment(0, n, start_us)]
    disconnect = None
    if faults.disconnect_at_s is not None and faults.disconnect_at_s < (t[-1] if n else 0.0):
        cut = int(np.searchsorted(t, faults.disconnect_at_s))
        cut -= cut % per  # the frame in flight is lost with the rest
        back = int(np.searchsorted(t, faults.disconnect_at_s + faults.disconnect_s))
        segments = [Segment(0, cut, start_us)]
        if back < n:
            segments.append(Segment(back, n, int(rng.integers(int(0.9 * BOOT_S * 1e6), int(1.1 * BOOT_S * 1e6)))))
        disconnect = (float(faults.disconnect_at_s), float(faults.disconnect_at_s + faults.disconnect_s))

    firsts, stops, segs, seqs = [], [], [], []
    for s_i, seg in enumerate(segments):
        f = np.arange(seg.first, seg.stop, per)
        firsts.append(f)
        stops.append(np.minimum(f + per, seg.stop))
        segs.append(np.full(len(f), s_i))
        seqs.append(np.arange(len(f)) % 65536)
    frame_first = np.concatenate(firsts) if firsts else np.zeros(0, int)
    n_frames = len(frame_first)
    plan = WirePlan(
        per_frame=per,
        segments=segments,
        frame_first=frame_first,
        frame_stop=np.concatenate(stops) if stops else np.zeros(0, int),
        frame_segment=np.concatenate(segs) if segs else np.zeros(0, int),
        frame_seq=np.concatenate(seqs) if seqs else np.zeros(0, int),
        frame_lost=np.zeros(n_frames, dtype=np.int8),
        disconnect=disconnect,
    )
    if faults.lost_frames > 0 and n_frames > 1:
        mean_burst = 1.5
        starts = np.flatnonzero(rng.random(n_frames) < faults.lost_frames / mean_burst)
        lengths = rng.geometric(1.0 / mean_burst, len(starts))
        corrupt = rng.random(len(starts)) < 0.5
        for s, length, c in zip(starts, lengths, corrupt):
            first = max(1, int(s))  # HELLO's first DATA frame gets through
            for g in range(first, min(n_frames, first + int(length))):
                plan.frame_lost[g] = LOST_CORRUPTED if c else LOST_DROPPED
                if c:
                    plan.corruption[g] = (float(rng.random()), int(rng.integers(1, 256)))
    minutes = (t[-1] / 60.0) if n else 0.0
    if faults.garbage_per_min > 0 and n_frames > 2:
        for g in sorted(set(rng.integers(1, n_frames, rng.poisson(faults.garbage_per_min * minutes)).tolist())):
            burst = bytes(rng.integers(0, 256, int(rng.integers(1, 25)), dtype=np.uint8).tolist())
            if rng.random() < 0.7:
                burst += b"\x00"
            plan.garbage[g] = burst
            if not burst.endswith(b"\x00") and plan.frame_lost[g] == LOST_OK:
                plan.frame_lost[g] = LOST_GARBLED
    return plan


def device_timestamps(plan: WirePlan, rate_hz: float, n: int) -> np.ndarray:
    """The firmware's sample times (uint32): `micros()` at the first sample of each boot, then
    whole timer periods, the half microseconds carried as the firmware carries them."""
    out = np.zeros(n, dtype=np.int64)
    half = timer_period_half_us(rate_hz)
    for seg in plan.segments:
        k = np.arange(seg.stop - seg.first, dtype=np.int64)
        out[seg.first : seg.stop] = seg.start_us + (k * half) // 2
    return (out % US_WRAP).astype(np.uint32)


def wire_chunks(
    info: DeviceInfo,
    plan: WirePlan,
    t: np.ndarray,
    t_us: np.ndarray,
    adc: np.ndarray,
    faults: bool,
    rng: np.random.Generator,
    extra: np.ndarray | None = None,
) -> Iterator[tuple[float, bytes]]:
    """(arrival time in session seconds, bytes) in order, one frame (and what precedes it) each.

    `info` is the board's description; each boot's HELLO says it as protocol 1.1, with the
    boot's id. With `faults` off no frame is lost or garbled; a disconnect (a reset of the
    board, visible in the boot id and the timestamps) still happens. `extra` (n × channels−1,
    int16) holds the other channels `info` lists, sent after each frame's trailer.
    """
    from kneadback.protocol.messages import PROTOCOL_MINOR, Trailer, frame_data, frame_hello, frame_status

    rate = info.sample_rate_hz
    last_arrival = 0.0
    g = -1  # frame number over all segments, as in the plan
    for s_i, seg in enumerate(plan.segments):
        if seg.stop <= seg.first:
            continue
        hello_at = 0.0 if s_i == 0 else max(last_arrival, plan.disconnect[1] if plan.disconnect else 0.0)
        hello_us = (int(t_us[seg.first]) - 2000) % US_WRAP
        boot_id = FIRST_BOOT_ID + s_i
        hello = dataclasses.replace(info, protocol_minor=PROTOCOL_MINOR, boot_id=boot_id, front_end="fsr-low")
        trailer = Trailer(boot_id & 0xFFFF, 0, round(rate))
        yield hello_at, b"\x00" + frame_hello(hello, hello_us)  # the 0x00 ends a frame the reset cut short
        last_arrival = hello_at
        next_status = 1.0
        seq = 0
        for i0 in range(seg.first, seg.stop, plan.per_frame):
            i1 = min(i0 + plan.per_frame, seg.stop)
            g += 1
            data = frame_data(seq, t_us[i0:i1], adc[i0:i1], trailer, None if extra is None else extra[i0:i1])
            seq = (seq + 1) % 65536
            out = b""
            if faults:
                out = plan.garbage.get(g, b"")
                code = plan.frame_lost[g]
                if code == LOST_DROPPED:
                    data = b""
                elif code == LOST_CORRUPTED:
                    pos, xor = plan.corruption[g]
                    at = min(len(data) - 2, int(pos * (len(data) - 1)))
                    flipped = data[at] ^ xor
                    if flipped in (0, data[at]):
                        flipped = data[at] % 255 + 1
                    data = data[:at] + bytes([flipped]) + data[at + 1 :]
            out += data
            since = float(t[i1 - 1] - t[seg.first])
            if since >= next_status:
                next_status = np.floor(since) + 1.0
                out += frame_status(int((int(t_us[i1 - 1]) + 200) % US_WRAP), 0, 0, True, round(rate))
            if not out:
                continue
            wire_s = len(out) * 10.0 / BAUD
            arrival = max(last_arrival, float(t[i1 - 1]) + wire_s + 0.0005 + float(rng.uniform(0.0, 0.001)))
            last_arrival = arrival
            yield arrival, out
