"""Bout and session scores of a recorded session, by the coach's own scoring of its events: its
bouts as recorded (the bout machine's starts, phases and records), never worked out again."""

from __future__ import annotations

from typing import Any

from kneadback.coach.coach import score_events
from kneadback.coach.targets import Targets
from kneadback.event_types import EventType
from kneadback.model import DeviceInfo
from kneadback.store.calibration import force_model_from_dict
from kneadback.store.db import EventRow, SessionRow
from kneadback.store.events import from_dict

_SCORED = (EventType.STROKE, EventType.STROKE_MOTION, EventType.HOLD, EventType.CONTACT, EventType.BOUT_START,
           EventType.BOUT_PHASE, EventType.BOUT, EventType.RATING, EventType.SPOT)


def targets_of(row: SessionRow) -> Targets:
    """The targets the session was coached with (defaults for what was not recorded)."""
    try:
        return Targets(**(row.targets or {}))
    except (TypeError, ValueError):
        return Targets()


def session_scores(row: SessionRow, events: list[EventRow]) -> dict[str, Any]:
    """{"bouts": [score dict, ...], "session": score dict}."""
    evs = [ev for ev in (from_dict(e.data) for e in events if e.type in _SCORED) if not isinstance(ev, DeviceInfo)]
    bouts, session = score_events(evs, targets_of(row), row.spot or "", force_model_from_dict(row.calibration, row.device))
    return {"bouts": [b.to_dict() for b in bouts], "session": session.to_dict()}
