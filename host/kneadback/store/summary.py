"""A session's headline numbers (for `kneadback sessions`, the report and history), computed
from its recorded events and kept in `sessions.summary` when the session closes cleanly.

A recorded bout counts only when it lasted long enough by the coach's own rule (`is_counted`):
`sessions`, `history` and the coach's "bouts today" all leave short tries out."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from kneadback.coach.spots import counts_toward_today
from kneadback.store.db import EventRow, SessionRow, Store


def is_counted(bout: Mapping[str, Any], bout_s: float) -> bool:
    """Whether a recorded bout (a `bout` event's data) is one of the day's bouts, not a short try."""
    return counts_toward_today(float(bout["end"]) - float(bout["start"]), bout_s)


def bout_fields(row: SessionRow, events: list[EventRow]) -> dict[str, Any]:
    """The summary's bout numbers: the bouts that count (against the session's bout length), and
    how many short tries were left out."""
    from kneadback.store.scoring import targets_of

    bout_s = targets_of(row).bout_s
    bouts = [e for e in events if e.type == "bout"]
    counted = [e for e in bouts if is_counted(e.data, bout_s)]
    return {
        "bouts": len(counted),
        "short_tries": len(bouts) - len(counted),
        "bouts_by_spot": dict(Counter(e.spot or "" for e in counted)),
        "time_in_bouts_s": round(sum(e.data["end"] - e.data["start"] for e in counted), 3),
    }


def summarize(row: SessionRow, events: list[EventRow]) -> dict[str, Any]:
    spots: list[str] = [row.spot] if row.spot else []
    for e in events:
        if e.type in ("spot", "rating") and e.spot and e.spot not in spots:
            spots.append(e.spot)
    from kneadback.store.scoring import session_scores

    scores = session_scores(row, events)
    return {
        **bout_fields(row, events),
        "strokes": sum(1 for e in events if e.type == "stroke"),
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
    """The stored summary, or (interrupted session) one computed now, without writing it. A
    summary stored before short tries were left out (no `short_tries`) gets its bouts recounted."""
    if row.summary is None:
        return summarize(row, store.events(row.id))
    if "short_tries" not in row.summary:
        return {**row.summary, **bout_fields(row, store.events(row.id, ("bout",)))}
    return row.summary
