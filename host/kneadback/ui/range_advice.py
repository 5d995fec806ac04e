"""Advice, said once, when the sensor's range is too small for how the user presses.

When most strokes peak within `RAIL_SHARE` of the ADC's top, the top of each stroke is not
measured: force, holds and the safety ceiling all go blind where they matter. For an FSR divider
the fix is a smaller fixed resistor, and the strokes' own peak counts say which: the FSR's
resistance at the typical peak, R_fsr = R·(1-x)/x at a share x of the range (no lower than the
data-sheet floor: a pinned reading only bounds it), wants a resistor that puts that peak at `AIM`
of the range, R = R_fsr·AIM/(1-AIM), rounded down to a common value.
The advice is what to do on its first line, and why on the next. It is a notice to every sink of
the session, once: it asks the user to change the hardware, which no cue in the middle of a bout
should nag about. Nor should every session: a board with a USB serial number remembers it was told
(`kneadback.frontend.keep`), and is told again only when its front end is said to be another (a
new resistor declared) or after `REMIND_SESSIONS` more sessions that still peak at the rail.
"""

from __future__ import annotations

import collections
import statistics
from collections.abc import Sequence

from kneadback import frontend
from kneadback.errors import InputError
from kneadback.frontend import FSR_FRONT_ENDS
from kneadback.fsr import FsrCurve
from kneadback.model import DeviceInfo, Event, Notice, Stroke
from kneadback.sink import Sink

RAIL_SHARE = 0.05  # "at the rail": within this share of the full scale
MOST = 0.6  # ... for this share of the recent strokes
STROKES = 20  # the recent strokes judged, once there are this many
AIM = 0.8  # the typical peak at this share of the range leaves room for a harder stroke
COMMON_OHMS = (220.0, 330.0, 470.0, 680.0, 1000.0, 1500.0, 2200.0, 3300.0, 4700.0, 6800.0, 10000.0, 22000.0)
KIND = "sensor-range"
REMIND_SESSIONS = 5  # a board still at the rail is reminded every this many sessions


def ohms_text(r: float) -> str:
    return f"{r / 1000:g} kΩ" if r >= 1000 else f"{r:g} Ω"


def advice(info: DeviceInfo, peak_counts: Sequence[int]) -> str | None:
    """What to say about these strokes' peaks (raw counts, as the board sent them), or None."""
    full = info.adc_full_scale
    falls = info.front_end == "fsr-high"  # a high-side divider reads lower as the force grows
    pressed = [full - c if falls else c for c in peak_counts]
    near = sum(c >= full * (1.0 - RAIL_SHARE) for c in pressed)
    if len(pressed) < STROKES or near < MOST * len(pressed):
        return None
    why = (f"{near} of the last {len(pressed)} strokes peak within {RAIL_SHARE:.0%} of the top of the ADC range: "
           "the hardest part of each stroke is not measured.")
    if info.front_end not in FSR_FRONT_ENDS:
        return f"Lower the front end's gain (an FSR divider: see `kneadback hardware divider`).\n{why}"
    x = (statistics.median(pressed) + 0.5) / (full + 1)
    r_fsr = max(info.divider_ohms * (1.0 - x) / x, FsrCurve().r_floor)  # (at the rail: no lower than an FSR goes)
    better = max([r for r in COMMON_OHMS if r <= r_fsr * AIM / (1.0 - AIM)], default=COMMON_OHMS[0])
    return (f"Use a {ohms_text(better)} resistor, not {ohms_text(info.divider_ohms)}: see `kneadback hardware divider`."
            f"\n{why} Declare the new one with --divider if the board does not say it.")


def action(text: str) -> str:
    """The advice's first line: what to do, short enough for the dashboard's banner."""
    return text.split("\n", 1)[0]


def due(info: DeviceInfo) -> bool:
    """Whether a session of this board that peaks at the rail is to be told so, and it is noted:
    yes the first time, when its front end differs from the one it was told about, and every
    `REMIND_SESSIONS`th session after; always for a board without a serial number."""
    about = f"{info.front_end} {info.divider_ohms} Ω {info.adc_bits}-bit {info.vref_mv} mV"
    told = frontend.recall(info.serial_number, KIND)
    quiet = (isinstance(told, dict) and told.get("about") == about and isinstance(told.get("since"), int)
             and told["since"] + 1 < REMIND_SESSIONS)
    try:
        frontend.keep(info.serial_number, KIND, {"about": about, "since": told["since"] + 1 if quiet else 0})
    except InputError:  # an unwritable config: the advice is said, as without a memory
        return True
    return not quiet


class RangeAdvice(Sink):
    """Watches the strokes' peak counts and gives `advice` once, as a `Notice` to `sinks` (the
    session's: the terminal prints it, the dashboard shows it, JSON lines carry it). A live
    session (`remember`) gives it only when it is `due` for the board; a replay always."""

    def __init__(self, sinks: Sequence[Sink], *, remember: bool = False) -> None:
        self.sinks = sinks
        self.remember = remember
        self.info: DeviceInfo | None = None
        self.peaks: collections.deque[int] = collections.deque(maxlen=STROKES)
        self.said = False

    def on_info(self, info: DeviceInfo) -> None:
        if info != self.info:  # another board, or the same one told differently: judge afresh
            self.peaks.clear()
        self.info = info

    def on_events(self, events: Sequence[Event]) -> None:
        if self.said or self.info is None:
            return
        for ev in events:
            if isinstance(ev, Stroke):
                self.peaks.append(ev.peak_adc)
                text = advice(self.info, self.peaks)
                if text is not None:
                    self.said = True  # (or judged not due: once a session either way)
                    if self.remember and not due(self.info):
                        return
                    notice = Notice(ev.t, KIND, text)
                    for sink in self.sinks:
                        sink.on_notice(notice)
                    return
