"""The real firmware on an emulated ATmega328P (simavr), read by the host over a pty.

End to end: the very .hex that `make -C firmware` builds, ADC counts rendered by the simulator,
the harness `kb-emu`, pyserial, `DeviceStream`, and the analysis engine. The emulator runs
unpaced (up to about 7x real time) except for the latency test, which needs the wall clock.
Needs gcc-avr, avr-libc, arduino-core-avr, simavr and libsimavr-dev (CI installs them).
"""

from __future__ import annotations

import fcntl
import math
import subprocess
import time

import numpy as np
import pytest

from kneadback.commands.hardware import CLOSED_US
from kneadback.engine.engine import Engine
from kneadback.model import Command, DeviceInfo, DeviceStatus, LinkEvent, SampleBlock, Stroke
from kneadback.protocol.messages import frame
from kneadback.sources import open_source
from kneadback.sources.base import SourceOptions
from kneadback.sources.emulated import EmulatedSource, Harness, firmware_dir, missing_tools

from .reading import collect

pytestmark = pytest.mark.skipif(
    bool(missing_tools()), reason=f"the AVR toolchain or simavr is not installed: missing {', '.join(missing_tools())}"
)

FAST = math.inf  # run the emulator as fast as it can
STEP_LATENCY_S = 0.25  # the stated bound: ADC step on the emulated pin -> sample at the host
STROKE_SLACK_S = 0.15  # a detected peak may lie this far outside the true stroke
# the divider switched by D7 (hardware/README.md): settled before the ADC samples, open after
SETTLE_NEEDED_US = 13.0  # 7.6 time constants (1.6 us) of the divider and the sample-and-hold
PULSE_MAX_US = 250.0  # settling + the first conversion after reset (25 ADC clocks, 200 us)

SCENARIO = """
description = "Strokes at 1 per second, a rest off the skin, then strokes again: 24 s."

[device]
rate_hz = 200
divider_ohms = 1000

[user]
rate_hz = 1.0
force_n = 20.0

[[spots]]
name = "upper trapezius (left)"
force_at_7 = 22.0

[[phase]]
kind = "strokes"
duration_s = 12

[[phase]]
kind = "rest"
duration_s = 4

[[phase]]
kind = "strokes"
duration_s = 8
"""


def samples(items) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    blocks = [i for i in items if isinstance(i, SampleBlock) and len(i.t)]
    if not blocks:
        return np.zeros(0), np.zeros(0, int), np.zeros(0, np.int64)
    return (
        np.concatenate([b.t for b in blocks]),
        np.concatenate([b.adc for b in blocks]),
        np.concatenate([b.t_device_us.astype(np.int64) for b in blocks]),
    )


@pytest.fixture(scope="module")
def scenario_run(tmp_path_factory):
    """A scenario played through the emulated board, start to finish."""
    path = tmp_path_factory.mktemp("emu") / "strokes-rest.toml"
    path.write_text(SCENARIO)
    source = open_source(f"emu:{path}", SourceOptions(speed=FAST, seed=5))
    assert isinstance(source, EmulatedSource)
    with source:
        items = collect(source, lambda items: False)
    return source, items


def test_emulator_scenario_arrives_exact_and_complete(scenario_run):
    source, items = scenario_run
    rendering = source.rendering
    t, adc, dev = samples(items)
    # every sample, in order, with the very counts the simulator rendered for the pin
    assert len(adc) == len(rendering.adc)
    assert np.array_equal(adc, np.clip(rendering.adc, 0, 1023))
    # device timestamps exactly 1/rate apart (the u32 does not wrap in 24 s)
    assert set(np.diff(dev).tolist()) == {5000}
    assert t[0] == 0.0 and np.allclose(t, np.arange(len(t)) / 200.0, atol=1e-9)
    # no CRC or framing error, no lost sample, no dropped or overrun sample on the device
    assert not [i for i in items if isinstance(i, LinkEvent)]
    assert sum(i.lost for i in items if isinstance(i, SampleBlock)) == 0
    stream = source.serial.stream if source.serial else None
    statuses = [i for i in items if isinstance(i, DeviceStatus)]
    assert len(statuses) >= 20 and all(s.streaming and s.dropped == 0 and s.overruns == 0 for s in statuses)
    info = [i for i in items if isinstance(i, DeviceInfo)]
    assert info and info[0].sample_rate_hz == 200 and info[0].divider_ohms == 1000 and info[0].board == "uno"
    assert source.finished and stream is None  # closed after the run


def _match(truth, found, slack: float = STROKE_SLACK_S) -> int:
    """One-to-one pairs of true and detected strokes: a detected stroke's peak lies within the
    true stroke (start..end, widened by `slack`); the closest peak wins."""
    used: set[int] = set()
    hits = 0
    for s in truth:
        near = [k for k, f in enumerate(found) if k not in used and s.t_start - slack <= f.t_peak <= s.t_end + slack]
        if near:
            used.add(min(near, key=lambda k: abs(found[k].t_peak - s.t_peak)))
            hits += 1
    return hits


