"""The code stays lint-clean and type-clean: ruff and mypy, configured in pyproject.toml, find nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_ruff_finds_nothing():
    done = _run("ruff", "check", "--no-cache", "host", "tests")
    assert done.returncode == 0, f"ruff check host tests:\n{done.stdout}{done.stderr}"


def test_mypy_finds_nothing():
    done = _run("mypy")  # files and options from pyproject.toml
    assert done.returncode == 0, f"mypy:\n{done.stdout}{done.stderr}"
