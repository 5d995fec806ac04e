"""pylsl, imported only when a command asks for LSL, with liblsl configured by kneadback first.

liblsl reads its config file once, when the library loads, from the path in `LSLAPICFG`. So
`load` writes `lsl.cfg` in kneadback's config dir from the `[lsl]` table of config.toml (the
resolve scope: the machine only, unless the user widens it) and points `LSLAPICFG` at it before
the first import. A user who set `LSLAPICFG` keeps their own file. Nothing imports pylsl at module
import time, so a run without `--lsl` loads no network library and opens no socket.
"""

from __future__ import annotations

import importlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from kneadback import paths
from kneadback.config import load_config, load_table
from kneadback.errors import InputError

#: liblsl's resolve scopes, narrowest first ([multicast] ResolveScope)
SCOPES = ("machine", "link", "site", "organization", "global")
CONFIG_FILE = "lsl.cfg"
ENV = "LSLAPICFG"
MISSING = "LSL needs pylsl: pip install 'kneadback[lsl]'"


@dataclass(frozen=True)
class LslSettings:
    """The `[lsl]` table: `scope`, how far LSL streams are announced and looked for."""

    scope: str = "machine"

    def __post_init__(self) -> None:
        if self.scope not in SCOPES:
            raise ValueError(f"scope {self.scope!r} is not one of {', '.join(SCOPES)}")


def settings(config: dict[str, Any] | None = None) -> LslSettings:
    return load_table(LslSettings, "lsl", load_config() if config is None else config)


def config_text(s: LslSettings) -> str:
    """liblsl's config file for `s`, quiet but for warnings. At the machine scope the port that
    answers stream queries also listens on the loopback only, and IPv6 is off; liblsl's data ports
    listen on every interface at every scope (docs/lsl.md says how to keep them off the network)."""
    lines = ["[multicast]", f"ResolveScope = {s.scope}"]
    if s.scope == "machine":
        lines += ["ListenAddress = 127.0.0.1", "", "[ports]", "IPv6 = disable"]
    # this machine's streams are looked for at each of their own ports too: a query to the loopback
    # (the machine scope's only "multicast" without IPv6) reaches one program's streams, not all
    lines += ["", "[lab]", "KnownPeers = {127.0.0.1}"]
    lines += ["", "[log]", "level = -2"]  # warnings and errors only: no start-up banner on stderr
    return "\n".join(lines) + "\n"


def configure() -> Path | None:
    """Write kneadback's liblsl config and set `LSLAPICFG` to it, unless the user set it already
    (then None)."""
    if os.environ.get(ENV):
        return None
    path = paths.config_dir() / CONFIG_FILE
    path.write_text(config_text(settings()), encoding="utf-8")
    os.environ[ENV] = str(path)
    return path


def load() -> ModuleType:
    """pylsl, configured; `InputError` (one line) when it is not installed."""
    if sys.modules.get("pylsl") is None:
        configure()
    try:
        return importlib.import_module("pylsl")
    except (ImportError, RuntimeError):  # pylsl raises RuntimeError when its liblsl is missing
        raise InputError(MISSING) from None
