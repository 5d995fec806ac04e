"""The simulator's tool motion: opt-in, at the MPU-6050's scales, consistent with the force, with truth."""

from __future__ import annotations

import numpy as np
import pytest

from kneadback.errors import InputError
from kneadback.model import FORCE_CHANNEL
from kneadback.simulate.motion import ACCEL_LSB_PER_G, ACCEL_NOISE_G, GYRO_LSB_PER_DPS, GYRO_NOISE_DPS, IMU_CHANNELS
from kneadback.simulate.render import render
from kneadback.simulate.scenario import list_scenarios, load_scenario

from .scenarios import CIRCLE, IN_CONTACT, KNEADING, ONE_WAY, SCRUB, scenario

MOTION_SCENARIOS = ("one-direction", "scrubbing", "long-strokes", "stroke-drift", "kneading", "direction-change")


def test_a_scenario_without_motion_renders_exactly_as_before():
    """The same scenario with and without [motion]: the force path draws nothing more, and the
    FSR-only board has one channel, no IMU and no motion truth."""
    with_imu = render(scenario(ONE_WAY), seed=3)
    fsr_only = render(scenario(None), seed=3)
    for key in ("t", "t_us", "adc", "force_n", "lost"):
        assert np.array_equal(getattr(with_imu, key), getattr(fsr_only, key)), key
    assert with_imu.truth.strokes == fsr_only.truth.strokes
    assert fsr_only.tool is None and fsr_only.info.channels == (FORCE_CHANNEL,)
    assert "stroke_motion" not in fsr_only.truth.to_dict()
    assert with_imu.info.channels == (FORCE_CHANNEL, *IMU_CHANNELS)
    assert len(with_imu.truth.to_dict()["stroke_motion"]) == len(with_imu.truth.strokes)


def test_every_library_scenario_without_motion_still_has_none():
    names = {n for n, _ in list_scenarios()}
    assert set(MOTION_SCENARIOS) <= names
    for name in names - set(MOTION_SCENARIOS):
        assert load_scenario(name).motion is None, name
    for name in MOTION_SCENARIOS:
        assert load_scenario(name).motion is not None, name


def test_the_imu_reads_gravity_and_its_noise_at_the_data_sheet_figures():
    """Tool at rest on a still hand: |accel| is 1 g, and what varies is the part's noise."""
    still = {**ONE_WAY, "tremor_mm": 0.0, "wobble_deg": 0.0, "heading_wander_deg": 0.0, "gyro_drift_dps": 0.0}
    r = render(scenario(still, phases=[{"kind": "rest", "duration_s": 20.0}]), seed=1)
    assert r.tool is not None
    imu = r.tool.imu
    assert imu.dtype == np.int16 and imu.shape == (len(r.t), 6)
    g = np.linalg.norm(imu[:, :3].astype(float), axis=1).mean() / ACCEL_LSB_PER_G
    assert g == pytest.approx(1.0, abs=0.15)  # the zero-g offsets are tens of mg
    band = np.sqrt(r.rate_hz / 2.0)
    assert imu[:, :3].std(axis=0) == pytest.approx(ACCEL_NOISE_G * band * ACCEL_LSB_PER_G, rel=0.15)
    assert imu[:, 3:].std(axis=0) == pytest.approx(GYRO_NOISE_DPS * band * GYRO_LSB_PER_DPS, rel=0.25, abs=0.3)


def test_the_working_stroke_is_the_loaded_part_and_the_return_is_not():
    """One-way strokes lifting off: the tip moves along the working direction while the force is
    on, and back while it is zero."""
    r = render(scenario({**ONE_WAY, "tremor_mm": 0.0}), seed=2)
    assert r.tool is not None
    heading = r.tool.heading
    way = np.radians(40.0) + heading
    v = np.gradient(r.tool.tip_m[:, :2], r.t, axis=0)
    along = v[:, 0] * np.cos(way) + v[:, 1] * np.sin(way)
    loaded = r.force_n > 0
    assert along[loaded].sum() > 0 and along[~loaded].sum() < 0
    assert np.abs(along[loaded & (along < 0)]).sum() < 0.05 * along[loaded & (along > 0)].sum()


