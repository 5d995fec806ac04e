"""Stroke direction and length from the tool's IMU, against the simulator's truth.

    python tests/benchmarks/bench_engine_motion.py [--seeds N] [--scenarios a,b,...]

Each scenario with a motion sensor is rendered with N seeds (default 5) and fed to the engine in
20 ms blocks, as a live board's frames arrive. A detected stroke is matched to the true stroke
whose start..end holds its peak. Printed, against the targets of issue 18:

- bouts classified: each true bout of one-way strokes must come out "one-direction", each of
  back-and-forth scrubbing "back-and-forth", each of circular kneading "circling" (`bout_motion`
  over the bout's strokes);
- strokes whose working direction is within 20° of the truth;
- the median excursion error (over strokes, and of each bout's median excursion; a kneading
  circle's excursion is its diameter);
- the same renderings without their motion sensor: no motion output at all, and the very same
  strokes as with it.

Measured in simulation only: see docs/engine.md, "Stroke direction and length".
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections import defaultdict

import numpy as np

from kneadback.engine.engine import Engine
from kneadback.engine.motion import bout_motion
from kneadback.model import Event, SampleBlock, Stroke, StrokeMotion
from kneadback.simulate.render import Rendering, render
from kneadback.simulate.scenario import load_scenario

SCENARIOS = ("one-direction", "scrubbing", "long-strokes", "stroke-drift", "direction-change", "kneading")
EXPECTED = {"one-way": "one-direction", "back-and-forth": "back-and-forth", "circle": "circling"}
BLOCK_S = 0.02


def run(r: Rendering, imu: bool) -> list[Event]:
    info = r.info if imu else dataclasses.replace(r.info, channels=r.info.channels[:1])
    e = Engine()
    e.configure(info)
    k = max(1, round(BLOCK_S * r.rate_hz))
    out: list[Event] = []
    for a in range(0, len(r.t), k):
        extra = r.tool.imu[a : a + k] if imu and r.tool is not None else None
        out += e.process(SampleBlock(r.t[a : a + k], r.adc[a : a + k], first_index=a, extra=extra))
    return out + e.finish()


def angle_error(a: float, b: float) -> float:
    return abs((a - b + 180.0) % 360.0 - 180.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    args = ap.parse_args()

    bouts_ok = bouts_total = 0
    dir_ok: dict[str, list[bool]] = defaultdict(list)
    exc_err: dict[str, list[float]] = defaultdict(list)
    bout_exc_err: dict[str, list[float]] = defaultdict(list)
    delay_stroke: list[float] = []  # a motion after its stroke's event
    delay_end: list[float] = []  # ... after the true end of the stroke
    without_imu = 0
    same_strokes = True
    samples = 0
    spent = 0.0
    print(f"{'scenario':18} {'seed':>4} {'bouts':>18} {'dir ≤ 20°':>9} {'|exc err| cm':>12}  bout patterns (truth → found)")
    for name in args.scenarios.split(","):
        scenario = load_scenario(name)
        for seed in range(args.seeds):
            r = render(scenario, seed=seed)
            c0 = time.process_time()
            events = run(r, imu=True)
            spent += time.process_time() - c0
            samples += len(r.t)
            plain = run(r, imu=False)
            without_imu += sum(isinstance(e, StrokeMotion) for e in plain)
            same_strokes &= [e for e in plain if isinstance(e, Stroke)] == [e for e in events if isinstance(e, Stroke)]

            motion = {e.index: e for e in events if isinstance(e, StrokeMotion)}
            truth, true_motion = r.truth.strokes, r.truth.stroke_motion
            starts = np.cumsum([0.0] + [p.duration_s for p in scenario.phases])
            by_bout: dict[int, list[tuple[StrokeMotion, int]]] = defaultdict(list)
            for s in (e for e in events if isinstance(e, Stroke)):
                m = motion.get(s.index)
                j = next((i for i, x in enumerate(truth) if x.t_start - 0.05 <= s.t_peak <= x.t_end), None)
                if m is None or j is None:
                    continue
                by_bout[truth[j].bout].append((m, j))
                delay_stroke.append(m.t_confirmed - s.t_confirmed)
                delay_end.append(m.t_confirmed - truth[j].t_end)
                dir_ok[name].append(angle_error(m.direction_deg, true_motion[j].direction_deg) <= 20.0)
                exc_err[name].append(abs(m.excursion_cm - true_motion[j].excursion_cm))
            found = []
            ok_here = total_here = 0
            for _, members in sorted(by_bout.items()):
                summary = bout_motion([m for m, _ in members])
                assert summary is not None
                phase = scenario.phases[int(np.searchsorted(starts, truth[members[0][1]].t_peak, side="right")) - 1]
                want = EXPECTED.get(phase.path.pattern)
                true_median = float(np.median([true_motion[j].excursion_cm for _, j in members]))
                bout_exc_err[name].append(abs(summary.median_excursion_cm - true_median))
                found.append(f"{phase.path.pattern}→{summary.pattern}")
                if want is not None:
                    total_here += 1
                    ok_here += summary.pattern == want
            bouts_ok += ok_here
            bouts_total += total_here
            d = dir_ok[name][-len(motion):] if motion else []
            e = exc_err[name][-len(motion):] if motion else []
            print(f"{name:18} {seed:4d} {f'{ok_here}/{total_here} right':>18} {np.mean(d):9.0%} {np.median(e):12.2f}  {', '.join(found)}")

    print()
    print(f"{'scenario':18} {'strokes':>7} {'dir ≤ 20°':>9} {'median |exc err| cm':>20} {'bout median exc err cm (max)':>30}")
    for name in dir_ok:
        print(f"{name:18} {len(dir_ok[name]):7d} {np.mean(dir_ok[name]):9.1%} {np.median(exc_err[name]):20.2f} "
              f"{np.median(bout_exc_err[name]):22.2f} ({max(bout_exc_err[name]):.2f})")
    all_dir = [x for n in dir_ok for x in dir_ok[n]]
    all_exc = [x for n in exc_err for x in exc_err[n]]
    print()
    print(f"bouts classified right (one-direction / back-and-forth / circling): {bouts_ok}/{bouts_total} = {bouts_ok / max(1, bouts_total):.1%}  (target ≥ 95 %)")
    print(f"working direction within 20°, all strokes: {np.mean(all_dir):.1%}  (target ≥ 90 %)")
    print(f"median excursion error, all strokes: {np.median(all_exc):.2f} cm  (target ≤ 1 cm)")
    print(f"delay: a stroke's motion comes a median {np.median(delay_stroke) * 1e3:.0f} ms (95th percentile "
          f"{np.percentile(delay_stroke, 95) * 1e3:.0f} ms) after the stroke, {np.median(delay_end) * 1e3:.0f} ms "
          f"({np.percentile(delay_end, 95) * 1e3:.0f} ms) after its true end")
    print(f"motion events without the IMU: {without_imu}  (target 0); strokes the same with and without it: {same_strokes}")
    print(f"IMU path: {samples / spent / 1e3:.0f} k samples/s of CPU over {samples} samples (engine with motion)")


if __name__ == "__main__":
    main()
