"""The commands a newcomer runs first stay light: no numeric, GUI or device stack (`ports` aside).

Start-up time itself is measured by `tests/benchmarks/bench_startup.py`; these tests guard the
lazy boundary that makes it fast. Each runs the command in a fresh interpreter (an import, once
made, cannot be undone in this one) and lists the heavy packages it loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kneadback.cli import main

HEAVY = ("numpy", "scipy", "PySide6", "pyqtgraph", "serial", "edfio", "tqdm",
         "kneadback.engine", "kneadback.calibration", "kneadback.ui.dashboard")

PROBE = """
import json, sys
from kneadback import cli
argv = json.loads(sys.argv[1])
if argv is None:
    cli.build_parser()
else:
    try:
        cli.main(argv)
    except SystemExit:
        pass
print("\\n" + json.dumps(sorted(set(json.loads(sys.argv[2])) & set(sys.modules))))
"""


def heavy_loaded(home: Path, argv: list[str] | None) -> set[str]:
    """Which of HEAVY are loaded after `kneadback ARGV` (None: after building the parser)."""
    env = {**os.environ, "KNEADBACK_HOME": str(home)}
    res = subprocess.run([sys.executable, "-c", PROBE, json.dumps(argv), json.dumps(HEAVY)],
                         env=env, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    return set(json.loads(res.stdout.splitlines()[-1]))


@pytest.fixture
def recorded_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A KNEADBACK_HOME whose database holds one imported session (4 s of strokes at 100 Hz)."""
    home = tmp_path / "home"
    monkeypatch.setenv("KNEADBACK_HOME", str(home))
    csv = tmp_path / "strokes.csv"
    rows = [f"{k / 100:.2f},{300 + 300 * (k // 50 % 2)}" for k in range(400)]
    csv.write_text("time_s,adc\n" + "\n".join(rows) + "\n")
    assert main(["import", str(csv)]) == 0
    return home


@pytest.mark.parametrize("argv", [None, ["--help"], ["--version"], ["sessions"], ["doctor"], [], ["hardware"]],
                         ids=["build_parser", "--help", "--version", "sessions", "doctor", "bare", "hardware"])
def test_light_commands_load_nothing_heavy(tmp_path, argv):
    assert heavy_loaded(tmp_path / "empty-home", argv) == set()


def test_ports_loads_only_the_port_listing(tmp_path):
    assert heavy_loaded(tmp_path / "empty-home", ["ports"]) <= {"serial"}


def test_sessions_on_a_database_loads_nothing_heavy(recorded_home):
    assert heavy_loaded(recorded_home, ["sessions"]) == set()


def test_doctor_on_a_database_decodes_without_the_engine_or_gui(recorded_home):
    """Checking the stored samples needs numpy to decode them, nothing more."""
    assert heavy_loaded(recorded_home, ["doctor"]) <= {"numpy"}
