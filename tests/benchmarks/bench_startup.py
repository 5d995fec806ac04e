"""Start-up time of the commands a newcomer runs first, against the 0.3 s target.

    python tests/benchmarks/bench_startup.py [RUNS]

Each command runs RUNS times (default 9) in a fresh `python -m kneadback` child with its own
empty KNEADBACK_HOME, after one untimed run that warms the file cache; the wall time of the
whole child is measured. `sessions` and `doctor` run once more against a database holding one
imported session, where they read it. The floor is the interpreter alone (`python -c pass`).
No display, device or sound is needed: the commands that would open one are not run.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 0.3
COMMANDS = (["--help"], ["--version"], ["sessions"], ["ports"], ["doctor"])
WITH_DATABASE = (["sessions"], ["doctor"])


def wall_times(argv: list[str], env: dict[str, str], runs: int) -> list[float]:
    """Wall time of `argv` in a fresh process, `runs` times after one warm-up run."""
    times = []
    for k in range(runs + 1):
        t0 = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        if k:
            times.append(time.perf_counter() - t0)
    return times


def line(label: str, times: list[float], target: float | None = TARGET_S) -> str:
    med, top = statistics.median(times), max(times)
    verdict = "" if target is None else ("  ok" if med <= target else "  OVER")
    return f"{label:<32} median {med:6.3f} s   max {top:6.3f} s{verdict}"


def with_session(home: Path) -> dict[str, str]:
    """An environment whose KNEADBACK_HOME holds one imported session (a 60 s simulated one)."""
    env = {**os.environ, "KNEADBACK_HOME": str(home)}
    kb = [sys.executable, "-m", "kneadback"]
    subprocess.run([*kb, "simulate", "steady", "--out", str(home)], env=env, check=True, capture_output=True)
    subprocess.run([*kb, "import", str(home / "steady.csv")], env=env, check=True, capture_output=True)
    return env


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 9
    kb = [sys.executable, "-m", "kneadback"]
    print(f"{runs} runs each, a fresh process per run; target: median ≤ {TARGET_S} s")
    with tempfile.TemporaryDirectory(prefix="kb-bench-startup-") as tmp:
        env = {**os.environ, "KNEADBACK_HOME": str(Path(tmp) / "empty")}
        print(line("floor: python -c pass", wall_times([sys.executable, "-c", "pass"], env, runs), target=None))
        for args in COMMANDS:
            print(line("kneadback " + " ".join(args), wall_times([*kb, *args], env, runs)))
        env = with_session(Path(tmp) / "one-session")
        for args in WITH_DATABASE:
            print(line("kneadback " + " ".join(args) + " (1 session)", wall_times([*kb, *args], env, runs)))


if __name__ == "__main__":
    main()
