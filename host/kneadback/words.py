"""Counts and durations in words: one rule for every report, listing, status and summary line
(and light to import)."""

from __future__ import annotations


def plural(n: int, word: str, words: str | None = None) -> str:
    """A count with its noun: "1 hold", "2 holds", "0 short tries" (`words`: an irregular plural)."""
    return f"{n} {word if n == 1 else words or word + 's'}"


def mmss(seconds: float) -> str:
    """Seconds, rounded, as m:ss, or h:mm:ss from an hour on; a negative time shows as 0:00."""
    m, s = divmod(max(0, int(round(seconds))), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


#: how a bout's stroke pattern is said wherever a person reads it (tile, terminal, report, history,
#: ruler check); the engine's names (`kneadback.engine.motion.BoutMotion.pattern`) stay in JSON,
#: CSV and JSON lines
PATTERN_WORDS = {"one-direction": "one way", "back-and-forth": "both ways", "circling": "circling", "mixed": "mixed"}


def pattern_words(pattern: str) -> str:
    """The words for a bout's stroke pattern; a pattern without words of its own is said as named."""
    return PATTERN_WORDS.get(pattern, pattern.replace("-", " "))


def same_way(share: float) -> str:
    """How consistent the strokes' direction is: "100% same way" when every stroke went one way."""
    return f"{share * 100:.0f}% same way"


def centimetres(cm: float | None, limit: float | None = None) -> str:
    """A stroke's length, "– cm" before the first; marked when it is over `limit` (the routine's
    "short strokes", `kneadback.coach.rules.Policy.max_excursion_cm`)."""
    if cm is None:
        return "– cm"
    return f"{cm:.1f} cm" + (f" (over {limit:g} cm)" if limit is not None and cm > limit else "")
