"""A tool's IMU through simulate's CSV, import and every export; FSR-only files exactly as before."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from kneadback.cli import main
from kneadback.commands.simulate import write_csv
from kneadback.csvformat import IMU_COLUMNS
from kneadback.errors import InputError
from kneadback.simulate.render import render
from kneadback.sources.csvfile import CsvSource
from kneadback.store.reader import load_json, open_session

from .scenarios import ONE_WAY, record_blocks, scenario


def imported(tmp_path, motion, seconds: float = 12.0) -> tuple[object, int]:
    """A rendering, written by simulate's CSV writer and imported as a session."""
    r = render(scenario(motion, seconds=seconds), seed=3)
    path = tmp_path / "sim.csv"
    write_csv(r, path)
    assert main(["import", str(path)]) == 0
    return r, 1


def test_simulate_writes_the_imu_columns_and_import_gets_every_count_back(tmp_path):
    r = render(scenario(ONE_WAY, seconds=6.0), seed=1)
    path = tmp_path / "sim.csv"
    write_csv(r, path)
    header = next(ln for ln in path.read_text().splitlines() if not ln.startswith("#"))
    assert header == "time_s,adc," + ",".join(IMU_COLUMNS)
    src = CsvSource(path, block_samples=100)
    src.open()
    blocks = src.read() + src.read()
    assert src.info is not None and src.info.channels == r.info.channels
    extra = np.concatenate([b.extra for b in blocks])
    assert extra.dtype == np.int16 and np.array_equal(extra, r.tool.imu)


def test_an_fsr_only_simulation_writes_the_two_columns_it_always_did(tmp_path):
    r = render(scenario(None, seconds=3.0), seed=1)
    path = tmp_path / "sim.csv"
    write_csv(r, path)
    lines = path.read_text().splitlines()
    assert not any("scale" in ln for ln in lines) and "time_s,adc" in lines
    rows = [ln for ln in lines if not ln.startswith("#")][1:]
    assert rows == [f"{t:.6f},{a}" for t, a in zip(r.t.tolist(), r.adc.tolist())]
    src = CsvSource(path)
    src.open()
    assert all(b.extra is None for b in src.read()) and src.info is not None and len(src.info.channels) == 1


def test_a_csv_with_some_imu_columns_names_those_it_lacks(tmp_path):
    path = tmp_path / "part.csv"
    path.write_text("time_s,adc,ax_m_s2\n0,1,0.5\n0.005,2,0.5\n")
    with pytest.raises(InputError, match=r"part.csv: line 1: header has motion sensor column ax_m_s2 but lacks ay_m_s2"):
        CsvSource(path).open()


def test_a_bad_imu_cell_is_named_with_its_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("time_s,adc," + ",".join(IMU_COLUMNS) + "\n0,1,0,0,9.8,0,0,0\n0.005,1,0,x,9.8,0,0,0\n")
    with pytest.raises(InputError, match=r"bad.csv: line 3: ay_m_s2 'x' is not a number"):
        CsvSource(path).open()


def test_export_carries_the_imu_in_csv_json_and_edf(tmp_path):
    import edfio

    r, sid = imported(tmp_path, ONE_WAY)
    assert main(["export", str(sid), "--out", str(tmp_path / "s.csv")]) == 0
    assert main(["export", str(sid), "--out", str(tmp_path / "s.json")]) == 0
    assert main(["export", str(sid), "--out", str(tmp_path / "s.edf")]) == 0

    # CSV: the six columns in SI units, and `import` takes the export back count for count
    text = (tmp_path / "s.csv").read_text().splitlines()
    assert "time_s,adc,force_n," + ",".join(IMU_COLUMNS) in text
    src = CsvSource(tmp_path / "s.csv")
    src.open()
    assert np.array_equal(np.concatenate([b.extra for b in src.read()]), r.tool.imu)

    # JSON: the blocks keep the counts, the events the stroke motion
    doc = json.loads((tmp_path / "s.json").read_text())
    assert any(e["type"] == "stroke-motion" for e in doc["events"])
    with load_json(tmp_path / "s.json") as back, open_session(sid) as rec:
        assert all(np.array_equal(a.extra, b.extra) for (_, a), (_, b) in zip(back.blocks(), rec.blocks(), strict=True))

    # EDF: six signals in SI units whose range is the int16 range times the count's size
    edf = edfio.read_edf(tmp_path / "s.edf")
    imu = edf.signals[2:]
    assert [s.physical_dimension for s in imu] == ["m/s2"] * 3 + ["rad/s"] * 3
    for c, s in enumerate(imu):
        scale = r.info.channels[1 + c].scale
        assert s.physical_range.min == pytest.approx(-32768 * scale, rel=1e-5)
        assert np.abs(s.data[: len(r.t)] / scale - r.tool.imu[:, c]).max() < 0.6  # every count, within rounding


