"""The protocol 1.1 conformance streams (firmware/test/streams.json) against the host decoder,
the simulated wire and the C code.

streams.json and its generator, firmware/test/make_streams.py, are an implementation of
PROTOCOL.md independent of the host package; firmware/test/run_streams.py compares a decoder's
events with the expected ones, and these tests use its comparison as it is.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from kneadback.protocol import conformance
from kneadback.simulate.render import render
from kneadback.simulate.scenario import load_scenario

FW = Path(__file__).resolve().parents[2] / "firmware"


def _script(name: str) -> ModuleType:
    """A standalone script of firmware/test, imported as a module."""
    spec = importlib.util.spec_from_file_location(f"kb_{name}", FW / "test" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


make_streams = _script("make_streams")
run_streams = _script("run_streams")
CASES, TOLERANCE = run_streams.load_cases()


def test_the_suite_is_independent_of_the_host_package():
    for script in ("make_streams.py", "run_streams.py"):
        tree = ast.parse((FW / "test" / script).read_text())
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert imported and not any(m.split(".")[0] == "kneadback" for m in imported), script


def test_streams_json_is_up_to_date():
    assert make_streams.render() == (FW / "test" / "streams.json").read_text(), (
        "firmware/test/streams.json is stale: run python3 firmware/test/make_streams.py")


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_host_decoder_gives_the_expected_events(case, tmp_path, capsys):
    path = tmp_path / "case.json"
    path.write_text(json.dumps({"name": case["name"], "input": case["input"]}))
    try:
        status = conformance.main(["--case", str(path)])
    except SystemExit as e:
        status = e.code
    why = run_streams.compare(case["expect"], run_streams.parse_output(capsys.readouterr().out), TOLERANCE)
    assert why is None, why
    if case["expect"][-1]["event"] != "refused":
        assert status in (0, None)


# --- the comparison itself ---------------------------------------------------------------------

def _case(name: str) -> dict:
    return next(c for c in CASES if c["name"] == name)


def test_comparison_finds_a_phantom_loss_and_allows_extra_keys_and_events():
    expect = _case("1.0 STOP/START with STATUS(on) between ACK(START) and the first DATA")["expect"]
    at = next(i for i, e in enumerate(expect) if e["event"] == "pause")
    after_pause = next(i for i in range(at, len(expect)) if expect[i]["event"] == "samples")
    phantom = [dict(e) for e in expect]
    phantom[after_pause]["lost"] = 1000
    assert "expected" in run_streams.compare(expect, phantom, TOLERANCE)
    assert "got nothing" in run_streams.compare(expect, expect[:-1], TOLERANCE)
    more = [{**e, "t_s": 1.5} for e in expect] + [{"event": "notice", "text": "hello"}]
    assert run_streams.compare(expect, more, TOLERANCE) is None


def test_comparison_of_text_merges_readings_and_bounds_the_estimated_rate():
    expect = _case("text at 200 Hz replugged after its rate settled")["expect"]
    readings = [a for e in expect if e["event"] == "samples" for a in e["adc"]]
    one_a_line = [{"event": "mode", "mode": "text"}] + [
        {"event": "samples", "adc": [a], "lost": 0} for a in readings]
    assert run_streams.compare(expect, one_a_line + [{"event": "rate", "rate_hz": 199}], TOLERANCE) is None
    assert "rate" in run_streams.compare(expect, one_a_line + [{"event": "rate", "rate_hz": 92}], TOLERANCE)
    twice = one_a_line + [{"event": "rate", "rate_hz": 200}, {"event": "rate", "rate_hz": 93}]
    assert "rate" in run_streams.compare(expect, twice, TOLERANCE)
    assert run_streams.compare(expect, one_a_line, TOLERANCE, timed=False) is None
    assert "expected" in run_streams.compare(expect, one_a_line[:-1], TOLERANCE)


def test_run_streams_passes_the_reference_decoder_and_fails_a_wrong_one(tmp_path):
    decoder = [sys.executable, str(FW / "test" / "make_streams.py"), "--decode"]
    runner = [sys.executable, str(FW / "test" / "run_streams.py")]
    done = subprocess.run([*runner, "-k", "clean", *decoder], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 failed" in done.stdout.splitlines()[-1]
    wrong = tmp_path / "wrong.py"  # the reference, but a pause is a loss
    wrong.write_text(
        "import json, subprocess, sys\n"
        f"out = subprocess.run({decoder!r} + sys.argv[1:], capture_output=True, text=True).stdout\n"
        "for line in out.splitlines():\n"
        "    e = json.loads(line)\n"
        "    print(json.dumps({**e, 'lost': 999} if e['event'] == 'samples' and e['lost'] == 0"
        " and e.get('t_us', [0])[0] > 2000000 else e))\n")
    done = subprocess.run([*runner, "-k", "STOP/START with STATUS", sys.executable, str(wrong)], capture_output=True, text=True)
    assert done.returncode == 1
    assert "FAIL  1.0 STOP/START with STATUS(on) between ACK(START)" in done.stdout
    done = subprocess.run([*runner, "no-such-decoder"], capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "no-such-decoder" in done.stderr


# --- the simulated wire ------------------------------------------------------------------------

@pytest.mark.parametrize("scenario", ["fs100", "disconnect"])
def test_simulated_wire_sends_what_the_firmware_sends(scenario):
    """Its frames are those of the independent encoder, and the reference receiver reads from
    them every sample exactly one period apart (no jitter), with nothing lost."""
    r = render(load_scenario(scenario), seed=3)
    items = list(r.wire_chunks(faults=False))
    data = b"".join(d for _, d in items)
    frames = [f for f in data.split(b"\x00")[:-1] if f]  # (an empty chunk is no frame)
    for f in frames:
        outcome = make_streams.chunk_outcomes(f + b"\x00")
        assert [k for k, _ in outcome] == ["ok"], f.hex()
        assert make_streams.frame(outcome[0][1]) == f + b"\x00"
    rx = make_streams.Receiver()
    for at, chunk in items:
        rx.feed(at, chunk)
    events = rx.events
    names = [e["event"] for e in events]
    info = [e for e in events if e["event"] == "info"]
    assert info and all(e["minor"] >= 1 for e in info)
    assert "error" not in names and "pause" not in names
    assert names.count("reset") == len(r.plan.segments) - 1
    samples = [e for e in events if e["event"] == "samples"]
    assert sum(e["lost"] for e in samples) == 0
    got = np.concatenate([e["adc"] for e in samples])
    np.testing.assert_array_equal(got, r.adc[~r.lost])
    period = 1_000_000 // int(r.rate_hz)
    boot: list[int] = []
    for e in events:
        if e["event"] == "reset":
            assert np.all(np.diff(boot) == period)
            boot = []
        elif e["event"] == "samples":
            boot += e["t_us"]
    assert np.all(np.diff(boot) == period)


# --- the C code ---------------------------------------------------------------------------------

needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed")


@pytest.fixture(scope="module")
def c_streams(tmp_path_factory) -> Path:
    """firmware/test/test_kb_streams.c built with the host's gcc (with the sanitizers when it
    has them)."""
    out = tmp_path_factory.mktemp("c") / "test_kb_streams"
    src = [str(FW / "src" / f) for f in ("kb_crc.c", "kb_cobs.c", "kb_proto.c")]
    src += [str(FW / "test" / "json_min.c"), str(FW / "test" / "test_kb_streams.c")]
    base = ["gcc", "-std=c99", "-O1", "-g", "-Wall", "-Wextra", "-Werror",
            f"-I{FW / 'src'}", f"-I{FW / 'test'}", "-o", str(out), *src]
    done = subprocess.run([*base, "-fsanitize=address,undefined"], capture_output=True, text=True)
    if done.returncode != 0 and "sanitize" in done.stderr:
        done = subprocess.run(base, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return out


@needs_gcc
def test_c_encoders_build_every_hello_and_data_of_the_streams_byte_for_byte(c_streams):
    done = subprocess.run([str(c_streams), str(FW / "test" / "streams.json")], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    built = int(done.stdout.split("chunks, ")[1].split()[0])
    assert built > 1000 and " 0 differ" in done.stdout


@needs_gcc
def test_c_decoder_splits_and_judges_every_stream_like_the_reference(c_streams):
    done = subprocess.run([str(c_streams), "--outcomes", str(FW / "test" / "streams.json")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    got: list[list[tuple[str, str | None]]] = [[] for _ in CASES]
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            row = json.loads(line)
            got[row["case"]].append((row["kind"], row["payload"]))
    for case, outcomes in zip(CASES, got):
        data = b"".join(bytes.fromhex(x["hex"]) for x in case["input"])
        want = [(k, None if p is None else p.hex()) for k, p in make_streams.chunk_outcomes(data)]
        assert outcomes == want, case["name"]