def _analyse(engine_cls, info, blocks) -> list:
    engine = engine_cls()
    engine.configure(info)
    events = []
    for block in blocks:
        events += engine.process(block)
    return events + engine.finish()


def test_emulator_stream_analysis_matches_truth_f1(scenario_run):
    source, items = scenario_run
    rendering = source.rendering
    info = next(i for i in items if isinstance(i, DeviceInfo))
    events = _analyse(Engine, info, [i for i in items if isinstance(i, SampleBlock)])
    found = [e for e in events if isinstance(e, Stroke)]
    truth = rendering.truth.strokes
    assert len(truth) >= 15
    hits = _match(truth, found)
    precision = hits / len(found) if found else 0.0
    recall = hits / len(truth)
    f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
    assert f1 >= 0.98, f"F1 {f1:.3f} (precision {precision:.3f}, recall {recall:.3f}, {len(found)} found, {len(truth)} true)"
    # and the emulated board gives the very strokes the simulated samples give, fed directly
    direct = [
        SampleBlock(t=rendering.t[i : i + 50], adc=rendering.adc[i : i + 50], first_index=i)
        for i in range(0, len(rendering.adc), 50)
    ]
    same = [e for e in _analyse(Engine, info, direct) if isinstance(e, Stroke)]
    def key(e: Stroke) -> tuple:
        return round(e.t_start, 6), round(e.t_peak, 6), round(e.t_end, 6), e.peak_adc

    assert [key(e) for e in same] == [key(e) for e in found]


@pytest.fixture
def live_board():
    """The emulated board with a constant ADC0 input, unpaced, read through the serial source."""
    from kneadback.sources.serial import SerialSource

    harness = Harness(value=321, speed=FAST)
    source = SerialSource("emu", SourceOptions(), harness.pty, real_time=False)
    source.open()
    yield harness, source
    source.close()
    harness.close()
    # whatever the test did (rates, STOP/START), every conversion had the divider closed
    assert harness.divider is not None and harness.divider.conversions > 0
    assert harness.divider.open == 0


def _has_samples(n: int):
    return lambda items: len(samples(items)[1]) >= n


def _samples_after_hello(n: int):
    def enough(items) -> bool:
        hello = next((k for k, i in enumerate(items) if isinstance(i, DeviceInfo)), None)
        return hello is not None and len(samples(items[hello:])[1]) >= n

    return enough


def test_emulator_set_rate_takes_effect(live_board):
    _, source = live_board
    before = collect(source, _has_samples(40))
    assert set(samples(before)[1].tolist()) == {321}
    assert source.send(Command("set-rate", 500))
    after = collect(source, lambda items: any(isinstance(i, DeviceInfo) for i in items) and _has_samples(100)(items))
    hello = next(i for i in after if isinstance(i, DeviceInfo))
    assert hello.sample_rate_hz == 500
    ack = source.stream.last_ack
    assert ack is not None and ack.result == 0
    t_dev = samples(after[after.index(hello):])[2]
    assert set(np.diff(t_dev).tolist()) == {2000}  # exactly 1/500 s apart
    # out of range: refused, the rate stays
    assert source.send(Command("set-rate", 5000))
    refused = collect(source, lambda items: source.stream.last_ack is not None and source.stream.last_ack.result == 1)
    more = collect(source, _has_samples(50))
    assert set(np.diff(samples(more)[2]).tolist()) == {2000}
    # down to 20 Hz (another timer prescaler): the first new sample is one new period on
    assert source.send(Command("set-rate", 20))
    slow = collect(source, _samples_after_hello(8))  # the old rate's last samples may be 8 or more
    assert next(i for i in slow if isinstance(i, DeviceInfo)).sample_rate_hz == 20
    everything = before + after + refused + more + slow  # every item read, so no sample is missed
    diffs = np.diff(samples(everything)[2])
    assert set(diffs.tolist()) == {5000, 2000, 50000}
    assert list(diffs).index(50000) == len(diffs) - list(diffs[::-1]).index(2000)  # 2000s, then 50000s
    # a rate change is not a loss
    assert sum(i.lost for i in everything if isinstance(i, SampleBlock)) == 0


def test_emulator_stop_and_start_take_effect(live_board):
    _, source = live_board
    collect(source, _has_samples(20))
    assert source.send(Command("stop"))
    stopped = collect(source, lambda items: any(isinstance(i, DeviceStatus) and not i.streaming for i in items))
    # the periodic STATUS a second later still says stopped, and no sample came in between
    quiet = collect(source, lambda items: any(isinstance(i, DeviceStatus) for i in items))
    assert not any(isinstance(i, DeviceStatus) and i.streaming for i in stopped + quiet)
    assert len(samples(quiet)[1]) == 0
    assert source.send(Command("start"))
    resumed = collect(source, _has_samples(50))
    t_dev = samples(resumed)[2]
    assert set(np.diff(t_dev).tolist()) == {5000}
    # no bad frame: the one link event is the pause, reported once
    assert [i.kind for i in stopped + quiet + resumed if isinstance(i, LinkEvent)] == ["pause"]
    # the pause is not a loss
    assert sum(i.lost for i in stopped + quiet + resumed if isinstance(i, SampleBlock)) == 0