@pytest.mark.parametrize(("motion", "user", "loaded", "share"), [
    (ONE_WAY, None, False, (0.0, 0.05)),
    (SCRUB, IN_CONTACT, True, (0.35, 0.65)),
    ({**ONE_WAY, "excursion_end_cm": 9.0}, {"contact": 0.2, "dwell": 0.3}, True, (0.02, 0.33)),
    (CIRCLE, KNEADING, True, (0.1, 0.45)),  # a circle's stroke: its diameter, the way it goes under the most force
])
def test_truth_per_stroke(motion, user, loaded, share):
    r = render(scenario(motion, user=user), seed=4)
    m = r.truth.stroke_motion
    assert [x.index for x in m] == [s.index for s in r.truth.strokes]
    direction = np.array([x.direction_deg for x in m])
    if motion["pattern"] == "back-and-forth":  # every other stroke the opposite way
        direction[1::2] -= 180.0
    off = (direction - motion["direction_deg"] + 180.0) % 360.0 - 180.0
    assert np.percentile(np.abs(off), 90) < 20.0
    length = np.array([x.excursion_cm for x in m])
    end = motion.get("excursion_end_cm", motion["excursion_cm"])
    ramp = motion["excursion_cm"] + (end - motion["excursion_cm"]) * np.array([s.t_start for s in r.truth.strokes]) / r.duration_s
    assert np.median(np.abs(length / ramp - 1.0)) < 0.15  # each stroke as long as the phase's ramp has it then
    assert m[0].return_share is None and all(x.return_loaded is loaded for x in m)
    assert share[0] <= np.median([x.return_share for x in m[1:]]) <= share[1]


def test_the_same_seed_gives_the_same_motion_and_another_seed_another():
    a, b, c = (render(scenario(ONE_WAY), seed=s) for s in (5, 5, 6))
    assert a.tool is not None and b.tool is not None and c.tool is not None
    assert np.array_equal(a.tool.imu, b.tool.imu) and a.truth.stroke_motion == b.truth.stroke_motion
    assert not np.array_equal(a.tool.imu, c.tool.imu)


def test_phases_override_the_path_and_a_circle_returns_where_it_started():
    s = scenario({"pattern": "circle", "excursion_cm": 4.0}, user=IN_CONTACT, phases=[
        {"kind": "strokes", "duration_s": 10.0},
        {"kind": "rest", "duration_s": 3.0},
        {"kind": "strokes", "duration_s": 10.0, "pattern": "one-way", "direction_deg": 90.0},
    ])
    assert [p.path.pattern for p in s.phases] == ["circle", "circle", "one-way"]  # [motion]'s, unless a phase says
    r = render(s, seed=1)
    assert r.tool is not None
    rest = (r.t > 10.5) & (r.t < 12.5)
    assert np.ptp(r.tool.tip_m[rest, :2], axis=0).max() < 0.002  # only tremor while resting


@pytest.mark.parametrize(("change", "message"), [
    ({"motion": {"pattern": "zigzag"}}, r"test.toml: motion.pattern: 'zigzag' is not one of one-way, back-and-forth, circle"),
    ({"motion": {"excursion_cm": 12}}, r"test.toml: motion.excursion_cm: 12 is above the maximum 10"),
    ({"phase": [{"kind": "strokes", "duration_s": 5, "direction_deg": 10}]}, r"test.toml: phase #1.direction_deg: unknown key"),
])
def test_a_mistake_in_the_motion_table_is_one_line_naming_the_key(change, message):
    from pathlib import Path

    from kneadback.simulate.scenario import parse_scenario

    data = {"description": "a test", "phase": [{"kind": "strokes", "duration_s": 5}], **change}
    with pytest.raises(InputError, match=message):
        parse_scenario(data, "test", Path("test.toml"))


def test_the_imu_channels_travel_in_the_boards_bytes():
    """Through the device decoder: HELLO lists the six channels, DATA carries them sample by sample."""
    from kneadback.model import DeviceInfo, SampleBlock
    from kneadback.protocol.stream import DeviceStream

    r = render(scenario(ONE_WAY, seconds=5.0), seed=1)
    assert r.tool is not None
    stream = DeviceStream("sim:test")
    items = []
    for t, data in r.wire_chunks():
        items += stream.feed(data, t)
    items += stream.flush(float(r.t[-1]))
    info = next(i for i in items if isinstance(i, DeviceInfo))
    assert [(c.kind, c.unit) for c in info.channels] == [(c.kind, c.unit) for c in r.info.channels]
    assert [c.scale for c in info.channels] == pytest.approx([c.scale for c in r.info.channels], rel=1e-6)  # sent as float32
    blocks = [i for i in items if isinstance(i, SampleBlock)]
    assert all(b.extra is not None for b in blocks)
    assert np.array_equal(np.concatenate([b.extra for b in blocks if b.extra is not None]), r.tool.imu)
