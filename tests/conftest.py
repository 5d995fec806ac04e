"""Shared test set-up: offscreen Qt, an isolated KNEADBACK_HOME, and the same machine for every
test, whatever runs the tests: no sound, no display, no serial ports, an 80-column terminal.

What a test needs beyond that it asks for itself: a fake player or speech engine, a port
listing, a terminal width, a display.
"""

import os
import sys

import pytest
from serial.tools import list_ports

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before any test imports Qt


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Every test gets its own data and config dir."""
    monkeypatch.setenv("KNEADBACK_HOME", str(tmp_path / "kneadback-home"))


@pytest.fixture(autouse=True)
def _same_machine(monkeypatch):
    """What the host has must not change a test's outcome. Subprocesses get the same through
    the environment, except the port listing: they are given their ports by name."""
    monkeypatch.setenv("KNEADBACK_AUDIO", "none")  # no audio output, no speech engine
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    monkeypatch.setattr(list_ports, "comports", lambda: [])


@pytest.fixture
def no_sound_system(monkeypatch, tmp_path):
    """A machine without any sound: kneadback looks (KNEADBACK_AUDIO=auto) and finds no
    sounddevice package and no player or speech program on PATH."""
    monkeypatch.setenv("KNEADBACK_AUDIO", "auto")
    monkeypatch.setitem(sys.modules, "sounddevice", None)  # `import sounddevice` fails
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
