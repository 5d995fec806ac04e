"""How far a reading is from its target, and the colour that says so.

Pure functions, no Qt: the dashboard's colour decisions live here so tests can check them
directly. A *zone* is "on" (inside the band: green), "near" (just outside: amber), "off"
(further out: red) or "none" (no reading or no band: grey).
"""

from __future__ import annotations

import math
from typing import Literal

from kneadback.coach.rules import Policy

Zone = Literal["on", "near", "off", "none"]

#: how far outside a band still counts as "near", as a share of the band's centre
NEAR_SHARE = 0.15

#: the colours, chosen for contrast on a black background and to read from across a room
COLOURS: dict[Zone, str] = {
    "on": "#19d15a",
    "near": "#ffb000",
    "off": "#ff3b30",
    "none": "#5c5c5c",
}

#: a cue older than this (session seconds) is shown dimmed, in no zone's colour
CUE_FRESH_S = 6.0
#: the pressure readout shows the last stroke's peak (and its zone) for this long
PEAK_FRESH_S = 4.0

#: a cue's severity → the zone whose colour shows it
SEVERITY_ZONE: dict[str, Zone] = {
    "praise": "on",
    "correction": "near",
    "safety": "off",
    "info": "none",
}


def zone(value: float | None, band: tuple[float, float] | None, near_share: float = NEAR_SHARE) -> Zone:
    """The zone of `value` against the inclusive `band` (lo, hi)."""
    if value is None or band is None or value != value:  # NaN → no reading
        return "none"
    lo, hi = band
    if lo <= value <= hi:
        return "on"
    margin = near_share * abs(lo + hi) / 2.0
    if lo - margin <= value <= hi + margin:
        return "near"
    return "off"


def pressure_zone(force_n: float | None, band: tuple[float, float] | None, ceiling_n: float | None,
                  holding: bool = False) -> Zone:
    """The pressure's zone: as `zone`, except that reaching the safety ceiling is always "off" and
    that pressing without stroking (`holding`) is never "on"."""
    if force_n is not None and ceiling_n is not None and force_n >= ceiling_n:
        return "off"
    z = zone(force_n, band)
    return "near" if holding and z == "on" else z


def bouts_zone(done: int | None, lo: int, hi: int) -> Zone:
    """Bouts today on a spot: below the minimum is "near" (keep going), within it "on", past the
    maximum "off"."""
    if done is None:
        return "none"
    if done < lo:
        return "near"
    return "on" if done <= hi else "off"


def countdown_s(left_s: float) -> int:
    """The whole seconds a bout's countdown shows (the dashboard's ring, the terminal line, the
    "N s LEFT" cue): rounded up, so it reads 0 only once the time is up."""
    return math.ceil(max(left_s, 0.0))


def countdown_zone(left_s: float | None, warn_s: float = Policy.warn_before_end_s) -> Zone:
    """A running bout: "on" with time to go, "near" in its last `warn_s` (from its "10 s left"),
    "off" once it is done (time to rest or move on)."""
    if left_s is None:
        return "none"
    if left_s <= 0:
        return "off"
    return "near" if left_s <= warn_s else "on"


def direction_zone(pattern: str | None, excursion_cm: float | None, max_cm: float) -> Zone:
    """The bout's stroke motion against "short strokes in one direction": both hold "on", one
    fails "near", both fail "off"; no motion yet "none"."""
    if pattern is None or excursion_cm is None:
        return "none"
    faults = (pattern != "one-direction") + (excursion_cm > max_cm)
    return ("on", "near", "off")[faults]


def colour(z: Zone) -> str:
    return COLOURS[z]
