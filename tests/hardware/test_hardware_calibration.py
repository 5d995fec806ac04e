"""Force calibration: accuracy on simulated parts, bad points, storage, drift, the command."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from kneadback import calibration as cm
from kneadback.calibration import CalibratedForceModel, CalPoint, UncalibratedForceModel
from kneadback.cli import main
from kneadback.errors import InputError
from kneadback.fsr import DatasheetForceModel, Divider, FsrCurve

DIV = Divider(1000.0)
GRID = np.geomspace(5.0, 120.0, 40)
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


def _points(part: FsrCurve, rng: np.random.Generator, n: int = 5, top: float = 115.0) -> list[CalPoint]:
    return cm.simulate_levels(part, DIV, np.geomspace(5.5, top, n), rng)


def _ideal_points(part: FsrCurve, forces=(6.0, 15.0, 30.0, 60.0, 110.0)) -> list[CalPoint]:
    counts = DIV.counts(DIV.voltage(part.resistance(np.array(forces))))
    return [CalPoint(float(c), f, f"p{i}") for i, (c, f) in enumerate(zip(counts, forces))]


def test_five_points_reach_5_percent_on_varied_parts():
    rng = np.random.default_rng(2024)
    worst = []
    for _ in range(40):
        part = FsrCurve().sample_part(rng)
        cal = cm.fit_calibration(_points(part, rng), DIV, now=NOW)
        worst.append(np.abs(cm.relative_errors(CalibratedForceModel(cal), part, DIV, GRID)).max())
    assert max(worst) < 0.05, f"worst part {max(worst):.3f}"


def test_the_datasheet_model_alone_misses_varied_parts():
    """The same parts without calibration: the check above is not trivially met."""
    rng = np.random.default_rng(2024)
    worst = [np.abs(cm.relative_errors(DatasheetForceModel(DIV), FsrCurve().sample_part(rng), DIV, GRID)).max() for _ in range(40)]
    assert max(worst) > 0.15


def test_fit_reports_small_point_errors_and_range():
    rng = np.random.default_rng(7)
    part = FsrCurve().sample_part(rng)
    cal = cm.fit_calibration(_points(part, rng, n=7), DIV, now=NOW)
    assert np.abs(cal.point_errors()).max() < 0.02
    lines = cm.error_report(cal)
    assert len(lines) == 1 + 7 + 1
    assert lines[-1].startswith("over 5.") and "worst" in lines[-1]


def test_a_narrow_range_is_flagged():
    cal = cm.fit_calibration(_ideal_points(FsrCurve(), forces=(10.0, 12.0, 14.0, 16.0, 20.0)), DIV, now=NOW)
    assert "only 10.0–20.0 N" in cm.error_report(cal)[-1]
    wide = cm.fit_calibration(_ideal_points(FsrCurve()), DIV, now=NOW)
    assert not any(line.startswith("warning") for line in cm.error_report(wide))


def test_preload_is_tared():
    """A cap that presses 2 N on the sensor at rest: the model reports force added on top."""
    part = FsrCurve().sample_part(np.random.default_rng(3))
    preload = 2.0
    forces = np.array([6.0, 15.0, 30.0, 60.0, 110.0])
    counts = DIV.counts(DIV.voltage(part.resistance(forces + preload)))
    unloaded = float(DIV.counts(DIV.voltage(part.resistance(preload))))
    points = [CalPoint(float(c), float(f)) for c, f in zip(counts, forces)]
    cal = cm.fit_calibration(points, DIV, unloaded, now=NOW)
    model = CalibratedForceModel(cal)
    assert model.to_newtons(np.array([unloaded, unloaded - 5]))[0] == 0.0
    got = model.to_newtons(DIV.counts(DIV.voltage(part.resistance(GRID + preload))))
    assert np.abs(got / GRID - 1).max() < 0.05


def test_output_is_finite_and_monotone_over_all_counts():
    cal = cm.fit_calibration(_ideal_points(FsrCurve()), DIV, now=NOW)
    f = CalibratedForceModel(cal).to_newtons(np.arange(0, 1024))
    assert f[0] == 0.0 and np.all(np.isfinite(f)) and np.all(np.diff(f) >= 0) and f.max() <= cm.MAX_NEWTONS


@pytest.mark.parametrize(
    "points, message",
    [
        ([CalPoint(300, 5), CalPoint(500, 10), CalPoint(600, 20), CalPoint(700, 40)], "at least 5"),
        ([CalPoint(300, 5), CalPoint(500, 10), CalPoint(450, 20, "line 4"), CalPoint(600, 40), CalPoint(700, 80)], "line 4: not monotone"),
        ([CalPoint(300, 5), CalPoint(500, 10), CalPoint(500, 20), CalPoint(600, 40), CalPoint(700, 80)], "not monotone"),
        ([CalPoint(300, 5), CalPoint(500, 10), CalPoint(550, 20), CalPoint(600, 40), CalPoint(1023, 80, "line 6")], "line 6: adc 1023 is out of range"),
        ([CalPoint(0, 1), CalPoint(500, 10), CalPoint(550, 20), CalPoint(600, 40), CalPoint(700, 80)], "no contact"),
        ([CalPoint(300, 5), CalPoint(500, 10), CalPoint(550, 20), CalPoint(600, 40), CalPoint(700, 800)], "800 N is out of range"),
        ([CalPoint(300, 5), CalPoint(500, -10), CalPoint(550, 20), CalPoint(600, 40), CalPoint(700, 80)], "out of range"),
        ([CalPoint(300, 5), CalPoint(500, 10), CalPoint(550, 10), CalPoint(600, 40), CalPoint(700, 80)], "repeats"),
    ],
)
def test_bad_points_are_rejected_with_one_clear_line(points, message):
    with pytest.raises(InputError) as e:
        cm.fit_calibration(points, DIV)
    assert message in str(e.value) and "\n" not in str(e.value)


def test_points_not_above_the_unloaded_reading_are_rejected():
    points = [CalPoint(300, 5), CalPoint(500, 10), CalPoint(550, 20), CalPoint(600, 40), CalPoint(700, 80)]
    with pytest.raises(InputError, match="not above the unloaded reading 310"):
        cm.fit_calibration(points, DIV, 310)


def test_csv_reader(tmp_path):
    f = tmp_path / "p.csv"
    f.write_text("adc,newtons\n# unloaded\n12,0\n\n300,5\n 500 , 10.5\n")
    points, unloaded = cm.read_points_csv(f)
    assert unloaded == 12 and [(p.adc, p.newtons) for p in points] == [(300, 5), (500, 10.5)]
    assert points[1].where == f"{f} line 6"


@pytest.mark.parametrize(
    "text, message",
    [
        ("300,5\n500;10\n", "line 2: expected 2 fields"),
        ("300,5\nabc,10\n", "line 2: 'abc,10' is not two numbers"),
        ("300,5\n1,2,3\n", "line 2: expected 2 fields adc,newtons, got 3"),
        ("300,5\n400,nan\n", "line 2: values must be finite"),
        ("0,0\n3,0\n", "line 2: a second unloaded"),
    ],
)
def test_malformed_csv(tmp_path, text, message):
    f = tmp_path / "bad.csv"
    f.write_text(text)
    with pytest.raises(InputError, match=message):
        cm.read_points_csv(f)


def test_csv_not_utf8(tmp_path):
    f = tmp_path / "bin.csv"
    f.write_bytes(b"\xff\xfe\x00\x01")
    with pytest.raises(InputError, match=r"bin.csv: cannot read"):
        cm.read_points_csv(f)


@pytest.mark.parametrize(
    "text, newtons",
    [("850", 850 * 9.80665e-3), ("850 g", 850 * 9.80665e-3), ("2.5kg", 2.5 * 9.80665), ("2,5 kg", 2.5 * 9.80665), ("24.5 N", 24.5)],
)
def test_scale_readings(text, newtons):
    assert cm.parse_scale_reading(text) == pytest.approx(newtons)


@pytest.mark.parametrize("text", ["", "heavy", "-3 kg", "0", "inf"])
def test_bad_scale_readings(text):
    with pytest.raises(InputError):
        cm.parse_scale_reading(text)


def test_store_and_load_force_model():
    assert isinstance(cm.load_force_model(Divider(1000)), DatasheetForceModel)
    cal = cm.fit_calibration(_ideal_points(FsrCurve().sample_part(np.random.default_rng(1))), DIV, source="test", now=NOW)
    path = cm.save_calibration(cal)
    assert path == cm.calibration_path() and (path.stat().st_mode & 0o777) == 0o600
    model = cm.load_force_model(Divider(1000))
    assert isinstance(model, CalibratedForceModel)
    assert model.calibration == cal
    assert model.describe().startswith("calibrated 2026-11-25: 5 points 6–110 N, fit within")
    other = cm.load_force_model(Divider(10000))
    assert isinstance(other, UncalibratedForceModel)
    assert "calibration is for a 1000 Ω divider" in other.describe() and "10000 Ω divider" in other.describe()


@pytest.mark.parametrize("content, message", [("{not json", "line 1"), ('{"format": "x"}', "not a kneadback-force-calibration"), ('{"format": "kneadback-force-calibration", "version": 1}', "damaged")])
def test_damaged_calibration_file(content, message):
    cm.calibration_path().write_text(content)
    with pytest.raises(InputError, match=message):
        cm.load_force_model(Divider(1000))


def test_drift_check():
    cal = cm.fit_calibration(_ideal_points(FsrCurve()), DIV, now=NOW)
    model = CalibratedForceModel(cal)
    assert model.check_drift(0).advice() is None
    light = float(DIV.counts(DIV.voltage(FsrCurve().resistance(0.3))))
    assert not model.check_drift(light).drifted
    heavy = float(DIV.counts(DIV.voltage(FsrCurve().resistance(2.0))))
    drift = model.check_drift(heavy)
    assert drift.drifted and "recalibrate" in drift.advice()


def test_command_with_points_file(tmp_path, capsys):
    part = FsrCurve().sample_part(np.random.default_rng(11))
    f = tmp_path / "points.csv"
    f.write_text("adc,newtons\n" + "".join(f"{p.adc},{p.newtons}\n" for p in _ideal_points(part)))
    assert main(["calibrate", "force", "--points", str(f)]) == 0
    out = capsys.readouterr().out
    assert "over 6.0–110.0 N: rms error" in out and "saved" in out
    assert json.loads(cm.calibration_path().read_text())["source"] == str(f)
    assert main(["calibrate", "show"]) == 0
    assert "calibrated" in capsys.readouterr().out
    assert main(["calibrate", "reset"]) == 0
    assert cm.load_calibration() is None


def test_command_rejects_bad_points_with_exit_2(tmp_path, capsys):
    f = tmp_path / "few.csv"
    f.write_text("300,5\n500,10\n")
    assert main(["calibrate", "force", "--points", str(f)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "few.csv: 2 calibration point(s)" in err
    assert main(["calibrate", "force", "--points", str(tmp_path / "missing.csv")]) == 2
    assert "missing.csv: no such file" in capsys.readouterr().err
    assert cm.load_calibration() is None


FRONT_ENDS = {
    "fsr-low": Divider(1000.0),
    "fsr-high": Divider(4700.0, front_end="fsr-high"),  # counts fall as the force grows
    "linear": Divider(front_end="linear"),  # a load cell on an amplifier: full scale at 150 N
}


@pytest.mark.parametrize("kind", list(FRONT_ENDS))
def test_every_front_end_calibrates_within_5_percent(kind):
    """Today: only a low-side divider could be calibrated; a high-side divider's falling counts
    were refused as "not monotone" and a linear front end's points were fitted to nothing."""
    divider = FRONT_ENDS[kind]
    rng = np.random.default_rng(2025)
    worst = []
    for _ in range(15):
        part = FsrCurve().sample_part(rng)
        cal = cm.fit_calibration(cm.simulate_levels(part, divider, np.geomspace(5.5, 115.0, 6), rng), divider, now=NOW)
        cm.save_calibration(cal)
        model = cm.load_force_model(divider)
        assert isinstance(model, CalibratedForceModel) and model.calibration.divider.front_end == kind
        worst.append(np.abs(cm.relative_errors(model, part, divider, GRID)).max())
    assert max(worst) < 0.05, f"{kind}: worst part {max(worst):.3f}"
    f = CalibratedForceModel(cal).to_newtons(np.arange(divider.full_scale + 1))
    assert np.all(np.isfinite(f)) and f.max() <= cm.MAX_NEWTONS
    rising = f[::-1] if divider.falls_with_force else f
    assert rising[0] == 0.0 and np.all(np.diff(rising) >= 0)


