"""`kneadback ruler`: strokes of a stated length, measured by the tool's motion sensor.

The simulated tool is told the stated length and runs on a manual clock, so a check takes no
wall-clock time; a recorded session is checked against a length it was not stroked at."""

from __future__ import annotations

import io
import json

import pytest

from kneadback import cli
from kneadback.clock import ManualClock
from kneadback.commands import ruler
from kneadback.model import StrokeMotion
from kneadback.simulate.scenario import load_scenario
from kneadback.sources.emulated import missing_tools
from kneadback.ui import ruler_check

from .recordings import record_a_session


def check(*argv: str, clock: ManualClock | None = None) -> tuple[int, str]:
    """`kneadback ruler *argv` on a manual clock: its exit code and what it printed."""
    out = io.StringIO()
    code = ruler.run(cli.build_parser().parse_args(["ruler", *argv]), clock=clock or ManualClock(), out=out)
    return code, out.getvalue()


def fits(text: str) -> bool:
    return all(len(line) <= 80 for line in text.splitlines())


@pytest.fixture
def manual_clock(monkeypatch):
    """`kneadback ruler` through the command line, its clock a manual one."""
    monkeypatch.setattr(ruler, "MonotonicClock", ManualClock)


@pytest.mark.parametrize("length", [3, 8])
def test_a_simulated_tool_measures_the_stated_length_within_a_centimetre(length):
    code, text = check("--source", "sim:one-direction", "--length-cm", str(length))
    assert code == 0, text
    lines = text.splitlines()
    strokes = [line for line in lines if line.lstrip().startswith("stroke")]
    assert len(strokes) == ruler.DEFAULT_STROKES
    summary = next(line for line in lines if line.startswith("Measured 5 strokes"))
    median = float(summary.split("median ")[1].split(" cm")[0])
    assert abs(median - length) <= ruler_check.WITHIN_CM
    assert "Directions: one way" in text
    assert lines[-1] == "Your tool measures stroke length well."
    assert fits(text)


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("length", [3.0, 8.0])
def test_json_gives_the_strokes_and_the_verdict_in_one_object(length, seed):
    code, text = check("--source", "sim:one-direction", "--length-cm", f"{length:g}", "--strokes", "4", "--seed",
                       str(seed), "--json")
    assert code == 0
    [line] = text.splitlines()
    found = json.loads(line)
    assert found["verdict"] == "good" and found["pattern"] == "one-direction"
    assert len(found["strokes"]) == 4 and found["length_cm"] == length
    assert abs(found["error_cm"]) <= ruler_check.WITHIN_CM
    assert found["median_excursion_cm"] == pytest.approx(length + found["error_cm"], abs=0.011)


def test_a_recording_checked_against_a_wrong_length_does_not_match():
    record_a_session("one-direction", 15.0)  # its strokes are 3 cm long
    code, text = check("--replay", "last", "--length-cm", "8")
    assert code == 1
    assert "The measured length does not match the ruler." in text
    assert "hardware/README.md" in text and fits(text)
    code, text = check("--replay", "last", "--length-cm", "3")
    assert code == 0 and text.splitlines()[-1] == "Your tool measures stroke length well."
    assert len([line for line in text.splitlines() if line.lstrip().startswith("stroke")]) > ruler.DEFAULT_STROKES


def test_too_few_strokes_give_no_verdict():
    code, text = check("--source", "sim:one-direction", "--timeout", "5")  # the sensor settles for the first 3 s
    assert code == 1
    assert text.splitlines()[-1] == f"Too few strokes to judge: at least {ruler_check.MIN_STROKES} are needed."
    code, text = check("--source", "sim:one-direction", "--timeout", "2")
    assert code == 1 and "No stroke was measured." in text and fits(text)


def test_a_tool_without_a_motion_sensor_is_one_line_and_exit_2(manual_clock, capsys):
    assert cli.main(["ruler", "--source", "sim:steady"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "kneadback: ruler: sim:steady has no motion sensor, only force: see hardware/README.md\n"
    record_a_session("steady", 5.0)  # an FSR-only recording, as every one before motion sensors
    assert cli.main(["ruler", "--replay", "last"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.endswith("has no motion sensor, only force: see hardware/README.md\n")
    assert len(err.splitlines()) == 1


def test_a_scenario_without_motion_is_left_as_it_is():
    steady = load_scenario("steady")
    assert steady.with_excursion(8.0) is steady
    told = load_scenario("one-direction").with_excursion(8.0)
    assert told.motion is not None and told.motion.path.excursion_cm == 8.0
    assert all(p.path.excursion_cm == 8.0 and p.path.excursion_end_cm is None for p in told.phases)


@pytest.mark.parametrize("argv", [["--length-cm", "0.5"], ["--length-cm", "16"], ["--length-cm", "nan"],
                                  ["--length-cm", "five"], ["--strokes", "2"], ["--timeout", "0"]])
def test_bad_flags_are_one_line_and_exit_2(argv, manual_clock, capsys):
    try:
        code = cli.main(["ruler", "--source", "sim:one-direction", *argv])
    except SystemExit as e:  # argparse's own errors: a value that is no number
        code = e.code
    out, err = capsys.readouterr()
    assert code == 2
    assert out == "" and len(err.splitlines()) == 1 and argv[0] in err


@pytest.mark.skipif(bool(missing_tools()), reason=f"the AVR toolchain or simavr is not installed: missing {', '.join(missing_tools())}")
def test_the_real_firmware_with_its_emulated_sensor_measures_the_stated_length():
    out = io.StringIO()
    args = cli.build_parser().parse_args(["ruler", "--source", "emu:one-direction", "--length-cm", "3", "--speed", "1000"])
    assert ruler.run(args, out=out) == 0, out.getvalue()
    assert out.getvalue().splitlines()[-1] == "Your tool measures stroke length well."


def test_a_direction_just_short_of_a_turn_is_said_as_0_degrees():
    """359.7° rounds to 0°, not to 360°."""
    check_ = ruler_check.RulerCheck("sim", 3.0)
    for k in range(3):
        check_.motions.append(StrokeMotion(k, float(k), 359.7, 3.0, 0.0))
    assert check_.stroke_line(check_.motions[-1]).endswith("direction   0°")
    assert "one way (100% same way), 0° from the handle." in " ".join(check_.summary())
