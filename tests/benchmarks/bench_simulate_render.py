"""Simulator speed: rendering an hour at 1 kHz, and producing its wire bytes.

    python tests/benchmarks/bench_simulate_render.py
"""

import dataclasses
import time

from kneadback.simulate.render import render
from kneadback.simulate.scenario import load_scenario


def main() -> None:
    s = load_scenario("demo-session")
    hour = dataclasses.replace(s, phases=s.phases * int(3600 // s.duration_s + 1)).with_device(rate_hz=1000)
    t0 = time.perf_counter()
    r = render(hour, seed=0)
    t_render = time.perf_counter() - t0
    print(f"render {hour.duration_s / 3600:.2f} h at 1 kHz: {len(r.t)} samples, {len(r.truth.strokes)} strokes in {t_render:.2f} s")
    t0 = time.perf_counter()
    n_bytes = sum(len(d) for _, d in r.wire_chunks())
    t_wire = time.perf_counter() - t0
    print(f"wire bytes for it: {n_bytes / 1e6:.1f} MB in {t_wire:.2f} s ({len(r.t) / t_wire / 1e3:.0f} k samples/s)")
    t0 = time.perf_counter()
    for _ in range(20):
        render(s, seed=1)
    print(f"render demo-session ({s.duration_s:.0f} s at 200 Hz): {(time.perf_counter() - t0) / 20 * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
