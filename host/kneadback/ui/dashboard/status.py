"""The dashboard's status line, fitted to the window's width like the terminal's (`statusline`).

Most important first: what the last key did (for a moment), the link, the sound, the session's
time and score; then the details: lost samples and errors, the spot (also on the bouts tile),
manual or automatic bouts, the signal's quality. At 1280 px some details give way; nothing is
ever cut at the window's edge.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

from pyqtgraph.Qt import QtGui

from kneadback.model import Rating
from kneadback.ui.dashboard.view import DashboardView
from kneadback.ui.dashboard.zones import COLOURS
from kneadback.ui.statusline import Field, fit

SEPARATOR = " \u00a0│\u00a0 "
NOTE_COLOUR = "#c77dff"  # what a key did: not a zone, so a colour of its own
SATURATED_SHARE = 0.02  # more of the samples than this at the ADC's limit is shown in red


def status_fields(v: DashboardView, *, silent: bool, heard: bool, force: str, rating: Rating | None,
                  replay: bool) -> list[Field]:
    """The fields, most important first. `silent`: the port is open but the device says nothing;
    `heard`: a sound output plays (there is none at a speed other than 1, or without a device)."""
    fields: list[Field] = []
    rate = "– Hz" if v.sample_rate_hz is None else f"{v.sample_rate_hz:.0f} Hz"
    if not v.connected:
        fields.append(Field("● LOST", zone="off", core=True))
    elif silent:
        fields.append(Field("● no data", zone="off", core=True))
    else:
        fields.append(Field(f"● connected · {rate}", "● connected", "on", core=True))
    if not heard:
        fields.append(Field("no sound", zone="near", core=True))
    elif v.muted:
        fields.append(Field(f"MUTED · metronome {v.metronome}", "MUTED", "near", core=True))
    else:
        fields.append(Field(f"sound · metronome {v.metronome}", "sound", core=True))
    clock = _clock_text(v.t)
    fields.append(Field(f"{clock} · score {v.bout_score}", clock, core=True))
    fields.append(Field(f"lost {v.lost} · errors {v.errors}", zone="off" if v.lost else "none"))
    rated = f"rated {rating.value}/10" if rating else None
    fields.append(Field(f"spot {v.spot or '–'}" + (f" · {rated}" if rated else ""), rated))
    if not replay:
        fields.append(Field("auto bouts" if v.auto_bouts else "manual bouts"))
    sat = "–" if v.saturated_fraction is None else f"{100 * v.saturated_fraction:.1f} %"
    noise = "–" if v.noise_n is None else f"{v.noise_n:.2f} {v.force_words.unit}"
    saturated = (v.saturated_fraction or 0.0) > SATURATED_SHARE
    fields.append(Field(f"sat {sat} · noise {noise} · {force}", f"sat {sat} · noise {noise}",
                        "off" if saturated else "none"))
    return fields


def status_html(note: str, fields: Sequence[Field], width: float, font: QtGui.QFont) -> str:
    """`note` (what the last key did, or "") and the fields, as much as fits `width` pixels in
    `font`, as rich text: coloured fields in bold, plain ones plain."""
    lead = Field(note, core=True) if note else None
    shown = [lead, *fields] if lead else list(fields)

    def colour(f: Field) -> str:
        return NOTE_COLOUR if f is lead else COLOURS[f.zone] if f.zone != "none" else ""

    bold_font = QtGui.QFont(font)
    bold_font.setBold(True)
    plain, bold = QtGui.QFontMetricsF(font), QtGui.QFontMetricsF(bold_font)
    in_bold = {t for f in shown if colour(f) for t in (f.text, f.short) if t}

    def measure(text: str) -> float:
        return (bold if text in in_bold else plain).horizontalAdvance(text)

    return SEPARATOR.join(
        f"<b style='color:{colour(f)}'>{html.escape(text)}</b>" if colour(f) else html.escape(text)
        for f, text in fit(shown, width, measure, SEPARATOR)
    )


def _clock_text(t: float) -> str:
    if math.isnan(t):
        return "0:00"
    m, s = divmod(int(t), 60)
    return f"{m}:{s:02d}"
