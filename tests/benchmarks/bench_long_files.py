"""Long files: an hour at 1 kHz (3.6 M samples) through `simulate`, `analyze` and `import`.

    python tests/benchmarks/bench_long_files.py [--runs N]

The hour is the `soak` scenario's two-minute piece written out 30 times (bouts, holds, rests),
rendered by `kneadback simulate` into a temporary directory. Each command runs N times (default
3) in a fresh `python -m kneadback` child, `import` into an empty KNEADBACK_HOME each time; the
wall time of the whole child (start-up included) and its peak RSS are printed beside the targets.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCENARIO = Path(__file__).resolve().parents[2] / "signals" / "soak.toml"
PIECES = 30  # two-minute pieces: one hour
TARGETS = {"simulate": (5.0, None), "analyze": (3.0, 250.0), "import": (5.0, None)}  # seconds, MB


def hour_scenario(out: Path) -> Path:
    """`soak.toml` with its phases written out `PIECES` times, as a scenario named `hour`."""
    head, sep, phases = SCENARIO.read_text().partition("[[phase]]")
    path = out / "hour.toml"
    path.write_text(head + (sep + phases.rstrip() + "\n\n") * PIECES)
    return path


def child(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one `python -m kneadback ARGV` child."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "kneadback", *argv], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _pid, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage, not all children's
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        sys.exit(f"kneadback {' '.join(argv)} failed ({proc.returncode}): {err.decode(errors='replace').strip()}")
    rss = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)  # bytes on macOS, KiB elsewhere
    return wall, rss / 1e6


def report(name: str, runs: list[tuple[float, float]]) -> None:
    walls, rss = [w for w, _ in runs], [r for _, r in runs]
    t_max, rss_max = TARGETS[name]
    verdict = "ok" if statistics.median(walls) <= t_max and (rss_max is None or max(rss) <= rss_max) else "OVER"
    target = f"≤ {t_max:g} s" + ("" if rss_max is None else f", ≤ {rss_max:g} MB")
    print(f"{name:<9} {statistics.median(walls):5.2f} s (runs {min(walls):.2f}–{max(walls):.2f})   "
          f"peak RSS {max(rss):4.0f} MB   target {target}: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each command (default 3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kb-bench-long-") as tmp:
        out = Path(tmp)
        env = {**os.environ, "KNEADBACK_HOME": str(out / "home")}
        scenario = hour_scenario(out)
        csv = out / "hour.csv"
        times = {name: [] for name in TARGETS}
        for k in range(args.runs):
            times["simulate"].append(child(["simulate", str(scenario), "--out", str(out)], env))
            times["analyze"].append(child(["analyze", str(csv)], env))
            env["KNEADBACK_HOME"] = str(out / f"home{k}")
            times["import"].append(child(["import", str(csv)], env))
        size = csv.stat().st_size
        print(f"1 h at 1 kHz: 3 600 000 samples, {size / 1e6:.1f} MB of CSV; {args.runs} runs each, "
              f"wall time of the whole command (start-up included), median and range")
        for name in TARGETS:
            report(name, times[name])


if __name__ == "__main__":
    main()
