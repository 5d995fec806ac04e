"""How the motion sensor's mounting on the tool changes stroke direction and length, in simulation.

    python tests/benchmarks/bench_imu_mounting.py [--seeds N] [--scenarios a,b,...]

The simulator glues the IMU as hardware/README.md advises (z along the line the tool presses
along, away from the skin; x across it, along the handle). A board glued otherwise reads the same
motion in its own axes, so each rendering's IMU counts are turned into the axes of each mounting
below and fed to the engine in 20 ms blocks (as `bench_engine_motion.py` does), once with the
scenario's hand (leaning 15° with a 3° wobble) and once with the tool held square to the skin
(no lean, a 10° wobble). Printed per mounting and hand: bouts classified right (one-direction /
back-and-forth), working directions within 20° of the truth turned by the mounting's own offset
(the angle of the board's x arrow from the handle, in the skin plane), and the median excursion
error. Measured in simulation only.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
from collections.abc import Callable

import numpy as np
from bench_engine_motion import EXPECTED, angle_error, run

from kneadback.engine.motion import bout_motion
from kneadback.model import Stroke, StrokeMotion
from kneadback.simulate.render import Rendering, render
from kneadback.simulate.scenario import Scenario, load_scenario

SCENARIOS = ("one-direction", "direction-change", "scrubbing")
HANDS: dict[str, Callable[[Scenario], Scenario]] = {
    "as the scenario": lambda s: s,
    "held square": lambda s: dataclasses.replace(
        s, motion=dataclasses.replace(s.motion, tilt_deg=0.0, wobble_deg=10.0) if s.motion else None
    ),
}


def about(axis: int, deg: float) -> np.ndarray:
    """The rotation by `deg` about the handle's axis `axis` (0 x, 1 y, 2 z)."""
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    i, j = (axis + 1) % 3, (axis + 2) % 3
    m = np.eye(3)
    m[i, i], m[i, j], m[j, i], m[j, j] = c, -s, s, c
    return m


# each mounting: the board's axes in the handle's (columns: its x, y, z)
MOUNTS = {
    "as advised": np.eye(3),
    "turned 90° about the pressing line": about(2, 90.0),
    "upside down (chip toward the skin)": about(0, 180.0),
    "on a side: x across, y along the press": about(0, 90.0),
    "x 45° out of the skin plane": about(1, 45.0),
    "x 75° out of the skin plane": about(1, 75.0),
    "x along the pressing line": about(1, -90.0),
}


def mounted(r: Rendering, m: np.ndarray) -> Rendering:
    """The rendering as a board mounted `m` reads it: each vector in the board's own axes."""
    assert r.tool is not None
    counts = r.tool.imu.astype(float).reshape(-1, 2, 3) @ m  # (Mᵀ v)ᵀ for accel and gyro
    imu = np.clip(np.rint(counts.reshape(-1, 6)), -32768, 32767).astype(np.int16)
    return dataclasses.replace(r, tool=dataclasses.replace(r.tool, imu=imu))


def offset_deg(m: np.ndarray) -> float | None:
    """The board's x arrow from the handle's heading in the skin plane; None when it points along
    the pressing line (no heading of its own)."""
    x, y = float(m[0, 0]), float(m[1, 0])
    return None if math.hypot(x, y) < 1e-6 else math.degrees(math.atan2(y, x))


def score(r: Rendering, m: np.ndarray) -> tuple[int, int, list[bool], list[float]]:
    """Bouts right, bouts judged, per stroke whether its direction is right, excursion errors."""
    events = run(mounted(r, m), imu=True)
    motion = {e.index: e for e in events if isinstance(e, StrokeMotion)}
    truth, true_motion = r.truth.strokes, r.truth.stroke_motion
    offset = offset_deg(m)
    bouts: dict[int, tuple[int, list[StrokeMotion]]] = {}  # by true bout: its first stroke, the motions
    right: list[bool] = []
    errors: list[float] = []
    for s in (e for e in events if isinstance(e, Stroke)):
        j = next((i for i, x in enumerate(truth) if x.t_start - 0.05 <= s.t_peak <= x.t_end), None)
        if s.index not in motion or j is None:
            continue
        mo = motion[s.index]
        bouts.setdefault(truth[j].bout, (j, []))[1].append(mo)
        right.append(offset is not None and angle_error(mo.direction_deg, true_motion[j].direction_deg - offset) <= 20.0)
        errors.append(abs(mo.excursion_cm - true_motion[j].excursion_cm))
    starts = np.cumsum([0.0] + [p.duration_s for p in r.scenario.phases])
    ok = judged = 0
    for first, members in bouts.values():
        phase = r.scenario.phases[int(np.searchsorted(starts, truth[first].t_peak, side="right")) - 1]
        summary = bout_motion(members)
        want = EXPECTED.get(phase.path.pattern)
        if want is not None and summary is not None:
            judged += 1
            ok += summary.pattern == want
    return ok, judged, right, errors


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    args = ap.parse_args()
    names = args.scenarios.split(",")
    print(f"scenarios {', '.join(names)}; seeds 0-{args.seeds - 1}")
    print(f"{'mounting':40} {'hand':16} {'bouts right':>11} {'dir ≤ 20°':>9} {'median |exc err| cm':>19}")
    for hand, change in HANDS.items():
        renderings = [render(change(load_scenario(n)), seed=seed) for n in names for seed in range(args.seeds)]
        for label, m in MOUNTS.items():
            ok = judged = 0
            right: list[bool] = []
            errors: list[float] = []
            for r in renderings:
                o, j, d, e = score(r, m)
                ok, judged, right, errors = ok + o, judged + j, right + d, errors + e
            direction = f"{np.mean(right):.0%}" if offset_deg(m) is not None else "–"
            print(f"{label:40} {hand:16} {f'{ok}/{judged}':>11} {direction:>9} {np.median(errors):19.2f}")


if __name__ == "__main__":
    main()
