"""Force calibration: fit one sensor's own curve to readings taken on a scale.

A user presses the tool onto a kitchen or bathroom scale at five or more levels and notes the
scale reading at each; every level gives a point (ADC counts, newtons). What is fitted depends on
the front end (`kneadback.fsr`):

* an FSR divider, low- or high-side: the parameters of the shared FSR model
  (`kneadback.fsr.FsrCurve`: resistance = r_floor + r_1n / F**exponent) through the divider
  equation, with weak priors from the data sheet so that a parameter the points barely constrain
  (usually the floor) stays physical;
* a linear or unknown front end: `CountsCurve`, force = scale × (counts pressed)**exponent, with
  a weak prior of exponent 1 (a load cell or a FlexiForce circuit is linear; an op-amp FSR
  circuit's output grows a little slower than force).

Counts are taken as pressed (`Divider.pressed`): a high-side divider reads lower as the force
grows. An unloaded reading off the rest (0, or full scale high-side) means the cap preloads the
sensor, or the amplifier has an offset; it is tared: the model reports the force *added* to the
unloaded one, which is what the scale shows.

A board's fit lives in `paths.config_dir()/calibrations/SERIAL.json`, by its USB serial
number, and that of boards without one in `paths.config_dir()/calibration.json`;
`load_force_model` hands the engine the calibrated model when one matches the device's front end
(kind, divider and ADC), else the uncalibrated model of that front end
(`kneadback.fsr.uncalibrated_model`).
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
from kneadback.frontend import FRONT_ENDS
from kneadback.fsr import (
    DatasheetForceModel,
    Divider,
    ForceModel,
    FsrCurve,
    StatedForceModel,
    TrustedForce,
    device_divider,
    uncalibrated_model,
)
from kneadback.model import DeviceInfo
from kneadback.outfile import write_out

CALIBRATION_FILE = "calibration.json"
BOARD_CALIBRATIONS = "calibrations"  # a folder: one file per board, by its USB serial number
FORMAT = "kneadback-force-calibration"
FORMAT_VERSION = 1
FSR_MODEL = "fsr-power-law"  # the `model` of a stored FSR divider's calibration ...
COUNTS_MODEL = "counts-power-law"  # ... and of a linear or unknown front end's
MIN_POINTS = 5
MAX_NEWTONS = 500.0  # above this a "scale reading" is a typo, not a massage force
DRIFT_LIMIT_N = 1.0  # unloaded reading moved by this much force since calibration → recalibrate
OFF_LIMIT = 0.05  # a point further than this share off the fitted curve is worth a warning
STANDARD_GRAVITY = 9.80665

# Priors (data sheet nominal, 1-sigma) and the relative error we expect of one point.
_PRIOR = FsrCurve()
_PRIOR_SIGMA = (1.0, 0.15, 0.7)  # ln r_1n, exponent, ln r_floor
_POINT_SIGMA = 0.02
_COUNTS_EXPONENT_SIGMA = 0.3  # prior on a counts curve's exponent, about 1


@dataclass(frozen=True)
class CountsCurve:
    """Force from a front end that is not an FSR divider: newtons = scale × x**exponent, x the
    counts pressed beyond the unloaded reading."""

    scale: float  # newtons at one count
    exponent: float = 1.0

    def force(self, pressed: np.ndarray | float) -> np.ndarray:
        return self.scale * np.power(np.maximum(np.asarray(pressed, dtype=float), 0.0), self.exponent)


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

    curve: FsrCurve | CountsCurve  # an FSR curve for an FSR divider, else a counts curve
    divider: Divider
    points: tuple[CalPoint, ...]
    unloaded_adc: float = 0.0
    created: str = ""  # ISO 8601 UTC
    source: str = ""  # the device or file the points came from
    serial_number: str = ""  # the USB serial number of the board it was made on ("" when unknown)
    board: str = ""  # the board's own name for itself ("uno", "text"), when it gave one

    def force(self, counts: np.ndarray | float) -> np.ndarray:
        """Newtons added to the unloaded preload, for (mean) counts; 0 short of the preload."""
        c = np.asarray(counts, dtype=float)
        beyond = _pressed(self.divider, c) - _pressed(self.divider, self.unloaded_adc)
        if isinstance(self.curve, CountsCurve):
            f = self.curve.force(beyond)
        else:
            f = _curve_force(self.curve, self.divider, c) - _curve_force(self.curve, self.divider, self.unloaded_adc)
        return np.clip(np.where(beyond <= 0, 0.0, f), 0.0, MAX_NEWTONS)

    def shift_n(self, unloaded_counts: float) -> float:
        """The force an unloaded reading now is away from the one at calibration (positive: it
        reads as pressed harder)."""
        if isinstance(self.curve, CountsCurve):
            moved = float(_pressed(self.divider, unloaded_counts) - _pressed(self.divider, self.unloaded_adc))
            return math.copysign(float(self.curve.force(abs(moved))), moved)
        now = float(_curve_force(self.curve, self.divider, unloaded_counts))
        return now - float(_curve_force(self.curve, self.divider, self.unloaded_adc))

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
        if isinstance(self.curve, CountsCurve):
            model, curve = COUNTS_MODEL, {"scale": self.curve.scale, "exponent": self.curve.exponent}
        else:
            model, curve = FSR_MODEL, {"r_1n": self.curve.r_1n, "exponent": self.curve.exponent, "r_floor": self.curve.r_floor}
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "created": self.created,
            "source": self.source,
            "serial_number": self.serial_number,
            "board": self.board,
            "model": model,
            "divider": {"r_fixed": self.divider.r_fixed, "vref": self.divider.vref, "adc_bits": self.divider.adc_bits,
                        "front_end": self.divider.front_end},
            "curve": curve,
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
        divider = Divider(float(div["r_fixed"]), float(div["vref"]), int(div["adc_bits"]), str(div.get("front_end", "fsr-low")))
        curve: FsrCurve | CountsCurve
        if d.get("model", FSR_MODEL) == COUNTS_MODEL and not divider.is_fsr:
            curve = CountsCurve(float(cur["scale"]), float(cur["exponent"]))
            values = [curve.scale, curve.exponent]
        elif d.get("model", FSR_MODEL) == FSR_MODEL and divider.is_fsr:
            curve = FsrCurve(r_1n=float(cur["r_1n"]), exponent=float(cur["exponent"]), r_floor=float(cur["r_floor"]))
            values = [curve.r_1n, curve.exponent, curve.r_floor]
        else:
            raise ValueError(f"model {d.get('model')!r} does not fit a {divider.front_end} front end")
        points = tuple(CalPoint(float(p["adc"]), float(p["newtons"]), f"point {i + 1}") for i, p in enumerate(d["points"]))
        values += [divider.r_fixed, divider.vref]
        if not all(math.isfinite(v) and v > 0 for v in values) or not 8 <= divider.adc_bits <= 16 or len(points) < MIN_POINTS \
                or divider.front_end not in FRONT_ENDS:
            raise ValueError("parameters out of range")
        return cls(curve, divider, points, float(d.get("unloaded_adc", divider.rest)), str(d.get("created", "")),
                   str(d.get("source", "")), str(d.get("serial_number") or ""), str(d.get("board") or ""))


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
class CalibratedForceModel(TrustedForce):
    """The `ForceModel` the engine uses once a calibration is stored."""

    calibration: Calibration

    @property
    def trust(self) -> str:
        return "calibrated"

    def to_newtons(self, counts: np.ndarray) -> np.ndarray:
        return self.calibration.force(counts)

    def describe(self) -> str:
        cal = self.calibration
        lo, hi = cal.range_n
        worst = float(np.max(np.abs(cal.point_errors()))) * 100
        day = cal.created[:10] or "undated"
        return (
            f"calibrated {day}: {len(cal.points)} points {lo:.0f}–{hi:.0f} N, "
            f"fit within {worst:.1f} %, {front_end_text(cal.divider)}"
        )

    def check_drift(self, unloaded_counts: float) -> DriftCheck:
        """Compare an unloaded reading now (counts, e.g. a mean over a second off contact)."""
        cal = self.calibration
        return DriftCheck(float(unloaded_counts), cal.unloaded_adc, cal.shift_n(unloaded_counts))


def front_end_text(divider: Divider) -> str:
    """"1000 Ω divider", "4700 Ω high-side divider", "linear front end"."""
    if not divider.is_fsr:
        return f"{divider.front_end} front end"
    return f"{divider.r_fixed:g} Ω {'high-side ' if divider.falls_with_force else ''}divider"


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


def read_points_csv(path: Path) -> tuple[list[CalPoint], float | None]:
    """`adc,newtons` rows (an optional header; blank lines and `#` comments skipped).

    A row with 0 newtons is the unloaded reading (at most one). Returns (points, unloaded_adc),
    None for a file without one. Raises InputError naming the file and line on malformed input.
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
    return points, unloaded


