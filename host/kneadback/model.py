"""The values that flow through kneadback: samples, device facts, analysis events, cues.

Every value is a frozen dataclass. Times (`t*`, `start`, `end`) are seconds of *session time*:
the device clock mapped to the session (0 at the first sample). Events that flow to sinks carry
a class-level `type` used as the `"type"` field of their JSON form (`to_dict`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np


@dataclass(frozen=True)
class DeviceInfo:
    """What a board says about itself in its HELLO/INFO message (or what a source knows)."""

    type: ClassVar[str] = "info"
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
    rate_source: str = "device"  # "device", "declared" (--rate) or "estimated"
    source: str = ""  # the spec the source was opened from: "/dev/ttyACM0", "sim:steady"...
    serial_number: str | None = None

    @property
    def adc_full_scale(self) -> int:
        return (1 << self.adc_bits) - 1

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, **dataclasses.asdict(self)}


@dataclass(frozen=True, eq=False)
class SampleBlock:
    """A run of consecutive samples, as a source delivers them.

    `t` holds session-time seconds (float64) and `adc` raw counts (int32), one per sample.
    `first_index` is the running number of the first sample, counting lost ones, so
    `first_index + len(adc)` is the next block's `first_index` when nothing was lost.
    `lost` is how many samples went missing just before this block.
    `t_device_us` holds the raw device timestamps (uint32, wrapping) when the device sent them.
    """

    t: np.ndarray
    adc: np.ndarray
    first_index: int = 0
    lost: int = 0
    t_device_us: np.ndarray | None = None
    t_arrival: float = 0.0  # host clock when the bytes arrived

    def __len__(self) -> int:
        return int(self.adc.shape[0])

    @property
    def t_end(self) -> float:
        return float(self.t[-1]) if len(self) else float("nan")


@dataclass(frozen=True)
class DeviceStatus:
    """The device's own STATUS report (samples it dropped or overran)."""

    type: ClassVar[str] = "device-status"
    t: float
    dropped: int
    overruns: int
    streaming: bool
    sample_rate_hz: float

    def to_dict(self) -> dict[str, Any]:
        return _to_dict(self)


@dataclass(frozen=True)
class LinkEvent:
    """Trouble or news on the link: a bad frame, garbage, a disconnect, a reconnect.

    `kind` is one of: "crc", "cobs", "truncated", "oversize", "garbage", "unknown-type", "malformed",
    "disconnected", "reconnected", "reset", "text-parse". `count` says how many of them
    (e.g. garbage bytes); `detail` is a short human text.
    """

    type: ClassVar[str] = "error"
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

    type: ClassVar[str] = "stroke"
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

    @property
    def duration(self) -> float:
        return self.t_end - self.t_start

    @property
    def t(self) -> float:
        return self.t_confirmed

    def to_dict(self) -> dict[str, Any]:
        return _to_dict(self)


@dataclass(frozen=True)
class HoldStarted:
    """Force has stayed in contact with no stroke for longer than the hold limit."""

    type: ClassVar[str] = "hold"
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
    type: ClassVar[str] = "hold"
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

    type: ClassVar[str] = "contact"
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
    type: ClassVar[str] = "bout-start"
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
    """A finished stretch of stroking, ended by a pause or a lift-off."""

    type: ClassVar[str] = "bout"
    index: int
    start: float
    end: float
    t_confirmed: float
    strokes: int
    rate_spm: float | None
    mean_peak_n: float | None

    @property
    def duration(self) -> float:
        return self.end - self.start

    @property
    def t(self) -> float:
        return self.t_confirmed

    def to_dict(self) -> dict[str, Any]:
        return _to_dict(self)


@dataclass(frozen=True)
class SignalQuality:
    """Periodic signal-quality summary over the last window."""

    type: ClassVar[str] = "quality"
    t: float
    saturated_fraction: float  # share of samples at the ADC rail
    noise_n: float  # robust noise estimate, newtons RMS
    lost_samples: int  # total so far

    def to_dict(self) -> dict[str, Any]:
        return _to_dict(self)


# --- coaching ------------------------------------------------------------------------------

CUE_KINDS: tuple[str, ...] = (
    "faster",
    "slower",
    "good-rhythm",
    "dont-hold",
    "press-harder",
    "ease-off",
    "too-hard",
    "ten-seconds-left",
    "bout-done",
    "lift-off",
    "bout-count",
    "daily-limit",
    "rate-discomfort",
)


@dataclass(frozen=True)
class Cue:
    type: ClassVar[str] = "cue"
    t: float
    kind: str
    severity: str  # "info", "correction", "praise", "safety"
    text: str

    def __post_init__(self) -> None:
        if self.kind not in CUE_KINDS:
            raise ValueError(f"unknown cue kind {self.kind!r}")

    def to_dict(self) -> dict[str, Any]:
        return _to_dict(self)


@dataclass(frozen=True)
class Rating:
    """A discomfort rating 0..10 the user gave, paired with the force of recent strokes."""

    type: ClassVar[str] = "rating"
    t: float
    value: int
    spot: str
    force_n: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return _to_dict(self)


@dataclass(frozen=True)
class Marker:
    type: ClassVar[str] = "marker"
    t: float
    label: str = ""

    def to_dict(self) -> dict[str, Any]:
        return _to_dict(self)


@dataclass(frozen=True)
class SpotChanged:
    type: ClassVar[str] = "spot"
    t: float
    spot: str

    def to_dict(self) -> dict[str, Any]:
        return _to_dict(self)


BOUT_ACTIONS: tuple[str, ...] = ("start", "stop", "auto")


@dataclass(frozen=True)
class BoutControl:
    """The user's bout control: `start` or `stop` a bout by hand (which switches to manual bouts),
    or `auto` (back to the engine's automatic bouts, ending a manual bout under way)."""

    type: ClassVar[str] = "bout-control"
    t: float
    action: str

    def __post_init__(self) -> None:
        if self.action not in BOUT_ACTIONS:
            raise ValueError(f"unknown bout action {self.action!r}")

    def to_dict(self) -> dict[str, Any]:
        return _to_dict(self)


Event = (
    Stroke
    | HoldStarted
    | HoldEnded
    | ContactChanged
    | BoutStarted
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


def _to_dict(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": obj.type}
    for f in dataclasses.fields(obj):
        v = getattr(obj, f.name)
        out[f.name] = v.item() if isinstance(v, np.generic) else v
    if "t" not in out and hasattr(obj, "t"):
        out["t"] = obj.t
    return out


__all__ = [
    "BOUT_ACTIONS",
    "CUE_KINDS",
    "Bout",
    "BoutControl",
    "BoutStarted",
    "ContactChanged",
    "Cue",
    "DeviceInfo",
    "DeviceStatus",
    "Event",
    "HoldEnded",
    "HoldStarted",
    "LinkEvent",
    "Marker",
    "Rating",
    "SampleBlock",
    "SignalQuality",
    "SpotChanged",
    "Stroke",
]
