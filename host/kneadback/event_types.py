"""The types of kneadback's events, as recordings, exports and JSON lines name them.

Kept apart from `kneadback.model` (which needs numpy) so that the light commands that only read
the database (`sessions`, `doctor`) can name event types without loading it.
"""

from __future__ import annotations

from enum import StrEnum


class EventType(StrEnum):
    """The type of each event: its class's `type`, its JSON "type" and its `events.type` column.

    The values are what recordings and exports hold: never change one. Compare with the members
    (`e.type == EventType.BOUT`), so a misspelt type is an error rather than a silent miss;
    each event class of `kneadback.model` takes its `type` from here, and `kneadback.store.events`
    maps each back to its class.
    """

    INFO = "info"
    DEVICE_STATUS = "device-status"
    ERROR = "error"
    STROKE = "stroke"
    STROKE_MOTION = "stroke-motion"
    HOLD = "hold"
    CONTACT = "contact"
    BOUT_START = "bout-start"
    BOUT = "bout"
    BOUT_PHASE = "bout-phase"
    QUALITY = "quality"
    CUE = "cue"
    RATING = "rating"
    MARKER = "marker"
    SPOT = "spot"
    BOUT_CONTROL = "bout-control"
