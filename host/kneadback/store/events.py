"""Model events ↔ the JSON kept in the `events` table (and in JSON exports).

Only known dataclass fields are read back; nothing from a file is ever evaluated.
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any, get_args

from kneadback.event_types import EventType
from kneadback.model import (
    BoutControl,
    Cue,
    DeviceInfo,
    DeviceStatus,
    Event,
    HoldEnded,
    HoldStarted,
    LinkEvent,
    Marker,
    Rating,
    SpotChanged,
)

SOURCE_TYPES = (DeviceInfo, LinkEvent, DeviceStatus)
USER_TYPES = (Rating, Marker, SpotChanged, BoutControl)

# every event class by its type (a new event is found here once it is in `Event`); the two of a
# hold share a type, told apart by their "phase"
_BY_TYPE: dict[str, type] = {c.type: c for c in (*get_args(Event), DeviceInfo) if c.type != EventType.HOLD}


def origin_of(ev: Any) -> str:
    if isinstance(ev, SOURCE_TYPES):
        return "source"
    if isinstance(ev, USER_TYPES):
        return "user"
    if isinstance(ev, Cue):
        return "coach"
    return "engine"


def time_of(ev: Any) -> float:
    t = getattr(ev, "t", None)
    return float(t) if t is not None else 0.0


def to_json(ev: Any) -> str:
    return json.dumps(ev.to_dict(), sort_keys=True)


def from_dict(d: dict[str, Any]) -> Event | DeviceInfo:
    """The model object for one stored event dict; ValueError when it is not one."""
    kind = d.get("type")
    if kind == EventType.HOLD:
        cls: type = HoldEnded if d.get("phase") == "end" else HoldStarted
    else:
        found = _BY_TYPE.get(kind) if isinstance(kind, str) else None
        if found is None:
            raise ValueError(f"unknown event type {kind!r}")
        cls = found
    names = [f.name for f in dataclasses.fields(cls)]
    try:
        return cls(**{n: d[n] for n in names if n in d})
    except TypeError as e:
        raise ValueError(f"bad {kind} event: {e}") from None


def device_info_from_dict(d: dict[str, Any]) -> DeviceInfo:
    info = from_dict({**d, "type": EventType.INFO.value})
    assert isinstance(info, DeviceInfo)
    return info


def clean(value: Any) -> Any:
    """Replace NaN/inf (not valid JSON) with None, recursively."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    return value
