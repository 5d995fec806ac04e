"""Front ends: each kind's conversion, the trust of its force, the flags that declare it, and the
board that remembers it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from kneadback import calibration as cm
from kneadback import frontend, paths
from kneadback.calibration import CalibratedForceModel
from kneadback.cli import main
from kneadback.engine.engine import Engine
from kneadback.engine.linearise import Linearizer
from kneadback.errors import InputError
from kneadback.frontend import Declared
from kneadback.fsr import (
    FSR_PARTS,
    TRUST_LEVELS,
    DatasheetForceModel,
    Divider,
    FsrCurve,
    RelativeForceModel,
    default_force_model,
    device_divider,
)
from kneadback.model import DeviceInfo, SampleBlock
from kneadback.simulate.scenario import SENSOR_PARTS

FORCES = np.array([2.0, 5.0, 10.0, 20.0, 44.0, 90.0])


def text_board(**changes) -> DeviceInfo:
    base = DeviceInfo(protocol_version=0, firmware_version="", board="text", sample_rate_hz=100.0, device_clock=False)
    return DeviceInfo(**{**base.__dict__, **changes})


def test_a_high_side_divider_reads_falling_counts_and_the_same_force():
    low, high = Divider(4700.0), Divider(4700.0, front_end="fsr-high")
    curve = FsrCurve()
    c_low = low.counts(low.voltage(curve.resistance(FORCES)))
    c_high = high.counts(high.voltage(curve.resistance(FORCES)))
    assert np.all(np.diff(c_low) > 0) and np.all(np.diff(c_high) < 0)
    assert high.counts(high.voltage(curve.resistance(0.0))) == high.full_scale  # unloaded: the top rail
    f_low = DatasheetForceModel(low).to_newtons(c_low)
    f_high = DatasheetForceModel(high).to_newtons(c_high)
    np.testing.assert_allclose(f_low, FORCES, rtol=0.06)
    np.testing.assert_allclose(f_high, FORCES, rtol=0.06)
    assert DatasheetForceModel(high).to_newtons(np.array([high.full_scale]))[0] == 0.0


def test_the_engine_sees_every_divider_rising_with_force():
    high = Divider(10000.0, 3.3, 12, "fsr-high")
    lin = Linearizer(high, default_force_model(10000.0, 3.3, 12, "fsr-high"))
    raw = np.array([high.full_scale, 3000, 1000, 0])  # unloaded ... pressed to the rail
    pressed = lin.clip(raw)
    assert pressed.tolist() == [0, high.full_scale - 3000, high.full_scale - 1000, high.full_scale]
    g, f = lin.conductance_us[pressed], lin.force_n[pressed]
    assert g[0] == 0 and f[0] == 0 and np.all(np.diff(g) > 0) and np.all(np.diff(f) >= 0)
    assert np.all(np.isfinite(lin.slope_us))


@pytest.mark.parametrize("kind", ["linear", "unknown"])
def test_a_linear_or_unknown_front_end_is_a_relative_force_without_unit(kind):
    divider = Divider(adc_bits=12, front_end=kind)
    model = default_force_model(adc_bits=12, front_end=kind)
    assert isinstance(model, RelativeForceModel) and model.trust == "unitless" and model.unit == ""
    lin = Linearizer(divider, model)
    c = np.array([0, 1000, 2000, 4095])
    np.testing.assert_allclose(lin.conductance_us[c], c)  # counts are the linearised signal as they are
    np.testing.assert_allclose(lin.force_n[c], c / 4095 * 100)  # % of the range: never a guessed newton
    assert lin.force_n.max() == 100


def test_trust_of_each_model(tmp_path):
    assert default_force_model().trust == "approximate" and default_force_model().unit == "N"
    part = FsrCurve(r_1n=6500.0, exponent=0.8, r_floor=170.0)
    rng = np.random.default_rng(3)
    cal = cm.fit_calibration(cm.simulate_levels(part, Divider(), [3, 8, 15, 30, 60], rng), Divider())
    path = cm.save_calibration(cal, tmp_path / "cal.json")
    assert cm.load_force_model(Divider(), path=path).trust == "calibrated"
    # an FSR calibration says nothing about a linear front end or the other side of a divider
    assert cm.load_force_model(Divider(front_end="linear"), path=path).trust == "unitless"
    other_side = cm.load_force_model(Divider(front_end="fsr-high"), path=path)
    assert other_side.trust == "approximate" and "high-side" not in other_side.describe().split("(")[1]
    assert {m.trust for m in (default_force_model(), CalibratedForceModel(cal), RelativeForceModel())} == set(TRUST_LEVELS)


def test_the_declared_front_end_wins_field_by_field():
    header = text_board(front_end="unknown", divider_ohms=1000)
    assert Declared(divider_ohms=2200).apply(header).front_end == "fsr-low"  # a divider is an FSR divider
    assert Declared(divider_ohms=2200).apply(text_board(front_end="fsr-high")).front_end == "fsr-high"
    info = Declared("linear", adc_bits=12, vref_mv=3300).apply(header)
    assert (info.front_end, info.adc_bits, info.vref_mv, info.divider_ohms) == ("linear", 12, 3300, 1000)
    assert Declared().apply(header) is header and not Declared()


def _force_read(info: DeviceInfo, counts: int) -> float:
    engine = Engine(model_for_device=cm.force_model_for_device)
    engine.configure(info)
    adc = np.full(300, counts, dtype=np.int32)
    engine.process(SampleBlock(np.arange(300) / 100.0, adc))
    return float(engine.lin.force_n[engine.lin.clip(np.array([counts]))[0]])


def test_a_text_sketch_with_a_2k2_divider_reads_its_force_once_declared():
    """Today: `live` had no --divider, so 44 N through 2.2 kΩ read for an assumed 1 kΩ."""
    built = Divider(2200.0)
    counts = int(built.counts(built.voltage(FsrCurve().resistance(44.0))))
    assumed = _force_read(text_board(), counts)
    declared = _force_read(Declared(divider_ohms=frontend.parse_ohms("2k2")).apply(text_board()), counts)
    assert assumed > 100  # what the coach got: too-hard at every stroke
    assert declared == pytest.approx(44.0, rel=0.05)


def test_a_board_remembers_what_was_declared_for_it():
    assert not frontend.remembered("A1B2")
    frontend.remember("A1B2", Declared("fsr-high", 4700.0))
    frontend.remember(None, Declared("linear"))  # no serial number: nothing to key it by
    assert frontend.remembered("A1B2") == Declared("fsr-high", 4700.0)
    assert not frontend.remembered("OTHER")
    (paths.config_dir() / frontend.DEVICES_FILE).write_text("{damaged")
    assert not frontend.remembered("A1B2")  # a damaged memory is no memory, not a crash
    frontend.remember("A1B2", Declared(adc_bits=12))
    assert json.loads((paths.config_dir() / frontend.DEVICES_FILE).read_text()) == {"A1B2": {"front": {"adc_bits": 12}}}


def test_device_divider_takes_what_the_board_says():
    d = device_divider(text_board(front_end="fsr-high", divider_ohms=10000, adc_bits=12, vref_mv=3300))
    assert d == Divider(10000.0, 3.3, 12, "fsr-high")
    assert device_divider(text_board(front_end="new-kind")).front_end == "unknown"


def test_the_simulator_builds_every_part():
    assert set(SENSOR_PARTS) == set(FSR_PARTS)


@pytest.mark.parametrize("argv, message", [
    (["--divider", "2x"], "analyze: --divider 2x must be a resistance of 10 Ω to 10 MΩ, e.g. 1k"),
    (["--divider", "5"], "analyze: --divider 5 must be a resistance of 10 Ω to 10 MΩ"),
    (["--adc-bits", "24"], "analyze: --adc-bits 24 must be 8 to 16"),
    (["--vref", "50"], "analyze: --vref 50 must be a reference in millivolts"),
])
def test_bad_front_end_flags_stop_with_one_line(tmp_path, capsys, argv, message):
    f = tmp_path / "x.csv"
    f.write_text("time_s,adc\n0,1\n0.01,2\n")
    assert main(["analyze", str(f), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_analyze_reads_a_high_side_file_as_declared(tmp_path, capsys):
    """The same strokes and forces from either side of a 10 kΩ divider, once the side is declared."""
    from kneadback.simulate.render import render
    from kneadback.simulate.scenario import load_scenario

    found = {}
    for side, flags in (("fsr-low", ["--divider", "10k"]), ("fsr-high", ["--front-end", "fsr-high", "--divider", "10k"]),
                        ("fsr-high", ["--divider", "10k"])):
        r = render(load_scenario("steady").with_device(front_end=side, divider_ohms=10000.0))
        f = tmp_path / f"{side}.csv"
        f.write_text("time_s,adc\n" + "".join(f"{t:.6f},{a}\n" for t, a in zip(r.t, r.adc)))
        assert main(["analyze", str(f), "--json", *flags]) == 0
        out = json.loads(capsys.readouterr().out)
        found[side, len(flags)] = (out["summary"]["strokes"], out["summary"]["mean_peak_n"])
    strokes, peak = found["fsr-low", 2]
    assert strokes == 60 and found["fsr-high", 4][0] == strokes
    assert found["fsr-high", 4][1] == pytest.approx(peak, rel=0.03)
    assert found["fsr-high", 2][1] > 3 * peak  # undeclared, a high-side divider reads upside down


def test_front_end_flags_name_the_problem_not_a_traceback():
    with pytest.raises(InputError, match="live: --vref 20000"):
        frontend.from_args("live", type("A", (), {"divider": None, "adc_bits": None, "vref": 20000, "front_end": None})())


def test_a_text_board_gets_the_declared_divider_and_keeps_it_by_serial_number(tmp_path):
    """`live --divider 2k2` on a plain-text sketch: the board's description carries it, and the
    next session with the same board (same USB serial number) needs no flag."""
    from kneadback.clock import ManualClock
    from kneadback.sources.base import SourceOptions
    from kneadback.sources.serial import SerialSource
    from sources.ptys import FakePort

    port = FakePort(tmp_path / "ttyFAKE0")
    try:
        infos = []
        for front in (Declared(divider_ohms=2200.0), Declared()):
            src = SerialSource(str(port.path), SourceOptions(clock=ManualClock(), rate_hz=50.0, front=front), str(port.path),
                               serial_number="85036313530351D0E1A2")
            with src:
                port.write(b"".join(f"{v}\r\n".encode() for v in range(100)))
                items: list = []
                for _ in range(400):
                    items += src.read(0.05)
                    if any(isinstance(i, SampleBlock) for i in items):
                        break
            infos.append(next(i for i in items if isinstance(i, DeviceInfo)))
            assert src.info == infos[-1]
    finally:
        port.close()
    assert [(i.front_end, i.divider_ohms) for i in infos] == [("fsr-low", 2200), ("fsr-low", 2200)]


def test_a_board_keeps_its_own_calibration_by_serial_number():
    rng = np.random.default_rng(5)
    points = cm.simulate_levels(FsrCurve(r_1n=7000.0), Divider(), [3, 8, 15, 30, 60], rng)
    mine = cm.fit_calibration(points, Divider(), serial_number="BOARD-1")
    path = cm.save_calibration(mine)
    assert path == cm.calibration_path("BOARD-1") and path != cm.calibration_path()
    assert cm.load_force_model(Divider(), "BOARD-1").trust == "calibrated"
    assert cm.load_force_model(Divider(), "BOARD-2").trust == "approximate"  # another board: not its curve
    # a calibration without a serial number (a points file, a pty) serves every board that has none of its own
    cm.save_calibration(cm.fit_calibration(points, Divider()))
    assert cm.load_force_model(Divider(), "BOARD-2").trust == "calibrated"
    assert cm.Calibration.from_dict(mine.to_dict()).serial_number == "BOARD-1"


def test_sessions_record_the_front_end_and_old_rows_still_load():
    from kneadback.store.calibration import force_model_from_dict, force_model_to_dict

    for model in (default_force_model(4700.0, front_end="fsr-high"), default_force_model(adc_bits=12, front_end="linear")):
        d = json.loads(json.dumps(force_model_to_dict(model)))
        assert d["trust"] == model.trust and d["unit"] == model.unit
        assert force_model_from_dict(d) == model
    old = {"kind": "datasheet", "description": "datasheet FSR 402 curve, 1000 Ω divider",
           "divider": {"r_fixed": 1000.0, "vref": 5.0, "adc_bits": 10},
           "curve": {"r_1n": 5850.0, "exponent": 0.82, "r_floor": 150.0, "turn_on_n": 0.15}}
    assert force_model_from_dict(old) == default_force_model()
    assert force_model_from_dict(None, {"divider_ohms": 2200, "front_end": "unknown"}).trust == "unitless"


def test_analyze_names_the_unit_a_relative_force_has(tmp_path, capsys):
    """A linear front end without a calibration gives a relative force, not newtons; analyze
    words each trust as the screens do (one table)."""
    from kneadback.simulate.render import render
    from kneadback.simulate.scenario import load_scenario
    from kneadback.ui.force_words import ForceWords

    r = render(load_scenario("steady"))
    f = tmp_path / "linear.csv"
    f.write_text("time_s,adc\n" + "".join(f"{t:.6f},{a}\n" for t, a in zip(r.t, r.adc)))
    for flags, trust in ((["--front-end", "linear"], "unitless"), ([], "approximate")):
        assert main(["analyze", str(f), *flags]) == 0
        table = capsys.readouterr().out
        unit = ForceWords(trust).unit
        assert f"mean peak {unit}" in table and f" {unit} rms" in table
        assert (" N" in table) == (trust != "unitless")


def test_one_table_words_each_trust_and_gives_each_model_its_unit():
    from kneadback.fsr import TRUST_WORDS
    from kneadback.ui.force_words import ForceWords

    assert TRUST_LEVELS == ("calibrated", "approximate", "unitless")
    models = {"calibrated": CalibratedForceModel(cm.fit_calibration(cm.simulate_levels(
        FsrCurve(), Divider(), [3, 8, 15, 30, 60], np.random.default_rng(1)), Divider())),
              "approximate": default_force_model(), "unitless": default_force_model(front_end="linear")}
    for trust, model in models.items():
        words = TRUST_WORDS[trust]
        assert model.trust == trust and model.unit == words.unit
        assert (ForceWords(trust).unit, ForceWords(trust).title) == (words.after, words.title)
    assert [w.unit for w in TRUST_WORDS.values()] == ["N", "N", ""]


def test_a_text_header_with_a_divider_but_no_front_end_is_a_low_side_fsr_divider():
    """Today: the header's divider was kept but the front end stayed "unknown", so the force of a
    sketch that said its resistor was unitless."""
    from kneadback.protocol.stream import DeviceStream

    items = DeviceStream("text").feed(b"# kneadback rate=100 divider=2200\r\n" + b"".join(b"%d\r\n" % v for v in range(300)), 0.0)
    info = next(i for i in items if isinstance(i, DeviceInfo))
    assert (info.front_end, info.divider_ohms) == ("fsr-low", 2200)
    model = cm.force_model_for_device(info)
    assert model.trust == "approximate" and model == DatasheetForceModel(Divider(2200.0))
