"""The user's `config.toml` (in `paths.config_dir()`): read once, checked, one line per mistake.

Each area reads its own table (one of `TABLES`) into a frozen dataclass with `load_table`, which
rejects unknown keys and wrong types with a one-line `InputError` naming the file, the table and
the key. `load_config` rejects what no area would read: a misspelt table, a key outside any table.
"""

from __future__ import annotations

import dataclasses
import difflib
import tomllib
from pathlib import Path
from typing import Any, TypeVar

from kneadback import paths
from kneadback.errors import InputError

CONFIG_NAME = "config.toml"
TABLES = ("history", "lsl", "sound", "targets")  # every table an area reads

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
        config = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"{path}: {e}") from None
    for key, value in config.items():
        tables = ", ".join(f"[{t}]" for t in TABLES)
        if key in TABLES and not isinstance(value, dict):
            raise InputError(f"{path}: [{key}] must be a table")
        if not isinstance(value, dict):
            raise InputError(f"{path}: {key!r} is outside any table (put it under one of {tables})")
        if key not in TABLES:
            near = difflib.get_close_matches(key, TABLES, n=1)
            hint = f"did you mean [{near[0]}]?" if near else f"the tables are {tables}"
            raise InputError(f"{path}: unknown table [{key}] ({hint})")
    return config


def load_table(cls: type[T], table: str, config: dict[str, Any], path: Path | None = None) -> T:
    """Build dataclass `cls` from its defaults overridden by `config[table]`."""
    assert table in TABLES, f"[{table}] is not in config.TABLES"
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
