"""Force calibration: fit one FSR's own curve to readings taken on a scale.

A user presses the tool onto a kitchen or bathroom scale at five or more levels and notes the
scale reading at each; every level gives a point (ADC counts, newtons). We fit the parameters of
the shared FSR model (`kneadback.fsr.FsrCurve`: resistance = r_floor + r_1n / F**exponent) to
those points through the divider equation, with weak priors from the data sheet so that a
parameter the points barely constrain (usually the floor) stays physical.

An unloaded reading above zero means the cap preloads the sensor; it is tared: the model
reports the force *added* to the preload, which is what the scale shows.

The fit lives in `paths.config_dir()/calibration.json`; `load_force_model` hands the engine the
calibrated model when one matches the device's front end (kind, divider and ADC), else the
uncalibrated model of that front end (`kneadback.fsr.uncalibrated_model`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kneadback import paths
from kneadback.errors import InputError
from kneadback.fsr import DatasheetForceModel, Divider, ForceModel, FsrCurve, device_divider, uncalibrated_model
from kneadback.model import DeviceInfo
from kneadback.outfile import write_out

CALIBRATION_FILE = "calibration.json"
BOARD_CALIBRATIONS = "calibrations"  # a folder: one file per board, by its USB serial number
FORMAT = "kneadback-force-calibration"
FORMAT_VERSION = 1
MIN_POINTS = 5
MAX_NEWTONS = 500.0  # above this a "scale reading" is a typo, not a massage force
DRIFT_LIMIT_N = 1.0  # unloaded reading moved by this much force since calibration → recalibrate
STANDARD_GRAVITY = 9.80665

# Priors (data sheet nominal, 1-sigma) and the relative error we expect of one point.
_PRIOR = FsrCurve()
_PRIOR_SIGMA = (1.0, 0.15, 0.7)  # ln r_1n, exponent, ln r_floor
_POINT_SIGMA = 0.02


@dataclass(frozen=True)
class CalPoint:
    """One calibration level: mean ADC counts while the scale showed `newtons`."""

    adc: float
    newtons: float
    where: str = field(default="", compare=False)  # "points.csv line 4", "level 3": for messages

    def label(self) -> str:
        return self.where or f"adc {self.adc:g}"


@dataclass(frozen=True)
class Calibration:
    """A fitted curve with the facts needed to trust and reuse it."""

    curve: FsrCurve
    divider: Divider
    points: tuple[CalPoint, ...]
    unloaded_adc: float = 0.0
    created: str = ""  # ISO 8601 UTC
    source: str = ""  # the device or file the points came from
    serial_number: str = ""  # the USB serial number of the board it was made on ("" when unknown)

    def force(self, counts: np.ndarray | float) -> np.ndarray:
        """Newtons added to the unloaded preload, for (mean) counts; 0 at or below the preload."""
        c = np.asarray(counts, dtype=float)
        f = _curve_force(self.curve, self.divider, c) - _curve_force(self.curve, self.divider, self.unloaded_adc)
        return np.clip(np.where(c <= self.unloaded_adc, 0.0, f), 0.0, MAX_NEWTONS)

    def point_errors(self) -> np.ndarray:
        """Relative error of the fit at each point: (fitted - scale) / scale."""
        adc = np.array([p.adc for p in self.points])
        n = np.array([p.newtons for p in self.points])
        return self.force(adc) / n - 1.0

    @property
    def range_n(self) -> tuple[float, float]:
        n = [p.newtons for p in self.points]
        return min(n), max(n)

    def to_dict(self) -> dict[str, Any]:
        errors = self.point_errors()
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "created": self.created,
            "source": self.source,
            "serial_number": self.serial_number,
            "model": "fsr-power-law",
            "divider": {"r_fixed": self.divider.r_fixed, "vref": self.divider.vref, "adc_bits": self.divider.adc_bits,
                        "front_end": self.divider.front_end},
            "curve": {"r_1n": self.curve.r_1n, "exponent": self.curve.exponent, "r_floor": self.curve.r_floor},
            "unloaded_adc": self.unloaded_adc,
            "points": [
                {"adc": p.adc, "newtons": p.newtons, "error": round(float(e), 6)}
                for p, e in zip(self.points, errors, strict=True)
            ],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Calibration:
        """Inverse of `to_dict`; raises KeyError/TypeError/ValueError on a bad document."""
        if not isinstance(d, dict) or d.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} file")
        if d.get("version") != FORMAT_VERSION:
            raise ValueError(f"unsupported version {d.get('version')!r} (this kneadback reads {FORMAT_VERSION})")
        div = d["divider"]
        cur = d["curve"]
        curve = FsrCurve(r_1n=float(cur["r_1n"]), exponent=float(cur["exponent"]), r_floor=float(cur["r_floor"]))
        divider = Divider(float(div["r_fixed"]), float(div["vref"]), int(div["adc_bits"]), str(div.get("front_end", "fsr-low")))
        points = tuple(CalPoint(float(p["adc"]), float(p["newtons"]), f"point {i + 1}") for i, p in enumerate(d["points"]))
        values = [curve.r_1n, curve.exponent, curve.r_floor, divider.r_fixed, divider.vref]
        if not all(math.isfinite(v) and v > 0 for v in values) or not 8 <= divider.adc_bits <= 16 or len(points) < MIN_POINTS \
                or not divider.is_fsr:
            raise ValueError("parameters out of range")
        return cls(curve, divider, points, float(d.get("unloaded_adc", 0.0)), str(d.get("created", "")), str(d.get("source", "")),
                   str(d.get("serial_number") or ""))


@dataclass(frozen=True)
class DriftCheck:
    """How far the unloaded reading moved since calibration, and what to do about it."""

    unloaded_adc: float
    calibrated_adc: float
    shift_n: float  # force equivalent of the move (positive: reads higher)

    @property
    def drifted(self) -> bool:
        return abs(self.shift_n) >= DRIFT_LIMIT_N

    def advice(self) -> str | None:
        if not self.drifted:
            return None
        return (
            f"the unloaded reading moved from {self.calibrated_adc:.0f} to {self.unloaded_adc:.0f} counts "
            f"({self.shift_n:+.1f} N) since calibration: recalibrate with `kneadback calibrate force`"
        )


@dataclass(frozen=True)
class CalibratedForceModel:
    """The `ForceModel` the engine uses once a calibration is stored."""

    calibration: Calibration

    @property
    def trust(self) -> str:
        return "calibrated"

    @property
    def unit(self) -> str:
        return "N"

    def to_newtons(self, counts: np.ndarray) -> np.ndarray:
        return self.calibration.force(counts)

    def describe(self) -> str:
        cal = self.calibration
        lo, hi = cal.range_n
        worst = float(np.max(np.abs(cal.point_errors()))) * 100
        day = cal.created[:10] or "undated"
        return (
            f"calibrated {day}: {len(cal.points)} points {lo:.0f}–{hi:.0f} N, "
            f"fit within {worst:.1f} %, {cal.divider.r_fixed:g} Ω divider"
        )

    def check_drift(self, unloaded_counts: float) -> DriftCheck:
        """Compare an unloaded reading now (counts, e.g. a mean over a second off contact)."""
        cal = self.calibration
        now = float(_curve_force(cal.curve, cal.divider, unloaded_counts))
        then = float(_curve_force(cal.curve, cal.divider, cal.unloaded_adc))
        return DriftCheck(float(unloaded_counts), cal.unloaded_adc, now - then)


@dataclass(frozen=True)
class UncalibratedForceModel(DatasheetForceModel):
    """The data-sheet model, saying why a stored calibration was not used."""

    reason: str = field(default="")

    def describe(self) -> str:
        base = super().describe()
        return f"{base} ({self.reason})" if self.reason else base


# --- points --------------------------------------------------------------------------------


def parse_scale_reading(text: str, default_unit: str = "g") -> float:
    """Newtons for what a user typed off a scale: "850", "850 g", "2.5 kg", "24.5 N"."""
    s = text.strip().lower().replace(",", ".")
    units = {"kg": STANDARD_GRAVITY, "g": STANDARD_GRAVITY / 1000, "n": 1.0}
    unit = default_unit.lower()
    for suffix in ("kg", "g", "n"):
        if s.endswith(suffix):
            s, unit = s[: -len(suffix)].strip(), suffix
            break
    if unit not in units:
        raise InputError(f"unknown unit {default_unit!r}: use g, kg or N")
    try:
        value = float(s)
    except ValueError:
        raise InputError(f"{text.strip()!r} is not a scale reading: type a number, e.g. 850 g or 2.5 kg") from None
    if not math.isfinite(value) or value <= 0:
        raise InputError(f"{text.strip()!r}: a scale reading must be a positive number")
    return value * units[unit]


def read_points_csv(path: Path) -> tuple[list[CalPoint], float]:
    """`adc,newtons` rows (an optional header; blank lines and `#` comments skipped).

    A row with 0 newtons is the unloaded reading (at most one). Returns (points, unloaded_adc).
    Raises InputError naming the file and line on malformed input.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read: {e}") from None
    points: list[CalPoint] = []
    unloaded: float | None = None
    for lineno, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [c.strip() for c in row]
        if not cells or not any(cells) or cells[0].startswith("#"):
            continue
        where = f"{path} line {lineno}"
        if lineno == 1 and [c.lower() for c in cells[:2]] == ["adc", "newtons"]:
            continue
        if len(cells) != 2:
            raise InputError(f"{where}: expected 2 fields adc,newtons, got {len(cells)}")
        try:
            adc, newtons = float(cells[0]), float(cells[1])
        except ValueError:
            raise InputError(f"{where}: {','.join(cells)!r} is not two numbers adc,newtons") from None
        if not (math.isfinite(adc) and math.isfinite(newtons)):
            raise InputError(f"{where}: values must be finite numbers")
        if newtons == 0:
            if unloaded is not None:
                raise InputError(f"{where}: a second unloaded (0 N) row")
            unloaded = adc
            continue
        points.append(CalPoint(adc, newtons, where))
    return points, (unloaded if unloaded is not None else 0.0)


