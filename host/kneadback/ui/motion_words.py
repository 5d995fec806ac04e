"""How a bout's stroke motion is said on screen, in the words of `kneadback.words` (one table for
the tile, the terminal, the report and the history)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kneadback import words
from kneadback.words import centimetres as length
from kneadback.words import pattern_words

if TYPE_CHECKING:  # the dashboard's widgets load without the engine
    from kneadback.engine.motion import BoutMotion


def same_way(m: BoutMotion) -> str:
    """How consistent the bout's strokes' direction is."""
    return words.same_way(m.resultant)


def lengths(m: BoutMotion, last_cm: float | None) -> str:
    """The last stroke's length and the bout's median, each named: the median is what the colour,
    the report and the history go by."""
    return f"last {length(last_cm)}, median {length(m.median_excursion_cm)}"


__all__ = ["length", "lengths", "pattern_words", "same_way"]
