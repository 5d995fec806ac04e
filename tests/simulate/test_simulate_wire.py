"""The simulated board's bytes go through the device decoder and come out as the rendering."""

import dataclasses

import numpy as np
import pytest

from kneadback.model import DeviceInfo, DeviceStatus, LinkEvent, SampleBlock
from kneadback.protocol.stream import DeviceStream
from kneadback.simulate.render import render
from kneadback.simulate.scenario import load_scenario
from kneadback.simulate.wire import samples_per_frame


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