def validate_points(points: Sequence[CalPoint], divider: Divider, unloaded_adc: float = 0.0, origin: str = "") -> list[CalPoint]:
    """Points sorted by force, or InputError naming the first bad one.

    Rejects: fewer than MIN_POINTS; counts outside 1..full-scale-1 (no contact or a saturated
    ADC say nothing about force); forces outside 0..MAX_NEWTONS; counts not above the unloaded
    reading; counts that do not rise strictly with force (the FSR is monotone: a point that
    breaks this is a misread scale or a moved grip).
    """
    if len(points) < MIN_POINTS:
        prefix = f"{origin}: " if origin else ""
        raise InputError(f"{prefix}{len(points)} calibration point(s): at least {MIN_POINTS} are needed, spread over the range you use")
    full = divider.full_scale
    for p in points:
        if not 0 < p.adc < full:
            hint = "no contact: press harder" if p.adc <= 0 else "the ADC is saturated: press less, or use a smaller divider"
            raise InputError(f"{p.label()}: adc {p.adc:g} is out of range 1..{full - 1} ({hint})")
        if not 0 < p.newtons <= MAX_NEWTONS:
            raise InputError(f"{p.label()}: {p.newtons:g} N is out of range (0, {MAX_NEWTONS:g}] N")
        if p.adc <= unloaded_adc:
            raise InputError(f"{p.label()}: adc {p.adc:g} is not above the unloaded reading {unloaded_adc:g}")
    ordered = sorted(points, key=lambda p: p.newtons)
    for lo, hi in zip(ordered, ordered[1:]):
        if hi.newtons == lo.newtons:
            raise InputError(f"{hi.label()}: {hi.newtons:g} N repeats {lo.label()}: use distinct levels")
        if hi.adc <= lo.adc:
            raise InputError(
                f"{hi.label()}: not monotone: adc {hi.adc:g} at {hi.newtons:g} N is not above "
                f"adc {lo.adc:g} at {lo.newtons:g} N ({lo.label()}); readings must rise with force"
            )
    return ordered


