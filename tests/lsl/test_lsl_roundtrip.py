"""Across processes, as users run them: `live --lsl` publishing a simulated tool in one process,
read in another (this test's pylsl inlets, or `live --source lsl:…`); and the faults: a publisher
restarted, an inlet side killed and restarted, a stream that is no force signal refused.

Every process reads the conftest's liblsl config (the machine scope, this run's own session id),
through the environment; every wait is bounded."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import numpy as np
import pytest
from tests.lsl.conftest import TIMEOUT_S

from kneadback import __version__
from kneadback.lsl import api
from kneadback.lsl.meta import MARKER_TYPES, STATUS, parse_marker, read_meta
from kneadback.simulate.render import render
from kneadback.simulate.scenario import load_scenario

RATE = 1000
SEED = 3
SCENARIO = f"""description = "strokes at 1 kHz, the device's crystal 200 ppm fast"
[device]
rate_hz = {RATE}
clock_ppm = 200
[noise]
adc_lsb = 0.7
[user]
rate_hz = 1.2
force_n = 20.0
[[spots]]
name = "left calf"
force_at_7 = 20.0
[[phase]]
kind = "strokes"
duration_s = 120
"""


@pytest.fixture
def tool(tmp_path: Path, unique: Callable[[str], str]) -> Path:
    """A simulated tool's scenario file: its path names the device, so its streams are this test's."""
    path = tmp_path / f"{unique('tool')}.toml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def kneadback(*args: str, out: Path) -> subprocess.Popen[str]:
    """A `kneadback` process, its stdout to `out` (read as it grows), its stderr piped."""
    with out.open("w") as stdout:
        return subprocess.Popen([sys.executable, "-m", "kneadback", *args], stdout=stdout, stderr=subprocess.PIPE,
                                text=True, env=os.environ.copy())


def publish(tool: Path, out: Path, seconds: float) -> subprocess.Popen[str]:
    return kneadback("live", "--lsl", "--source", f"sim:{tool}", "--seed", str(SEED), "--no-gui", "--no-record",
                     "--jsonl", "--duration", str(seconds), out=out)


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]


def wait_for(what: str, done: Callable[[], bool], procs: tuple[subprocess.Popen[str], ...] = ()) -> None:
    end = time.monotonic() + TIMEOUT_S
    while not done():
        for p in procs:
            assert p.poll() is None, f"waiting for {what}: {p.args[3:5]} ended: {p.stderr.read() if p.stderr else ''}"
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.05)


def stop(*procs: subprocess.Popen[str]) -> None:
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.wait(timeout=TIMEOUT_S)
        err: IO[str] | None = p.stderr
        if err is not None:
            err.close()


def resolve(source_id: str) -> Any:
    pylsl = api.load()
    found = pylsl.resolve_byprop("source_id", source_id, timeout=TIMEOUT_S)
    assert found, f"no stream {source_id} on LSL"
    return found[0]


def test_samples_timestamps_markers_and_metadata_cross_processes_intact(tool, tmp_path):
    pylsl = api.load()
    jsonl = tmp_path / "publisher.jsonl"
    publisher = publish(tool, jsonl, 4)
    try:
        force = pylsl.StreamInlet(resolve(f"kneadback:sim:{tool}:force"), max_buflen=60)
        markers = pylsl.StreamInlet(resolve(f"kneadback:sim:{tool}:markers"), max_buflen=60)
        force_meta, markers_meta = read_meta(force.info(TIMEOUT_S)), read_meta(markers.info(TIMEOUT_S))
        force.open_stream(TIMEOUT_S)
        markers.open_stream(TIMEOUT_S)
        values: list[list[float]] = []
        stamps: list[float] = []
        received: list[tuple[dict[str, Any], float]] = []
        latency: list[float] = []
        quiet_since = None
        while quiet_since is None or time.monotonic() - quiet_since < 1.0:  # until a second after the publisher ends
            chunk, ts = force.pull_chunk(timeout=0.05, max_samples=4096)
            if ts:
                latency.append(pylsl.local_clock() - ts[-1])
            values += chunk
            stamps += ts
            texts, mts = markers.pull_chunk(timeout=0.0)
            received += [(parse_marker(s[0]), t) for s, t in zip(texts, mts, strict=True)]
            if quiet_since is None and publisher.poll() is not None:
                quiet_since = time.monotonic()
            assert len(values) < 60 * RATE, "the publisher did not stop"
        assert publisher.wait(TIMEOUT_S) == 0
    finally:
        stop(publisher)

    # metadata: the XDF desc tree says what the samples are
    assert [(c.label, c.unit) for c in force_meta.channels] == [("adc", "counts"), ("force_n", "N")]
    assert (force_meta.type, force_meta.sample_rate_hz, force_meta.device_id) == ("Force", RATE, f"sim:{tool}")
    assert (force_meta.version, force_meta.spot, force_meta.front_end) == (__version__, "left calf", "fsr-low")
    assert force_meta.calibration in ("approximate", "calibrated") and force_meta.protocol.startswith("1.")
    assert (markers_meta.type, markers_meta.sample_rate_hz, markers_meta.device_id) == ("Markers", 0.0, f"sim:{tool}")

    # samples: an unbroken run of the very counts the simulated board sent (the first ones went
    # out before this inlet connected)
    adc = np.array(values)[:, 0].astype(np.int64)
    assert len(adc) > 2 * RATE
    sent = render(load_scenario(str(tool)), seed=SEED).adc.astype(np.int64)
    windows = np.lib.stride_tricks.sliding_window_view(sent, 300)
    starts = np.flatnonzero((windows == adc[:300]).all(axis=1))
    assert len(starts) == 1, "the first samples received are not one place in what was sent"
    k = int(starts[0])
    np.testing.assert_array_equal(adc, sent[k : k + len(adc)])

    # timestamps: the device's time mapped onto the LSL clock, not arrival time (blocks of 20
    # samples arrive together: arrival stamps would step by 20 ms, then stand still)
    ts = np.array(stamps)
    steps = np.diff(ts)
    assert np.all(np.abs(steps - 1 / RATE) < 0.5e-3), f"steps {steps.min() * 1e3:.3f}–{steps.max() * 1e3:.3f} ms"
    assert 0 <= np.median(latency) < 0.5  # stamped on this machine's clock, a moment before they came

    # markers: the same JSON objects the publisher printed for the same events, in order, each
    # stamped at its session time on the force stream's time line
    events = [m for m, _ in received if m["type"] != STATUS]
    printed = [e for e in lines(jsonl) if e["type"] in MARKER_TYPES]
    assert len(events) >= 3 and events == printed[len(printed) - len(events) :][: len(events)]
    statuses = [(m, t) for m, t in received if m["type"] == STATUS]
    assert len(statuses) >= 2
    for m, stamp in statuses:
        j = round(m["t"] * RATE) - k
        if 0 <= j < len(ts):
            assert abs(stamp - ts[j]) < 2e-3, f"status at {m['t']} s stamped {1e3 * (stamp - ts[j]):.2f} ms off"
    assert {m["spot"] for m, _ in statuses} == {"left calf"}


def test_a_restarted_publisher_resumes_under_its_source_id_and_a_killed_inlet_side_restarts(tool, tmp_path):
    """Publisher A, inlet side I1 (`live --source lsl:source_id=…`) killed, I2 started; A killed
    (a crash), B started for the same tool: I2 says the link was lost and is back, and goes on."""
    sid = f"kneadback:sim:{tool}:force"
    publisher = publish(tool, tmp_path / "a.jsonl", 60)
    procs = [publisher]

    def reader(name: str) -> tuple[subprocess.Popen[str], Path]:
        out = tmp_path / f"{name}.jsonl"
        p = kneadback("live", "--source", f"lsl:source_id={sid}", "--no-gui", "--no-record", "--jsonl", out=out)
        procs.append(p)
        return p, out

    def samples(out: Path) -> int:
        return max((e["samples"] for e in lines(out) if e["type"] == "status"), default=0)

    try:
        resolve(sid)  # the publisher is up (a reader gives up on a stream it cannot find in a few seconds)
        first, first_out = reader("i1")
        wait_for("the first inlet's samples", lambda: samples(first_out) > RATE / 4, (publisher, first))
        first.send_signal(signal.SIGKILL)
        first.wait(TIMEOUT_S)
        second, second_out = reader("i2")
        wait_for("the restarted inlet's samples", lambda: samples(second_out) > RATE / 4, (publisher, second))
        assert publisher.poll() is None  # the publisher never noticed
        publisher.send_signal(signal.SIGKILL)
        publisher.wait(TIMEOUT_S)
        wait_for("the lost link", lambda: any(e.get("kind") == "disconnected" for e in lines(second_out)), (second,))
        before = samples(second_out)
        publisher = publish(tool, tmp_path / "b.jsonl", 60)
        procs.append(publisher)
        wait_for("the link back", lambda: any(e.get("kind") == "reconnected" for e in lines(second_out)), (second,))
        wait_for("samples after the restart", lambda: samples(second_out) > before + RATE / 4, (second, publisher))
        second.send_signal(signal.SIGINT)  # stops cleanly, as Ctrl-C does
        assert second.wait(TIMEOUT_S) == 0
    finally:
        stop(*procs)
    infos = [e for e in lines(second_out) if e["type"] == "info"]
    assert infos and all(i["source"].startswith("lsl:") for i in infos)
    kinds = [e["kind"] for e in lines(second_out) if e["type"] == "error"]
    assert kinds.index("disconnected") < kinds.index("reconnected")


@pytest.mark.parametrize(("fmt", "rate", "why"), [("string", 100.0, "carries strings, not a force signal"),
                                                  ("float32", 0.0, "has an irregular rate")])
def test_a_stream_that_is_no_force_signal_is_refused_from_the_command_line_with_one_line(unique, tmp_path, fmt, rate,
                                                                                        why):
    pylsl = api.load()
    name = unique("wrong")
    info = pylsl.StreamInfo(name, "Force", 1, rate, getattr(pylsl, f"cf_{fmt}"), name)
    keep = pylsl.StreamOutlet(info)  # noqa: F841 (announced while it lives)
    p = subprocess.run([sys.executable, "-m", "kneadback", "live", "--source", f"lsl:{name}", "--no-gui", "--no-record"],
                       capture_output=True, text=True, timeout=60)
    err = p.stderr.strip().splitlines()
    assert p.returncode == 2 and len(err) == 1, p.stderr
    assert err[0].startswith(f"kneadback: lsl:{name}: stream ") and why in err[0]
    assert p.stdout == ""
