"""`kneadback analyze` and `kneadback ruler --replay` with a tool's motion sensor: every form of a
recording (a session, its CSV and JSON exports) gives the motion the session's summary keeps, and
a recording without the sensor gets what it always got."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from kneadback import analysis, cli
from kneadback.event_types import EventType
from kneadback.store.db import Store
from kneadback.store.summary import summary_of

from .recordings import record_a_session
from .test_ruler import check

MOTION_STROKE_KEYS = {"direction_deg", "excursion_cm", "return_share", "circling"}
# the fields of a stroke, a bout and the summary for a tool without a motion sensor (docs/commands.md)
FSR_STROKE_KEYS = {"index", "t_start", "t_peak", "t_end", "t_confirmed", "peak_n", "mean_n", "peak_adc", "impulse_ns",
                   "release", "rate_spm"}
FSR_BOUT_KEYS = {"index", "start", "end", "strokes", "rate_spm", "mean_peak_n", "active_s", "overtime_s", "counted"}


@pytest.fixture
def exports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path]:
    """A recorded one-direction session (a bout and the start of the next), exported as CSV and JSON."""
    record_a_session("one-direction", 50.0)
    csv, doc = tmp_path / "session.csv", tmp_path / "session.json"
    assert cli.main(["export", "last", "--out", str(csv)]) == 0
    assert cli.main(["export", "last", "--out", str(doc)]) == 0
    capsys.readouterr()  # what export said
    return csv, doc


def analyze(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = cli.main(["analyze", *argv])
    out, err = capsys.readouterr()
    assert code == 0 and err == "", err
    return out


def analyze_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(analyze(capsys, *argv, "--json"))
    return doc


def without_motion(doc: dict[str, Any]) -> dict[str, Any]:
    """An analysis with the motion sensor's fields taken out."""
    return {
        **doc,
        "strokes": [{k: v for k, v in s.items() if k not in MOTION_STROKE_KEYS} for s in doc["strokes"]],
        "bouts": [{k: v for k, v in b.items() if k != "motion"} for b in doc["bouts"]],
        "summary": {k: v for k, v in doc["summary"].items() if k != "strokes_with_motion"},
    }


def fsr_only(csv: Path, to: Path) -> Path:
    """The CSV without the six IMU columns and their scales: what a tool without the sensor records."""
    lines = []
    for line in csv.read_text().splitlines():
        if line.startswith("#"):
            if "_scale:" not in line:
                lines.append(line)
        else:
            lines.append(",".join(line.split(",")[:3]))  # time_s, adc, force_n
    to.parent.mkdir(parents=True, exist_ok=True)
    to.write_text("\n".join(lines) + "\n")
    return to


def test_every_form_of_a_recording_gives_the_motion_the_session_summary_keeps(capsys, exports):
    csv, doc = exports
    with Store.open(readonly=True) as store:
        sid = store.resolve("last")
        kept = summary_of(store, store.session(sid))["bout_motion"]
        measured = {e.data["index"]: e.data for e in store.events(sid, (EventType.STROKE_MOTION,))}
    assert [m["pattern"] for m in kept] == ["one-direction", "one-direction"]
    found = [analyze_json(capsys, spec) for spec in ("last", str(csv), str(doc))]
    for one in found:
        assert [b["motion"] for b in one["bouts"]] == [{k: v for k, v in m.items() if k != "bout"} for m in kept]
        assert one["summary"]["strokes_with_motion"] == len(measured)
        for s in one["strokes"]:
            m = measured.get(s["index"])
            if m is None:  # the sensor settling: the first strokes
                assert all(s[k] is None for k in MOTION_STROKE_KEYS)
            else:
                assert s["direction_deg"] == round(m["direction_deg"], 1)
                assert s["excursion_cm"] == round(m["excursion_cm"], 2) and s["circling"] is False
    assert found[0]["strokes"] == found[1]["strokes"] == found[2]["strokes"]


def test_the_tables_give_each_bouts_motion_and_each_strokes(capsys, exports):
    csv, _ = exports
    doc = analyze_json(capsys, str(csv))
    lines = analyze(capsys, str(csv), "--strokes").splitlines()
    assert next(line for line in lines if line.startswith("bout")).split()[-5:] == ["same", "way", "pattern", "median", "cm"]
    header = next(k for k, line in enumerate(lines) if line.lstrip().startswith("#"))
    assert lines[header].split()[-5:] == ["dir", "°", "cm", "return", "circling"]
    for b in doc["bouts"]:
        row = next(line.split() for line in lines[:header] if line.split()[:2] == [str(b["index"] + 1), f"{b['start']:.2f}"])
        m = b["motion"]
        assert row[-3:] == [f"{100 * m['consistency']:.0f}%", m["pattern"], f"{m['median_excursion_cm']:.1f}"]
    for s in doc["strokes"]:
        row = next(line.split() for line in lines[header:] if line.split()[:2] == [str(s["index"] + 1), f"{s['t_start']:.2f}"])
        if s["direction_deg"] is None:
            assert row[-4:] == ["-"] * 4
        else:
            assert 0 <= int(row[-4]) < 360 and abs((int(row[-4]) - s["direction_deg"] + 180) % 360 - 180) <= 0.55
            assert float(row[-3]) == pytest.approx(s["excursion_cm"], abs=0.055) and row[-1] == "no"
    assert lines[-1] == f"motion: {doc['summary']['strokes_with_motion']} of {len(doc['strokes'])} strokes measured " \
                        "(the others started while the sensor settled, in its first seconds, or lost samples)"


