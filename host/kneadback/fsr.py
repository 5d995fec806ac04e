"""The FSR, its voltage divider and the ADC: one model shared by the simulator, the engine's
force conversion, the divider table and the calibration fit.

Front ends (hardware/README.md shows each wiring; HELLO 1.1 and the text header name them):

* ``fsr-low``: the FSR from Vcc to A0, the fixed resistor from A0 to GND (the firmware's
  circuit); the voltage rises with force:  V = Vref * R_div / (R_div + R_fsr);
* ``fsr-high``: the fixed resistor from Vcc to A0, the FSR from A0 to GND; the voltage falls
  with force:  V = Vref * R_fsr / (R_div + R_fsr);
* ``linear``: an op-amp FSR circuit, a FlexiForce in its recommended circuit, a load cell on an
  HX711: counts above the unloaded reading are proportional to force, with no known scale;
* ``unknown``: nothing is known but that counts rise with force.

Force in newtons comes only from an FSR divider (the data-sheet curve: "approximate") or from a
calibration of any front end ("calibrated": the user's, or a device's own when it states its force
channel in newtons); otherwise it is a relative force with no unit ("unitless"). `TRUST_WORDS` says how each is written.

FSR resistance follows a power law with a floor (Interlink FSR 400 series data sheet, Force vs.
Resistance plot, and the table Adafruit measured on the FSR 402: 30 kΩ at 0.2 N, 6 kΩ at 1 N,
1 kΩ at 10 N, 250 Ω at 100 N):

    R_fsr(F) = r_floor + r_1n / F ** exponent           (ohms; F in newtons)

With r_1n = 5850 Ω, exponent = 0.82, r_floor = 150 Ω this gives 22 kΩ, 6.0 kΩ, 1.04 kΩ and 284 Ω
at those four forces. Below `turn_on_n` the FSR is open (megohms).

The AVR ADC returns floor(1024 * V / Vref), clipped to 0..1023.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from kneadback.frontend import FRONT_ENDS, FSR_FRONT_ENDS

RELATIVE_FULL_SCALE = 100.0  # a unitless force: per cent of the ADC's range above zero


@dataclass(frozen=True)
class TrustWords:
    """How a force of one trust is written, wherever it is shown: the coach, the dashboard, the
    terminal, `analyze`, the report."""

    unit: str  # the unit its values are in: "N", or "" for a relative force
    after: str  # written after a number ("21.0 approx. N", "61 rel.")
    title: str  # a heading's unit (the pressure tile)


#: every trust level (`ForceModel.trust`), most trusted first
TRUST_WORDS = {
    "calibrated": TrustWords("N", "N", "N"),
    "approximate": TrustWords("N", "approx. N", "approx. N"),
    "unitless": TrustWords("", "rel.", "relative"),
}
TRUST_LEVELS = tuple(TRUST_WORDS)

if TYPE_CHECKING:
    from kneadback.model import DeviceInfo

R_OPEN_OHMS = 10e6  # an unloaded FSR: "> 10 MΩ" in the data sheet


@dataclass(frozen=True)
class FsrCurve:
    """Force → resistance of one FSR part."""

    r_1n: float = 5850.0  # Ω at 1 N, above the floor
    exponent: float = 0.82
    r_floor: float = 150.0  # Ω the resistance tends to at high force
    turn_on_n: float = 0.15  # below this the FSR reads open

    def resistance(self, force_n: np.ndarray | float) -> np.ndarray:
        f = np.asarray(force_n, dtype=float)
        with np.errstate(divide="ignore"):
            r = self.r_floor + self.r_1n / np.power(np.maximum(f, 1e-9), self.exponent)
        return np.where(f < self.turn_on_n, np.maximum(r, R_OPEN_OHMS), r)

    def sample_part(self, rng: np.random.Generator, spread: float = 0.15) -> FsrCurve:
        """One manufactured part: the nominal curve with part-to-part variation.

        `spread` is the 1-sigma relative variation of the resistance at a given force (the data
        sheet quotes ±15-25 % part-to-part); the exponent varies by ±3 % (1 sigma).
        """
        return FsrCurve(
            r_1n=self.r_1n * float(np.exp(rng.normal(0.0, spread))),
            exponent=self.exponent * float(1.0 + rng.normal(0.0, 0.03)),
            r_floor=self.r_floor * float(np.exp(rng.normal(0.0, spread))),
            turn_on_n=self.turn_on_n,
        )

    def force(self, resistance: np.ndarray | float) -> np.ndarray:
        """Inverse of `resistance`: newtons for a resistance (0 when open or above the curve)."""
        r = np.asarray(resistance, dtype=float)
        excess = np.maximum(r - self.r_floor, 1e-9)
        f = np.power(self.r_1n / excess, 1.0 / self.exponent)
        return np.where(r >= R_OPEN_OHMS * 0.999, 0.0, f)


#: force-sensing parts the simulator's hardware matrix builds with: Interlink's FSR 402 (the
#: project's), its larger FSR 406 (a 38 mm pad spreads the force: a lower resistance at each
#: force), and a FlexiForce-like film whose conductance is close to linear in force, megohms light
FSR_PARTS = {
    "fsr402": FsrCurve(),
    "fsr406": FsrCurve(r_1n=2600.0, exponent=0.85, r_floor=90.0),
    "flexiforce": FsrCurve(r_1n=600e3, exponent=1.0, r_floor=1000.0, turn_on_n=0.3),
}


@dataclass(frozen=True)
class Divider:
    """The front end: its kind, the fixed resistor of an FSR divider, and the ADC that reads it."""

    r_fixed: float = 1000.0  # Ω: A0 to GND (fsr-low) or Vcc to A0 (fsr-high)
    vref: float = 5.0  # volts
    adc_bits: int = 10
    front_end: str = "fsr-low"  # one of FRONT_ENDS

    @property
    def full_scale(self) -> int:
        return (1 << self.adc_bits) - 1

    @property
    def is_fsr(self) -> bool:
        return self.front_end in FSR_FRONT_ENDS

    @property
    def falls_with_force(self) -> bool:
        return self.front_end == "fsr-high"

    @property
    def rest(self) -> int:
        """The counts with no force on the sensor: 0, or full scale for a high-side divider."""
        return self.full_scale if self.falls_with_force else 0

    def pressed(self, counts: np.ndarray) -> np.ndarray:
        """Counts turned to rise with force (a high-side divider reads full scale unloaded); the
        same map turns them back."""
        return self.full_scale - counts if self.falls_with_force else counts

    def voltage(self, r_fsr: np.ndarray | float) -> np.ndarray:
        r = np.asarray(r_fsr, dtype=float)
        return self.vref * (r if self.falls_with_force else self.r_fixed) / (self.r_fixed + r)

    def counts(self, volts: np.ndarray | float) -> np.ndarray:
        """Ideal AVR conversion: floor(2^bits * V / Vref), clipped to the rail."""
        v = np.asarray(volts, dtype=float)
        c = np.floor(v / self.vref * (1 << self.adc_bits))
        return np.clip(c, 0, self.full_scale).astype(np.int32)

    def resistance_from_counts(self, counts: np.ndarray | float) -> np.ndarray:
        """FSR resistance for ADC counts, taking each count at the middle of its step; infinite
        at the unloaded rail (0 low-side, full scale high-side)."""
        c = np.asarray(counts, dtype=float)
        v = (np.clip(c, 0, self.full_scale) + 0.5) / (1 << self.adc_bits) * self.vref
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.falls_with_force:
                return np.where(c >= self.full_scale, np.inf, self.r_fixed * v / (self.vref - v))
            return np.where(c <= 0, np.inf, self.r_fixed * (self.vref - v) / v)

    def conductance(self, counts: np.ndarray | float) -> np.ndarray:
        """FSR conductance in siemens; ∝ c / (full - c): the linearised signal."""
        r = self.resistance_from_counts(counts)
        with np.errstate(divide="ignore"):
            return np.where(np.isinf(r), 0.0, 1.0 / r)


class ForceModel(Protocol):
    """ADC counts → force. The datasheet model is the default; a user calibration replaces it.

    `trust` says how far the force can be believed (one of TRUST_LEVELS); `unit` follows from it
    (`TrustedForce`)."""

    def to_newtons(self, counts: np.ndarray) -> np.ndarray: ...

    def describe(self) -> str: ...

    @property
    def trust(self) -> str: ...

    @property
    def unit(self) -> str: ...


def trust_of(model: ForceModel | None) -> str:
    """How far a force model's values can be trusted; before the board has said what it is, the
    engine's default: the data-sheet curve, approximate."""
    return model.trust if model is not None else "approximate"