def test_a_linear_front_end_with_an_offset_is_tared_and_keeps_its_curve_when_stored():
    divider = FRONT_ENDS["linear"]
    forces = np.array([3.0, 8.0, 20.0, 45.0, 90.0])
    offset = 37  # the amplifier reads 37 counts with nothing on it
    counts = divider.counts(forces / 150.0 * divider.vref) + offset
    cal = cm.fit_calibration([CalPoint(float(c), float(f)) for c, f in zip(counts, forces)], divider, offset, now=NOW)
    assert isinstance(cal.curve, cm.CountsCurve) and cal.curve.exponent == pytest.approx(1.0, abs=0.02)
    assert cal.force(np.array([offset, offset - 3]))[0] == 0.0
    assert np.abs(cal.point_errors()).max() < 0.02
    again = cm.Calibration.from_dict(json.loads(json.dumps(cal.to_dict())))
    assert again == cal and CalibratedForceModel(again).describe().endswith("linear front end")
    assert CalibratedForceModel(cal).check_drift(offset + 40).drifted  # 40 counts is about 6 N


def test_a_high_side_divider_is_refused_a_point_that_rises():
    divider = FRONT_ENDS["fsr-high"]
    points = [CalPoint(900, 5), CalPoint(800, 10), CalPoint(850, 20, "line 4"), CalPoint(600, 40), CalPoint(500, 80)]
    with pytest.raises(InputError, match=r"line 4: not monotone: adc 850 at 20 N is not below adc 800 .* must fall with force"):
        cm.fit_calibration(points, divider)


