"""`kneadback live` opens the dashboard when a display exists, and `--screenshot` saves it."""

from __future__ import annotations

from pyqtgraph.Qt import QtGui

from kneadback import cli
from kneadback.ui import dashboard

from .conftest import write_scenario


def test_live_screenshot_saves_the_window(tmp_path, qapp):
    spec = "sim:" + str(write_scenario(tmp_path / "s.toml", seconds=10.0))
    png = tmp_path / "dashboard.png"
    rc = cli.main(["live", "--source", spec, "--duration", "3", "--speed", "30", "--screenshot", str(png)])
    assert rc == 0
    image = QtGui.QImage(str(png))
    assert (image.width(), image.height()) == dashboard.WINDOW_SIZE


def test_no_gui_forces_the_terminal(tmp_path, monkeypatch, capsys):
    def no_window(*args, **kwargs):
        raise AssertionError("the dashboard must not open with --no-gui")

    monkeypatch.setattr(dashboard, "run_dashboard", no_window)
    spec = "sim:" + str(write_scenario(tmp_path / "s.toml", seconds=3.0))
    assert cli.main(["live", "--no-gui", "--source", spec, "--duration", "1", "--speed", "50"]) == 0


def test_the_dashboard_opens_when_a_display_exists(tmp_path, monkeypatch):
    opened = []
    monkeypatch.setattr(dashboard, "run_dashboard", lambda session, clock, **kw: opened.append(session.source.spec) or 0)
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    spec = "sim:" + str(write_scenario(tmp_path / "s.toml", seconds=3.0))
    assert cli.main(["live", "--source", spec, "--duration", "1"]) == 0
    assert opened == [spec]


def test_replay_opens_the_same_window_with_its_controls(tmp_path, qapp):
    spec = "sim:" + str(write_scenario(tmp_path / "s.toml", seconds=12.0))
    assert cli.main(["live", "--no-gui", "--source", spec, "--duration", "8", "--speed", "50"]) == 0
    png = tmp_path / "replay.png"
    assert cli.main(["replay", "last", "--speed", "8", "--from", "2", "--screenshot", str(png)]) == 0
    image = QtGui.QImage(str(png))
    assert (image.width(), image.height()) == dashboard.WINDOW_SIZE


def test_an_unwritable_screenshot_path_is_one_line_and_exit_2(tmp_path, capsys):
    spec = "sim:" + str(write_scenario(tmp_path / "s.toml", seconds=3.0))
    blocker = tmp_path / "file"
    blocker.write_text("")
    rc = cli.main(["live", "--source", spec, "--duration", "1", "--speed", "50", "--screenshot", str(blocker / "x.png")])
    assert rc == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--screenshot" in err[0]


def test_a_screenshot_without_a_display_says_nothing_of_qt(tmp_path):
    """The offscreen platform's size-hint warning means nothing to a user: stderr stays clean."""
    import os
    import subprocess
    import sys

    spec = "sim:" + str(write_scenario(tmp_path / "s.toml", seconds=3.0))
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    done = subprocess.run(
        [sys.executable, "-m", "kneadback", "live", "--no-record", "--source", spec, "--duration", "1",
         "--speed", "20", "--screenshot", str(tmp_path / "x.png")],
        capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "propagateSizeHints" not in done.stderr
    assert (tmp_path / "x.png").stat().st_size > 0
