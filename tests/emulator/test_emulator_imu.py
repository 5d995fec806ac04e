"""The firmware with an MPU-6050 on I2C, emulated by the harness, end to end.

A scenario with `[motion]` gives the board an IMU: the harness answers on I2C at 0x68 with the
simulator's counts; the firmware finds it at boot, lists its six channels in HELLO and sends
them in DATA on each FSR sample's timestamp. Without `[motion]` the board has no IMU and the
firmware is the FSR-only board it always was.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from kneadback.model import Command, DeviceInfo, DeviceStatus, LinkEvent, SampleBlock
from kneadback.simulate.motion import IMU_CHANNELS
from kneadback.sources import open_source
from kneadback.sources.base import SourceOptions
from kneadback.sources.emulated import EmulatedSource, Harness, missing_tools, write_counts

from .reading import collect

pytestmark = pytest.mark.skipif(
    bool(missing_tools()), reason=f"the AVR toolchain or simavr is not installed: missing {', '.join(missing_tools())}"
)

FAST = math.inf  # run the emulator as fast as it can

SCENARIO = """
description = "Short one-direction strokes with a motion sensor, a rest, more strokes: 10 s."

[device]
rate_hz = 200

[user]
rate_hz = 1.0
force_n = 20.0

[motion]
pattern = "one-way"
direction_deg = 30
excursion_cm = 3.0

[[spots]]
name = "upper trapezius (left)"
force_at_7 = 22.0

[[phase]]
kind = "strokes"
duration_s = 5

[[phase]]
kind = "rest"
duration_s = 2

