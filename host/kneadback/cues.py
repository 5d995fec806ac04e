"""The coaching cues: one entry per kind, holding all that the coach and the outputs need of it.

An entry says how urgent the cue is (its severity: the coach's anti-nag gate and the colours go
by it), the tone that announces it, the few words the dashboard shows big (and a narrow terminal
line), what it says (spoken and printed), and the correction that undoes it, if any. The coach
only decides when a cue is due; a new cue is one entry here.

This module sits at the bottom of the layers (`kneadback.model` validates `Cue.kind` against it),
so it imports nothing of kneadback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

Severity = Literal["info", "correction", "praise", "safety"]
SEVERITIES: tuple[Severity, ...] = get_args(Severity)

#: the tones `kneadback.ui.audio.TONES` renders: one per family of cues, with a rising and a
#: falling one where a family has two directions ("hold" is the family of how the tool moves)
Tone = Literal["rhythm-up", "rhythm-down", "praise", "hold", "pressure-up", "pressure-down", "safety", "timer",
               "timer-done", "bout", "rating"]


@dataclass(frozen=True)
class CueKind:
    """One kind of cue. Texts may hold `{n}` (a bout count) and `{spot}`, filled in by the coach."""

    kind: str
    severity: Severity
    tone: Tone
    headline: str  # the few words shown big; the full text goes underneath
    text: str
    far: str | None = None  # far off target, a correction drops the "a little"
    consistent: str | None = None  # pressure coached for consistency, before the spot has ratings
    opposite: str | None = None  # the correction that undoes this one: it waits, so cues never flicker

    def text_for(self, *, consistency: bool = False, far: bool = False, **fields: object) -> str:
        """The words for this cue: its consistency wording, else its far-off one, where they apply."""
        if consistency and self.consistent is not None:
            template = self.consistent
        elif far and self.far is not None:
            template = self.far
        else:
            template = self.text
        return template.format(**fields)

    @property
    def texts(self) -> tuple[str, ...]:
        """Every wording of this cue (to prepare speech before it is needed)."""
        return tuple(t for t in (self.text, self.far, self.consistent) if t is not None)


CUES: dict[str, CueKind] = {
    c.kind: c
    for c in (
        CueKind("faster", "correction", "rhythm-up", "FASTER", "A little faster: about one stroke a second.",
                far="Faster: aim for one stroke a second.", opposite="slower"),
        CueKind("slower", "correction", "rhythm-down", "SLOWER", "A little slower: about one stroke a second.",
                far="Slower: aim for one stroke a second.", opposite="faster"),
        CueKind("good-rhythm", "praise", "praise", "GOOD RHYTHM", "Good rhythm."),
        CueKind("dont-hold", "correction", "hold", "KEEP MOVING", "Keep moving: short strokes rather than holding still."),
        CueKind("press-harder", "correction", "pressure-up", "FIRMER", "Press a little firmer.", far="Press firmer.",
                consistent="Keep the pressure even: a little firmer, as before.", opposite="ease-off"),
        CueKind("ease-off", "correction", "pressure-down", "LIGHTER", "Ease off a little.", far="Ease off.",
                consistent="Keep the pressure even: a little lighter, as before.", opposite="press-harder"),
        CueKind("one-direction", "correction", "hold", "STROKE ONE WAY", "Stroke one way, then lift or ease off for the return."),
        CueKind("shorter-strokes", "correction", "hold", "STROKE SHORTER", "Shorter strokes: a few centimetres each."),
        CueKind("good-strokes", "praise", "praise", "GOOD STROKES", "Good strokes: short, and one way."),
        CueKind("too-hard", "safety", "safety", "TOO HARD", "Too hard. Ease off now."),
        CueKind("ten-seconds-left", "info", "timer", "10 s LEFT", "Ten seconds left."),
        CueKind("bout-done", "info", "timer-done", "BOUT DONE", "Bout done. Rest, or move to another spot."),
        CueKind("overtime", "correction", "timer-done", "REST NOW", "The bout is over: rest now, or move to another spot."),
        CueKind("lift-off", "info", "bout", "PAUSED", "Lifted off: bout paused."),
        CueKind("bout-count", "info", "bout", "NEW BOUT", "Bout {n} of today on {spot}."),
        CueKind("daily-limit", "info", "bout", "ENOUGH TODAY",
                "{n} bouts today on {spot}: that is plenty for one day. Rest it or pick another spot."),
        CueKind("rate-discomfort", "info", "rating", "RATE IT 0–10", "How uncomfortable is this, 0 to 10? Press a number key."),
    )
}

__all__ = ["CUES", "SEVERITIES", "CueKind", "Severity", "Tone"]