def test_an_fsr_only_session_exports_as_it_always_did(tmp_path):
    import edfio

    r, sid = imported(tmp_path, None, seconds=6.0)
    for fmt in ("csv", "json", "edf"):
        assert main(["export", str(sid), "--out", str(tmp_path / f"s.{fmt}")]) == 0
    lines = (tmp_path / "s.csv").read_text().splitlines()
    header = lines.index("time_s,adc,force_n")
    assert [ln.partition(":")[0] for ln in lines[1:header]] == [
        "# rate_hz", "# front_end", "# divider_ohms", "# adc_bits", "# vref_mv", "# force model"]
    assert all(ln.count(",") == 2 for ln in lines[header:])
    doc = json.loads((tmp_path / "s.json").read_text())
    assert all(set(b) == {"first_index", "lost", "t_arrival", "t", "adc", "t_device_us"} for b in doc["blocks"])
    assert not any(e["type"] == "stroke-motion" for e in doc["events"])
    assert [s.label for s in edfio.read_edf(tmp_path / "s.edf").signals] == ["FSR ADC", "Force"]


def test_scores_weigh_direction_consistency_only_with_an_imu():
    from kneadback.coach.score import WEIGHTS, ScoreKeeper
    from kneadback.model import StrokeMotion

    def keeper(directions: list[float] | None) -> ScoreKeeper:
        k = ScoreKeeper(30.0)
        for i in range(20):
            k.stroke(0, 1 if i % 4 == 0 else 0)
            if directions is not None:
                k.motion(StrokeMotion(i, float(i), directions[i % len(directions)], 3.0, 0.05))
        k.finish(30.0)
        return k

    fsr, one_way, scrub = keeper(None), keeper([40.0, 45.0]), keeper([40.0, 220.0])
    plain = fsr.bouts[0]
    assert "direction" not in plain.parts and "direction" not in fsr.session_score(None).parts
    rest = {k: WEIGHTS[k] for k in ("rate", "pressure", "length", "holds")}
    assert plain.value == pytest.approx(100 * (0.35 * 1 + 0.35 * 0.75 + 0.15 + 0.15) / sum(rest.values()))
    assert one_way.bouts[0].parts["direction"] == pytest.approx(np.cos(np.radians(2.5)), abs=1e-6)
    assert scrub.bouts[0].parts["direction"] == pytest.approx(0.0, abs=1e-9)
    assert scrub.bouts[0].value < plain.value < one_way.bouts[0].value
    assert one_way.session_score(None).parts["direction"] == pytest.approx(one_way.bouts[0].parts["direction"])


def test_summary_report_and_history_carry_direction_and_length_with_an_imu(tmp_path, capsys):
    from kneadback.report.report import render_html
    from kneadback.store.db import Store
    from kneadback.store.summary import summarize_session, summary_of

    _r, sid = imported(tmp_path, ONE_WAY, seconds=40.0)
    with open_session(sid) as rec:
        summary = summarize_session(rec.store, sid)
        page = render_html(rec)
    motion = summary["bout_motion"]
    assert motion and motion[0]["pattern"] == "one-direction" and motion[0]["consistency"] > 0.9
    assert 2.0 < motion[0]["median_excursion_cm"] < 4.0  # the scenario's strokes are 3 cm
    assert "direction" in summary["score"]["parts"] and "direction" in summary["bout_scores"][0]["parts"]
    assert "<th class=\"n\">same way</th>" in page and "(one way)" in page and " cm</td>" in page

    with Store.open() as store:  # a summary written before summaries carried the motion gets it worked out
        row = store.session(sid)
        old = {k: v for k, v in (row.summary or {}).items() if k != "bout_motion"}
        assert summary_of(store, dataclasses.replace(row, summary=old))["bout_motion"] == motion

    capsys.readouterr()
    assert main(["history"]) == 0
    table = capsys.readouterr().out
    assert "same way" in table.splitlines()[1] and " cm" in table.splitlines()[2]
    assert main(["history", "--json"]) == 0
    day = json.loads(capsys.readouterr().out)["spots"][0]["days"][0]
    assert day["direction_consistency"] > 0.9 and 2.0 < day["median_excursion_cm"] < 4.0


