"""The simulated board's bytes go through the device decoder and come out as the rendering."""

import dataclasses
import re
from pathlib import Path

import numpy as np
import pytest

from kneadback.cli import main
from kneadback.model import DeviceInfo, DeviceStatus, LinkEvent, SampleBlock
from kneadback.protocol import cobs
from kneadback.protocol.messages import MAX_PAYLOAD, Trailer, frame_data
from kneadback.protocol.stream import DeviceStream
from kneadback.simulate.motion import IMU_CHANNELS
from kneadback.simulate.render import render
from kneadback.simulate.scenario import load_scenario
from kneadback.simulate.wire import (
    FRAME_SAMPLES_MAX,
    IMU_MAX_RATE_HZ,
    MAX_RATE_HZ,
    max_rate_hz,
    rate_cap_note,
    samples_per_frame,
)
from kneadback.sources import open_source
from kneadback.sources.base import SourceOptions


def decode(rendering, chunks=None, faults=True):
    stream = DeviceStream(f"sim:{rendering.scenario.name}")
    items = []
    for t, data in chunks if chunks is not None else rendering.wire_chunks(faults):
        items += stream.feed(data, t)
    items += stream.flush(rendering.t[-1])
    blocks = [i for i in items if isinstance(i, SampleBlock)]

    def cat(key: str) -> np.ndarray:
        return np.concatenate([getattr(b, key) for b in blocks])

    return stream, items, cat("t"), cat("adc"), cat("t_device_us")


