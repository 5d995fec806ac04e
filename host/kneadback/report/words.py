"""Counts in words, one rule for every report, listing and summary line (and light to import)."""

from __future__ import annotations


def plural(n: int, word: str, words: str | None = None) -> str:
    """A count with its noun: "1 hold", "2 holds", "0 short tries" (`words`: an irregular plural)."""
    return f"{n} {word if n == 1 else words or word + 's'}"