def _pressed(divider: Divider, counts: np.ndarray | float) -> np.ndarray:
    return divider.pressed(np.asarray(counts, dtype=float))


def validate_points(points: Sequence[CalPoint], divider: Divider, unloaded_adc: float | None = None,
                    origin: str = "") -> list[CalPoint]:
    """Points sorted by force, or InputError naming the first bad one.

    Rejects: fewer than MIN_POINTS; counts outside 1..full-scale-1 (no contact or a saturated
    ADC say nothing about force); forces outside 0..MAX_NEWTONS; counts not pressed beyond the
    unloaded reading (`None`: the rest); counts that do not move strictly with force, up (or
    down, high-side) (the sensor is monotone: a point that breaks this is a misread scale or a
    moved grip).
    """
    if len(points) < MIN_POINTS:
        prefix = f"{origin}: " if origin else ""
        raise InputError(f"{prefix}{len(points)} calibration point(s): at least {MIN_POINTS} are needed, spread over the range you use")
    full = divider.full_scale
    unloaded = divider.rest if unloaded_adc is None else unloaded_adc
    beyond, move = ("below", "fall") if divider.falls_with_force else ("above", "rise")
    less = "use a smaller divider" if divider.is_fsr else "lower the front end's gain"
    for p in points:
        if not 0 < p.adc < full:
            hint = "no contact: press harder" if _pressed(divider, p.adc) <= 0 else f"the ADC is saturated: press less, or {less}"
            raise InputError(f"{p.label()}: adc {p.adc:g} is out of range 1..{full - 1} ({hint})")
        if not 0 < p.newtons <= MAX_NEWTONS:
            raise InputError(f"{p.label()}: {p.newtons:g} N is out of range (0, {MAX_NEWTONS:g}] N")
        if _pressed(divider, p.adc) <= _pressed(divider, unloaded):
            raise InputError(f"{p.label()}: adc {p.adc:g} is not {beyond} the unloaded reading {unloaded:g}")
    ordered = sorted(points, key=lambda p: p.newtons)
    for lo, hi in zip(ordered, ordered[1:]):
        if hi.newtons == lo.newtons:
            raise InputError(f"{hi.label()}: {hi.newtons:g} N repeats {lo.label()}: use distinct levels")
        if _pressed(divider, hi.adc) <= _pressed(divider, lo.adc):
            raise InputError(
                f"{hi.label()}: not monotone: adc {hi.adc:g} at {hi.newtons:g} N is not {beyond} "
                f"adc {lo.adc:g} at {lo.newtons:g} N ({lo.label()}); readings must {move} with force"
            )
    return ordered


