"""A session's headline numbers (for `kneadback sessions`, the report and history), computed
from its recorded events and kept in `sessions.summary` when the session closes cleanly.

Every reader takes a recorded bout as the session's bout machine recorded it (`is_counted`,
`active_s`, `overtime_s`: `kneadback.coach.bouts`), so `sessions`, `history`, the report and the
coach's "bouts today" count the same bouts and leave the same short tries out. A bout recorded
before bouts carried these has them worked out by the rule of the time: its length from start to
end, counted when it lasted half the bout length."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from kneadback.coach.spots import counts_toward_today
from kneadback.event_types import EventType
from kneadback.store.db import EventRow, SessionRow, Store


def is_counted(bout: Mapping[str, Any], bout_s: float) -> bool:
    """Whether a recorded bout (a `bout` event's data) is one of the day's bouts, not a short try."""
    counted = bout.get("counted")
    return bool(counted) if counted is not None else counts_toward_today(active_s(bout), bout_s)


def active_s(bout: Mapping[str, Any]) -> float:
    """A recorded bout's time stroking (its pauses left out)."""
    active = bout.get("active_s")
    return float(active) if active is not None else float(bout["end"]) - float(bout["start"])


def overtime_s(bout: Mapping[str, Any], bout_s: float) -> float:
    """How far past the bout length a recorded bout went."""
    over = bout.get("overtime_s")
    return float(over) if over is not None else max(0.0, active_s(bout) - bout_s)


def bout_fields(row: SessionRow, events: list[EventRow]) -> dict[str, Any]:
    """The summary's bout numbers: the bouts that count (against the session's bout length), and
    how many short tries were left out."""
    from kneadback.store.scoring import targets_of

    bout_s = targets_of(row).bout_s
    bouts = [e for e in events if e.type == EventType.BOUT]
    counted = [e for e in bouts if is_counted(e.data, bout_s)]
    return {
        "bouts": len(counted),
        "short_tries": len(bouts) - len(counted),
        "bouts_by_spot": dict(Counter(e.spot or "" for e in counted)),
        "time_in_bouts_s": round(sum(active_s(e.data) for e in counted), 3),
        "overtime_s": round(sum(overtime_s(e.data, bout_s) for e in counted), 3),
    }


def summarize(row: SessionRow, events: list[EventRow]) -> dict[str, Any]:
    spots: list[str] = [row.spot] if row.spot else []
    for e in events:
        if e.type in (EventType.SPOT, EventType.RATING) and e.spot and e.spot not in spots:
            spots.append(e.spot)
    from kneadback.store.scoring import session_scores

    scores = session_scores(row, events)
    return {
        **bout_fields(row, events),
        "strokes": sum(1 for e in events if e.type == EventType.STROKE),
        "spots": spots,
        "cues": dict(Counter(e.data.get("kind", "") for e in events if e.type == EventType.CUE)),
        "ratings": sum(1 for e in events if e.type == EventType.RATING),
        "markers": sum(1 for e in events if e.type == EventType.MARKER),
        "link_errors": sum(int(e.data.get("count", 1)) for e in events if e.type == EventType.ERROR),
        "score": scores.get("session"),
        "bout_scores": scores.get("bouts", []),
    }


def summarize_session(store: Store, session_id: int) -> dict[str, Any]:
    return summarize(store.session(session_id), store.events(session_id))


def summary_of(store: Store, row: SessionRow) -> dict[str, Any]:
    """The stored summary, or (interrupted session) one computed now, without writing it. A
    summary stored before it had every bout number (`short_tries`, `overtime_s`) gets its bouts
    recounted."""
    if row.summary is None:
        return summarize(row, store.events(row.id))
    if not {"short_tries", "overtime_s"} <= row.summary.keys():
        return {**row.summary, **bout_fields(row, store.events(row.id, (EventType.BOUT,)))}
    return row.summary
