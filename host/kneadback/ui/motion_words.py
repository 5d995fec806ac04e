"""How a bout's stroke motion is said: the dashboard's direction tile and the terminal line use
the same words, so they never say it two ways."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the dashboard's widgets load without the engine
    from kneadback.engine.motion import BoutMotion

PATTERN_WORDS = {"one-direction": "one way", "back-and-forth": "both ways"}


def pattern_words(pattern: str) -> str:
    """The words for a bout's pattern; one without words of its own is said as it is named
    ("mixed", or a pattern the engine adds later)."""
    return PATTERN_WORDS.get(pattern, pattern.replace("-", " "))


def same_way(m: BoutMotion) -> str:
    """How consistent the strokes' direction is: 100 % when every stroke went the same way."""
    return f"{m.resultant * 100:.0f}% same way"


def length(cm: float | None) -> str:
    """A stroke's excursion, "–" before the first."""
    return "– cm" if cm is None else f"{cm:.1f} cm"
