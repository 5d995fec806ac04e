"""The one definition of kneadback's LSL streams, read by the outlet, the inlet and the overview.

Each tool publishes two streams, both with `source_id` "kneadback:<device id>:<kind>", so a
restarted tool resumes the same streams:

- **Force** (type "Force", float32, the device's rate): channels `adc` (counts) and `force_n`
  (N; no unit when the force is unitless), then the device's further channels in their units.
- **Markers** (type "Markers", one string channel, irregular): one JSON object per event, the
  same object `live --jsonl` prints for it (`kneadback.model.to_json`), and once per second of
  session time a `status` object with what a tile of the overview shows.

Both carry the XDF `desc` tree: `channels/channel/{label,unit,type}`,
`acquisition/{manufacturer,model,serial_number}` and `kneadback/{version,device_id,front_end,
divider_ohms,adc_bits,vref_mv,calibration,spot,protocol}`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kneadback import __version__
from kneadback.event_types import EventType
from kneadback.lsl import api
from kneadback.model import DeviceInfo, Event, LinkStatus, to_json

if TYPE_CHECKING:
    from kneadback.coach.coach import CoachState

FORCE_TYPE = "Force"
MARKERS_TYPE = "Markers"
ID_PREFIX = "kneadback"
STATUS = "status"  # the "type" of the once-a-second status marker
STATUS_EVERY_S = 1.0  # session seconds between status markers
#: the events published as markers (a "hold" starts and ends; a "bout-start" opens each "bout")
MARKER_TYPES = frozenset({EventType.STROKE, EventType.HOLD, EventType.BOUT_START, EventType.BOUT, EventType.CUE,
                          EventType.RATING, EventType.SPOT, EventType.MARKER})
_DESC_KEYS = ("version", "device_id", "front_end", "divider_ohms", "adc_bits", "vref_mv", "calibration", "spot",
              "protocol")


@dataclass(frozen=True)
class ChannelMeta:
    label: str
    unit: str
    type: str
    scale: float = 1.0  # unit per count of a device's further channel (its values are counts × scale)


@dataclass(frozen=True)
class StreamMeta:
    """What a stream says about itself (`read_meta`); the `desc` fields are "" when a stream
    has no such entry (another program's stream, or an info resolved without its `desc`), but
    for kneadback's `device_id`, which its `source_id` also holds."""

    name: str
    type: str
    source_id: str
    sample_rate_hz: float  # 0: irregular
    channel_format: int
    channels: tuple[ChannelMeta, ...]
    hostname: str = ""
    version: str = ""
    device_id: str = ""
    front_end: str = ""
    divider_ohms: str = ""
    adc_bits: str = ""
    vref_mv: str = ""
    calibration: str = ""
    spot: str = ""
    protocol: str = ""
    model: str = ""
    serial_number: str = ""

    @property
    def is_kneadback(self) -> bool:
        return self.source_id.startswith(ID_PREFIX + ":")

    @property
    def kind(self) -> str:
        """"force" or "markers" for kneadback's streams, else ""."""
        return self.source_id.rsplit(":", 1)[1] if self.is_kneadback else ""

    @property
    def tool_name(self) -> str:
        """The tool as its streams' names say it: "kneadback <tool name>"."""
        name = self.name.removeprefix(ID_PREFIX + " ")
        return name.removesuffix(" markers") if self.kind == "markers" else name


def device_id(device: DeviceInfo) -> str:
    """The device's own id, so that it names the same streams after a restart: the board's id,
    else the port's USB serial number, else the spec it was opened from."""
    return device.board_id or device.serial_number or device.source or device.board


def source_id(device: DeviceInfo, kind: str) -> str:
    return f"{ID_PREFIX}:{device_id(device)}:{kind}"


def force_channels(device: DeviceInfo, force_unit: str) -> tuple[ChannelMeta, ...]:
    """`adc`, `force_n` (in `force_unit`: "N" or "" when unitless), then the further channels."""
    extra = tuple(ChannelMeta(c.kind, c.unit, c.kind, c.scale) for c in device.channels[1:])
    return (ChannelMeta("adc", "counts", "Force"), ChannelMeta("force_n", force_unit, "Force"), *extra)


def force_info(device: DeviceInfo, *, spot: str, calibration: str, force_unit: str) -> Any:
    """The force stream's `StreamInfo`: the device's channels at its rate, and its `desc`."""
    pylsl = api.load()
    channels = force_channels(device, force_unit)
    info = pylsl.StreamInfo(f"{ID_PREFIX} {device_id(device)}", FORCE_TYPE, len(channels), float(device.sample_rate_hz),
                            pylsl.cf_float32, source_id(device, "force"))
    _describe(info, device, channels, spot=spot, calibration=calibration)
    return info


def markers_info(device: DeviceInfo, *, spot: str, calibration: str) -> Any:
    """The markers stream's `StreamInfo`: one JSON string a sample, irregular rate."""
    pylsl = api.load()
    info = pylsl.StreamInfo(f"{ID_PREFIX} {device_id(device)} markers", MARKERS_TYPE, 1, pylsl.IRREGULAR_RATE,
                            pylsl.cf_string, source_id(device, "markers"))
    _describe(info, device, (ChannelMeta("event", "", "Marker"),), spot=spot, calibration=calibration)
    return info


def _describe(info: Any, device: DeviceInfo, channels: tuple[ChannelMeta, ...], *, spot: str, calibration: str) -> None:
    desc = info.desc()
    chans = desc.append_child("channels")
    for c in channels:
        ch = chans.append_child("channel")
        ch.append_child_value("label", c.label)
        ch.append_child_value("unit", c.unit)
        ch.append_child_value("type", c.type)
        if c.scale != 1.0:
            ch.append_child_value("scale", repr(c.scale))
    acq = desc.append_child("acquisition")
    acq.append_child_value("manufacturer", ID_PREFIX)
    acq.append_child_value("model", device.board)
    acq.append_child_value("serial_number", device.serial_number or device.board_id)
    values = {
        "version": __version__, "device_id": device_id(device), "front_end": device.front_end,
        "divider_ohms": device.divider_ohms, "adc_bits": device.adc_bits, "vref_mv": device.vref_mv,
        "calibration": calibration, "spot": spot, "protocol": f"{device.protocol_version}.{device.protocol_minor}",
    }
    kb = desc.append_child(ID_PREFIX)
    for key in _DESC_KEYS:
        kb.append_child_value(key, str(values[key]))


def _scale(text: str) -> float:
    try:
        scale = float(text)
    except ValueError:
        return 1.0
    return scale if scale > 0 and scale != float("inf") else 1.0


def read_meta(info: Any) -> StreamMeta:
    """A `StreamInfo`'s facts and `desc`, typed."""
    desc = info.desc()
    channels: list[ChannelMeta] = []
    ch = desc.child("channels").child("channel")
    while not ch.empty():
        channels.append(ChannelMeta(ch.child_value("label"), ch.child_value("unit"), ch.child_value("type"),
                                    _scale(ch.child_value("scale"))))
        ch = ch.next_sibling("channel")
    kb = desc.child(ID_PREFIX)
    acq = desc.child("acquisition")
    values = {key: kb.child_value(key) for key in _DESC_KEYS}
    sid = info.source_id()
    if not values["device_id"] and sid.startswith(ID_PREFIX + ":"):
        values["device_id"] = sid.removeprefix(ID_PREFIX + ":").rsplit(":", 1)[0]
    return StreamMeta(
        name=info.name(), type=info.type(), source_id=sid, sample_rate_hz=float(info.nominal_srate()),
        channel_format=int(info.channel_format()), channels=tuple(channels), hostname=info.hostname(),
        model=acq.child_value("model"), serial_number=acq.child_value("serial_number"), **values,
    )


def marker_json(event: Event) -> str:
    """A marker sample: the event's JSON object, as `live --jsonl` prints it."""
    return to_json(event.to_dict())


def status_json(cs: CoachState, link: LinkStatus | None = None) -> str:
    """The status marker: what an overview tile shows (the spot, the rate, the pressure with the
    bands and ceiling its colour is judged by, the bout time, the latest cue, the force's trust)
    and the link's state and counts. The zones are the dashboard's (`kneadback.ui.dashboard.zones`) of these."""
    cue = cs.cue
    return to_json({
        "type": STATUS, "t": cs.t, "spot": cs.spot,
        "rate_spm": cs.rate_spm, "rate_band": list(cs.targets.rate_band),
        "peak_n": cs.last_peak_n, "pressure_band": cs.pressure_band_n or cs.consistency_band_n,
        "pressure_mode": cs.pressure_mode, "force_ceiling": cs.force_ceiling, "holding": cs.holding,
        "force_trust": cs.force_trust, "relative_ceiling": cs.relative_ceiling,
        "bout_active": cs.bout_active, "bout_phase": cs.bout_phase, "bout_elapsed_s": cs.bout_elapsed_s,
        "bout_left_s": cs.bout_left_s, "overtime_s": cs.overtime_s, "bouts_today": cs.bouts_today,
        "cue": None if cue is None else {"t": cue.t, "kind": cue.kind, "severity": cue.severity, "text": cue.text},
        "link": None if link is None else link.state, "samples": None if link is None else link.samples,
        "lost": None if link is None else link.lost,
    })


def parse_marker(text: str) -> dict[str, Any]:
    """A marker sample back as its object; `ValueError` when it is not one of kneadback's."""
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"not a JSON marker: {e}") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("type"), str):
        raise ValueError("not a kneadback marker: a JSON object with a \"type\" is expected")
    return obj
