"""Force calibration accuracy on simulated FSR parts with part-to-part variation.

For each of many random parts (`FsrCurve().sample_part`), a simulated user records five (or
more) levels on a scale between about 5 and 120 N, with hand wobble, ADC noise and
quantisation; the fit is then read back at 60 forces from 5 to 120 N. Prints the median and
worst error of the calibrated reading, next to the uncalibrated data-sheet model.

    python tests/benchmarks/bench_hardware_calibration.py [--parts 500] [--points 5] [--seed 0] [--top 49]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from kneadback.calibration import CalibratedForceModel, fit_calibration, relative_errors, simulate_levels
from kneadback.fsr import DatasheetForceModel, Divider, FsrCurve

RANGE_N = (5.0, 120.0)


def levels(rng: np.random.Generator, n: int, top_n: float) -> np.ndarray:
    """n levels up to `top_n` the way a person would press: roughly even in log force."""
    base = np.geomspace(RANGE_N[0] * 1.1, top_n * 0.95, n)
    return base * np.exp(rng.normal(0.0, 0.08, n))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parts", type=int, default=500)
    ap.add_argument("--points", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--divider", type=float, default=1000.0)
    ap.add_argument("--top", type=float, default=RANGE_N[1],
                    help="highest level pressed, N (49 for a 5 kg kitchen scale: the fit extrapolates above)")
    args = ap.parse_args()

    rng = np.random.default_rng(args.seed)
    divider = Divider(args.divider)
    grid = np.geomspace(*RANGE_N, 60)
    datasheet = DatasheetForceModel(divider)
    worst_cal, worst_ds, all_cal = [], [], []
    fit_s = 0.0
    for _ in range(args.parts):
        part = FsrCurve().sample_part(rng)
        points = simulate_levels(part, divider, levels(rng, args.points, args.top), rng)
        t0 = time.perf_counter()
        cal = fit_calibration(points, divider)
        fit_s += time.perf_counter() - t0
        err = np.abs(relative_errors(CalibratedForceModel(cal), part, divider, grid))
        worst_cal.append(err.max())
        all_cal.append(err)
        worst_ds.append(np.abs(relative_errors(datasheet, part, divider, grid)).max())
    wc, wd = np.array(worst_cal) * 100, np.array(worst_ds) * 100
    every = np.concatenate(all_cal) * 100
    print(f"force calibration, {args.parts} simulated FSR 402 parts, {args.points} points each, "
          f"{divider.r_fixed:g} Ω divider, levels up to {args.top:g} N, read at {RANGE_N[0]:g}-{RANGE_N[1]:g} N")
    print(f"  calibrated: median error {np.median(every):.2f} %, worst part's error: median {np.median(wc):.2f} %, "
          f"95th pct {np.percentile(wc, 95):.2f} %, worst {wc.max():.2f} %  (target: within 5 %)")
    print(f"  parts within 5 % over the whole range: {np.mean(wc <= 5.0) * 100:.1f} %")
    print(f"  data-sheet curve, uncalibrated: worst part's error median {np.median(wd):.1f} %, worst {wd.max():.1f} %")
    print(f"  fit time: {fit_s / args.parts * 1000:.1f} ms per calibration")


if __name__ == "__main__":
    main()