# --- the fit -------------------------------------------------------------------------------


def _curve_force(curve: FsrCurve, divider: Divider, counts: np.ndarray | float) -> np.ndarray:
    """Total force on the FSR for counts (0 at the rest, where the FSR is open); finite even past
    the floor."""
    r = divider.resistance_from_counts(counts)
    excess = np.maximum(r - curve.r_floor, 1e-3)  # infinite at the rest: no force
    with np.errstate(over="ignore"):
        f = np.power(curve.r_1n / excess, 1.0 / curve.exponent)
    return np.minimum(f, 1e6)


def fit_calibration(
    points: Sequence[CalPoint],
    divider: Divider,
    unloaded_adc: float | None = None,
    *,
    source: str = "",
    serial_number: str | None = None,
    board: str = "",
    now: dt.datetime | None = None,
) -> Calibration:
    """Validate the points and fit the front end's curve; raises InputError on bad points.

    `unloaded_adc` None: no unloaded reading was taken, the rest is assumed. `now` (the caller's
    wall clock) dates the calibration; without it the calibration is undated.
    """
    unloaded = float(divider.rest if unloaded_adc is None else unloaded_adc)
    ordered = validate_points(points, divider, unloaded, source)
    adc = np.array([p.adc for p in ordered])
    newtons = np.array([p.newtons for p in ordered])
    if divider.is_fsr:
        curve: FsrCurve | CountsCurve = _fit_fsr(divider, adc, newtons, unloaded)
    else:
        curve = _fit_counts(_pressed(divider, adc) - _pressed(divider, unloaded), newtons)
    stamp = now.astimezone(dt.UTC).isoformat(timespec="seconds") if now else ""
    return Calibration(curve, divider, tuple(ordered), unloaded, stamp, source, serial_number or "", board)


