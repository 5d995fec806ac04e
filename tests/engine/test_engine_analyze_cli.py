"""`kneadback analyze`: JSON and table output, --chunk invariance, one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from kneadback.cli import main
from kneadback.commands.simulate import write_csv
from kneadback.simulate.render import render
from kneadback.simulate.scenario import load_scenario


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    """static-hold as a CSV (with the rate and divider in comment lines) and its truth."""
    r = render(load_scenario("static-hold"), seed=0)
    path = tmp_path_factory.mktemp("rec") / "static-hold.csv"
    write_csv(r, path)
    return path, r


def run(capsys, *argv):
    code = main(["analyze", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_has_the_documented_fields(capsys, recording):
    path, r = recording
    code, out, err = run(capsys, path, "--json")
    assert code == 0 and err == ""
    doc = json.loads(out)
    assert set(doc) >= {"strokes", "holds", "contact", "bouts", "summary"}
    assert {"t_start", "t_peak", "t_end", "t_confirmed", "peak_n", "peak_adc"} <= set(doc["strokes"][0])
    assert len(doc["strokes"]) == len(r.truth.strokes)
    assert len(doc["holds"]) == 1 and set(doc["holds"][0]) >= {"start", "end"}
    assert doc["holds"][0]["end"] - doc["holds"][0]["start"] > 10
    assert all(set(c) == {"start", "end"} and c["end"] >= c["start"] for c in doc["contact"])
    bouts = doc["bouts"]
    assert len(bouts) == 2 and {"start", "end", "strokes", "rate_spm", "mean_peak_n"} <= set(bouts[0])
    assert all(55 < b["rate_spm"] < 65 for b in bouts)
    s = doc["summary"]
    assert s["strokes"] == len(doc["strokes"]) and s["samples"] == len(r.adc) and s["lost_samples"] == 0


def test_chunking_does_not_change_the_output(capsys, recording):
    path, _ = recording
    outputs = {run(capsys, path, "--json", "--chunk", n)[1] for n in (1000, 37, 4096)}
    assert len(outputs) == 1
    assert run(capsys, path, "--json")[1] in outputs


def test_table(capsys, recording):
    path, _ = recording
    code, out, _ = run(capsys, path, "--strokes")
    assert code == 0
    assert "bout" in out and "rate/min" in out and "hold" in out and "strokes 40" in out
    assert len([ln for ln in out.splitlines() if ln.strip().startswith("40 ")]) == 1  # the stroke table


def test_flags_replace_what_the_file_lacks(capsys, tmp_path):
    t = np.arange(0, 3, 0.005)
    p = tmp_path / "bare.csv"
    p.write_text("time_s,adc\n" + "\n".join(f"{x:.3f},0" for x in t) + "\n")
    doc = json.loads(run(capsys, p, "--json", "--rate", 200, "--divider", 4700)[1])
    assert doc["summary"]["rate_hz"] == 200 and doc["summary"]["divider_ohms"] == 4700
    assert doc["strokes"] == []


@pytest.mark.parametrize(
    "content, argv, expected",
    [
        (None, [], "no such file"),
        ("time_s,adc\n0,1\n0.01,oops\n", [], "line 3: adc 'oops' is not a number"),
        ("time,adc\n0,1\n", [], "line 1: header lacks column time_s"),
        ("time_s,adc\n0,1\n0.01,2\n", ["--chunk", "0"], "--chunk 0 must be a positive"),
        ("time_s,adc\n0,1\n0.01,2\n", ["--rate", "-5"], "--rate -5.0 must be a sample rate"),
        ("time_s,adc\n0,1\n0.01,2\n", ["--divider", "0"], "--divider 0 must be a resistance of 10 Ω to 10 MΩ"),
    ],
)
def test_errors_are_one_line_and_exit_2(capsys, tmp_path, content, argv, expected):
    p = tmp_path / "bad.csv"
    if content is not None:
        p.write_text(content)
    code, out, err = run(capsys, p, *argv)
    assert code == 2 and out == ""
    assert expected in err and err.count("\n") == 1 and "Traceback" not in err


def test_an_assumed_divider_is_said(capsys, tmp_path):
    p = tmp_path / "bare.csv"
    p.write_text("time_s,adc\n" + "\n".join(f"{x / 100:.2f},0" for x in range(300)) + "\n")
    code, out, err = run(capsys, p, "--json")
    assert code == 0 and json.loads(out)["summary"]["divider_ohms"] == 1000
    assert "assumed 1000 Ω" in err and "--divider" in err and err.count("\n") == 1
