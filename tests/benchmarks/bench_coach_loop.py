"""Closed loop: how many strokes a simulated user who follows the cues needs to reach both bands.

The user (tests/coach/closed_loop.py) starts holding still, then strokes too slowly (33/min) and
too lightly (6 N; 7/10 is at 22 N), reacts to each cue after a delay and corrects only part of
the way, and rates when asked. It runs through the real engine. Reported: strokes done before
the rate (50-70/min) and the peak force (what the user feels as 6-8/10) both held for 10 strokes
in a row, for several seeds and for a slower, more timid user.

    python tests/benchmarks/bench_coach_loop.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from coach.closed_loop import UserModel, run_loop
from kneadback.coach.targets import Targets

SEEDS = range(1, 11)
USERS = {
    "default user (delay 1.2 s, takes up 50 %)": {},
    "slow, timid user (delay 2.5 s, takes up 30 %)": {"delay_s": 2.5, "take_up": 0.3},
}


def main() -> None:
    for label, kw in USERS.items():
        t0 = time.perf_counter()
        got = [run_loop(UserModel(seed=s, **kw), Targets(), seconds=300.0).converged_at for s in SEEDS]
        done = [g for g in got if g is not None]
        print(f"{label}: strokes to both bands over seeds {SEEDS.start}-{SEEDS.stop - 1}: {got}")
        if done:
            print(f"  reached by {len(done)}/{len(got)}; median {statistics.median(done):.0f}, max {max(done)} strokes"
                  f"  ({time.perf_counter() - t0:.1f} s)")
        else:
            print("  never reached")


if __name__ == "__main__":
    main()