def _fit_counts(pressed: np.ndarray, newtons: np.ndarray) -> CountsCurve:
    """ln F = ln scale + exponent·ln x by least squares, the exponent held weakly to 1."""
    rows = np.column_stack([np.ones_like(pressed), np.log(pressed)]) / _POINT_SIGMA
    rows = np.vstack([rows, [0.0, 1.0 / _COUNTS_EXPONENT_SIGMA]])
    target = np.append(np.log(newtons) / _POINT_SIGMA, 1.0 / _COUNTS_EXPONENT_SIGMA)
    (ln_scale, exponent), *_ = np.linalg.lstsq(rows, target, rcond=None)
    return CountsCurve(math.exp(float(ln_scale)), float(exponent))


def _fit_fsr(divider: Divider, adc: np.ndarray, newtons: np.ndarray, unloaded: float) -> FsrCurve:
    """r_1n, exponent and r_floor through the divider equation, with the data sheet's priors."""
    from scipy.optimize import least_squares  # scipy loads only to fit, not to convert force

    r = divider.resistance_from_counts(adc)
    r0 = divider.resistance_from_counts(unloaded)  # infinite at the rest
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
    return FsrCurve(r_1n=math.exp(ln_r1n), exponent=k, r_floor=math.exp(ln_floor))


def misfit(cal: Calibration) -> str | None:
    """Why a calibration is not to be kept: a power law fitted to an unknown front end that
    misses its own points (an FSR divider, likely) would be trusted in newtons it does not give."""
    worst = float(np.max(np.abs(cal.point_errors())))
    if cal.divider.front_end != "unknown" or worst <= OFF_LIMIT:
        return None
    return (f"the board does not say its front end, and a power law misses these points by up to {worst:.0%}: "
            "declare it with --front-end (an FSR divider: fsr-low or fsr-high, with --divider-ohms) and calibrate again; "
            "nothing saved")


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
    if worst > OFF_LIMIT * 100 and cal.divider.front_end == "unknown":
        lines.append("warning: a point is more than 5 % off the fitted power law, which an unknown front end gets: "
                     "declare the circuit with --front-end")
    elif worst > OFF_LIMIT * 100:
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


