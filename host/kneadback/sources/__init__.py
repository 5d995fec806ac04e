"""Sources of samples, all behind one interface (`kneadback.sources.base.Source`).

`SOURCE_KINDS` is the one list of the ways to name a source: how each is written, how a spec is
recognised, and the module that opens it. `open_source(spec, options)` goes by it; so do the
`--source` help (`SOURCE_HELP`) and the error for a spec that is none of them. Source modules
are imported only when used, and this module imports nothing heavy: the help is read while the
command line is parsed.
"""

from __future__ import annotations

import importlib
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from kneadback.errors import InputError

if TYPE_CHECKING:
    from kneadback.sources.base import Source, SourceOptions

DEFAULT_SPEC = "auto"
FALLBACK_SPEC = "sim"


@dataclass(frozen=True)
class SourceKind:
    """One way to name a source."""

    usage: str  # how it is written, as the help and the errors list it
    about: str  # what it reads, in a few words
    module: str  # the module (of `kneadback.sources`, or a full name) whose `from_spec(argument, options)` makes it
    argument: Callable[[str], str | None]  # what of a spec goes to `from_spec`; None: not this kind

    @property
    def help(self) -> str:
        return f"{self.usage}: {self.about}"

    @property
    def module_name(self) -> str:
        """The full name of its module."""
        return self.module if "." in self.module else f"kneadback.sources.{self.module}"


def _auto(spec: str) -> str | None:
    return spec if spec == DEFAULT_SPEC else None


def _port(spec: str) -> str | None:
    """A serial device: a /dev path or COMn, or any character device."""
    if spec.startswith("/dev/") or re.fullmatch(r"(?i)COM\d+", spec):
        return spec
    try:
        return spec if stat.S_ISCHR(os.stat(spec).st_mode) else None
    except OSError:
        return None


def _url(spec: str) -> str | None:
    return spec if "://" in spec else None


def _named(head: str) -> Callable[[str], str | None]:
    """`head` alone or `head:NAME` (NAME goes to the module)."""

    def argument(spec: str) -> str | None:
        first, colon, rest = spec.partition(":")
        return rest if first == head and not (colon and rest.startswith("//")) else None

    return argument


def _recording(spec: str) -> str | None:
    """A session id (`12`, `last`, as `Store.resolve` reads them) or what names a file: an existing
    path, or one with a folder or an extension (the recording's reader then says it is missing)."""
    path = Path(spec)
    if spec == "last" or spec.isdigit() or path.exists() or path.suffix or path.name != spec:
        return spec
    return None


#: in the order a spec is tried (and listed)
SOURCE_KINDS: tuple[SourceKind, ...] = (
    SourceKind(DEFAULT_SPEC, "the attached board only", "serial", _auto),
    SourceKind("a port (/dev/ttyACM0, COM3)", "the board on that serial port", "serial", _port),
    SourceKind("loop://, socket://HOST:PORT", "a pyserial URL", "serial", _url),
    SourceKind("sim[:SCENARIO]", "the simulated tool playing a scenario (of signals/, or a .toml file)", "simulated",
               _named("sim")),
    SourceKind("emu[:SCENARIO]", "the real firmware in an AVR emulator, fed that scenario", "emulated", _named("emu")),
    SourceKind("lsl:NAME, lsl:type=TYPE, lsl:source_id=ID", "a force stream on the Lab Streaming Layer",
               "kneadback.lsl.inlet", _named("lsl")),
    SourceKind("a recording", "a session id (12, last), a database, a JSON export or a CSV file", "replay", _recording),
)

#: the source specs in a few words, for errors
SOURCE_USAGE = ", ".join(k.usage for k in SOURCE_KINDS[:-1]) + f" or {SOURCE_KINDS[-1].usage}"
#: the source specs with what each reads, for `--source` help
SOURCE_HELP = "; ".join(k.help for k in SOURCE_KINDS)


def source_kind(spec: str) -> tuple[SourceKind, str]:
    """The kind of `spec` and the argument its module gets; InputError when it is none."""
    spec = spec.strip()
    if not spec:
        raise InputError(f"empty source spec: use {SOURCE_USAGE}")
    for kind in SOURCE_KINDS:
        argument = kind.argument(spec)
        if argument is not None:
            return kind, argument
    raise InputError(f"unknown source {spec!r}: use {SOURCE_USAGE}")


def _module(kind: SourceKind, spec: str) -> ModuleType:
    full = kind.module_name
    try:
        return importlib.import_module(full)
    except ModuleNotFoundError as e:
        if e.name != full:
            raise
        raise InputError(f"source {spec!r} needs {full}, which this installation lacks") from None


def open_source(spec: str, options: SourceOptions | None = None) -> Source:
    """The source for `spec` (not opened yet: `Session.open()` or `with source:` opens it)."""
    from kneadback.sources.base import SourceOptions

    spec = spec.strip()
    kind, argument = source_kind(spec)
    source: Source = _module(kind, spec).from_spec(argument, options or SourceOptions())
    return source


def open_default_source(options: SourceOptions, notice: Callable[[str], None]) -> Source:
    """``auto``; when no board is attached, the simulated tool, after a one-line `notice`."""
    from kneadback.sources.serial import NoBoardFound

    try:
        return open_source(DEFAULT_SPEC, options)
    except NoBoardFound as e:
        notice(f"{e}. Coaching the simulated tool instead ({FALLBACK_SPEC}).")
        return open_source(FALLBACK_SPEC, options)


__all__ = ["DEFAULT_SPEC", "SOURCE_HELP", "SOURCE_KINDS", "SOURCE_USAGE", "SourceKind", "open_default_source",
           "open_source", "source_kind"]
