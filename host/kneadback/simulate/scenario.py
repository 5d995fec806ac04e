"""Scenario files: human-editable TOML (`signals/NAME.toml`) → a validated `Scenario`.

Every key, its unit, range and default is listed once, in the tables below; `signals/README.md`
documents them for users. A mistake in a file is an `InputError` naming the file, the key and
what is wrong, in one line.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kneadback.errors import InputError
from kneadback.frontend import FRONT_ENDS

SIGNALS_DIR = Path(__file__).resolve().parents[3] / "signals"
DEFAULT_SCENARIO = "demo-session"
PHASE_KINDS = ("strokes", "hold", "rest")
PATTERNS = ("one-way", "back-and-forth", "circle")  # how the tip moves in a strokes phase ([motion])
SENSOR_PARTS = ("fsr402", "fsr406", "flexiforce")  # the keys of kneadback.fsr.FSR_PARTS (numpy-free here)


@dataclass(frozen=True)
class DeviceSpec:
    """The board: what its firmware reports and how its clock behaves."""

    rate_hz: float = 200.0  # samples per second, 10..1000
    front_end: str = "fsr-low"  # the circuit (kneadback.frontend.FRONT_ENDS)
    divider_ohms: float = 1000.0  # fixed resistor of an FSR divider: A0 → GND low-side, Vcc → A0 high-side
    linear_full_n: float = 150.0  # linear front end: the force that reads full scale
    vref_mv: int = 5000
    adc_bits: int = 10
    board: str = "uno"
    clock_ppm: float = 0.0  # device clock error: + runs fast (an Uno's resonator: up to ±5000)
    start_us: int | None = None  # device micros() at the first sample; None = random boot time


@dataclass(frozen=True)
class SensorSpec:
    """The FSR part as built into the tool."""

    part: str = "fsr402"  # kneadback.fsr.FSR_PARTS
    part_spread: float = 0.15  # 1-sigma part-to-part resistance variation (fraction)
    hysteresis: float = 0.10  # unloading vs loading resistance difference (fraction)
    creep: float = 0.03  # resistance drop per decade of time under continuous load (fraction)
    response_ms: float = 3.0  # first-order time constant of FSR plus cap
    preload_n: float = 0.0  # force the mount puts on the FSR with the tool in the air
    preload_steps: tuple[tuple[float, float], ...] = ()  # (time_s, new preload_n): baseline shifts


@dataclass(frozen=True)
class NoiseSpec:
    adc_lsb: float = 0.5  # RMS electrical noise at the ADC input, in counts
    hum_lsb: float = 0.0  # mains pick-up amplitude, in counts
    hum_hz: float = 50.0
    spikes_per_min: float = 0.0  # single-sample glitches (loose wire, ESD)


@dataclass(frozen=True)
class FaultSpec:
    """Link faults (bytes on the wire); the samples themselves are unaffected."""

    lost_frames: float = 0.0  # share of DATA frames lost in transit (dropped or corrupted)
    garbage_per_min: float = 0.0  # bursts of line noise between frames
    disconnect_at_s: float | None = None  # the cable comes out at this session time...
    disconnect_s: float = 3.0  # ...for this long; the board resets when it comes back


@dataclass(frozen=True)
class UserSpec:
    """How the simulated user moves the tool. A phase may override any of these keys."""

    rate_hz: float = 1.0  # strokes per second at the start of a strokes phase
    rate_end_hz: float | None = None  # ... and at its end (a ramp); None = constant
    rate_jitter: float = 0.05  # 1-sigma relative variation of each stroke's period
    force_n: float = 20.0  # typical peak force of a stroke
    force_cv: float = 0.08  # 1-sigma relative variation of a stroke's height (peak above trough)
    contact: float = 0.0  # force kept between strokes, share of the peak; 0 = lift off
    duty: float = 0.65  # with lift-off: share of each stroke period on the skin
    dwell: float = 0.15  # in contact: share of the period resting at the trough
    press: float = 0.35  # share of the on-skin time spent pressing in (slower than letting go)
    release: float = 0.22  # share spent releasing; the rest is the plateau (the slide)
    ridges: float = 0.06  # bumps on the plateau as the tool slides over tissue, share of the height
    rebound: float = 0.05  # in contact: tissue rebound after the release, share of the height
    sag: float = 0.08  # 1-sigma bow of the plateau (up or down), share of the height
    hold_n: float | None = None  # force of a static hold; None = force_n
    tremor: float = 0.01  # physiological tremor (8–12 Hz), RMS share of the force
    tremor_hz: float = 10.0
    wander: float = 0.03  # slow unsteadiness during holds, RMS share of the force
    lean: float = 0.05  # slow leaning in and out (~0.02–0.1 Hz), share of the force
    fatigue_per_min: float = 0.03  # peak force lost per minute of a bout (share)
    drift_per_min: float = 0.0  # force trend over the whole session (share per minute)
    ramp_s: float = 0.5  # how long a hold takes to press in and let go


@dataclass(frozen=True)
class SpotSpec:
    """A treated spot and the simulated user's force → discomfort curve on it."""

    name: str
    force_at_7: float = 20.0  # the force this user feels as 7/10 on this spot
    steepness: float = 1.5  # discomfort = 7 · (F / force_at_7) ** steepness, clipped to 0..10
    rating_noise: float = 0.6  # 1-sigma noise of a rating before rounding


