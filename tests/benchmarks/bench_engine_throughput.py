"""Engine speed and memory: a 1-hour 500 Hz recording through the whole engine on one core,
the time to process one live 20 ms block, and memory over a long run.

    python tests/benchmarks/bench_engine_throughput.py [--hours H] [--runs N]

The recording is the demo session rendered at 500 Hz and repeated to an hour (strokes, bouts,
rests, a hold every six minutes). Only the engine is timed, with the IMU off: rendering happens
before, parsing and I/O not at all (the samples are in memory, handed over as one block, which
the engine slices itself). CPU time (`process_time`) is what one core spends; wall time is shown
beside it (other processes on the machine inflate it). On a shared machine both vary from run
to run: the whole file is run `--runs` times and the best and the median are printed.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

from kneadback.engine.engine import Engine
from kneadback.model import SampleBlock
from kneadback.simulate.render import render
from kneadback.simulate.scenario import load_scenario

RATE_HZ = 500.0


def recording(hours: float) -> tuple[object, np.ndarray, np.ndarray]:
    r = render(load_scenario("demo-session").with_device(rate_hz=RATE_HZ, clock_ppm=0.0), seed=0)
    n = int(hours * 3600 * RATE_HZ)
    adc = np.resize(r.adc, n).astype(np.int32)
    return r.info, np.arange(n) / RATE_HZ, adc


def whole_file(info, t, adc, runs: int) -> tuple[np.ndarray, np.ndarray, int]:
    """CPU and wall seconds of each run over the whole file, and the events it gives."""
    cpu, wall, n = [], [], 0
    for _ in range(runs):
        e = Engine()
        e.configure(info)
        c0, w0 = time.process_time(), time.perf_counter()
        n = len(e.process(SampleBlock(t, adc))) + len(e.finish())
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return np.array(cpu), np.array(wall), n


def live_blocks(info, t, adc, minutes: float = 10.0) -> np.ndarray:
    """Seconds per 20 ms block over `minutes` of data."""
    k = int(0.02 * RATE_HZ)
    e = Engine()
    e.configure(info)
    n = int(minutes * 60 * RATE_HZ)
    out = []
    for a in range(0, n, k):
        block = SampleBlock(t[a : a + k], adc[a : a + k], a)
        c0 = time.process_time_ns()
        e.process(block)
        out.append(time.process_time_ns() - c0)
    return np.array(out) / 1e9


def memory(info, t, adc, block_s: float = 1.0) -> list[tuple[float, float]]:
    """(hours fed, traced MB) along a long run fed in 1 s blocks."""
    k = int(block_s * RATE_HZ)
    e = Engine()
    e.configure(info)
    tracemalloc.start()
    marks, out = {int(len(t) * f) // k for f in (0.1, 0.25, 0.5, 0.75, 1.0)}, []
    for j, a in enumerate(range(0, len(t), k)):
        e.process(SampleBlock(t[a : a + k], adc[a : a + k], a))
        if j + 1 in marks:
            out.append((float(t[min(a + k, len(t)) - 1]) / 3600, tracemalloc.get_traced_memory()[0] / 1e6))
    tracemalloc.stop()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hours", type=float, default=1.0, help="length of the recording (default 1)")
    ap.add_argument("--runs", type=int, default=5, help="runs over the whole file (default 5)")
    args = ap.parse_args()
    info, t, adc = recording(args.hours)
    cpu, wall, events = whole_file(info, t, adc, max(1, args.runs))
    print(f"whole engine, {args.hours:g} h at {RATE_HZ:g} Hz = {len(t):,} samples, {events} events, {len(cpu)} runs:")
    for name, x in (("best", cpu.min()), ("median", np.median(cpu))):
        print(f"  {name}: {x:.3f} s CPU ({len(t) / x / 1e6:.2f} M samples/s on one core)")
    print(f"  wall: best {wall.min():.3f} s ({len(t) / wall.min() / 1e6:.2f} M samples/s), median {np.median(wall):.3f} s")
    lb = live_blocks(info, t, adc)
    print(
        f"one live 20 ms block ({int(0.02 * RATE_HZ)} samples): median {1e6 * np.median(lb):.0f} µs, "
        f"99th percentile {1e6 * np.percentile(lb, 99):.0f} µs, worst {1e6 * lb.max():.0f} µs CPU ({len(lb)} blocks)"
    )
    mem = memory(info, t, adc)
    print("memory held by the engine (tracemalloc) along the run: " + ", ".join(f"{h:.2f} h {mb:.2f} MB" for h, mb in mem))


if __name__ == "__main__":
    main()
