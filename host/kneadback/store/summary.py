"""A session's headline numbers (for `kneadback sessions`, the report and history), computed
from its recorded events and kept in `sessions.summary` when the session closes cleanly."""

from __future__ import annotations

from collections import Counter
from typing import Any

from kneadback.store.db import EventRow, SessionRow, Store


def summarize(row: SessionRow, events: list[EventRow]) -> dict[str, Any]:
    bouts = [e for e in events if e.type == "bout"]
    spots: list[str] = [row.spot] if row.spot else []
    for e in events:
        if e.type in ("spot", "rating") and e.spot and e.spot not in spots:
            spots.append(e.spot)
    bout_spots = Counter(e.spot or "" for e in bouts)
    from kneadback.store.scoring import session_scores

    scores = session_scores(row, events)
    return {
        "bouts": len(bouts),
        "bouts_by_spot": dict(bout_spots),
        "strokes": sum(1 for e in events if e.type == "stroke"),
        "time_in_bouts_s": round(sum(e.data["end"] - e.data["start"] for e in bouts), 3),
        "spots": spots,
        "cues": dict(Counter(e.data.get("kind", "") for e in events if e.type == "cue")),
        "ratings": sum(1 for e in events if e.type == "rating"),
        "markers": sum(1 for e in events if e.type == "marker"),
        "link_errors": sum(int(e.data.get("count", 1)) for e in events if e.type == "error"),
        "score": scores.get("session"),
        "bout_scores": scores.get("bouts", []),
    }


def summarize_session(store: Store, session_id: int) -> dict[str, Any]:
    return summarize(store.session(session_id), store.events(session_id))


def summary_of(store: Store, row: SessionRow) -> dict[str, Any]:
    """The stored summary, or (interrupted session) one computed now, without writing it."""
    return row.summary if row.summary is not None else summarize(row, store.events(row.id))