# --- the fit -------------------------------------------------------------------------------


def _curve_force(curve: FsrCurve, divider: Divider, counts: np.ndarray | float) -> np.ndarray:
    """Total force on the FSR for counts (0 for no reading); finite even past the floor."""
    c = np.asarray(counts, dtype=float)
    r = divider.resistance_from_counts(np.maximum(c, 0.0))
    excess = np.maximum(np.where(np.isinf(r), np.inf, r - curve.r_floor), 1e-3)
    with np.errstate(over="ignore"):
        f = np.power(curve.r_1n / excess, 1.0 / curve.exponent)
    return np.where(c <= 0, 0.0, np.minimum(f, 1e6))


def fit_calibration(
    points: Sequence[CalPoint],
    divider: Divider,
    unloaded_adc: float = 0.0,
    *,
    source: str = "",
    serial_number: str | None = None,
    now: dt.datetime | None = None,
) -> Calibration:
    """Validate the points and fit r_1n, exponent and r_floor; raises InputError on bad points.

    `now` (the caller's wall clock) dates the calibration; without it the calibration is undated.
    """
    from scipy.optimize import least_squares  # scipy loads only to fit, not to convert force

    ordered = validate_points(points, divider, unloaded_adc, source)
    adc = np.array([p.adc for p in ordered])
    newtons = np.array([p.newtons for p in ordered])
    r = divider.resistance_from_counts(adc)
    r0 = divider.resistance_from_counts(unloaded_adc) if unloaded_adc > 0 else np.inf
    prior = np.array([math.log(_PRIOR.r_1n), _PRIOR.exponent, math.log(_PRIOR.r_floor)])
    sigma = np.array(_PRIOR_SIGMA)
    floor_max = math.log(0.98 * float(np.min(r)))

    def force(theta: np.ndarray, res: np.ndarray | float) -> np.ndarray:
        r_1n, k, floor = math.exp(theta[0]), theta[1], math.exp(theta[2])
        excess = np.maximum(np.asarray(res, dtype=float) - floor, 1e-3)
        return np.where(np.isinf(res), 0.0, np.power(r_1n / excess, 1.0 / k))

    def residuals(theta: np.ndarray) -> np.ndarray:
        applied = np.maximum(force(theta, r) - force(theta, r0), 1e-6)
        return np.concatenate([np.log(applied / newtons) / _POINT_SIGMA, (theta - prior) / sigma])

    lower = np.array([math.log(50.0), 0.3, math.log(1.0)])
    upper = np.array([math.log(1e6), 2.0, max(floor_max, lower[2] + 1e-3)])
    start = np.clip(prior, lower + 1e-6, upper - 1e-6)
    result = least_squares(residuals, start, bounds=(lower, upper), x_scale=sigma, method="trf")
    ln_r1n, k, ln_floor = (float(v) for v in result.x)
    curve = FsrCurve(r_1n=math.exp(ln_r1n), exponent=k, r_floor=math.exp(ln_floor))
    stamp = now.astimezone(dt.UTC).isoformat(timespec="seconds") if now else ""
    return Calibration(curve, divider, tuple(ordered), float(unloaded_adc), stamp, source, serial_number or "")


