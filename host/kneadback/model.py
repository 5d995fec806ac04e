"""The values that flow through kneadback: samples, device facts, analysis events, cues.

Every value is a frozen dataclass. Times (`t*`, `start`, `end`) are seconds of *session time*:
the device clock mapped to the session (0 at the first sample). Events that flow to sinks carry
a class-level `type` (`kneadback.event_types.EventType`): the `"type"` field of their JSON form
(`to_dict`) and the `type` column of the recorded `events` table.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np

from kneadback.cues import CUES, SEVERITIES, Severity
from kneadback.event_types import EventType


@dataclass(frozen=True)
class Channel:
    """One channel a board samples (firmware/PROTOCOL.md, HELLO): its `kind` ("force-adc",
    "accel-x", ...), `unit` ("counts", "m/s2", "rad/s", "N") and `scale` (unit per count)."""

    kind: str
    unit: str = "counts"
    scale: float = 1.0


FORCE_CHANNEL = Channel("force-adc")


@dataclass(frozen=True)
class DeviceInfo:
    """What a board says about itself in its HELLO/INFO message (or what a source knows).

    Protocol 1.1 boards also say which boot this is (`boot_id`), their front end, a board id and
    their channels; recordings and boards from before keep the defaults (a 1.0 board is an FSR
    divider, low side, with one channel: the force ADC)."""

    type: ClassVar[EventType] = EventType.INFO
    protocol_version: int
    firmware_version: str
    board: str
    sample_rate_hz: float
    adc_bits: int = 10
    vref_mv: int = 5000
    divider_ohms: int = 1000
    # True when samples carry device timestamps; False for plain-text boards whose sample
    # times come from arrival and a declared or estimated rate.
    device_clock: bool = True
    rate_source: str = "device"  # "device", "declared" (--rate or the text header) or "estimated"
    source: str = ""  # the spec the source was opened from: "/dev/ttyACM0", "sim:steady"...
    serial_number: str | None = None  # the USB serial number of the port
    protocol_minor: int = 0
    boot_id: int | None = None
    front_end: str = "fsr-low"  # "fsr-low", "fsr-high" (divider of `divider_ohms`), "linear" or "unknown"
    board_id: str = ""  # the board's own id or serial number, from its HELLO
    channels: tuple[Channel, ...] = (FORCE_CHANNEL,)  # channel 0 is the force in SampleBlock.adc

    def __post_init__(self) -> None:
        # a stored info holds its channels as JSON objects
        channels = tuple(c if isinstance(c, Channel) else Channel(**c) for c in self.channels)
        object.__setattr__(self, "channels", channels)

    @property
    def adc_full_scale(self) -> int:
        return (1 << self.adc_bits) - 1

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type.value, **dataclasses.asdict(self)}


@dataclass(frozen=True, eq=False)
class SampleBlock:
    """A run of consecutive samples, as a source delivers them.

    `t` holds session-time seconds (float64) and `adc` raw counts (int32), one per sample.
    `first_index` is the running number of the first sample, counting lost ones, so
    `first_index + len(adc)` is the next block's `first_index` when nothing was lost.
    `lost` is how many samples went missing just before this block.
    `t_device_us` holds the raw device timestamps (uint32, wrapping) when the device sent them.
    `extra` holds the other channels of a board that has them (`DeviceInfo.channels[1:]`), one
    int16 column each.
    """

    t: np.ndarray
    adc: np.ndarray
    first_index: int = 0
    lost: int = 0
    t_device_us: np.ndarray | None = None
    t_arrival: float = 0.0  # host clock when the bytes arrived
    extra: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.adc.shape[0])

    @property
    def t_end(self) -> float:
        return float(self.t[-1]) if len(self) else float("nan")

    def rows(self, a: int, b: int | None = None) -> SampleBlock:
        """Samples `a` to `b` with every channel: a block of its own (the loss before this block
        stays with its first sample)."""
        cut = slice(a, b)
        dev, extra = self.t_device_us, self.extra
        return SampleBlock(self.t[cut], self.adc[cut], self.first_index + a, self.lost if a == 0 else 0,
                           None if dev is None else dev[cut], self.t_arrival, None if extra is None else extra[cut])


@dataclass(frozen=True)
class DeviceStatus:
    """The device's own STATUS report (samples it dropped or overran)."""

    type: ClassVar[EventType] = EventType.DEVICE_STATUS
    t: float
    dropped: int
    overruns: int
    streaming: bool
    sample_rate_hz: float

    def to_dict(self) -> dict[str, Any]:
        return _to_dict(self)


