"""Where kneadback keeps its data and config. `KNEADBACK_HOME` moves both (tests, users)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "kneadback"


def _private_dir(path: Path) -> Path:
    """Create `path` (and parents) readable by the user only."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path


def home() -> Path | None:
    env = os.environ.get("KNEADBACK_HOME")
    return Path(env).expanduser() if env else None


def data_dir() -> Path:
    """Sessions database and other data, created user-only."""
    h = home()
    return _private_dir(h / "data" if h else Path(platformdirs.user_data_dir(APP)))


def config_dir() -> Path:
    """`config.toml`, calibration; created user-only."""
    h = home()
    return _private_dir(h / "config" if h else Path(platformdirs.user_config_dir(APP)))
