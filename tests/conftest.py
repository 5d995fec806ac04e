"""Shared test set-up: offscreen Qt, an isolated KNEADBACK_HOME, seeded randomness."""

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Every test gets its own data and config dir."""
    monkeypatch.setenv("KNEADBACK_HOME", str(tmp_path / "kneadback-home"))
