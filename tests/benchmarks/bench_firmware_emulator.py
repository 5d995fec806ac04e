"""The emulated board: speed against real time, pacing accuracy, and ADC-step latency.

    python3 tests/benchmarks/bench_firmware_emulator.py [--seconds S] [--steps N]

- unpaced: emulated seconds per wall second (device timestamps / wall time), and per CPU
  second of the harness, which does not depend on how busy the machine is;
- paced 1x: samples per wall second and the harness's CPU use;
- step latency at 1x: from writing a new count to the harness (live ADC) to the host holding
  the first sample with it (pyserial + DeviceStream), over N steps;
- the divider switched by D7, as the harness saw it over the unpaced run: how long it conducts
  around each conversion, the share of the time at 200 Hz, the shortest settling before one.
"""

from __future__ import annotations

import argparse
import math
import os
import time

import numpy as np

from kneadback.model import SampleBlock
from kneadback.sources.base import SourceOptions
from kneadback.sources.emulated import DividerSwitching, Harness
from kneadback.sources.serial import SerialSource


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(speed: float, seconds: float) -> tuple[float, float, float, DividerSwitching | None]:
    """(emulated seconds, samples, harness CPU seconds) per wall second over `seconds` of wall
    time, and how the firmware switched the divider."""
    harness = Harness(value=500, speed=speed)
    source = SerialSource("emu", SourceOptions(), harness.pty)
    source.open()
    try:
        t_dev: list[int] = []
        n = 0
        while not t_dev:  # from the first sample on
            for item in source.read(0.05):
                if isinstance(item, SampleBlock) and len(item.t):
                    t_dev.append(int(item.t_device_us[0]))
        start, cpu0 = time.monotonic(), cpu_seconds(harness.proc.pid)
        while time.monotonic() - start < seconds:
            for item in source.read(0.05):
                if isinstance(item, SampleBlock) and len(item.t):
                    n += len(item.t)
                    t_dev.append(int(item.t_device_us[-1]))
        wall = time.monotonic() - start
        cpu = cpu_seconds(harness.proc.pid) - cpu0
    finally:
        source.close()
        harness.close()
    return (t_dev[-1] - t_dev[0]) / 1e6 / wall, n / wall, cpu / wall, harness.divider


def latency(steps: int) -> np.ndarray:
    harness = Harness(live=True, speed=1.0)
    source = SerialSource("emu", SourceOptions(), harness.pty)
    out = []
    try:
        harness.set_adc(0)
        source.open()
        level = 0
        for k in range(steps + 1):
            level = 800 if level != 800 else 200
            harness.set_adc(level)
            t0 = time.monotonic()
            seen = False
            while not seen:
                for item in source.read(0.01):
                    if isinstance(item, SampleBlock) and np.any(item.adc == level):
                        seen = True
            if k:  # the first step only gets the stream going
                out.append(time.monotonic() - t0)
    finally:
        source.close()
        harness.close()
    return np.array(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--steps", type=int, default=30)
    args = ap.parse_args()
    ratio, rate, cpu, divider = run(math.inf, args.seconds)
    print(f"unpaced: {ratio:.2f}x real time ({rate:.0f} samples/s at 200 Hz), harness CPU {100 * cpu:.0f} % of a core")
    print(f"unpaced, per CPU second of the harness (what a free core gives): {ratio / cpu:.1f}x real time")
    if divider is not None:
        print(
            f"divider on D7 over {divider.conversions} conversions: closed {divider.pulse_mean_us:.1f} us a sample "
            f"({divider.pulse_mean_us * 200e-6 * 100:.1f} % of the time at 200 Hz), longest {divider.pulse_max_us:.1f} us, "
            f"settled {divider.settle_min_us:.1f} us or more before a conversion, {divider.open} read open"
        )
    ratio, rate, cpu, _ = run(1.0, args.seconds)
    print(f"paced 1x: {ratio:.4f}x real time, {rate:.1f} samples/s, harness CPU {100 * cpu:.0f} % of a core")
    lat = latency(args.steps) * 1000
    print(
        f"ADC step -> host at 1x over {len(lat)} steps: median {np.median(lat):.1f} ms, "
        f"p95 {np.percentile(lat, 95):.1f} ms, max {lat.max():.1f} ms"
    )


if __name__ == "__main__":
    main()
