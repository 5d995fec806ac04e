"""A status line that fits its width, most important field first, coloured by the zone code.

The terminal's status line and the dashboard's both show a few *fields* in order of importance.
When the whole line is too wide, `fit` never cuts a field. The details (fields that are not
`core`) give way first: the core fields alone must fit, taking their short texts, least important
first, and only then going, least important first (the first field is the last to go). The room
left is then filled, most important first, by the core fields that went and then the details,
each in full, short, or not at all.
Widths are measured by a function: characters on a terminal, pixels on the dashboard.

On a terminal each field takes its zone's colour (green, amber, red: as on the dashboard), only
when the output is a terminal and `NO_COLOR` is unset or empty (https://no-color.org).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO

from kneadback.ui.dashboard.zones import Zone

SEPARATOR = " | "

#: a zone → its ANSI colour: green, yellow (the terminal's amber), red; "none" stays plain
ANSI: dict[Zone, str] = {"on": "\x1b[32m", "near": "\x1b[33m", "off": "\x1b[31m"}
ANSI_RESET = "\x1b[0m"


@dataclass(frozen=True)
class Field:
    """One field: its full text, a shorter one to fall back on, and the zone that colours it."""

    text: str
    short: str | None = None
    zone: Zone = "none"
    core: bool = False  # fitted first; the other fields (details) fill the room left


def fit(fields: Sequence[Field], width: float, measure: Callable[[str], float] = len,
        separator: str = SEPARATOR) -> list[tuple[Field, str]]:
    """The fields kept, in their order, each with the text it shows, so that the line is at most
    `width` wide."""
    shown = {i: f.text for i, f in enumerate(fields) if f.core}

    def too_wide() -> bool:
        return sum(map(measure, shown.values())) + measure(separator) * (len(shown) - 1) > width

    for i in sorted(shown, reverse=True):
        short = fields[i].short
        if too_wide() and short is not None:
            shown[i] = short
    for i in sorted(shown, reverse=True):
        if too_wide():
            del shown[i]
    for i in sorted(set(range(len(fields))) - set(shown), key=lambda i: not fields[i].core):
        for text in (fields[i].text, fields[i].short):
            if text is not None:
                shown[i] = text
                if not too_wide():
                    break
                del shown[i]
    return [(fields[i], shown[i]) for i in sorted(shown)]


def ansi_line(shown: Sequence[tuple[Field, str]], colour: bool) -> str:
    """The fitted fields as one terminal line, each in its zone's colour when `colour`."""
    return SEPARATOR.join(
        f"{ANSI[f.zone]}{text}{ANSI_RESET}" if colour and f.zone in ANSI else text for f, text in shown
    )


def wants_colour(tty: bool) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set to anything."""
    return tty and not os.environ.get("NO_COLOR")


def columns(out: IO[str]) -> int:
    """The width of the terminal `out` writes to, read at each draw (a window can be resized);
    $COLUMNS overrides it, as for `shutil.get_terminal_size`."""
    if not os.environ.get("COLUMNS"):
        try:
            return os.get_terminal_size(out.fileno()).columns
        except (AttributeError, OSError, ValueError):
            pass
    return shutil.get_terminal_size().columns
