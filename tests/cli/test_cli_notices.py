"""What `live` and `replay` say about how they run (no board, so the simulated tool; no display;
no sound) comes once the session runs, after every input was checked: a mistake stays one line.

The sessions run at normal speed, where the coach's sound is set up, on a clock that only moves
when the source waits (no wall time).
"""

from __future__ import annotations

import threading

import pytest

from kneadback import cli, paths
from kneadback.clock import ManualClock
from kneadback.commands import live
from kneadback.store.db import DB_NAME
from reliability.files import junk, make_db

NO_BOARD = "kneadback: no Arduino or USB-serial board found (no serial ports at all)"
NO_AUDIO = "kneadback: no audio output found"
NO_DISPLAY = "kneadback: no display; showing the terminal view"


@pytest.fixture(autouse=True)
def _manual_clock(monkeypatch):
    monkeypatch.setattr(live, "MonotonicClock", ManualClock)


def _run(capsys, *argv: str) -> tuple[int, list[str]]:
    """The exit code and the lines on stderr."""
    capsys.readouterr()
    code = cli.main(list(argv))
    return code, capsys.readouterr().err.splitlines()


@pytest.mark.usefixtures("no_sound_system")
def test_a_good_run_says_each_notice_once(capsys):
    code, err = _run(capsys, "live", "--no-gui", "--no-record", "--duration", "2")
    assert code == 0
    assert len(err) == 2 and err[0].startswith(NO_BOARD) and "simulated tool" in err[0]
    assert err[1].startswith(NO_AUDIO)


@pytest.mark.usefixtures("no_sound_system")
def test_no_board_notice_waits_for_the_database(capsys):
    junk(paths.data_dir() / DB_NAME)
    code, err = _run(capsys, "live", "--no-gui", "--duration", "2")
    assert code == 2
    assert len(err) == 1 and "not a kneadback database" in err[0]


@pytest.mark.usefixtures("no_sound_system")
def test_no_display_notice_waits_for_the_database(monkeypatch, capsys):
    monkeypatch.delenv("QT_QPA_PLATFORM")
    junk(paths.data_dir() / DB_NAME)
    code, err = _run(capsys, "live", "--source", "sim:steady", "--duration", "2")
    assert code == 2
    assert len(err) == 1 and "not a kneadback database" in err[0]
    code, err = _run(capsys, "live", "--source", "sim:steady", "--duration", "2", "--no-record")
    assert code == 0 and err[0] == NO_DISPLAY and err[1].startswith(NO_AUDIO) and len(err) == 2


@pytest.mark.usefixtures("no_sound_system")
def test_a_mistake_starts_no_speech_engine(tmp_path, capsys):
    """The sound is set up before the database is opened; its speech warm-up (a speech engine
    run for each fixed prompt, seconds in all) waits for the session, so a mistake fails at once."""
    espeak = tmp_path / "empty-path" / "espeak-ng"  # on the PATH the machine without sound has
    espeak.write_text("#!/bin/sh\nexit 0\n")
    espeak.chmod(0o755)
    junk(paths.data_dir() / DB_NAME)

    def speech_threads() -> set[int | None]:
        return {t.ident for t in threading.enumerate() if t.name.startswith("kneadback-speech")}

    before = speech_threads()
    code, err = _run(capsys, "live", "--no-gui", "--source", "sim:steady", "--duration", "2")
    assert code == 2 and len(err) == 1 and "not a kneadback database" in err[0]
    assert speech_threads() <= before


def test_replay_no_display_notice_waits_for_the_sound_setting(monkeypatch, capsys):
    monkeypatch.delenv("QT_QPA_PLATFORM")
    make_db(paths.data_dir() / DB_NAME)
    monkeypatch.setenv("KNEADBACK_AUDIO", "loud")
    code, err = _run(capsys, "replay", "last")
    assert code == 2 and err == ["kneadback: KNEADBACK_AUDIO='loud': must be auto or none"]
    monkeypatch.setenv("KNEADBACK_AUDIO", "none")
    code, err = _run(capsys, "replay", "last", "--speed", "max")
    assert code == 0 and err == [NO_DISPLAY]


def test_no_sound_wanted_means_no_sound_and_no_notice(capsys):
    """KNEADBACK_AUDIO=none (as every test has it): nothing is looked for, nothing to say; the
    status line shows there is no sound."""
    capsys.readouterr()
    assert cli.main(["live", "--no-gui", "--no-record", "--source", "sim:steady", "--duration", "2"]) == 0
    out, err = capsys.readouterr()
    assert err == "" and any("no sound" in line for line in out.splitlines())


def test_a_missing_port_names_the_ports_listed(monkeypatch, capsys):
    class Listed:
        device, vid, pid, serial_number, description = "/dev/ttyUSB0", 0x1A86, 0x7523, None, "n/a"

    from kneadback import ports

    monkeypatch.setattr(ports.list_ports, "comports", lambda: [Listed()])
    code, err = _run(capsys, "live", "--no-gui", "--source", "/dev/ttyNOPE7")
    assert code == 2 and err == ["kneadback: no such port /dev/ttyNOPE7 (ports seen: /dev/ttyUSB0 (1A86:7523))"]
