"""Overview benchmark: the `kneadback overview` window's CPU share with 8 tools at 1 kHz on LSL.

    python3 tests/benchmarks/bench_lsl_overview.py [--tools 8] [--seconds 30] [--screenshot PNG]
    xvfb-run -s "-screen 0 1600x1000x24" python3 tests/benchmarks/bench_lsl_overview.py

Each tool is a `kneadback live --lsl` process playing a simulated session of stroking sampled at
1 kHz (its own scenario file, so its own device id, pace and pressure), publishing its force and
markers streams as a user's would. Once every tool sends its status, the overview starts as a user runs it (the
window; offscreen without a display), and after its start-up its CPU time over wall time is read
from /proc over `--seconds`; the tools' own status markers say whether they kept real time
meanwhile. Then a terminal overview checks that every tool is shown. Everything stays on this
machine: every process reads a liblsl config with the machine resolve scope.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

SCENARIO = """description = "benchmark: one tool stroking at 1 kHz"
[device]
rate_hz = 1000
[noise]
adc_lsb = 0.7
[user]
rate_hz = {rate:.2f}
rate_jitter = 0.07
force_n = {force:.1f}
force_cv = 0.1
[[spots]]
name = "{name}"
force_at_7 = 20.0
[[phase]]
kind = "strokes"
duration_s = 600
"""
SPOTS = ("left calf", "right calf", "upper trapezius (left)", "upper trapezius (right)", "left thigh", "right thigh",
         "rhomboid (left)", "infraspinatus (right)")
TARGET_PCT = 50.0
UP_S = 180.0  # the longest the tools may take to come up (a busy machine)
START_S = 10.0  # the overview's start-up, before its CPU is measured


def _proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _scenario(tmp: Path, i: int) -> Path:
    """Tool i's scenario, in a file of its own (its path is the simulated tool's id): a session of
    continuous stroking at 1 kHz, each tool at its own pace and pressure (from too slow and light
    to too fast and hard), so that the tiles show every colour."""
    path = tmp / f"tool-{i + 1}.toml"
    path.write_text(SCENARIO.format(name=SPOTS[i % len(SPOTS)], rate=0.7 + 0.09 * i, force=12.0 + 3.0 * i))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tools", type=int, default=8, help="simulated tools publishing (default 8)")
    parser.add_argument("--seconds", type=float, default=30.0, help="measured seconds (default 30)")
    parser.add_argument("--screenshot", type=Path, help="also save the overview window to this PNG")
    args = parser.parse_args()
    from kneadback.lsl import api

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        cfg = tmp / "lsl.cfg"
        # kneadback's own liblsl config (the machine scope), and a lab session of this run's own: no
        # other process's streams are seen
        session = f"kneadback-bench-{uuid.uuid4().hex[:8]}"
        cfg.write_text(api.config_text(api.LslSettings()) + f"\n[lab]\nSessionID = {session}\n")
        os.environ.update({"KNEADBACK_HOME": str(tmp / "home"), "LSLAPICFG": str(cfg), "KNEADBACK_AUDIO": "none"})
        if not any(os.environ.get(k) for k in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")):
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
        import pylsl

        kb = [sys.executable, "-m", "kneadback"]
        errs = [(tmp / f"tool-{i + 1}.err").open("w") for i in range(args.tools)]
        publishers = [
            subprocess.Popen([*kb, "live", "--lsl", "--source", f"sim:{_scenario(tmp, i)}", "--seed", str(i), "--no-gui",
                              "--no-record"], stdout=subprocess.DEVNULL, stderr=errs[i])
            for i in range(args.tools)
        ]
        overview: subprocess.Popen[str] | None = None
        try:
            # every tool is up (its status markers come) before the overview starts: on a busy
            # machine the publishers' start-up takes a while, and it is not what is measured
            inlets = [pylsl.StreamInlet(info) for info in _markers_streams(pylsl, args.tools)]
            for inlet in inlets:
                _next_status_t(inlet)
            shot = args.screenshot or tmp / "overview.png"
            overview = subprocess.Popen([*kb, "overview", "--duration", str(START_S + args.seconds), "--screenshot",
                                         str(shot)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            time.sleep(START_S)  # its start-up (imports, the tools found) is not the steady state
            pubs0 = sum(_proc_cpu_s(p.pid) for p in publishers)
            session0 = [_next_status_t(inlet) for inlet in inlets]
            c0, w0 = _proc_cpu_s(overview.pid), time.monotonic()
            time.sleep(args.seconds)
            c1, w1 = _proc_cpu_s(overview.pid), time.monotonic()
            session1 = [_next_status_t(inlet) for inlet in inlets]
            for inlet in inlets:
                inlet.close_stream()  # before the tools go: no "transmission broke off" from liblsl
            pubs1 = sum(_proc_cpu_s(p.pid) for p in publishers)
            _, err = overview.communicate(timeout=120)
            table = subprocess.run([*kb, "overview", "--no-gui", "--duration", "5"], capture_output=True, text=True,
                                   timeout=120)
        finally:
            for p in [*publishers, *([overview] if overview else [])]:
                if p.poll() is None:
                    p.terminate()
                p.wait(timeout=60)
            for i, f in enumerate(errs):
                f.close()
                said = Path(f.name).read_text().strip()
                if said or publishers[i].returncode not in (0, -signal.SIGTERM):
                    print(f"tool {i + 1} (exit {publishers[i].returncode}) said: {said[-500:]}")
        shown = {line.split(" | ")[0] for line in table.stdout.splitlines() if " | rate " in line}
        wall = w1 - w0
        pace = min((t1 - t0) / (w1 - w0) for (t0, w0), (t1, w1) in zip(session0, session1, strict=True))
        print(f"overview benchmark: {args.tools} simulated tools at 1 kHz on LSL (machine scope), {args.seconds:g} s "
              f"measured, Qt platform {os.environ['QT_QPA_PLATFORM'] if os.environ.get('QT_QPA_PLATFORM') else 'xcb'}, "
              f"{os.cpu_count()} cores")
        print(f"overview window CPU           {100.0 * (c1 - c0) / wall:8.1f} % of a core (target ≤ {TARGET_PCT:g} %)")
        print(f"publishers CPU, each (mean)   {100.0 * (pubs1 - pubs0) / wall / args.tools:8.1f} % of a core")
        print(f"slowest publisher's pace      {pace:8.2f} session s per s (1: real time)")
        print(f"tools shown by the terminal   {len(shown):8d} of {args.tools}")
        print(f"overview exit code            {overview.returncode:8d}" + (f"  ({err.strip()})" if err.strip() else ""))
        if args.screenshot:
            print(f"window saved to {shot}")
        print("load average (1, 5, 15 min): {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))


def _markers_streams(pylsl: Any, n: int) -> list[Any]:
    """The `n` tools' markers streams, once all are announced."""
    resolver = pylsl.ContinuousResolver(pred="type='Markers' and starts-with(source_id,'kneadback:')")
    end = time.monotonic() + UP_S
    while len(found := resolver.results()) < n:
        if time.monotonic() > end:
            raise SystemExit(f"only {len(found)} of {n} tools came up in {UP_S:g} s")
        time.sleep(0.5)
    return list(found)


def _next_status_t(inlet: Any) -> tuple[float, float]:
    """The session time of the next status marker of a tool (what came before is dropped), and
    when it came."""
    inlet.flush()
    end = time.monotonic() + UP_S
    while time.monotonic() < end:
        sample, _ = inlet.pull_sample(timeout=1.0)
        if sample is not None and (marker := json.loads(sample[0]))["type"] == "status":
            return float(marker["t"]), time.monotonic()
    raise SystemExit(f"no status from a tool in {UP_S:g} s")


if __name__ == "__main__":
    main()
