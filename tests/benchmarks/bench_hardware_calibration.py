"""Force calibration accuracy on simulated parts with part-to-part variation, on each front end.

For each of many random parts (`FsrCurve().sample_part`; a linear front end's gain varies by
±10 %, 1 sigma), a simulated user records five (or more) levels on a scale between about 5 and
120 N, with hand wobble, ADC noise and quantisation; the fit is then read back at 60 forces from
5 to 120 N. Prints the median and worst error of the calibrated reading, next to the uncalibrated
data-sheet model of an FSR divider.

    python tests/benchmarks/bench_hardware_calibration.py [--parts 500] [--points 5] [--seed 0] [--top 49]
        [--front-end fsr-low|fsr-high|linear|unknown] [--divider 1000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from kneadback.calibration import CalibratedForceModel, fit_calibration, relative_errors, simulate_levels
from kneadback.frontend import FRONT_ENDS
from kneadback.fsr import DatasheetForceModel, Divider, FsrCurve

LINEAR_FULL_N = 250.0  # a linear front end's nominal full scale: room above the hardest level pressed

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
    ap.add_argument("--front-end", choices=FRONT_ENDS, default="fsr-low")
    ap.add_argument("--top", type=float, default=RANGE_N[1],
                    help="highest level pressed, N (49 for a 5 kg kitchen scale: the fit extrapolates above)")
    args = ap.parse_args()

    rng = np.random.default_rng(args.seed)
    divider = Divider(args.divider, front_end=args.front_end)
    grid = np.geomspace(*RANGE_N, 60)
    datasheet = DatasheetForceModel(divider)
    worst_cal, worst_ds, all_cal = [], [], []
    fit_s = 0.0
    for _ in range(args.parts):
        part = FsrCurve().sample_part(rng)
        full_n = LINEAR_FULL_N * float(np.exp(rng.normal(0.0, 0.1)))
        points = simulate_levels(part, divider, levels(rng, args.points, args.top), rng, linear_full_n=full_n)
        t0 = time.perf_counter()
        cal = fit_calibration(points, divider)
        fit_s += time.perf_counter() - t0
        err = np.abs(relative_errors(CalibratedForceModel(cal), part, divider, grid, full_n))
        worst_cal.append(err.max())
        all_cal.append(err)
        if divider.is_fsr:
            worst_ds.append(np.abs(relative_errors(datasheet, part, divider, grid)).max())
    wc, wd = np.array(worst_cal) * 100, np.array(worst_ds) * 100
    every = np.concatenate(all_cal) * 100
    circuit = f"{divider.r_fixed:g} Ω {args.front_end} divider" if divider.is_fsr else f"{args.front_end} front end"
    print(f"force calibration, {args.parts} simulated parts, {args.points} points each, "
          f"{circuit}, levels up to {args.top:g} N, read at {RANGE_N[0]:g}-{RANGE_N[1]:g} N")
    print(f"  calibrated: median error {np.median(every):.2f} %, worst part's error: median {np.median(wc):.2f} %, "
          f"95th pct {np.percentile(wc, 95):.2f} %, worst {wc.max():.2f} %  (target: within 5 %)")
    print(f"  parts within 5 % over the whole range: {np.mean(wc <= 5.0) * 100:.1f} %")
    if divider.is_fsr:
        print(f"  data-sheet curve, uncalibrated: worst part's error median {np.median(wd):.1f} %, worst {wd.max():.1f} %")
    else:
        print("  uncalibrated: a relative force without unit")
    print(f"  fit time: {fit_s / args.parts * 1000:.1f} ms per calibration")


if __name__ == "__main__":
    main()