@dataclass(frozen=True)
class PathSpec:
    """Where the tool tip goes in a strokes phase ([motion]; a phase may override any of these)."""

    pattern: str = "one-way"  # one of PATTERNS: work one way and come back off the skin or lightly,
    # scrub back and forth with the same force both ways, or knead in circles
    direction_deg: float = 0.0  # working direction in the skin plane, from the tool's x axis (the handle)
    direction_jitter_deg: float = 8.0  # 1-sigma variation of each stroke's direction
    excursion_cm: float = 3.0  # length of a working stroke (the circle's diameter) at the phase's start
    excursion_end_cm: float | None = None  # ... and at its end (a drift); None = constant
    excursion_cv: float = 0.1  # 1-sigma relative variation of each stroke's length


@dataclass(frozen=True)
class MotionSpec:
    """A 6-axis IMU (MPU-6050) on the handle and how the hand holds the tool ([motion])."""

    path: PathSpec = PathSpec()
    tilt_deg: float = 15.0  # the handle's lean from the skin's normal
    wobble_deg: float = 3.0  # RMS slow wobble of that lean (0.1–1 Hz)
    heading_wander_deg: float = 5.0  # RMS slow turning of the tool about the skin's normal
    tremor_mm: float = 0.1  # RMS physiological tremor of the tip (8–12 Hz), per axis
    lift_cm: float = 1.0  # how high the tip lifts on a return off the skin
    sink_cm: float = 0.5  # how far the tip sinks into the tissue at the typical force
    gyro_bias_dps: float = 5.0  # 1-sigma zero-rate offset per axis (data sheet: ±20 °/s)
    gyro_drift_dps: float = 0.2  # RMS wander of that offset over a minute (temperature)
    accel_offset_mg: float = 30.0  # 1-sigma zero-g offset per axis (data sheet: ±50 mg x, y; ±80 mg z)


@dataclass(frozen=True)
class Phase:
    kind: str  # "strokes", "hold" or "rest" (off the skin)
    duration_s: float
    spot: str
    user: UserSpec
    rating: bool = False  # the user rates the discomfort at the end of this phase
    path: PathSpec = PathSpec()  # the tip's motion (used only with [motion])


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    device: DeviceSpec
    sensor: SensorSpec
    noise: NoiseSpec
    faults: FaultSpec
    spots: dict[str, SpotSpec]
    phases: tuple[Phase, ...]
    path: Path | None = None
    motion: MotionSpec | None = None  # an IMU on the tool; None = an FSR-only board

    @property
    def duration_s(self) -> float:
        return sum(p.duration_s for p in self.phases)

    def with_device(self, **changes: Any) -> Scenario:
        return dataclasses.replace(self, device=dataclasses.replace(self.device, **changes))

    def with_excursion(self, cm: float) -> Scenario:
        """The same user making every working stroke `cm` long (as told by `kneadback ruler`); a
        scenario without [motion] has no strokes' length to change."""
        if self.motion is None:
            return self

        def told(path: PathSpec) -> PathSpec:
            return dataclasses.replace(path, excursion_cm=cm, excursion_end_cm=None)

        return dataclasses.replace(self, motion=dataclasses.replace(self.motion, path=told(self.motion.path)),
                                   phases=tuple(dataclasses.replace(p, path=told(p.path)) for p in self.phases))


# --- key tables: (type, minimum, maximum) per key; None = unbounded -------------------------