def error_report(cal: Calibration) -> list[str]:
    """Lines for the user: the error at each point and over the range."""
    errors = cal.point_errors()
    fitted = cal.force(np.array([p.adc for p in cal.points]))
    lines = ["   adc    scale N   fitted N   error"]
    for p, f, e in zip(cal.points, fitted, errors, strict=True):
        lines.append(f"{p.adc:6.1f} {p.newtons:10.2f} {float(f):10.2f} {float(e) * 100:+7.2f} %")
    lo, hi = cal.range_n
    rms = float(np.sqrt(np.mean(errors**2))) * 100
    worst = float(np.max(np.abs(errors))) * 100
    lines.append(f"over {lo:.1f}–{hi:.1f} N: rms error {rms:.2f} %, worst {worst:.2f} %")
    if worst > 5.0:
        lines.append("warning: a point is more than 5 % off the fitted curve: check that reading and press straight down")
    if hi < 4 * lo:
        lines.append(f"warning: the levels cover only {lo:.1f}–{hi:.1f} N: readings outside are extrapolated; add lighter and harder levels")
    return lines


# --- storage -------------------------------------------------------------------------------


def calibration_path(serial_number: str | None = None) -> Path:
    """Where the calibration of the board with this USB serial number lives; without one, the
    calibration of boards that have none (and of calibrations from a points file)."""
    if not serial_number:
        return paths.config_dir() / CALIBRATION_FILE
    folder = paths.config_dir() / BOARD_CALIBRATIONS
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', serial_number)}.json"


def save_calibration(cal: Calibration, path: Path | None = None) -> Path:
    """Write whole or not at all (through a link, as `outfile` does); a new file is user-only.
    A board's calibration goes to its own file, by its serial number."""
    path = path or calibration_path(cal.serial_number)
    write_out(path, json.dumps(cal.to_dict(), indent=2) + "\n", new_mode=0o600)
    return path


