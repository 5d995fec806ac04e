"""The latest cue as the dashboard, the terminal line and the overview show it now.

A cue stays up after it is given (fresh, then dimmed) until the next one: most say something that
stays true for a while. A cue about the bout's time left ("10 s LEFT") is true only at its moment;
kept up, it would contradict the bout timer beside it and outlive its bout. So while its bout is
active it counts down with the timer, from the one time left (`CoachState.bout_left_s`), and once
the bout pauses, runs over or ends it is taken down. "Bout paused" is taken down once the bout is
over: it can no longer resume.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kneadback.cues import CUES
from kneadback.ui.dashboard.zones import countdown_s

if TYPE_CHECKING:  # the overview shows cues without the coach (and the engine) loaded
    from kneadback.coach.coach import CoachState
    from kneadback.model import Cue

TIME_LEFT = "ten-seconds-left"  # the cue kind that says how long the bout has to go
PAUSED = "lift-off"  # the cue kind that says the bout under way paused


@dataclass(frozen=True)
class ShownCue:
    headline: str
    text: str


def _headline(kind: str) -> str:
    """A cue kind's headline; one this version does not know (from another tool's stream) in
    capitals."""
    entry = CUES.get(kind)
    return entry.headline if entry is not None else kind.upper()


def shown(kind: str, text: str, bout_phase: str | None, bout_left_s: float | None) -> ShownCue | None:
    """A cue of `kind`, given as `text`, as shown while its bout is in `bout_phase` with
    `bout_left_s` to go; None once it is taken down."""
    if kind == PAUSED and bout_phase is None:
        return None
    if kind != TIME_LEFT:
        return ShownCue(_headline(kind), text)
    if bout_phase != "active" or bout_left_s is None:
        return None
    left = countdown_s(bout_left_s)
    return ShownCue(f"{left} s LEFT", f"{left} s left in this bout.")


def shown_cue(cue: Cue | None, cs: CoachState | None) -> ShownCue | None:
    """`cue` as shown with the coach's state `cs` (as given without one); None when there is
    none or it was taken down."""
    if cue is None:
        return None
    if cs is None:
        return ShownCue(_headline(cue.kind), cue.text)
    return shown(cue.kind, cue.text, cs.bout_phase, cs.bout_left_s)