[[phase]]
kind = "strokes"
duration_s = 3
"""


def blocks(items) -> list[SampleBlock]:
    return [i for i in items if isinstance(i, SampleBlock) and len(i)]


def play(tmp_path, text: str) -> tuple[EmulatedSource, list, Harness]:
    path = tmp_path / "scenario.toml"
    path.write_text(text)
    source = open_source(f"emu:{path}", SourceOptions(speed=FAST, seed=3))
    assert isinstance(source, EmulatedSource)
    with source:
        harness = source.harness
        assert harness is not None
        items = collect(source)
    return source, items, harness


def test_emulator_imu_channels_arrive_with_the_simulated_counts(tmp_path):
    source, items, harness = play(tmp_path, SCENARIO)
    rendering = source.rendering
    assert rendering is not None and rendering.tool is not None
    info = next(i for i in items if isinstance(i, DeviceInfo))
    # kinds, units and scales (f32 on the wire) of the simulated IMU, in DATA's order
    assert [(c.kind, c.unit, np.float32(c.scale)) for c in info.channels[1:]] == [
        (c.kind, c.unit, np.float32(c.scale)) for c in IMU_CHANNELS
    ]
    got = blocks(items)
    adc = np.concatenate([b.adc for b in got])
    imu = np.concatenate([b.extra for b in got])
    dev = np.concatenate([b.t_device_us.astype(np.int64) for b in got])
    # every sample, its FSR count and its six IMU counts from the same tick
    assert len(adc) == len(rendering.adc)
    assert np.array_equal(adc, np.clip(rendering.adc, 0, 1023))
    assert imu.dtype == np.int16 and np.array_equal(imu, rendering.tool.imu)
    assert set(np.diff(dev).tolist()) == {5000}
    assert not [i for i in items if isinstance(i, LinkEvent)]
    statuses = [i for i in items if isinstance(i, DeviceStatus)]
    assert statuses and all(s.dropped == 0 and s.overruns == 0 for s in statuses)
    # one burst read a sample (and none at boot): the harness timed each from START to STOP
    assert harness.i2c is not None
    reads, mean_us, longest_us = harness.i2c
    assert reads >= len(adc) and 0 < mean_us <= longest_us < 1000


def test_emulator_board_without_motion_has_no_imu(tmp_path):
    fsr_only = SCENARIO.replace('[motion]\npattern = "one-way"\ndirection_deg = 30\nexcursion_cm = 3.0\n', "")
    source, items, harness = play(tmp_path, fsr_only)
    assert source.rendering is not None and source.rendering.tool is None
    info = next(i for i in items if isinstance(i, DeviceInfo))
    assert [c.kind for c in info.channels] == ["force-adc"]
    got = blocks(items)
    assert got and all(b.extra is None for b in got)
    assert np.array_equal(np.concatenate([b.adc for b in got]), np.clip(source.rendering.adc, 0, 1023))
    assert harness.i2c is None  # no IMU on the bus: the harness reports no I2C


STILL = (1, -2, 16384, 40, -50, 60)  # a tool at rest: the counts every sample reads


@pytest.fixture
def imu_board(tmp_path):
    """The emulated board with an IMU that reads `STILL`, read through the serial source."""
    from kneadback.sources.serial import SerialSource

    counts = tmp_path / "adc.txt"
    write_counts(counts, np.full(400, 300), 200.0, np.tile(np.array(STILL, np.int16), (400, 1)))
    harness = Harness(counts_file=counts, speed=FAST)
    source = SerialSource("emu", SourceOptions(), harness.pty, real_time=False)
    source.open()
    yield harness, source
    source.close()
    harness.close()


def test_emulator_imu_board_refuses_rates_its_link_cannot_carry(imu_board):
    _, source = imu_board
    collect(source, lambda items: len(blocks(items)) >= 5)
    assert source.send(Command("set-rate", 501))
    collect(source, lambda items: source.stream.last_ack is not None)
    assert source.stream.last_ack.result == 1  # bad argument: 500 Hz is the most with the IMU
    assert source.send(Command("set-rate", 500))
    after = collect(source, lambda items: any(isinstance(i, DeviceInfo) for i in items) and len(blocks(items)) >= 10)
    hello = next(i for i in after if isinstance(i, DeviceInfo))
    assert hello.sample_rate_hz == 500 and len(hello.channels) == 7
    last = blocks(after)[-1]
    assert last.extra is not None and set(map(tuple, last.extra.tolist())) == {STILL}
    assert set(np.diff(last.t_device_us.astype(np.int64)).tolist()) == {2000}


def test_emulator_imu_is_found_again_after_a_reset(imu_board):
    harness, source = imu_board
    collect(source, lambda items: len(blocks(items)) >= 5)
    harness.reset()
    after = collect(source, lambda items: any(isinstance(i, DeviceInfo) for i in items) and len(blocks(items)) >= 10)
    hello = next(i for i in after if isinstance(i, DeviceInfo))
    assert hello.boot_id == 1 and len(hello.channels) == 7  # a new boot, the IMU set up again
    extra = np.concatenate([b.extra for b in blocks(after[after.index(hello) :])])
    assert set(map(tuple, extra.tolist())) == {STILL}


def test_emulator_live_lines_carry_imu_counts_and_one_count_lines_keep_them():
    """`--adc - --imu`: a line's six IMU counts are what the IMU reads from then on; a line with
    the count alone changes the count only; a malformed line is said on stderr, its count used."""
    from kneadback.sources.serial import SerialSource

    moved = (500, -600, 16000, -7, 8, -9)
    harness = Harness(live=True, imu=True, speed=1.0)
    source = SerialSource("emu", SourceOptions(), harness.pty, real_time=False)

    def pairs(items) -> set[tuple[int, ...]]:
        return {(int(a), *map(int, v)) for b in blocks(items) for a, v in zip(b.adc, b.extra)}

    try:
        harness.set_adc(300, STILL)
        source.open()
        items = collect(source, lambda got: (300, *STILL) in pairs(got))
        assert len(next(i for i in items if isinstance(i, DeviceInfo)).channels) == 7
        harness.set_adc(310)
        collect(source, lambda got: (310, *STILL) in pairs(got))
        harness.set_adc(320, moved)
        collect(source, lambda got: (320, *moved) in pairs(got))
        harness.proc.stdin.write("330 1 2 3\n")
        harness.proc.stdin.flush()
        collect(source, lambda got: (330, *moved) in pairs(got))
    finally:
        source.close()
        harness.proc.terminate()
        harness.proc.wait(timeout=5)
        err = harness.proc.stderr.read()
        harness.close()
    assert "stdin line 4: expected an ADC count, alone or with six IMU counts" in err