def test_emulator_ping_and_get_info_are_answered(live_board):
    _, source = live_board
    assert source.send(Command("ping", 0xBEEF))
    collect(source, lambda items: source.stream.last_pong is not None)
    assert source.stream.last_pong.token == 0xBEEF
    assert source.send(Command("get-info"))
    collect(source, lambda items: source.stream.last_ack is not None and source.stream.last_ack.command == 0x13)
    assert source.stream.last_ack.result == 0
    assert source.info is not None and source.info.sample_rate_hz == 200 and source.info.protocol_version == 1
    # a command the firmware does not know is refused, not fatal
    source._ser.write(frame(bytes([0x1F])))
    collect(source, lambda items: source.stream.last_ack.command == 0x1F)
    assert source.stream.last_ack.result == 2
    assert len(samples(collect(source, _has_samples(20)))[1]) >= 20


def test_emulator_firmware_closes_the_divider_only_around_each_conversion(live_board):
    """D7 is driven low a settling time before each conversion and let go when it is done: at
    200 Hz the FSR carries current under 3 % of the time, and none while streaming is stopped
    (a divider left closed would make one long pulse)."""
    harness, source = live_board
    collect(source, _has_samples(400))  # two seconds at 200 Hz
    assert source.send(Command("stop"))
    collect(source, lambda items: any(isinstance(i, DeviceStatus) and not i.streaming for i in items))
    collect(source, lambda items: any(isinstance(i, DeviceStatus) for i in items))  # a second stopped
    source.close()
    harness.close()
    switching = harness.divider
    assert switching is not None and switching.conversions >= 400 and switching.open == 0
    assert switching.settle_min_us >= SETTLE_NEEDED_US
    assert 0 < switching.pulse_max_us <= PULSE_MAX_US
    # the pulse `kneadback hardware divider` takes for the average current: under 3 % at 200 Hz
    assert abs(switching.pulse_mean_us - CLOSED_US) < 3.0 and CLOSED_US * 200e-6 < 0.03


def test_emulator_reads_full_scale_when_the_firmware_leaves_the_divider_open():
    """The harness gives A0 its counts only while D7 is driven low: the firmware built to
    switch another pin reads 1023, and the harness counts every conversion as open."""
    from kneadback.sources.serial import SerialSource

    fw = firmware_dir()
    with open(fw / "build" / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = subprocess.run(
            ["make", "-C", str(fw), "-s", "BUILD=build/pin6", "KB_DIVIDER_PIN=6", "firmware"],
            capture_output=True, text=True,
        )
    assert done.returncode == 0, done.stdout + done.stderr
    harness = Harness(value=321, speed=FAST, hex_file=fw / "build" / "pin6" / "kneadback.hex")
    source = SerialSource("emu", SourceOptions(), harness.pty, real_time=False)
    try:
        source.open()
        _, adc, _ = samples(collect(source, _has_samples(50)))
    finally:
        source.close()
        harness.close()
    assert set(adc.tolist()) == {1023}
    assert harness.divider is not None and harness.divider.open == harness.divider.conversions >= 50


def test_emulator_adc_step_reaches_the_host_within_the_stated_latency():
    """Paced to the wall clock: a step on the emulated A0 is a sample at the host in < 0.25 s."""
    from kneadback.sources.serial import SerialSource

    harness = Harness(live=True, speed=1.0)
    source = SerialSource("emu", SourceOptions(), harness.pty, real_time=False)
    try:
        harness.set_adc(100)
        source.open()
        collect(source, lambda items: 100 in samples(items)[1].tolist())
        stepped = time.monotonic()
        harness.set_adc(900)
        items = collect(source, lambda items: 900 in samples(items)[1].tolist(), limit_s=5.0)
        latency = time.monotonic() - stepped
        _, adc, dev = samples(items)
        first = int(np.argmax(adc == 900))
        assert set(adc[:first].tolist()) <= {100} and set(adc[first:].tolist()) == {900}
        assert latency < STEP_LATENCY_S
    finally:
        source.close()
        harness.close()


def test_emulator_harness_exits_with_its_parent(tmp_path):
    """A harness whose parent dies (a crashed host) does not linger."""
    import os
    import select
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from kneadback.sources.emulated import Harness\n"
        "h = Harness(value=1)\n"
        "print(h.proc.pid, flush=True)\n"
        "sys.stdin.readline()\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    pid = int(parent.stdout.readline())
    watch = os.pidfd_open(pid)  # readable once the harness has exited
    try:
        assert select.select([watch], [], [], 0)[0] == []  # it runs
        parent.kill()
        parent.wait()
        assert select.select([watch], [], [], 10.0)[0] == [watch], "the harness outlived its parent"
    finally:
        os.close(watch)
