"""The engine on real recorded force data (`../shared/realdata/` beside the project), against
the truth its README defines, beside the offline `scipy.signal.find_peaks` baseline.

    python tests/benchmarks/bench_engine_realdata.py [--form fsr|linear]

Each series is fed as `kneadback analyze` feeds a file, in both signal forms (an FSR's
conductance through a 1 kΩ divider; force linear in counts 50–950), with the front end declared.
Prints per series: F1, detections, true presses, rate error (the median cadence of the
strokes' intervals − the truth's, strokes/min) and the baseline's F1 (prominence 30 % of the range, distance
0.3 s, seeing the whole record); then the targets.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from scipy import signal

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.realdata import FORMS, Series, available, detect, every_series, score, to_counts
from kneadback.engine.engine import Engine

TARGET_F1_MIN = 0.98
TARGET_F1_MEAN = 0.995
TARGET_RATE_SPM = 1.0


def baseline(series: Series, form: str) -> np.ndarray:
    adc = to_counts(series.x, form).astype(float)
    peaks, _ = signal.find_peaks(adc, prominence=0.3 * (adc.max() - adc.min()), distance=max(1, round(0.3 * series.rate_hz)))
    return peaks / series.rate_hz


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--form", choices=FORMS, action="append", help="only this signal form (default: both)")
    args = ap.parse_args()
    if not available():
        sys.exit("bench_engine_realdata: no ../shared/realdata/ beside the project; nothing to measure")
    series = list(every_series())
    t0 = time.perf_counter()
    for form in args.form or FORMS:
        print(f"\n== {form} form ==")
        head = f"{'series':12} {'F1':>6} {'found':>5} {'true':>5} {'fp':>4} {'fn':>4} {'rate err':>8} | {'find_peaks':>10}"
        print(head)
        print("-" * len(head))
        f1s, base, rate_errs, n_true = [], [], [], 0
        for s in series:
            strokes = detect(s, form, Engine())
            r = score(s, np.array([k.t_peak for k in strokes]))
            b = score(s, baseline(s, form))
            intervals = [k.interval_s for k in strokes if k.interval_s is not None]
            err = 60.0 / float(np.median(intervals)) - s.cadence_spm if intervals else float("nan")
            f1s.append(r.f1)
            base.append(b.f1)
            rate_errs.append(abs(err))
            n_true += r.tp + r.fn
            print(f"{s.name:12} {r.f1:6.3f} {r.tp + r.fp:>5} {r.tp + r.fn:>5} {r.fp:>4} {r.fn:>4} {err:+8.2f} | {b.f1:10.3f}")
        print("-" * len(head))
        worst = int(np.argmin(f1s))
        rate_bad = [s.name for s, e in zip(series, rate_errs) if not e <= TARGET_RATE_SPM]
        print(f"{len(series)} series, {n_true} true presses; baseline F1 mean {np.mean(base):.3f}")
        print(f"F1 mean {np.mean(f1s):.3f} (target ≥ {TARGET_F1_MEAN}: {_ok(np.mean(f1s) >= TARGET_F1_MEAN)})")
        print(f"F1 min {f1s[worst]:.3f} ({series[worst].name}; target ≥ {TARGET_F1_MIN}: {_ok(f1s[worst] >= TARGET_F1_MIN)}); "
              f"series below 0.95: {sum(f < 0.95 for f in f1s)}")  # fmt: skip
        print(f"rate within {TARGET_RATE_SPM:g}/min of the truth's median cadence: {_ok(not rate_bad)}"
              + (f" (not: {', '.join(rate_bad)})" if rate_bad else ""))  # fmt: skip
    print(f"\n({time.perf_counter() - t0:.1f} s)")


def _ok(b: bool | np.bool_) -> str:
    return "met" if b else "NOT met"


if __name__ == "__main__":
    main()
