"""A session's headline numbers (for `kneadback sessions`, the report and history), computed
from its recorded events and kept in `sessions.summary` when the session closes cleanly.

Every reader takes a recorded bout as the session's bout machine recorded it (`is_counted`,
`active_s`, `overtime_s`: `kneadback.coach.bouts`), so `sessions`, `history`, the report and the
coach's "bouts today" count the same bouts and leave the same short tries out. A bout recorded
before bouts carried these has them worked out by the rule of the time: its length from start to
end, counted when it lasted half the bout length."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from kneadback.coach.spots import counts_toward_today
from kneadback.csvformat import IMU_KINDS
from kneadback.event_types import EventType
from kneadback.store.db import EventRow, SessionRow, Store

if TYPE_CHECKING:  # loaded only where a bout's motion is worked out
    from kneadback.model import StrokeMotion


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


def bout_motions(events: list[EventRow]) -> list[dict[str, Any]] | None:
    """Each recorded bout's stroke motion (a tool with an IMU only; None without any): how well its
    working directions agree, their mean, the median excursion and the pattern
    (`kneadback.engine.motion.bout_motion`), for the strokes that started within the bout."""
    from kneadback.model import StrokeMotion
    from kneadback.store.events import from_dict

    motions = [m for m in (from_dict(e.data) for e in events if e.type == EventType.STROKE_MOTION)
               if isinstance(m, StrokeMotion)]
    if not motions:
        return None
    starts = {e.data["index"]: float(e.data["t_start"]) for e in events if e.type == EventType.STROKE}
    return [{"bout": int(b["index"]), **motion_of_bout(float(b["start"]), float(b["end"]), starts, motions)}
            for b in (e.data for e in events if e.type == EventType.BOUT)]


def motion_of_bout(start: float, end: float, starts: Mapping[int, float], motions: Sequence[StrokeMotion]) -> dict[str, Any]:
    """One bout's stroke motion, as summaries keep it (`analyze` says it the same way): of the
    `motions` whose strokes started (`starts`, by stroke index) within the bout."""
    from kneadback.engine.motion import bout_motion

    bm = bout_motion([m for m in motions if start <= starts.get(m.index, -1.0) <= end])
    if bm is None:
        return {"strokes": 0}
    return {"strokes": bm.strokes, "consistency": round(bm.resultant, 3), "direction_deg": round(bm.direction_deg, 1),
            "median_excursion_cm": round(bm.median_excursion_cm, 2), "pattern": bm.pattern}


def summarize(row: SessionRow, events: list[EventRow]) -> dict[str, Any]:
    spots: list[str] = [row.spot] if row.spot else []
    for e in events:
        if e.type in (EventType.SPOT, EventType.RATING) and e.spot and e.spot not in spots:
            spots.append(e.spot)
    from kneadback.store.scoring import session_scores

    scores = session_scores(row, events)
    motion = bout_motions(events)
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
        **({} if motion is None else {"bout_motion": motion}),  # an FSR-only session's summary is as it was
    }


def summarize_session(store: Store, session_id: int) -> dict[str, Any]:
    return summarize(store.session(session_id), store.events(session_id))


def summary_of(store: Store, row: SessionRow) -> dict[str, Any]:
    """The stored summary, or (interrupted session) one computed now, without writing it. A
    summary stored before it had every bout number (`short_tries`, `overtime_s`) gets its bouts
    recounted."""
    if row.summary is None:
        return summarize(row, store.events(row.id))
    summary = row.summary
    if not {"short_tries", "overtime_s"} <= summary.keys():
        summary = {**summary, **bout_fields(row, store.events(row.id, (EventType.BOUT,)))}
    if "bout_motion" not in summary and _has_imu(row):  # summarised before summaries carried the motion
        motion = bout_motions(store.events(row.id, (EventType.STROKE, EventType.STROKE_MOTION, EventType.BOUT)))
        summary = summary if motion is None else {**summary, "bout_motion": motion}
    return summary


def _has_imu(row: SessionRow) -> bool:
    """Whether the session's device listed an IMU's six channels (read from the stored device, so
    that `sessions` stays light)."""
    channels = (row.device or {}).get("channels") or []
    return set(IMU_KINDS) <= {c.get("kind") for c in channels if isinstance(c, dict)}