def test_an_fsr_only_summary_report_and_history_are_as_before(tmp_path, capsys):
    from kneadback.report.report import render_html
    from kneadback.store.summary import summarize_session

    _r, sid = imported(tmp_path, None, seconds=40.0)
    with open_session(sid) as rec:
        summary = summarize_session(rec.store, sid)
        page = render_html(rec)
    assert "bout_motion" not in summary
    assert all("direction" not in s["parts"] and "short" not in s["parts"] for s in [summary["score"], *summary["bout_scores"]])
    assert "same way" not in page and "stroke-motion" not in page
    capsys.readouterr()
    assert main(["history"]) == 0
    assert "same way" not in capsys.readouterr().out
    assert main(["history", "--json"]) == 0
    day = json.loads(capsys.readouterr().out)["spots"][0]["days"][0]
    assert "direction_consistency" not in day and "median_excursion_cm" not in day


def test_frames_without_imu_values_export_as_empty_cells_and_import_as_such(tmp_path):
    from kneadback.model import SampleBlock
    from kneadback.store.export import export

    r = render(scenario(ONE_WAY, seconds=4.0), seed=2)
    blocks = [SampleBlock(r.t[a : a + 10], r.adc[a : a + 10], a, t_device_us=r.t_us[a : a + 10],
                          extra=None if 20 <= a < 50 else r.tool.imu[a : a + 10]) for a in range(0, len(r.t), 10)]
    session_id = record_blocks(r.info, blocks, r.rate_hz)
    with open_session(session_id) as stored:
        export(stored, "csv", tmp_path / "s.csv")
    rows = [ln for ln in (tmp_path / "s.csv").read_text().splitlines() if not ln.startswith("#")]
    assert rows[21].endswith(",,,,,,") and not rows[20].endswith(",")  # rows 20..49: no IMU values
    src = CsvSource(tmp_path / "s.csv")
    src.open()
    back = src.read()
    assert [len(b) for b in back] == [20, 30, len(r.t) - 50] and back[1].extra is None
    assert np.array_equal(np.concatenate([back[0].extra, back[2].extra]),
                          np.concatenate([r.tool.imu[:20], r.tool.imu[50:]]))
    import edfio

    with open_session(session_id) as stored:
        export(stored, "edf", tmp_path / "s.edf")
    edf = edfio.read_edf(tmp_path / "s.edf")
    gaps = [(a.onset, a.duration) for a in edf.annotations if a.text == "no IMU values"]
    assert gaps == [(pytest.approx(r.t[20]), pytest.approx(30 / r.rate_hz))]
    held = edf.signals[2].data
    assert np.all(held[20:50] == held[19])  # held at the last real value over the run, and annotated


def test_imu_columns_read_the_same_in_any_piece_size_and_by_either_parser(tmp_path, monkeypatch):
    from kneadback.sources import csvfile

    r = render(scenario(ONE_WAY, seconds=2.0), seed=4)
    path = tmp_path / "sim.csv"
    write_csv(r, path)
    lines = path.read_text().splitlines(keepends=True)
    k = next(i for i, ln in enumerate(lines) if ln.startswith("time_s"))
    lines[k + 100] = lines[k + 100].split(",")[0] + ",5,,,,,,\n"  # a frame without the IMU's values
    path.write_text("".join(lines))

    def outcome(**kw):
        meta, t, adc, imu = csvfile.read_csv(path, **kw)
        return meta, t, adc, imu

    whole = outcome()
    assert np.isnan(whole[3][99]).all() and not np.isnan(np.delete(whole[3], 99, axis=0)).any()
    monkeypatch.setattr(csvfile, "_parse_fast", lambda *a: None)  # line by line only
    for got in [outcome(chunk_bytes=n) for n in (1, 64, 1000)] + [outcome()]:
        assert got[0] == whole[0] and np.array_equal(got[1], whole[1]) and np.array_equal(got[2], whole[2])
        assert np.array_equal(got[3], whole[3], equal_nan=True)
