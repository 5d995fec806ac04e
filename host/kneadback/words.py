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
