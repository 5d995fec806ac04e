"""Sources of samples, all behind one interface (`kneadback.sources.base.Source`).

`open_source(spec, options)` picks the source for a spec string:

- ``sim`` or ``sim:SCENARIO`` → the simulated tool (`kneadback.sources.simulated`);
- ``emu`` or ``emu:NAME`` → the real firmware in an AVR emulator (`kneadback.sources.emulated`);
- ``auto``, a serial port path (``/dev/ttyACM0``, ``COM3``) or a pyserial URL (``loop://``,
  ``socket://HOST:PORT``) → a board (`kneadback.sources.serial`);
- anything else (a recording file, a session id) → replay (`kneadback.sources.replay`).

Source modules are imported only when used.
"""

from __future__ import annotations

import importlib
import os
import re
import stat
from collections.abc import Callable
from types import ModuleType

from kneadback.errors import InputError
from kneadback.sources.base import Source, SourceOptions

DEFAULT_SPEC = "auto"
FALLBACK_SPEC = "sim"


def _module(name: str, spec: str) -> ModuleType:
    full = f"kneadback.sources.{name}"
    try:
        return importlib.import_module(full)
    except ModuleNotFoundError as e:
        if e.name != full:
            raise
        raise InputError(f"source {spec!r} needs {full}, which this installation lacks") from None


def _is_port(spec: str) -> bool:
    if spec == "auto" or "://" in spec or spec.startswith("/dev/") or re.fullmatch(r"(?i)COM\d+", spec):
        return True
    try:
        return stat.S_ISCHR(os.stat(spec).st_mode)
    except OSError:
        return False


def open_source(spec: str, options: SourceOptions | None = None) -> Source:
    """The source for `spec` (not opened yet: `Session.open()` or `with source:` opens it)."""
    options = options or SourceOptions()
    spec = spec.strip()
    if not spec:
        raise InputError("empty source spec: use auto, a port, sim[:SCENARIO], emu[:NAME] or a recording")
    head, _, rest = spec.partition(":")
    if head in ("sim", "emu") and (not rest or not rest.startswith("//")):
        name = "simulated" if head == "sim" else "emulated"
        return _module(name, spec).from_spec(rest, options)
    if _is_port(spec):
        return _module("serial", spec).from_spec(spec, options)
    return _module("replay", spec).from_spec(spec, options)


def open_default_source(options: SourceOptions, notice: Callable[[str], None]) -> Source:
    """``auto``; when no board is attached, the simulated tool, after a one-line `notice`."""
    from kneadback.sources.serial import NoBoardFound

    try:
        return open_source(DEFAULT_SPEC, options)
    except NoBoardFound as e:
        notice(f"{e}. Coaching the simulated tool instead ({FALLBACK_SPEC}).")
        return open_source(FALLBACK_SPEC, options)


__all__ = ["DEFAULT_SPEC", "Source", "SourceOptions", "open_default_source", "open_source"]