def test_the_command_calibrates_a_declared_high_side_divider(tmp_path, capsys):
    divider = FRONT_ENDS["fsr-high"]
    part = FsrCurve().sample_part(np.random.default_rng(12))
    counts = divider.counts(divider.voltage(part.resistance(np.array([6.0, 15.0, 30.0, 60.0, 110.0]))))
    f = tmp_path / "high.csv"
    f.write_text("adc,newtons\n" + "".join(f"{c},{n}\n" for c, n in zip(counts, [6, 15, 30, 60, 110])))
    assert main(["calibrate", "force", "--points", str(f), "--front-end", "fsr-high", "--divider-ohms", "4700"]) == 0
    out = capsys.readouterr().out
    assert "saved" in out and "4700 Ω high-side divider" in out
    assert cm.load_force_model(divider).trust == "calibrated"
    assert cm.load_force_model(Divider(4700.0)).trust == "approximate"  # a low-side divider is not this one


def test_show_lists_every_stored_calibration_with_its_board_front_end_and_date(capsys):
    """Today: `calibrate show` read only the calibration of boards without a serial number, and
    said "no calibration stored" beside a board's own."""
    rng = np.random.default_rng(8)
    for serial, kind in (("BOARD-1", "fsr-high"), ("BOARD-2", "linear"), (None, "fsr-low")):
        divider = FRONT_ENDS[kind]
        points = cm.simulate_levels(FsrCurve(), divider, [4, 9, 20, 40, 80], rng)
        cm.save_calibration(cm.fit_calibration(points, divider, serial_number=serial, board="uno", source="/dev/ttyACM0",
                                               now=NOW))
    assert main(["calibrate", "show"]) == 0
    out = capsys.readouterr().out
    assert "boards without a serial number: fsr-low front end, calibrated 2026-11-25" in out
    assert "board BOARD-1: fsr-high front end, calibrated 2026-11-25" in out and "4700 Ω high-side divider" in out
    assert "board BOARD-2: linear front end, calibrated 2026-11-25" in out and "F = " in out
    assert out.count("made from uno on /dev/ttyACM0") == 3

    cm.calibration_path("BOARD-3").write_text("{damaged")  # one damaged file: named, the rest still shown
    assert main(["calibrate", "show"]) == 2
    shown = capsys.readouterr()
    assert shown.err.count("\n") == 1 and "BOARD-3.json: damaged calibration" in shown.err
    assert shown.out.count("calibrated 2026-11-25") == 3

    assert main(["calibrate", "reset", "--board", "BOARD-1"]) == 0
    assert not cm.calibration_path("BOARD-1").exists() and cm.calibration_path("BOARD-2").exists()
    assert main(["calibrate", "reset", "--board", "BOARD-1"]) == 2
    assert "no calibration stored for board BOARD-1" in capsys.readouterr().err
    assert main(["calibrate", "reset"]) == 0
    assert cm.stored_calibration_paths() == []
    assert main(["calibrate", "show"]) == 0 and "no calibration stored" in capsys.readouterr().out


def test_an_unknown_front_end_that_a_power_law_misses_is_not_kept(tmp_path, capsys):
    """An FSR divider the board does not declare: its curve is no power law, and a calibration
    that misses by 30 % must not be trusted in newtons."""
    f = tmp_path / "undeclared.csv"
    f.write_text("".join(f"{p.adc},{p.newtons}\n" for p in _ideal_points(FsrCurve())))
    assert main(["calibrate", "force", "--points", str(f), "--front-end", "unknown"]) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and "declare it with --front-end" in captured.err and "nothing saved" in captured.err
    assert "rms error" in captured.out and cm.stored_calibration_paths() == []
    assert main(["calibrate", "force", "--points", str(f), "--front-end", "fsr-low"]) == 0
