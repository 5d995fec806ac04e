"""The user's `config.toml` (in `paths.config_dir()`): read once, checked, one line per mistake.

Each area reads its own table (`[targets]`, `[sound]`, ...) into a frozen dataclass with
`load_table`, which rejects unknown keys and wrong types with a one-line `InputError` naming the
file, the table and the key.
"""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path
from typing import Any, TypeVar

from kneadback import paths
from kneadback.errors import InputError

CONFIG_NAME = "config.toml"

T = TypeVar("T")


def config_path() -> Path:
    return paths.config_dir() / CONFIG_NAME


def load_config(path: Path | None = None) -> dict[str, Any]:
    """The whole config file as a dict; `{}` when there is none."""
    path = config_path() if path is None else path
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read config: {e}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"{path}: {e}") from None


def load_table(cls: type[T], table: str, config: dict[str, Any], path: Path | None = None) -> T:
    """Build dataclass `cls` from its defaults overridden by `config[table]`."""
    where = config_path() if path is None else path
    raw = config.get(table, {})
    if not isinstance(raw, dict):
        raise InputError(f"{where}: [{table}] must be a table")
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    values: dict[str, Any] = {}
    for key, value in raw.items():
        name = key.replace("-", "_")
        if name not in fields:
            raise InputError(f"{where}: [{table}] unknown key {key!r} (known: {', '.join(sorted(fields))})")
        default = getattr(cls, name, None)
        values[name] = _coerce(value, default, f"{where}: [{table}] {key}")
    try:
        return cls(**values)
    except ValueError as e:
        raise InputError(f"{where}: [{table}] {e}") from None


def _coerce(value: Any, default: Any, where: str) -> Any:
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise InputError(f"{where}: expected true or false, got {value!r}")
        return value
    if isinstance(default, (int, float)) and not isinstance(default, bool):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(f"{where}: expected a number, got {value!r}")
        return type(default)(value) if isinstance(default, float) or float(value).is_integer() else value
    if isinstance(default, str) and not isinstance(value, str):
        raise InputError(f"{where}: expected a string, got {value!r}")
    return value