_NUM = (int, float)
_DEVICE: dict[str, tuple[Any, float | None, float | None]] = {
    "rate_hz": (_NUM, 10, 1000),
    "front_end": (str, None, None),
    "divider_ohms": (_NUM, 10, 1e7),
    "linear_full_n": (_NUM, 1, 10000),
    "vref_mv": (int, 1000, 5500),
    "adc_bits": (int, 8, 16),
    "board": (str, None, None),
    "clock_ppm": (_NUM, -20000, 20000),
    "start_us": (int, 0, 2**32 - 1),
}
_SENSOR = {
    "part": (str, None, None),
    "part_spread": (_NUM, 0, 1),
    "hysteresis": (_NUM, 0, 0.5),
    "creep": (_NUM, 0, 0.3),
    "response_ms": (_NUM, 0, 200),
    "preload_n": (_NUM, 0, 50),
    "preload_steps": (list, None, None),
}
_NOISE = {
    "adc_lsb": (_NUM, 0, 50),
    "hum_lsb": (_NUM, 0, 200),
    "hum_hz": (_NUM, 1, 1000),
    "spikes_per_min": (_NUM, 0, 600),
}
_FAULTS = {
    "lost_frames": (_NUM, 0, 0.9),
    "garbage_per_min": (_NUM, 0, 600),
    "disconnect_at_s": (_NUM, 0, None),
    "disconnect_s": (_NUM, 0.1, 600),
}
_USER = {
    "rate_hz": (_NUM, 0.05, 5),
    "rate_end_hz": (_NUM, 0.05, 5),
    "rate_jitter": (_NUM, 0, 0.5),
    "force_n": (_NUM, 0.2, 200),
    "force_cv": (_NUM, 0, 0.6),
    "contact": (_NUM, 0, 0.95),
    "duty": (_NUM, 0.2, 0.95),
    "dwell": (_NUM, 0, 0.6),
    "press": (_NUM, 0.05, 0.8),
    "release": (_NUM, 0.05, 0.8),
    "ridges": (_NUM, 0, 0.5),
    "rebound": (_NUM, 0, 0.4),
    "sag": (_NUM, 0, 0.5),
    "hold_n": (_NUM, 0.2, 200),
    "tremor": (_NUM, 0, 0.2),
    "tremor_hz": (_NUM, 4, 20),
    "wander": (_NUM, 0, 0.3),
    "lean": (_NUM, 0, 0.5),
    "fatigue_per_min": (_NUM, 0, 0.5),
    "drift_per_min": (_NUM, -0.5, 0.5),
    "ramp_s": (_NUM, 0.05, 5),
}
_SPOT = {
    "name": (str, None, None),
    "force_at_7": (_NUM, 0.5, 200),
    "steepness": (_NUM, 0.2, 5),
    "rating_noise": (_NUM, 0, 3),
}
_PHASE_OWN = {
    "kind": (str, None, None),
    "duration_s": (_NUM, 0.1, 86400),
    "spot": (str, None, None),
    "rating": (bool, None, None),
    "repeat": (int, 1, 1000),
}
_PATH = {
    "pattern": (str, None, None),
    "direction_deg": (_NUM, -360, 360),
    "direction_jitter_deg": (_NUM, 0, 90),
    "excursion_cm": (_NUM, 1, 10),
    "excursion_end_cm": (_NUM, 1, 10),
    "excursion_cv": (_NUM, 0, 0.5),
}
_MOTION = {
    **_PATH,
    "tilt_deg": (_NUM, 0, 60),
    "wobble_deg": (_NUM, 0, 20),
    "heading_wander_deg": (_NUM, 0, 45),
    "tremor_mm": (_NUM, 0, 2),
    "lift_cm": (_NUM, 0, 5),
    "sink_cm": (_NUM, 0, 3),
    "gyro_bias_dps": (_NUM, 0, 20),
    "gyro_drift_dps": (_NUM, 0, 5),
    "accel_offset_mg": (_NUM, 0, 80),
}
_TOP = {"description", "device", "sensor", "noise", "faults", "user", "motion", "spots", "phase"}


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, problem: str) -> InputError:
        return InputError(f"{self.path}: {where}: {problem}")

    def table(self, raw: Any, where: str, keys: Mapping[str, tuple[Any, float | None, float | None]]) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise self.fail(where, "must be a table")
        out: dict[str, Any] = {}
        for key, value in raw.items():
            if key not in keys:
                raise self.fail(f"{where}.{key}", f"unknown key (known: {', '.join(sorted(keys))})")
            out[key] = self.value(value, f"{where}.{key}", *keys[key])
        return out

    def value(self, v: Any, where: str, typ: Any, lo: float | None, hi: float | None) -> Any:
        if typ is bool:
            if not isinstance(v, bool):
                raise self.fail(where, f"must be true or false, not {v!r}")
            return v
        if typ is list:
            if not isinstance(v, list):
                raise self.fail(where, f"must be a list, not {v!r}")
            return v
        if typ is str:
            if not isinstance(v, str) or not v.strip():
                raise self.fail(where, f"must be a non-empty string, not {v!r}")
            return v.strip()
        if isinstance(v, bool) or not isinstance(v, typ):
            kind = "an integer" if typ is int else "a number"
            raise self.fail(where, f"must be {kind}, not {v!r}")
        if lo is not None and v < lo:
            raise self.fail(where, f"{v} is below the minimum {lo:g}")
        if hi is not None and v > hi:
            raise self.fail(where, f"{v} is above the maximum {hi:g}")
        return float(v) if typ is _NUM else v


