"""Dashboard benchmark: redraw rate, CPU and sample-to-screen latency under a 1 kHz stream.

    python3 tests/benchmarks/bench_dashboard_live.py [--seconds 20]
    xvfb-run -s "-screen 0 1600x1000x24" python3 tests/benchmarks/bench_dashboard_live.py

Without a display it draws offscreen (QT_QPA_PLATFORM=offscreen). Two measurements:

1. In process: the dashboard window around the real session (simulated 1 kHz tool in real time,
   engine, coach), both timers running. Frames are counted when the force trace has actually
   painted; latency is taken at that moment, from (a) the moment the newest sample on the trace
   reached the application and (b) the sample's own time (so (b) also counts the simulated
   link's framing delay: an upper bound).
2. The whole `kneadback live` command in a child process: its CPU time over wall time in the
   steady state (after start-up), read from /proc.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

if not any(os.environ.get(k) for k in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")):
    os.environ["QT_QPA_PLATFORM"] = "offscreen"

SCENARIO = """description = "benchmark: steady strokes sampled at 1 kHz"
[device]
rate_hz = 1000
[user]
rate_hz = 1.0
force_n = 22.0
[[spots]]
name = "left calf"
force_at_7 = 22.0
[[phase]]
kind = "strokes"
duration_s = {seconds}
"""
WARMUP_S = 3.0


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def in_process(spec: str, seconds: float) -> dict[str, float]:
    from pyqtgraph.Qt import QtCore, QtWidgets

    from kneadback.clock import MonotonicClock
    from kneadback.coach.coach import Coach
    from kneadback.engine.engine import Engine
    from kneadback.session import Session
    from kneadback.sources import open_source
    from kneadback.sources.base import SourceOptions
    from kneadback.ui.dashboard.window import DashboardWindow

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    clock = MonotonicClock()
    source = open_source(spec, SourceOptions(clock=clock))
    session = Session(source, clock, analyzer=Engine(), coach=Coach(spot="left calf"))
    window = DashboardWindow(session, clock)
    window.resize(1600, 1000)
    window.show()
    paints: list[tuple[float, float, float]] = []  # (painted at, arrival of newest sample, its session time)
    window.trace.on_painted = lambda arrival: paints.append((clock.now(), arrival, window.feed.newest_t))
    marks: dict[str, float] = {}

    def begin() -> None:
        marks["wall0"], marks["cpu0"], marks["n0"] = clock.now(), _cpu_s(), len(paints)

    def end() -> None:
        marks["wall1"], marks["cpu1"], marks["n1"] = clock.now(), _cpu_s(), len(paints)
        app.quit()

    window.start()
    t_open = clock.now() - source.position / source.speed  # the clock time of session time 0
    QtCore.QTimer.singleShot(int(WARMUP_S * 1000), begin)
    QtCore.QTimer.singleShot(int((WARMUP_S + seconds) * 1000), end)
    app.exec()
    samples_seen, samples_sent = window.feed.samples, session.status.samples
    window.close()
    wall = marks["wall1"] - marks["wall0"]
    steady = np.array(paints[int(marks["n0"]) : int(marks["n1"])])
    painted, arrival, t_sample = steady[:, 0], steady[:, 1], steady[:, 2]
    per_second = np.histogram(painted, bins=np.arange(marks["wall0"], marks["wall1"] + 1e-9, 1.0))[0]
    from_arrival = (painted - arrival) * 1000.0
    from_sample = (painted - (t_open + t_sample)) * 1000.0
    return {
        "fps_mean": len(steady) / wall,
        "fps_min_1s": float(per_second.min()),
        "cpu_in_process_pct": 100.0 * (marks["cpu1"] - marks["cpu0"]) / wall,
        "latency_arrival_p50_ms": float(np.percentile(from_arrival, 50)),
        "latency_arrival_p95_ms": float(np.percentile(from_arrival, 95)),
        "latency_arrival_max_ms": float(from_arrival.max()),
        "latency_sample_p50_ms": float(np.percentile(from_sample, 50)),
        "latency_sample_p95_ms": float(np.percentile(from_sample, 95)),
        "latency_sample_max_ms": float(from_sample.max()),
        "samples_missing": float(samples_sent - samples_seen),
        "samples": float(samples_seen),
    }


def _proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def whole_app(spec: str, seconds: float, home: Path) -> dict[str, float]:
    """`kneadback live` as a user runs it (recording on), its data in `home`."""
    cmd = [sys.executable, "-m", "kneadback", "live", "--source", spec, "--duration", str(WARMUP_S + seconds + 2)]
    env = {**os.environ, "KNEADBACK_HOME": str(home)}
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        time.sleep(WARMUP_S + 2.0)  # imports and start-up are not the steady state
        c0, w0 = _proc_cpu_s(proc.pid), time.monotonic()
        time.sleep(seconds)
        c1, w1 = _proc_cpu_s(proc.pid), time.monotonic()
        rc = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    return {"cpu_whole_app_pct": 100.0 * (c1 - c0) / (w1 - w0), "exit_code": float(rc)}


def _machine() -> str:
    """The cores and processor the figures were measured on (they mean little without)."""
    model = next((line.split(":", 1)[1].strip() for line in _cpuinfo() if line.startswith("model name")), "?")
    return f"{os.cpu_count()} cores, {model}, {platform.system()} {platform.release()}"


def _cpuinfo() -> list[str]:
    try:
        return Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds (after a warm-up)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench-1khz.toml"
        path.write_text(SCENARIO.format(seconds=args.seconds + 30))
        spec = f"sim:{path}"
        qt_platform = os.environ.get("QT_QPA_PLATFORM") or ("xcb" if os.environ.get("DISPLAY") else "wayland")
        print(f"dashboard benchmark: 1 kHz simulated stream, {args.seconds:g} s measured, Qt platform {qt_platform}")
        print(f"machine: {_machine()}")
        figures = in_process(spec, args.seconds)
        figures.update(whole_app(spec, args.seconds, Path(tmp) / "home"))
    for name, value in figures.items():
        print(f"{name:28s} {value:10.1f}")
    print("load average (1, 5, 15 min): {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