@dataclass(frozen=True)
class LinkEvent:
    """Trouble or news on the link: a bad frame, a disconnect, a reconnect, a pause.

    `kind` is one of the errors "crc", "cobs", "truncated", "oversize", "malformed", "unknown-type",
    "text-parse" (recordings made before protocol 1.1 may also hold "garbage"), or the news
    "disconnected", "reconnected", "reset", "pause", "mode" (a text stream turned binary),
    "newer-protocol". `count` says how many of them; `detail` is a short human text.
    """

    type: ClassVar[EventType] = EventType.ERROR
    t: float
    kind: str
    count: int = 1
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return _to_dict(self)


# --- analysis events (engine) -------------------------------------------------------------


@dataclass(frozen=True)
class Stroke:
    """One stroke: force rises from a floor, peaks, and falls again."""

    type: ClassVar[EventType] = EventType.STROKE
    index: int  # 0-based count of strokes in this session
    t_start: float
    t_peak: float
    t_end: float
    t_confirmed: float  # time of the last sample the detector had seen when it emitted this
    peak_n: float
    mean_n: float
    peak_adc: int
    impulse_ns: float  # integral of force over start..end, N*s
    release: float  # fraction of the peak the force fell by before this stroke (0..1)
    # the stroke rate as of this stroke and the interval it adds (`kneadback.engine.rate`): None
    # at the start of a stretch, and in recordings made before strokes carried them
    interval_s: float | None = None
    rate_spm: float | None = None

    @property
    def duration(self) -> float:
        return self.t_end - self.t_start

    @property
    def t(self) -> float:
        return self.t_confirmed

    def to_dict(self) -> dict[str, Any]:
        return _to_dict(self)


@dataclass(frozen=True)
class StrokeMotion:
    """How the tool moved in stroke `index`, from a motion sensor on it (`kneadback.engine.motion`):
    only a board with an IMU gives these, once the stroke's end has passed."""

    type: ClassVar[EventType] = EventType.STROKE_MOTION
    index: int  # of the `Stroke`
    t_confirmed: float
    direction_deg: float  # the working stroke's direction in the skin plane, from the handle, 0..360
    excursion_cm: float  # how far the tip went from the stroke's start to its end
    return_share: float | None  # share of the force on the way back before it; None for a run's first
    circling: bool = False  # the tool never stopped at the stroke's ends (kneading circles), not one way

    @property
    def t(self) -> float:
        return self.t_confirmed

    def to_dict(self) -> dict[str, Any]:
        return _to_dict(self)


@dataclass(frozen=True)
class HoldStarted:
    """Force has stayed in contact with no stroke for longer than the hold limit."""

    type: ClassVar[EventType] = EventType.HOLD
    start: float  # when the static pressure began
    t_confirmed: float
    mean_n: float

    @property
    def t(self) -> float:
        return self.t_confirmed

    def to_dict(self) -> dict[str, Any]:
        return {**_to_dict(self), "phase": "start"}


@dataclass(frozen=True)
class HoldEnded:
    type: ClassVar[EventType] = EventType.HOLD
    start: float
    end: float
    t_confirmed: float
    mean_n: float

    @property
    def t(self) -> float:
        return self.t_confirmed

    def to_dict(self) -> dict[str, Any]:
        return {**_to_dict(self), "phase": "end"}


@dataclass(frozen=True)
class ContactChanged:
    """The tool touched the skin (`on`) or lifted off."""

    type: ClassVar[EventType] = EventType.CONTACT
    at: float  # when the change happened
    on: bool
    t_confirmed: float

    @property
    def t(self) -> float:
        return self.t_confirmed

    def to_dict(self) -> dict[str, Any]:
        return _to_dict(self)


