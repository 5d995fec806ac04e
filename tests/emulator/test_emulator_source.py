"""The emulated source's own pieces: counts files, spec errors, missing tools, harness input."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from kneadback.errors import InputError, SourceError
from kneadback.sources import emulated, open_source
from kneadback.sources.base import SourceOptions


def test_emulator_counts_file_format(tmp_path):
    path = tmp_path / "adc.txt"
    emulated.write_counts(path, np.array([-5, 0, 512, 1023, 2000]), 200.0)
    assert path.read_text() == "# rate_hz: 200\n0\n0\n512\n1023\n1023\n"
    # a board with an IMU: its six counts follow each ADC count
    emulated.write_counts(path, np.array([7, 2000]), 500.0, np.array([[1, -2, 3, -4, 5, -32768], [0, 0, 16384, 0, 0, 32767]]))
    assert path.read_text() == "# rate_hz: 500\n7 1 -2 3 -4 5 -32768\n1023 0 0 16384 0 0 32767\n"


def test_emulator_unknown_scenario_is_a_user_error():
    with pytest.raises(InputError):
        open_source("emu:no-such-scenario", SourceOptions())


def test_emulator_missing_tools_are_named_with_the_packages(monkeypatch):
    monkeypatch.setattr(emulated.shutil, "which", lambda tool: None)
    with pytest.raises(SourceError, match=r"avr-gcc.*apt-get install .*simavr libsimavr-dev"):
        emulated.build()


def test_emulator_board_with_an_imu_asked_for_more_than_500_hz_is_told_it_runs_at_500(tmp_path):
    from kneadback.simulate.scenario import SIGNALS_DIR

    text = (SIGNALS_DIR / "one-direction.toml").read_text()
    path = tmp_path / "fast.toml"
    path.write_text(text.replace("[device]\nrate_hz = 200\n", "[device]\nrate_hz = 1000\n", 1))
    said: list[str] = []
    emulated.EmulatedSource(f"emu:{path}", str(path), SourceOptions(notice=said.append))
    assert said == ["scenario fast: device.rate_hz 1000 is more than a board with a motion sensor samples "
                    "(its link carries 500 Hz at most): the board runs at 500 Hz"]
    said.clear()
    emulated.EmulatedSource("emu:one-direction", "one-direction", SourceOptions(notice=said.append))
    assert said == []


def test_emulator_speed_must_be_positive():
    with pytest.raises(SourceError, match="speed"):
        emulated.EmulatedSource("emu:steady", "steady", SourceOptions(speed=0))


@pytest.mark.skipif(bool(emulated.missing_tools()), reason="the AVR toolchain or simavr is not installed")
def test_emulator_harness_rejects_a_bad_counts_file_with_its_line(tmp_path):
    _, harness = emulated.build()
    bad = tmp_path / "adc.txt"
    bad.write_text("# rate_hz: 200\n12\n13\n1024\n")
    done = subprocess.run([str(harness), "--adc", str(bad), "x.hex"], capture_output=True, text=True, timeout=10)
    assert done.returncode == 2
    assert done.stderr.strip() == f"kb-emu: {bad} line 4: expected an ADC count 0..1023"
    # with IMU columns every line has all six, each an int16
    for body, line in (("12 1 2 3 4 5 6\n13 1 2\n", 3), ("12 1 2 3 4 5 6\n13 1 2 3 4 5 32768\n", 3), ("12\n13 1 2 3 4 5 6\n", 3)):
        bad.write_text("# rate_hz: 200\n" + body)
        done = subprocess.run([str(harness), "--adc", str(bad), "x.hex"], capture_output=True, text=True, timeout=10)
        assert done.returncode == 2
        assert done.stderr.startswith(f"kb-emu: {bad} line {line}: expected an ADC count 0..1023")
    done = subprocess.run([str(harness), "--bogus"], capture_output=True, text=True, timeout=10)
    assert done.returncode == 2 and "usage: kb-emu" in done.stderr