def parse_scenario(data: dict[str, Any], name: str, path: Path) -> Scenario:
    """A scenario from parsed TOML; raises InputError naming `path`, the key and the problem."""
    rd = _Reader(path)
    for key in data:
        if key not in _TOP:
            raise rd.fail(key, f"unknown key (known: {', '.join(sorted(_TOP))})")
    desc = data.get("description")
    if not isinstance(desc, str) or not desc.strip():
        raise rd.fail("description", "missing: give a one-line description")
    if "\n" in desc.strip():
        raise rd.fail("description", "must be one line")

    device = DeviceSpec(**rd.table(data.get("device", {}), "device", _DEVICE))
    if device.front_end not in FRONT_ENDS:
        raise rd.fail("device.front_end", f"{device.front_end!r} is none of {', '.join(FRONT_ENDS)}")
    sensor_raw = rd.table(data.get("sensor", {}), "sensor", _SENSOR)
    if "preload_steps" in sensor_raw:
        steps = []
        for i, step in enumerate(sensor_raw["preload_steps"]):
            where = f"sensor.preload_steps #{i + 1}"
            if not (isinstance(step, list) and len(step) == 2):
                raise rd.fail(where, "must be [time_s, preload_n]")
            t = rd.value(step[0], where, _NUM, 0, None)
            f = rd.value(step[1], where, _NUM, 0, 50)
            steps.append((t, f))
        sensor_raw["preload_steps"] = tuple(sorted(steps))
    sensor = SensorSpec(**sensor_raw)
    if sensor.part not in SENSOR_PARTS:
        raise rd.fail("sensor.part", f"{sensor.part!r} is none of {', '.join(SENSOR_PARTS)}")
    noise = NoiseSpec(**rd.table(data.get("noise", {}), "noise", _NOISE))
    faults = FaultSpec(**rd.table(data.get("faults", {}), "faults", _FAULTS))
    user = UserSpec(**rd.table(data.get("user", {}), "user", _USER))
    motion = _motion(rd, data)

    spots: dict[str, SpotSpec] = {}
    raw_spots = data.get("spots", [])
    if not isinstance(raw_spots, list):
        raise rd.fail("spots", "must be an array of tables ([[spots]])")
    for i, raw in enumerate(raw_spots):
        s = rd.table(raw, f"spots #{i + 1}", _SPOT)
        if "name" not in s:
            raise rd.fail(f"spots #{i + 1}.name", "missing")
        if s["name"] in spots:
            raise rd.fail(f"spots #{i + 1}.name", f"spot {s['name']!r} defined twice")
        spots[s["name"]] = SpotSpec(**s)

    raw_phases = data.get("phase")
    if not isinstance(raw_phases, list) or not raw_phases:
        raise rd.fail("phase", "missing: give at least one [[phase]] table")
    phases: list[Phase] = []
    spot = next(iter(spots), "spot 1")
    for i, raw in enumerate(raw_phases):
        where = f"phase #{i + 1}"
        if not isinstance(raw, dict):
            raise rd.fail(where, "must be a table")
        checked = rd.table(raw, where, {**_PHASE_OWN, **_USER, **(_PATH if motion else {})})
        own = {k: v for k, v in checked.items() if k in _PHASE_OWN}
        over = {k: v for k, v in checked.items() if k in _USER}
        tip = _path(rd, motion.path, {k: v for k, v in checked.items() if k in _PATH}, where) if motion else PathSpec()
        kind = own.get("kind")
        if kind is None:
            raise rd.fail(f"{where}.kind", f"missing (one of {', '.join(PHASE_KINDS)})")
        if kind not in PHASE_KINDS:
            raise rd.fail(f"{where}.kind", f"{kind!r} is not one of {', '.join(PHASE_KINDS)}")
        if "duration_s" not in own:
            raise rd.fail(f"{where}.duration_s", "missing")
        spot = own.get("spot", spot)
        if spots and spot not in spots:
            raise rd.fail(f"{where}.spot", f"{spot!r} is not a spot defined in [[spots]]")
        pu = dataclasses.replace(user, **over)
        if kind == "strokes" and pu.press + pu.release > 0.95:
            raise rd.fail(where, "press + release must leave room for the plateau (at most 0.95)")
        if kind == "hold" and own["duration_s"] < 3 * pu.ramp_s:
            raise rd.fail(f"{where}.duration_s", f"a hold must last at least 3 × ramp_s ({3 * pu.ramp_s:g} s)")
        phase = Phase(kind, float(own["duration_s"]), spot, pu, bool(own.get("rating", False)), tip)
        phases.extend([phase] * int(own.get("repeat", 1)))
    if not spots:
        for p in phases:
            spots.setdefault(p.spot, SpotSpec(name=p.spot))
    return Scenario(name, desc.strip(), device, sensor, noise, faults, spots, tuple(phases), path, motion)