@dataclass(frozen=True)
class BoutStarted:
    type: ClassVar[EventType] = EventType.BOUT_START
    index: int
    start: float
    t_confirmed: float

    @property
    def t(self) -> float:
        return self.t_confirmed

    def to_dict(self) -> dict[str, Any]:
        return _to_dict(self)


@dataclass(frozen=True)
class Bout:
    """A finished bout: the engine's stretch of stroking (ended by a pause, a hold or a lift-off),
    or, as the session records it, a bout of the session's bout machine (`kneadback.coach.bouts`),
    which fills in the last three fields. Recordings made before it lack them (None)."""

    type: ClassVar[EventType] = EventType.BOUT
    index: int
    start: float
    end: float
    t_confirmed: float
    strokes: int
    rate_spm: float | None
    mean_peak_n: float | None
    active_s: float | None = None  # time stroking: start..end without the pauses it resumed after
    overtime_s: float | None = None  # active time past the bout length
    counted: bool | None = None  # one of the day's bouts (not a short try)

    @property
    def duration(self) -> float:
        return self.end - self.start

    @property
    def t(self) -> float:
        return self.t_confirmed

    def to_dict(self) -> dict[str, Any]:
        return _to_dict(self)


BoutPhaseName = Literal["active", "paused", "overtime"]


@dataclass(frozen=True)
class BoutPhase:
    """The bout under way changed phase (`kneadback.coach.bouts`): "paused" (the stroking stopped;
    it may resume), "active" (it resumed) or "overtime" (past the bout length). `at` is when,
    which may be before it was confirmed; `active_s` is the bout's active time then."""

    type: ClassVar[EventType] = EventType.BOUT_PHASE
    index: int
    phase: BoutPhaseName
    at: float
    t_confirmed: float
    active_s: float

    @property
    def t(self) -> float:
        return self.t_confirmed

    def active_at(self, t: float) -> float:
        """The bout's active time at `t`, if nothing changes before then."""
        return self.active_s + (max(0.0, t - self.at) if self.phase != "paused" else 0.0)

    def to_dict(self) -> dict[str, Any]:
        return _to_dict(self)


@dataclass(frozen=True)
class SignalQuality:
    """Periodic signal-quality summary over the last window."""

    type: ClassVar[EventType] = EventType.QUALITY
    t: float
    saturated_fraction: float  # share of samples at the ADC rail
    noise_n: float  # robust noise estimate, newtons RMS
    lost_samples: int  # total so far
    # share of samples so near the rail that one count moves the linearised signal by more than a
    # tenth: stillness (holds) and light strokes are judged only coarsely there
    near_rail_fraction: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return _to_dict(self)


# --- coaching ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Cue:
    type: ClassVar[EventType] = EventType.CUE
    t: float
    kind: str  # one of `kneadback.cues.CUES`
    severity: Severity
    text: str

    def __post_init__(self) -> None:
        if self.kind not in CUES:
            raise ValueError(f"unknown cue kind {self.kind!r}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown cue severity {self.severity!r}")

    def to_dict(self) -> dict[str, Any]:
        return _to_dict(self)


@dataclass(frozen=True)
class Rating:
    """A discomfort rating 0..10 the user gave, paired with the force of recent strokes."""

    type: ClassVar[EventType] = EventType.RATING
    t: float
    value: int
    spot: str
    force_n: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return _to_dict(self)


@dataclass(frozen=True)
class Marker:
    type: ClassVar[EventType] = EventType.MARKER
    t: float
    label: str = ""

    def to_dict(self) -> dict[str, Any]:
        return _to_dict(self)


@dataclass(frozen=True)
class SpotChanged:
    type: ClassVar[EventType] = EventType.SPOT
    t: float
    spot: str

    def to_dict(self) -> dict[str, Any]:
        return _to_dict(self)


BOUT_ACTIONS: tuple[str, ...] = ("start", "stop", "auto")


@dataclass(frozen=True)
class BoutControl:
    """The user's bout control: `start` or `stop` a bout by hand (which switches to manual bouts),
    or `auto` (back to the engine's automatic bouts, ending a manual bout under way)."""

    type: ClassVar[EventType] = EventType.BOUT_CONTROL
    t: float
    action: str

    def __post_init__(self) -> None:
        if self.action not in BOUT_ACTIONS:
            raise ValueError(f"unknown bout action {self.action!r}")

    def to_dict(self) -> dict[str, Any]:
        return _to_dict(self)