def load_calibration(path: Path | None = None) -> Calibration | None:
    """The stored calibration, None when there is none; InputError when the file is damaged."""
    path = path or calibration_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read the calibration: {e}") from None
    try:
        return Calibration.from_dict(json.loads(text))
    except json.JSONDecodeError as e:
        raise InputError(f"{path}: damaged calibration (line {e.lineno}: {e.msg}); run `kneadback calibrate force` again") from None
    except (KeyError, TypeError, ValueError) as e:
        raise InputError(f"{path}: damaged calibration ({e}); run `kneadback calibrate force` again") from None


def load_force_model(divider: Divider, serial_number: str | None = None, path: Path | None = None) -> ForceModel:
    """The stored calibration of this board (by serial number, else the one for boards without)
    when it was made with this front end, else the front end's uncalibrated model (a calibration
    fits an FSR divider only)."""
    if not divider.is_fsr:
        return uncalibrated_model(divider)
    if path is None and serial_number and calibration_path(serial_number).exists():
        path = calibration_path(serial_number)
    cal = load_calibration(path)
    if cal is None or (cal.serial_number and cal.serial_number != serial_number):
        return DatasheetForceModel(divider)
    if not _same_divider(cal.divider, divider):
        side = " high-side" if cal.divider.falls_with_force else ""
        reason = (
            f"the stored calibration is for a {cal.divider.r_fixed:g} Ω{side} divider, "
            f"{cal.divider.adc_bits}-bit ADC at {cal.divider.vref:g} V: recalibrate"
        )
        return UncalibratedForceModel(divider, FsrCurve(), reason)
    return CalibratedForceModel(cal)


def force_model_for_device(info: DeviceInfo) -> ForceModel:
    """`load_force_model` for the front end a device reports."""
    return load_force_model(device_divider(info), info.serial_number)


def _same_divider(a: Divider, b: Divider) -> bool:
    return (math.isclose(a.r_fixed, b.r_fixed, rel_tol=1e-3) and math.isclose(a.vref, b.vref, rel_tol=1e-3)
            and a.adc_bits == b.adc_bits and a.front_end == b.front_end)


def mean_reading(counts: Iterable[float], trim: float = 0.1) -> tuple[float, float]:
    """Trimmed mean and standard deviation of the counts recorded at one level."""
    c = np.sort(np.asarray(list(counts), dtype=float))
    if c.size == 0:
        raise ValueError("no samples")
    k = int(c.size * trim)
    core = c[k : c.size - k] if c.size - 2 * k > 0 else c
    return float(core.mean()), float(c.std())


# --- simulated parts (tests, benchmark, demos) ---------------------------------------------


def simulate_levels(
    part: FsrCurve,
    divider: Divider,
    forces_n: Iterable[float],
    rng: np.random.Generator,
    *,
    samples: int = 200,
    noise_counts: float = 0.7,
    wobble: float = 0.01,
    scale_step_n: float = STANDARD_GRAVITY / 1000,
) -> list[CalPoint]:
    """The points a user records on a scale with a simulated part.

    At each level the hand wobbles (relative force sigma `wobble`), the ADC adds noise
    (`noise_counts` sigma, before quantisation) and the procedure averages `samples` readings
    (trimmed mean, as `mean_reading`); the scale shows the mean force rounded to its step (1 g).
    """
    points = []
    for i, f in enumerate(forces_n):
        held = float(f) * (1.0 + rng.normal(0.0, wobble, samples))
        volts = divider.voltage(part.resistance(held)) + rng.normal(0.0, noise_counts * divider.vref / (1 << divider.adc_bits), samples)
        adc, _ = mean_reading(divider.counts(volts))
        shown = round(float(np.mean(held)) / scale_step_n) * scale_step_n
        points.append(CalPoint(adc, shown, f"level {i + 1}"))
    return points


def relative_errors(model: ForceModel, part: FsrCurve, divider: Divider, forces_n: np.ndarray) -> np.ndarray:
    """(model reading - true force) / true force for one noise-free, quantised reading per force."""
    counts = divider.counts(divider.voltage(part.resistance(forces_n)))
    return model.to_newtons(counts) / forces_n - 1.0
