"""Writing a long session out: `export` (CSV, JSON, EDF+) and `report`.

Records one hour at 200 Hz (720 000 samples in 50 ms blocks, as a board sends them) into a fresh
database, then runs each command in-process, best of `--runs`: with stderr no terminal (no bar)
and with stderr a terminal (the bar drawn, to a null device), so the cost of progress shows.
Then the peak memory of each, traced (numpy's arrays included), in a run of its own. `--imu`
records a board with a 6-axis IMU too (six more int16 channels, as the simulated MPU-6050's), whose
CSV has six more columns and whose EDF+ six more signals. `--strokes` records a stroke a second
too (with `--imu`, each with its direction and excursion: a stroke annotation in the EDF+) and
times the table of strokes (`export --what strokes`).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

RATE_HZ = 200.0
BLOCK = 10  # samples a block: 50 ms at 200 Hz


class NullTerminal(io.TextIOWrapper):
    """The null device, saying it is a terminal: the bar is drawn and thrown away."""

    def isatty(self) -> bool:
        return True


def record(hours: float, imu: bool, strokes: bool) -> int:
    import numpy as np

    from kneadback.clock import ManualClock
    from kneadback.model import FORCE_CHANNEL, DeviceInfo, SampleBlock, Stroke, StrokeMotion
    from kneadback.simulate.motion import IMU_CHANNELS
    from kneadback.store.recorder import Recorder

    n = int(hours * 3600 * RATE_HZ)
    rng = np.random.default_rng(0)
    t = np.arange(n) / RATE_HZ
    adc = np.clip(300 + 250 * np.sin(2 * np.pi * t) + rng.normal(0, 20, n), 0, 1023).astype(np.int32)
    dev = (np.arange(n) * 5000).astype(np.uint32)
    extra = (rng.normal(0, 2000, (n, 6)) + [0, 0, 16384, 0, 0, 0]).astype(np.int16) if imu else None
    channels = (FORCE_CHANNEL, *IMU_CHANNELS) if imu else (FORCE_CHANNEL,)
    clock = ManualClock()
    rec = Recorder(clock=clock, source="bench:wave", spot="left calf", wall_start=1_760_000_000.0)
    rec.on_info(DeviceInfo(1, "bench", "uno", RATE_HZ, source="bench:wave", channels=channels))
    per_s = int(RATE_HZ)
    for i in range(0, n, BLOCK):
        s = slice(i, i + BLOCK)
        clock.advance(BLOCK / RATE_HZ)
        rec.on_block(SampleBlock(t[s], adc[s], i, 0, dev[s], float(t[s][-1]), None if extra is None else extra[s]))
        if strokes and (i + BLOCK) % per_s == 0:  # the wave's stroke of the second just ended
            k = (i + BLOCK) // per_s - 1
            found: list[Stroke | StrokeMotion] = [
                Stroke(k, k + 0.05, k + 0.25, k + 0.95, k + 1.0, 20.0, 12.0, 550, 11.0, 0.99, 1.0, 60.0)]
            if imu:
                found.append(StrokeMotion(k, k + 1.0, float(rng.uniform(0, 360)), float(rng.uniform(1, 6)), 0.05))
            rec.on_events(found)
    rec.close()
    return n


@contextlib.contextmanager
def stderr_as(stream: io.TextIOBase) -> Iterator[None]:
    old = sys.stderr
    sys.stderr = stream
    try:
        yield
    finally:
        sys.stderr = old


def run(argv: list[str]) -> None:
    from kneadback.cli import main

    if main(argv) != 0:
        raise SystemExit(f"kneadback {' '.join(argv)} failed")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=1.0)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--imu", action="store_true", help="a board with a 6-axis IMU")
    ap.add_argument("--strokes", action="store_true", help="a stroke a second, and the strokes table timed")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kb-bench-export-"))
    os.environ["KNEADBACK_HOME"] = str(work / "home")
    t0 = time.perf_counter()
    n = record(args.hours, args.imu, args.strokes)
    print(f"recorded {args.hours:g} h at {RATE_HZ:g} Hz ({n} samples{', with an IMU' if args.imu else ''}) "
          f"in {time.perf_counter() - t0:.1f} s")

    jobs = {
        "export csv": ["export", "last", "--out", str(work / "s.csv")],
        "export json": ["export", "last", "--out", str(work / "s.json")],
        "export edf": ["export", "last", "--out", str(work / "s.edf")],
        "report": ["report", "last", "--out", str(work / "r.html")],
    }
    if args.strokes:
        jobs["strokes csv"] = ["export", "last", "--what", "strokes", "--out", str(work / "strokes.csv")]
    # the file is closed with terminal.close() at the end
    terminal = NullTerminal(open(os.devnull, "wb"))  # noqa: SIM115
    quiet = io.StringIO()
    print(f"{'':12} {'no bar':>8} {'with bar':>9} {'samples/s':>10} {'peak memory':>12} {'file':>9}")
    for name, argv in jobs.items():
        with stderr_as(quiet):
            run(argv)  # warm: imports, page cache
        times = {}
        for label, stream in (("quiet", quiet), ("bar", terminal)):
            best = float("inf")
            for _ in range(args.runs):
                with stderr_as(stream):
                    t0 = time.perf_counter()
                    run(argv)
                    best = min(best, time.perf_counter() - t0)
            times[label] = best
        tracemalloc.start()
        with stderr_as(quiet):
            run(argv)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        size = Path(argv[-1]).stat().st_size
        print(f"{name:12} {times['quiet']:7.2f}s {times['bar']:8.2f}s {n / times['quiet'] / 1e3:9.0f}k "
              f"{peak / 2**20:10.1f}MiB {size / 2**20:7.1f}MiB")
    terminal.close()


if __name__ == "__main__":
    main()
