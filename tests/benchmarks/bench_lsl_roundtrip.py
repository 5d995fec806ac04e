"""LSL round trip: an outlet in one process, an inlet in another, on this machine.

    python3 tests/benchmarks/bench_lsl_roundtrip.py [--minutes 10] [--drift-ppm 200] [--seed 0]

The publisher (this script with `--publish`, started by it) is kneadback's `LslOutlet` fed the
way a board feeds a session: blocks of 20 samples at 1 kHz, each arriving some random time after
its last sample was taken (0.5 ms plus an exponential delay of mean 1 ms, and whatever the busy
machine adds), stamped by a device clock that runs `--drift-ppm` fast, with a slow wander of
±20 ppm on top (a crystal warming up). Sample i is taken at LSL time T0 + i / 1000 exactly: that
is the truth its stamp is checked against. Its `adc` channel carries i, so the inlet (this
process) counts what was lost.

Printed: samples lost; push → pull latency (the publisher notes when it pushed each block, the
inlet when it pulled its last sample) p50/p95/max; the stamps' error against the truth after the
first 10 s (the clock map's start-up; the truth includes the fixed part of the delay, which no
host can see), its mean and p50/p95/max of its size, and the steps between successive stamps. Targets: no sample lost, latency p95 ≤ 10 ms, error ≤ 1 ms.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

RATE = 1000.0
BLOCK = 20  # samples a block, as a board's frames come
DELAY_S = 0.0005  # the part of each block's delay that is always there
JITTER_S = 0.001  # the mean of the random part
WANDER_PPM = 20.0  # the drift's slow wander (a warming crystal), over `WANDER_S`
WANDER_S = 300.0
WARMUP_S = 10.0  # the clock map's start-up, left out of the error figures
TARGETS = {"latency_p95_ms": 10.0, "error_max_ms": 1.0}


def publish(minutes: float, drift_ppm: float, seed: int, device: str, pushes: Path) -> None:
    """The publisher: waits for "go T0" on stdin, then sends `minutes` of samples from LSL time T0."""
    from kneadback.clock import MonotonicClock
    from kneadback.lsl import api
    from kneadback.lsl.outlet import LslOutlet
    from kneadback.model import DeviceInfo, SampleBlock

    pylsl = api.load()
    outlet = LslOutlet(MonotonicClock(), spot=lambda: "bench", coach_state=lambda: None, force_model=lambda: None)
    outlet.on_info(DeviceInfo(protocol_version=1, firmware_version="bench", board="bench", sample_rate_hz=RATE,
                              board_id=device))
    print("ready", flush=True)
    t0 = float(sys.stdin.readline().split()[1])
    rng = np.random.default_rng(seed)
    n = int(minutes * 60 * RATE) // BLOCK * BLOCK
    log = np.zeros((n // BLOCK, 2))
    for b in range(n // BLOCK):
        i = np.arange(b * BLOCK, (b + 1) * BLOCK)
        true_s = i / RATE
        device_s = true_s + 1e-6 * _integral(true_s, drift_ppm)  # the device's clock, running fast
        arrive = t0 + true_s[-1] + DELAY_S + rng.exponential(JITTER_S)
        while (wait := arrive - pylsl.local_clock()) > 0:
            time.sleep(wait)
        log[b] = (i[-1], pylsl.local_clock())
        outlet.on_block(SampleBlock(t=device_s, adc=i.astype(np.int64)))
    np.save(pushes, log)
    outlet.close()  # it waits for the inlet to take the last samples


def _integral(t: np.ndarray, drift_ppm: float) -> np.ndarray:
    """∫ drift dt in ppm·s: the constant drift and the wander's integral."""
    return drift_ppm * t + WANDER_PPM * WANDER_S / (2 * math.pi) * (1 - np.cos(2 * math.pi * t / WANDER_S))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="minutes at 1 kHz (default 10)")
    parser.add_argument("--drift-ppm", type=float, default=200.0, help="how fast the device's clock runs (default 200)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--publish", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--device", help=argparse.SUPPRESS)
    parser.add_argument("--pushes", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    from kneadback.lsl import api

    if args.publish:
        publish(args.minutes, args.drift_ppm, args.seed, args.device, args.pushes)
        return
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        cfg = tmp / "lsl.cfg"
        device = f"bench-{uuid.uuid4().hex[:8]}"
        # kneadback's own liblsl config (the machine scope), and a lab session of this run's own
        cfg.write_text(api.config_text(api.LslSettings()) + f"\n[lab]\nSessionID = {device}\n")
        os.environ["LSLAPICFG"] = str(cfg)
        os.environ["KNEADBACK_HOME"] = str(tmp / "home")
        import pylsl

        pushes = tmp / "pushes.npy"
        proc = subprocess.Popen([sys.executable, __file__, "--publish", "--minutes", str(args.minutes), "--drift-ppm",
                                 str(args.drift_ppm), "--seed", str(args.seed), "--device", device, "--pushes",
                                 str(pushes)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert proc.stdin is not None and proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        found = pylsl.resolve_byprop("source_id", f"kneadback:{device}:force", timeout=30)
        assert found, "the publisher's stream was not found"
        inlet = pylsl.StreamInlet(found[0], max_buflen=30)
        inlet.open_stream(timeout=30)
        t0 = pylsl.local_clock() + 1.0
        proc.stdin.write(f"go {t0!r}\n")
        proc.stdin.flush()
        index: list[np.ndarray] = []
        stamps: list[np.ndarray] = []
        pulled: list[tuple[float, float]] = []  # (index of a chunk's last sample, when it was pulled)
        n = int(args.minutes * 60 * RATE) // BLOCK * BLOCK
        received = 0
        while received < n and (proc.poll() is None or inlet.samples_available()):
            first, stamp = inlet.pull_sample(timeout=0.2)  # waits for a block (a chunk pull waits for it to fill)
            if stamp is None:
                continue
            chunk, ts = inlet.pull_chunk(timeout=0.0, max_samples=4096)  # the rest of what came with it
            now = pylsl.local_clock()
            idx = np.asarray([first, *chunk], dtype=np.float64)[:, 0]
            index.append(idx)
            stamps.append(np.asarray([stamp, *ts]))
            pulled.append((idx[-1], now))
            received += len(idx)
        inlet.close_stream()  # before the publisher goes: no "transmission broke off" from liblsl
        assert proc.wait(60) == 0
        log = np.load(pushes)
    report(args, t0, np.concatenate(index), np.concatenate(stamps), np.array(pulled), log)


def report(args: argparse.Namespace, t0: float, index: np.ndarray, stamps: np.ndarray, pulled: np.ndarray,
           log: np.ndarray) -> None:
    sent = int(log[-1, 0]) + 1
    got = np.unique(index.astype(np.int64))
    pushed_at = dict(zip(log[:, 0].astype(np.int64), log[:, 1], strict=True))
    latency = np.array([at - pushed_at[int(i)] for i, at in pulled if int(i) in pushed_at]) * 1e3
    steady = index >= WARMUP_S * RATE
    error = (stamps - (t0 + index / RATE + DELAY_S))[steady] * 1e3
    steps = np.diff(stamps) * 1e3
    print(f"LSL round trip: {args.minutes:g} min at {RATE:g} Hz, one outlet process, one inlet process, machine scope; "
          f"device clock {args.drift_ppm:+g} ppm ± {WANDER_PPM:g} ppm wander; {os.cpu_count()} cores")
    print(f"samples sent / received / lost   {sent} / {len(got)} / {sent - len(got)}"
          f"  (out of order or repeated: {len(index) - len(got)})")
    print("push → pull latency, ms          p50 {:.2f}  p95 {:.2f}  max {:.2f}  (target p95 ≤ {:g})".format(
        *np.percentile(latency, [50, 95]), latency.max(), TARGETS["latency_p95_ms"]))
    size = np.abs(error)
    print("stamp − truth after {:g} s, ms     mean {:+.3f}  |p50| {:.3f}  |p95| {:.3f}  |max| {:.3f}  (target ≤ {:g})".format(
        WARMUP_S, error.mean(), *np.percentile(size, [50, 95]), size.max(), TARGETS["error_max_ms"]))
    print(f"steps between stamps, ms         min {steps.min():.3f}  max {steps.max():.3f}  (one period: {1e3 / RATE:g})")
    print("load average (1, 5, 15 min): {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