def trust_words(model: ForceModel | None) -> TrustWords:
    return TRUST_WORDS[trust_of(model)]


class TrustedForce(ABC):
    """A force model's unit, from its trust: one table says both (`TRUST_WORDS`)."""

    @property
    @abstractmethod
    def trust(self) -> str: ...

    @property
    def unit(self) -> str:
        return TRUST_WORDS[self.trust].unit


@dataclass(frozen=True)
class DatasheetForceModel(TrustedForce):
    """Newtons from counts through the divider equation and a nominal FSR curve."""

    divider: Divider = Divider()
    curve: FsrCurve = FsrCurve()

    @property
    def trust(self) -> str:
        return "approximate"

    def to_newtons(self, counts: np.ndarray) -> np.ndarray:
        r = self.divider.resistance_from_counts(counts)
        f = self.curve.force(np.where(np.isinf(r), R_OPEN_OHMS, r))
        return np.where(np.isinf(r), 0.0, f)

    def to_counts(self, force_n: np.ndarray | float) -> np.ndarray:
        """Ideal (noise-free) counts for a force; monotone in force."""
        return self.divider.counts(self.divider.voltage(self.curve.resistance(force_n)))

    def describe(self) -> str:
        side = "high-side " if self.divider.falls_with_force else ""
        return f"datasheet FSR 402 curve, {self.divider.r_fixed:g} Ω {side}divider"