@pytest.mark.parametrize("name", ["steady", "fs100", "fs1000", "noisy", "saturated"])
def test_decoded_samples_equal_the_rendering(name):
    r = render(load_scenario(name), seed=1)
    stream, items, t, adc, t_us = decode(r)
    assert np.array_equal(adc, r.adc) and np.array_equal(t_us, r.t_us)
    # session time: the device clock, whose samples are exact timer periods apart as the
    # firmware's (no jitter), and the host's drift estimate from arrival times (a few µs); a
    # drifting clock is corrected after about 10 s, so its offset stays what it gathered until then
    assert np.max(np.abs(t - r.t)) < 2e-5 + abs(r.scenario.device.clock_ppm) * 1e-6 * 15
    assert set(np.diff(t_us.astype(np.int64)).tolist()) == {1_000_000 // int(r.rate_hz)}
    assert stream.lost == 0 and not [i for i in items if isinstance(i, LinkEvent)]
    info = next(i for i in items if isinstance(i, DeviceInfo))
    assert info.sample_rate_hz == r.rate_hz and info.divider_ohms == r.divider_ohms
    assert info.protocol_minor == 1 and info.boot_id is not None  # the firmware's HELLO 1.1


def test_results_do_not_depend_on_chunking():
    r = render(load_scenario("frame-loss"), seed=2)
    whole = r.wire_bytes()
    rng = np.random.default_rng(0)
    cuts = np.sort(rng.choice(len(whole), 400, replace=False))
    pieces = np.split(np.frombuffer(whole, np.uint8), cuts)
    times = np.linspace(0, r.t[-1], len(pieces))
    *_, adc1, _ = decode(r)
    *_, adc2, _ = decode(r, [(float(tt), p.tobytes()) for tt, p in zip(times, pieces)])
    assert np.array_equal(adc1, adc2)


def test_frames_carry_rate_over_50_samples_and_status_comes_once_a_second():
    for rate, n in [(10, 1), (100, 2), (200, 4), (500, 10), (1000, 20)]:
        assert samples_per_frame(rate) == n
    r = render(load_scenario("steady"), seed=0)
    _, items, *_ = decode(r)
    statuses = [i for i in items if isinstance(i, DeviceStatus)]
    assert len(statuses) == pytest.approx(r.scenario.duration_s, abs=1)
    sizes = {len(b) for b in items if isinstance(b, SampleBlock)}
    assert sizes == {4}


def test_frame_loss_loses_exactly_the_planned_samples():
    r = render(load_scenario("frame-loss"), seed=3)
    assert r.lost.sum() > 0 and r.plan.garbage
    stream, items, _, adc, t_us = decode(r)
    assert np.array_equal(adc, r.adc[~r.lost]) and np.array_equal(t_us, r.t_us[~r.lost])
    assert stream.lost == r.lost.sum() - _lost_at_end(r)
    kinds = {i.kind for i in items if isinstance(i, LinkEvent)}
    assert kinds & {"crc", "cobs", "truncated", "garbage", "oversize"}
    assert sum(run.samples for run in r.truth.lost) == r.lost.sum()
    clean = decode(r, faults=False)
    assert np.array_equal(clean[3], r.adc)


def _lost_at_end(r):
    """Samples lost after the last delivered one cannot be counted by a receiver."""
    last = np.flatnonzero(~r.lost)[-1]
    return int(r.lost[last + 1 :].sum())


def test_clock_drift_and_the_u32_wrap():
    s = load_scenario("steady")
    s = s.with_device(clock_ppm=5000, start_us=2**32 - 5_000_000)
    r = render(s, seed=0)
    assert r.t_us[0] > r.t_us[-1]  # wrapped
    assert r.t[-1] == pytest.approx((len(r.t) - 1) / 200 / 1.005)
    _, _, t, adc, _ = decode(r)
    assert np.array_equal(adc, r.adc)
    assert abs(t[-1] - r.t[-1]) < 0.1  # the host follows the real time of the samples


def test_a_disconnect_resets_the_board():
    r = render(load_scenario("disconnect"), seed=0)
    cut = r.truth.meta["disconnect"]
    gap = (r.t >= cut[0]) & (r.t < cut[1])
    assert r.lost[gap].all() and r.lost.sum() == pytest.approx(gap.sum(), abs=r.plan.per_frame)
    after = np.flatnonzero(~r.lost & (r.t >= cut[1]))[0]
    assert r.t_us[after] < r.t_us[after - 1 - r.lost.sum()]  # a fresh clock
    stream, items, _, adc, _ = decode(r)
    assert np.array_equal(adc, r.adc[~r.lost])
    assert stream.resets == 1 and any(isinstance(i, LinkEvent) and i.kind == "reset" for i in items)


def test_spikes_are_single_samples():
    s = load_scenario("steady")
    base = render(s, seed=4)
    spiky = render(dataclasses.replace(s, noise=dataclasses.replace(s.noise, spikes_per_min=30)), seed=4)
    diff = np.flatnonzero(base.adc != spiky.adc)
    assert 15 <= len(diff) <= 50


def test_strokes_hit_by_lost_samples_say_so():
    r = render(load_scenario("disconnect"), seed=0)
    hit = [s for s in r.truth.strokes if s.lost_samples]
    cut = r.truth.meta["disconnect"]
    assert 3 <= len(hit) <= 6 and all(s.t_end >= cut[0] - 1 and s.t_start <= cut[1] for s in hit)
    for s in r.truth.strokes:
        inside = (r.t >= s.t_start) & (r.t <= s.t_end)
        assert s.lost_samples == np.count_nonzero(r.lost[inside])


SKETCH = Path(__file__).resolve().parents[2] / "firmware" / "kneadback" / "kneadback.ino"


def sketch_constant(name: str) -> int:
    found = re.search(rf"^#define {name} (\d+)", SKETCH.read_text(), re.MULTILINE)
    assert found, f"{name} is not defined in the sketch"
    return int(found.group(1))


def test_frames_follow_the_sketchs_rates_and_fit_the_payload_with_or_without_the_imu():
    assert tuple(
        sketch_constant(n) for n in ("KB_FRAME_SAMPLES_MAX", "KB_MAX_RATE", "KB_IMU_MAX_RATE")
    ) == (FRAME_SAMPLES_MAX, MAX_RATE_HZ, IMU_MAX_RATE_HZ)
    assert (max_rate_hz(0), max_rate_hz(len(IMU_CHANNELS))) == (MAX_RATE_HZ, IMU_MAX_RATE_HZ)
    # with an IMU a rate above the cap runs at the cap: ten 18-byte samples a frame
    assert [samples_per_frame(r, len(IMU_CHANNELS)) for r in (10, 200, 500, 501, 1000)] == [1, 4, 10, 10, 10]
    for extra in (0, len(IMU_CHANNELS)):
        for rate in range(10, MAX_RATE_HZ + 1):
            n = samples_per_frame(rate, extra)
            frame = frame_data(0, np.zeros(n), np.zeros(n), Trailer(1, 0, rate), np.zeros((n, extra)) if extra else None)
            assert len(cobs.decode(frame[:-1])) - 2 <= MAX_PAYLOAD, (rate, extra)  # without its CRC


IMU_AT_1000_HZ = """
description = "One-direction strokes asking for 1000 Hz from a board with a motion sensor."

[device]
rate_hz = 1000

[motion]
pattern = "one-way"

[[spots]]
name = "upper trapezius (left)"
force_at_7 = 22.0

[[phase]]
kind = "strokes"
duration_s = 4
"""


def test_a_board_with_an_imu_asked_for_1000_hz_runs_at_500_and_every_frame_decodes(tmp_path, capsys):
    path = tmp_path / "imu1000.toml"
    path.write_text(IMU_AT_1000_HZ)
    scenario = load_scenario(str(path))
    assert scenario.device.rate_hz == 1000  # what was asked; the board caps it, as its setup does
    note = rate_cap_note(scenario)
    assert note is not None and "device.rate_hz 1000" in note and "runs at 500 Hz" in note
    r = render(scenario, seed=4)
    assert r.tool is not None and r.rate_hz == IMU_MAX_RATE_HZ and len(r.adc) == 4 * IMU_MAX_RATE_HZ
    stream, items, t, adc, t_us = decode(r, faults=False)
    assert not [i for i in items if isinstance(i, LinkEvent)]  # no frame over 250 bytes, none rejected
    info = next(i for i in items if isinstance(i, DeviceInfo))
    assert info.sample_rate_hz == IMU_MAX_RATE_HZ and len(info.channels) == 1 + len(IMU_CHANNELS)
    blocks = [b for b in items if isinstance(b, SampleBlock)]
    assert {len(b) for b in blocks} == {10}
    assert np.array_equal(adc, r.adc) and np.array_equal(np.concatenate([b.extra for b in blocks]), r.tool.imu)
    assert set(np.diff(t_us.astype(np.int64)).tolist()) == {2000}
    # the user is told once, by the simulated source, before the session reports
    said: list[str] = []
    with open_source(f"sim:{path}", SourceOptions(notice=said.append)):
        pass
    assert said == [note]
    # and by `kneadback simulate`, whose files are at the board's rate
    assert main(["simulate", str(path), "--out", str(tmp_path)]) == 0
    assert f"kneadback: {note}\n" in capsys.readouterr().err
    assert "# rate_hz: 500\n" in (tmp_path / "imu1000.csv").read_text()


def test_an_fsr_only_board_keeps_1000_hz_and_says_nothing():
    scenario = load_scenario("fs1000")
    assert scenario.motion is None and rate_cap_note(scenario) is None
    r = render(scenario, seed=1)
    assert r.rate_hz == 1000 and r.plan.per_frame == FRAME_SAMPLES_MAX