def stored_calibration_paths() -> list[Path]:
    """Every stored calibration file: the one for boards without a serial number first, then
    each board's, by serial number."""
    config = paths.config_dir()
    single = [config / CALIBRATION_FILE] if (config / CALIBRATION_FILE).exists() else []
    folder = config / BOARD_CALIBRATIONS
    return single + (sorted(folder.glob("*.json")) if folder.is_dir() else [])


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


def board_calibration(serial_number: str | None = None, path: Path | None = None) -> Calibration | None:
    """The calibration of this board: its own (by serial number), else the one for boards
    without one, unless that was made on another board; or the one at `path`."""
    if path is None and serial_number and calibration_path(serial_number).exists():
        path = calibration_path(serial_number)
    cal = load_calibration(path)
    return None if cal is None or (cal.serial_number and cal.serial_number != serial_number) else cal


def load_force_model(divider: Divider, serial_number: str | None = None, path: Path | None = None) -> ForceModel:
    """The stored calibration of this board (`board_calibration`) when it was made with this
    front end, else the front end's uncalibrated model."""
    cal = board_calibration(serial_number, path)
    if cal is None:
        return uncalibrated_model(divider)
    if not _same_divider(cal.divider, divider):
        if not divider.is_fsr:
            return uncalibrated_model(divider)
        reason = (
            f"the stored calibration is for a {front_end_text(cal.divider)}, "
            f"{cal.divider.adc_bits}-bit ADC at {cal.divider.vref:g} V: recalibrate"
        )
        return UncalibratedForceModel(divider, FsrCurve(), reason)
    return CalibratedForceModel(cal)


def force_model_for_device(info: DeviceInfo) -> ForceModel:
    """`load_force_model` for the front end a device reports; the device's own scale when it says
    its force channel is in newtons."""
    force = info.channels[0]
    if force.unit == "N" and force.scale > 0:
        return StatedForceModel(device_divider(info), force.scale)
    return load_force_model(device_divider(info), info.serial_number)


def _same_divider(a: Divider, b: Divider) -> bool:
    """The same front end; a fixed resistor only matters to an FSR divider."""
    return ((math.isclose(a.r_fixed, b.r_fixed, rel_tol=1e-3) or not a.is_fsr) and math.isclose(a.vref, b.vref, rel_tol=1e-3)
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
    linear_full_n: float = 150.0,
) -> list[CalPoint]:
    """The points a user records on a scale with a simulated part.

    At each level the hand wobbles (relative force sigma `wobble`), the ADC adds noise
    (`noise_counts` sigma, before quantisation) and the procedure averages `samples` readings
    (trimmed mean, as `mean_reading`); the scale shows the mean force rounded to its step (1 g).
    An FSR divider reads `part` through its divider; another front end is linear, full scale at
    `linear_full_n` (the simulator's, `kneadback.simulate.physics`).
    """
    points = []
    for i, f in enumerate(forces_n):
        held = float(f) * (1.0 + rng.normal(0.0, wobble, samples))
        volts = _volts(part, divider, held, linear_full_n) + rng.normal(0.0, noise_counts * divider.vref / (1 << divider.adc_bits), samples)
        adc, _ = mean_reading(divider.counts(volts))
        shown = round(float(np.mean(held)) / scale_step_n) * scale_step_n
        points.append(CalPoint(adc, shown, f"level {i + 1}"))
    return points


def relative_errors(model: ForceModel, part: FsrCurve, divider: Divider, forces_n: np.ndarray,
                    linear_full_n: float = 150.0) -> np.ndarray:
    """(model reading - true force) / true force for one noise-free, quantised reading per force."""
    counts = divider.counts(_volts(part, divider, forces_n, linear_full_n))
    return model.to_newtons(counts) / forces_n - 1.0


def _volts(part: FsrCurve, divider: Divider, force_n: np.ndarray, linear_full_n: float) -> np.ndarray:
    """What the ADC pin sees for a force: through the divider, or in proportion to it."""
    return divider.voltage(part.resistance(force_n)) if divider.is_fsr else force_n / linear_full_n * divider.vref