def test_a_recording_without_the_sensor_is_analysed_exactly_as_before(capsys, exports, tmp_path):
    csv, _ = exports
    fsr = fsr_only(csv, tmp_path / "fsr" / csv.name)
    with_imu, without = analyze_json(capsys, str(csv)), analyze_json(capsys, str(fsr))
    assert without == {**without_motion(with_imu), "file": str(fsr)}
    assert {k for s in without["strokes"] for k in s} == FSR_STROKE_KEYS
    assert {k for b in without["bouts"] for k in b} == FSR_BOUT_KEYS
    assert "strokes_with_motion" not in without["summary"]
    imu_table = analyze(capsys, str(csv), "--strokes").replace(str(csv), "FILE").splitlines()
    fsr_table = analyze(capsys, str(fsr), "--strokes").replace(str(fsr), "FILE").splitlines()
    assert [line for line in imu_table if not line.startswith("motion: ")] != fsr_table  # the motion is in its rows
    assert len(imu_table) == len(fsr_table) + 1
    assert all(line_imu.startswith(line_fsr) for line_imu, line_fsr in zip(imu_table, fsr_table, strict=False))
    assert not any(word in "\n".join(fsr_table) for word in ("same way", "dir °", "motion"))


def test_chunking_does_not_change_the_motion(capsys, exports):
    csv, _ = exports
    whole = analyze(capsys, str(csv), "--json")
    assert analyze(capsys, str(csv), "--json", "--chunk", "37") == whole


def test_a_csv_is_told_by_its_header_row_and_a_json_export_is_a_recording(capsys, exports, tmp_path):
    csv, doc = exports
    as_text = tmp_path / "session-csv.txt"
    as_text.write_bytes(csv.read_bytes())
    assert analyze_json(capsys, str(as_text))["strokes"] == analyze_json(capsys, str(csv))["strokes"]
    head = doc.read_bytes()[:4096]
    assert b"time_s" in head and b"adc" in head  # in its text ("overtime_s", "peak_adc"), but in no header row
    assert without_motion(analyze_json(capsys, str(doc))) == {**without_motion(analyze_json(capsys, "last")), "file": str(doc)}


def test_ruler_replays_every_form_analyze_reads(exports, tmp_path, capsys, monkeypatch):
    csv, doc = exports
    monkeypatch.chdir(tmp_path)  # the files as a user names them

    def checked(spec: str) -> tuple[str, list[str]]:
        """`ruler --replay spec --length-cm 3`: its first line, and the strokes and the summary after it."""
        code, text = check("--replay", spec, "--length-cm", "3")
        assert code == 0
        lines = text.splitlines()
        return lines[0], lines[1:]

    first, session = checked("last")
    assert first == "Ruler check of session 1's strokes against 3 cm:"
    assert len([line for line in session if line.startswith("  stroke")]) > 20
    assert session[-1] == "Your tool measures stroke length well."
    for name in (csv.name, doc.name):
        assert checked(name) == (f"Ruler check of {name}'s strokes against 3 cm:", session)
    fsr_only(csv, tmp_path / "fsr.csv")
    assert cli.main(["ruler", "--replay", "fsr.csv"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == "kneadback: ruler: fsr.csv has no motion sensor, only force: see hardware/README.md\n"


def test_a_strokes_direction_just_short_of_a_turn_is_0_degrees_in_the_table(capsys, exports, monkeypatch):
    """359.7° rounds to 0°, not to 360°."""
    csv, _ = exports
    real = analysis.Analysis.__init__

    def turned(self: analysis.Analysis, *args: Any) -> None:
        real(self, *args)
        assert self.motions
        self.motions = {i: dataclasses.replace(m, direction_deg=359.7) for i, m in self.motions.items()}

    monkeypatch.setattr(analysis.Analysis, "__init__", turned)
    lines = analyze(capsys, str(csv), "--strokes").splitlines()
    rows = [line.split() for line in lines if line.rstrip().endswith(" no")]
    assert rows and all(row[-4] == "0" for row in rows)