@dataclass(frozen=True)
class RelativeForceModel(TrustedForce):
    """A linear or unknown front end without a calibration: per cent of the ADC's range, no unit.

    Strokes, rate and holds need no unit; the coach judges such a force against the user's own."""

    divider: Divider = Divider(front_end="unknown")

    @property
    def trust(self) -> str:
        return "unitless"

    def to_newtons(self, counts: np.ndarray) -> np.ndarray:
        c = np.clip(np.asarray(counts, dtype=float), 0, self.divider.full_scale)
        return self.divider.pressed(c) * (RELATIVE_FULL_SCALE / self.divider.full_scale)

    def describe(self) -> str:
        return f"{self.divider.front_end} front end, uncalibrated: a relative force (% of the ADC range, no unit)"


@dataclass(frozen=True)
class StatedForceModel(TrustedForce):
    """A linear front end whose counts are newtons at the scale its device states (a force stream
    in N, a load cell read out in newtons): the device's own calibration, trusted as one."""

    divider: Divider
    n_per_count: float

    @property
    def trust(self) -> str:
        return "calibrated"

    def to_newtons(self, counts: np.ndarray) -> np.ndarray:
        c = np.clip(np.asarray(counts, dtype=float), 0, self.divider.full_scale)
        return self.divider.pressed(c) * self.n_per_count

    def describe(self) -> str:
        return f"{self.n_per_count:g} N a count, as the device states"


def uncalibrated_model(divider: Divider) -> DatasheetForceModel | RelativeForceModel:
    """The force model a front end gets without a calibration."""
    return DatasheetForceModel(divider) if divider.is_fsr else RelativeForceModel(divider)


def device_divider(info: DeviceInfo) -> Divider:
    """The front end a device reports (or a user declared for it)."""
    front = info.front_end if info.front_end in FRONT_ENDS else "unknown"
    return Divider(float(info.divider_ohms), info.vref_mv / 1000.0, info.adc_bits, front)


def default_force_model(
    divider_ohms: float = 1000.0, vref: float = 5.0, adc_bits: int = 10, front_end: str = "fsr-low"
) -> DatasheetForceModel | RelativeForceModel:
    return uncalibrated_model(Divider(divider_ohms, vref, adc_bits, front_end))
