"""The FSR, its voltage divider and the ADC: one model shared by the simulator, the engine's
force conversion, the divider table and the calibration fit.

Circuit (hardware/README.md): the FSR runs from Vcc to A0 and a fixed resistor from A0 to GND,
so the voltage rises with force:  V = Vref * R_div / (R_div + R_fsr).

FSR resistance follows a power law with a floor (Interlink FSR 400 series data sheet, Force vs.
Resistance plot, and the table Adafruit measured on the FSR 402: 30 kΩ at 0.2 N, 6 kΩ at 1 N,
1 kΩ at 10 N, 250 Ω at 100 N):

    R_fsr(F) = r_floor + r_1n / F ** exponent           (ohms; F in newtons)

With r_1n = 5850 Ω, exponent = 0.82, r_floor = 150 Ω this gives 22 kΩ, 6.0 kΩ, 1.04 kΩ and 284 Ω
at those four forces. Below `turn_on_n` the FSR is open (megohms).

The AVR ADC returns floor(1024 * V / Vref), clipped to 0..1023.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

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


@dataclass(frozen=True)
class Divider:
    """The fixed resistor and the ADC that reads the divider."""

    r_fixed: float = 1000.0  # Ω, A0 to GND
    vref: float = 5.0  # volts
    adc_bits: int = 10

    @property
    def full_scale(self) -> int:
        return (1 << self.adc_bits) - 1

    def voltage(self, r_fsr: np.ndarray | float) -> np.ndarray:
        r = np.asarray(r_fsr, dtype=float)
        return self.vref * self.r_fixed / (self.r_fixed + r)

    def counts(self, volts: np.ndarray | float) -> np.ndarray:
        """Ideal AVR conversion: floor(2^bits * V / Vref), clipped to the rail."""
        v = np.asarray(volts, dtype=float)
        c = np.floor(v / self.vref * (1 << self.adc_bits))
        return np.clip(c, 0, self.full_scale).astype(np.int32)

    def resistance_from_counts(self, counts: np.ndarray | float) -> np.ndarray:
        """FSR resistance for ADC counts, taking each count at the middle of its step."""
        c = np.asarray(counts, dtype=float)
        v = (np.clip(c, 0, self.full_scale) + 0.5) / (1 << self.adc_bits) * self.vref
        v = np.where(c <= 0, 0.0, v)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = self.r_fixed * (self.vref - v) / v
        return np.where(c <= 0, np.inf, r)

    def conductance(self, counts: np.ndarray | float) -> np.ndarray:
        """FSR conductance in siemens; ∝ c / (full - c): the linearised signal."""
        r = self.resistance_from_counts(counts)
        with np.errstate(divide="ignore"):
            return np.where(np.isinf(r), 0.0, 1.0 / r)


class ForceModel(Protocol):
    """ADC counts → newtons. The datasheet model is the default; a user calibration replaces it."""

    def to_newtons(self, counts: np.ndarray) -> np.ndarray: ...

    def describe(self) -> str: ...


@dataclass(frozen=True)
class DatasheetForceModel:
    """Newtons from counts through the divider equation and a nominal FSR curve."""

    divider: Divider = Divider()
    curve: FsrCurve = FsrCurve()

    def to_newtons(self, counts: np.ndarray) -> np.ndarray:
        r = self.divider.resistance_from_counts(counts)
        f = self.curve.force(np.where(np.isinf(r), R_OPEN_OHMS, r))
        return np.where(np.asarray(counts) <= 0, 0.0, f)

    def to_counts(self, force_n: np.ndarray | float) -> np.ndarray:
        """Ideal (noise-free) counts for a force; monotone in force."""
        return self.divider.counts(self.divider.voltage(self.curve.resistance(force_n)))

    def describe(self) -> str:
        return f"datasheet FSR 402 curve, {self.divider.r_fixed:g} Ω divider"


def default_force_model(divider_ohms: float = 1000.0, vref: float = 5.0, adc_bits: int = 10) -> DatasheetForceModel:
    return DatasheetForceModel(Divider(divider_ohms, vref, adc_bits), FsrCurve())