def _path(rd: _Reader, base: PathSpec, over: dict[str, Any], where: str) -> PathSpec:
    out = dataclasses.replace(base, **over)
    if out.pattern not in PATTERNS:
        raise rd.fail(f"{where}.pattern", f"{out.pattern!r} is not one of {', '.join(PATTERNS)}")
    return out


def _motion(rd: _Reader, data: dict[str, Any]) -> MotionSpec | None:
    """The [motion] table, or None for an FSR-only board."""
    if "motion" not in data:
        return None
    raw = rd.table(data["motion"], "motion", _MOTION)
    tip = _path(rd, PathSpec(), {k: v for k, v in raw.items() if k in _PATH}, "motion")
    return MotionSpec(path=tip, **{k: v for k, v in raw.items() if k not in _PATH})


def scenario_path(name_or_path: str) -> Path:
    """The file for a scenario name (`signals/NAME.toml`) or a path to a `.toml` file."""
    p = Path(name_or_path)
    if p.suffix == ".toml" or "/" in name_or_path or "\\" in name_or_path:
        if not p.is_file():
            raise InputError(f"{name_or_path}: no such scenario file")
        return p
    candidate = SIGNALS_DIR / f"{name_or_path}.toml"
    if not SIGNALS_DIR.is_dir():
        raise InputError(f"scenario {name_or_path!r}: the scenario library ({SIGNALS_DIR}) is missing; give a .toml file")
    if not candidate.is_file():
        known = ", ".join(n for n, _ in list_scenarios())
        raise InputError(f"unknown scenario {name_or_path!r} (known: {known}; or give a .toml file)")
    return candidate


def load_scenario(name_or_path: str) -> Scenario:
    """A library scenario by name, or a scenario file by path."""
    path = scenario_path(name_or_path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"{path}: not valid TOML: {e}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read: {e}") from None
    return parse_scenario(data, path.stem, path)


def list_scenarios() -> list[tuple[str, str]]:
    """(name, description) of every scenario in the library, sorted by name."""
    out: list[tuple[str, str]] = []
    for path in sorted(SIGNALS_DIR.glob("*.toml")):
        try:
            with path.open("rb") as fh:
                desc = tomllib.load(fh).get("description", "")
        except (OSError, tomllib.TOMLDecodeError):
            desc = "(unreadable)"
        out.append((path.stem, str(desc).strip()))
    return out


__all__ = [
    "DEFAULT_SCENARIO",
    "DeviceSpec",
    "FaultSpec",
    "MotionSpec",
    "NoiseSpec",
    "PathSpec",
    "Phase",
    "Scenario",
    "SensorSpec",
    "SpotSpec",
    "UserSpec",
    "list_scenarios",
    "load_scenario",
    "parse_scenario",
]