Event = (
    Stroke
    | StrokeMotion
    | HoldStarted
    | HoldEnded
    | ContactChanged
    | BoutStarted
    | BoutPhase
    | Bout
    | SignalQuality
    | Cue
    | Rating
    | Marker
    | SpotChanged
    | BoutControl
    | LinkEvent
    | DeviceStatus
)


# --- the link and the session's own news (not recorded as events) ------------------------

LinkState = Literal["waiting", "streaming", "silent", "lost"]

SourceItem = SampleBlock | DeviceInfo | DeviceStatus | LinkEvent  # what a source's read() delivers


@dataclass(frozen=True)
class Command:
    """A host→device command (protocol v1 types 0x10..0x14)."""

    name: str  # "start", "stop", "set-rate", "get-info", "ping"
    value: int = 0  # the rate for set-rate, the token for ping


@dataclass(frozen=True)
class Rewind:
    """From a seekable source: delivery goes on from session time `t`; `before` is everything
    recorded before it, in order, to rebuild the session's state at `t` from. `announce`: tell the
    sinks (a `reset` link event), as after a seek."""

    t: float
    before: Iterable[object]
    announce: bool = True


@dataclass(frozen=True)
class Notice:
    """What the session itself has to tell the user (not an event of the device, so not recorded):
    e.g. kind "silent", with the likely causes of a device that sends nothing valid."""

    t: float
    kind: str
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"type": "notice", "t": round(self.t, 6), "kind": self.kind, "text": self.text}


@dataclass
class LinkStatus:
    """Counts so far and the state of the link, reported to sinks every few tenths of a second of
    session time and at least every second of the clock (`kneadback.session`)."""

    t: float = 0.0
    samples: int = 0
    lost: int = 0
    errors: int = 0
    errors_by_kind: dict[str, int] = field(default_factory=dict)
    rate_hz: float | None = None
    last_adc: int | None = None
    state: LinkState = "waiting"
    quiet_s: float = 0.0  # clock seconds since valid data last came (or the port opened)
    device_dropped: int = 0
    noisy: bool = False  # many link errors lately: "noisy connection"

    @property
    def connected(self) -> bool:
        """True only while valid data flows: an open port with nothing valid on it is not."""
        return self.state == "streaming"

    def to_dict(self) -> dict[str, object]:
        return {
            "type": "status",
            "t": round(self.t, 6),
            "samples": self.samples,
            "lost": self.lost,
            "errors": self.errors,
            "errors_by_kind": dict(self.errors_by_kind),
            "rate_hz": None if self.rate_hz is None else round(self.rate_hz, 3),
            "last_adc": self.last_adc,
            "connected": self.connected,
            "state": self.state,
            "quiet_s": round(self.quiet_s, 3),
            "device_dropped": self.device_dropped,
            "noisy": self.noisy,
        }


def to_json(obj: dict[str, Any]) -> str:
    """The one JSON text of an event's `to_dict` (JSON lines, LSL markers): numpy values as plain
    numbers and lists, a NaN or an infinity as null."""
    return json.dumps(_plain(obj), ensure_ascii=False, allow_nan=False)


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    return value


def _to_dict(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": obj.type.value}
    for f in dataclasses.fields(obj):
        v = getattr(obj, f.name)
        out[f.name] = v.item() if isinstance(v, np.generic) else v
    if "t" not in out and hasattr(obj, "t"):
        out["t"] = obj.t
    return out


__all__ = [
    "BOUT_ACTIONS",
    "Bout",
    "BoutControl",
    "BoutPhase",
    "BoutPhaseName",
    "BoutStarted",
    "Command",
    "ContactChanged",
    "Cue",
    "DeviceInfo",
    "DeviceStatus",
    "Event",
    "HoldEnded",
    "HoldStarted",
    "LinkEvent",
    "LinkState",
    "LinkStatus",
    "Marker",
    "Notice",
    "Rating",
    "Rewind",
    "SampleBlock",
    "SignalQuality",
    "SourceItem",
    "SpotChanged",
    "Stroke",
    "StrokeMotion",
    "to_json",
]
