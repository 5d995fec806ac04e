"""`kneadback hardware divider`: which fixed resistor suits massage forces.

For each candidate resistor the table gives the ADC counts, the resolution (newtons per count)
and the current through the FSR at each force, from the shared FSR model (`kneadback.fsr`), and
a summary: the worst resolution relative to the reading over the forces people use, the force
above which one count is more than 2 % of the reading (where the divider "saturates" for our
purpose), and the current against the sensor's rating: Interlink's integration guide asks for
about 1 mA per cm² of actuator, 1.1 mA under the tip cap's 12 mm spreader.

The current is given for both ways to return the fixed resistor: to GND, where it flows all
the time, and to a digital pin that the firmware drives low only around each conversion (and
leaves open otherwise), where the sensor carries it for that share of the time. One rule picks
a resistor for either: among those within the rating, the one with the least current that
still keeps one count within 2 % of the reading over the massage range (the most counts at a
light touch too); when none does, the finest within the rating.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kneadback.errors import InputError
from kneadback.frontend import parse_ohms

if TYPE_CHECKING:  # numpy and the FSR model load when a table is computed, not to register the flags
    import numpy as np

    from kneadback.fsr import Divider, FsrCurve

HELP = "the build: which divider resistor, with its resolution and the FSR's current"
ORDER = 80

DEFAULT_RESISTORS = (330.0, 470.0, 680.0, 1000.0, 2200.0, 4700.0, 10000.0)
DEFAULT_FORCES = (5.0, 10.0, 20.0, 30.0, 50.0, 80.0, 100.0, 120.0, 150.0)
USABLE_STEP = 0.02  # one count may be at most this share of the reading
RANGE_N = (5.0, 90.0)  # the forces people use on a massage tool
CURRENT_LIMIT_MA = 1.1  # Interlink: ~1 mA/cm² of actuator; the cap's spreader covers 1.1 cm²
DIVIDER_PIN = "D7"  # the pin the firmware switches the divider with (KB_DIVIDER_PIN)
FIRMWARE_RATE_HZ = 200  # the firmware's sample rate after reset (KB_DEFAULT_RATE)
# the pin is low for the settling time (KB_SETTLE_US, 20 us), one conversion (13 ADC clocks at
# 125 kHz, 104 us) and the interrupts' entry: 134 us a sample on the emulated board
CLOSED_US = 134.0

@dataclass(frozen=True)
class DividerColumn:
    """One candidate resistor across the forces."""

    r_fixed: float
    counts: np.ndarray  # int, per force
    n_per_count: np.ndarray  # resolution, per force
    worst_step: float  # max over the massage range of (N per count) / force
    usable_to_n: float  # highest force (≤ 1000 N) where one count ≤ USABLE_STEP of the reading
    current_ma: float  # through the FSR at the top of the range
    counts_1n: int  # the reading at a light touch (contact detection)
    ma: np.ndarray  # current through the FSR, per force

    @property
    def fine(self) -> bool:
        """One count stays within USABLE_STEP of the reading over the whole massage range."""
        return self.worst_step <= USABLE_STEP


def pin_duty(rate_hz: float) -> float:
    """The share of the time a divider switched by the pin conducts at this sample rate."""
    return CLOSED_US * 1e-6 * rate_hz


def recommend(columns: list[DividerColumn], duty: float = 1.0) -> DividerColumn | None:
    """The resistor for a divider that conducts `duty` of the time (1: R1 to GND): within the rating,
    the least current that keeps one count within USABLE_STEP over the massage range, else the
    finest; None when none is within the rating."""
    rated = [c for c in columns if c.current_ma * duty <= CURRENT_LIMIT_MA]
    fine = [c for c in rated if c.fine]
    if fine:
        return max(fine, key=lambda c: c.r_fixed)
    return min(rated, key=lambda c: c.worst_step) if rated else None


def parse_list(text: str, item: str, parse: Callable[[str], float]) -> list[float]:
    values = [parse(s) for s in text.split(",") if s.strip()]
    if not values:
        raise InputError(f"--{item}: give a comma-separated list")
    return values


def parse_force(text: str) -> float:
    try:
        value = float(text.strip().removesuffix("N").strip())
    except ValueError:
        raise InputError(f"{text!r} is not a force in newtons") from None
    if not 0 < value <= 1000:
        raise InputError(f"{text!r}: forces between 0 and 1000 N, please")
    return value


def counts_slope(curve: FsrCurve, divider: Divider, force_n: np.ndarray) -> np.ndarray:
    """d(counts)/d(force) of the ideal, unquantised ADC reading."""
    import numpy as np

    f = np.asarray(force_n, dtype=float)
    r = curve.resistance(f)
    dr_df = -curve.exponent * curve.r_1n / np.power(f, curve.exponent + 1.0)
    scale = float(1 << divider.adc_bits)
    return -scale * divider.r_fixed / (divider.r_fixed + r) ** 2 * dr_df


def divider_column(r_fixed: float, forces: np.ndarray, curve: FsrCurve | None = None, vref: float = 5.0, adc_bits: int = 10) -> DividerColumn:
    import numpy as np

    from kneadback.fsr import Divider, FsrCurve

    curve = FsrCurve() if curve is None else curve
    divider = Divider(r_fixed, vref, adc_bits)
    counts = divider.counts(divider.voltage(curve.resistance(forces)))
    n_per_count = 1.0 / counts_slope(curve, divider, forces)
    dense = np.geomspace(RANGE_N[0], 1000.0, 400)
    step = 1.0 / counts_slope(curve, divider, dense) / dense
    in_range = dense <= RANGE_N[1]
    bad = np.nonzero(step > USABLE_STEP)[0]
    usable = float(dense[bad[0] - 1]) if bad.size and bad[0] > 0 else (0.0 if bad.size else float(dense[-1]))
    current = vref / (r_fixed + float(curve.resistance(RANGE_N[1]))) * 1000
    light = int(divider.counts(divider.voltage(curve.resistance(1.0))))
    ma = vref / (r_fixed + curve.resistance(forces)) * 1000
    return DividerColumn(r_fixed, counts, n_per_count, float(step[in_range].max()), usable, current, light, ma)


def divider_table(resistors: list[float], forces: list[float], vref: float = 5.0, adc_bits: int = 10) -> list[DividerColumn]:
    import numpy as np

    f = np.asarray(forces, dtype=float)
    return [divider_column(r, f, vref=vref, adc_bits=adc_bits) for r in resistors]


def _ohms_label(r: float) -> str:
    if r >= 1e6:
        return f"{r / 1e6:g}M"
    return f"{r / 1e3:g}k" if r >= 1e3 else f"{r:g}"


def _advice(wiring: str, pick: DividerColumn | None, limit: str) -> str:
    lo, hi = RANGE_N
    if pick is None:
        return f"{wiring}: none of these stays within {limit} up to {hi:g} N: try a larger resistor."
    why = (
        f"the least current that keeps one count ≤ {USABLE_STEP * 100:g} % of the reading over {lo:g}-{hi:g} N"
        if pick.fine
        else f"the finest within {limit} up to {hi:g} N"
    )
    return f"{wiring}: {_ohms_label(pick.r_fixed)} Ω, {why}."


def format_table(
    columns: list[DividerColumn], forces: list[float], adc_bits: int = 10, rate_hz: float = FIRMWARE_RATE_HZ
) -> list[str]:
    width = 20
    head = "force N " + "".join(f"{_ohms_label(c.r_fixed) + ' Ω':>{width}}" for c in columns)
    sub = "        " + "".join(f"{'counts N/cnt  mA':>{width}}" for _ in columns)
    lines = [head, sub]
    full = (1 << adc_bits) - 1
    for i, f in enumerate(forces):
        cells = []
        for c in columns:
            mark = "!" if c.n_per_count[i] / f > USABLE_STEP else " "
            hot = "*" if c.ma[i] > CURRENT_LIMIT_MA else " "
            cells.append(f"{int(c.counts[i]):>6} {c.n_per_count[i]:>6.2f}{mark}{c.ma[i]:>4.1f}{hot}")
        lines.append(f"{f:>7g} " + "".join(f"{s:>{width}}" for s in cells))
    lines.append("")
    lo, hi = RANGE_N
    duty = pin_duty(rate_hz)
    pin = f"R1 to {DIVIDER_PIN} at {rate_hz:g} Hz"
    lines.append(
        f"resistor  worst step {lo:g}-{hi:g} N  one count ≤ {USABLE_STEP * 100:g} % up to  counts at 1 N"
        f"  FSR mA at {hi:g} N: R1 to GND  {pin}"
    )
    for c in columns:
        usable = f"{c.usable_to_n:.0f} N" if c.usable_to_n < 1000 else "> 1000 N"
        hot, pin_hot = ("*" if c.current_ma * d > CURRENT_LIMIT_MA else " " for d in (1.0, duty))
        lines.append(
            f"{_ohms_label(c.r_fixed) + ' Ω':>8}  {c.worst_step * 100:>10.2f} %  {usable:>19}  {c.counts_1n:>13}"
            f"  {c.current_ma:>25.1f}{hot} {c.current_ma * duty:>{len(pin) - 1}.2f}{pin_hot}"
        )
    best = min(columns, key=lambda c: c.worst_step)
    lines.append(f"'!': one count is more than {USABLE_STEP * 100:g} % of the reading (ADC {adc_bits} bits, full scale {full}).")
    lines.append(f"'*': more than {CURRENT_LIMIT_MA:g} mA through the FSR, the sensor's rating under the tip cap's spreader.")
    lines.append(
        f"mA: while the divider conducts. With R1 to {DIVIDER_PIN} it conducts {CLOSED_US / 1000:g} ms around each "
        f"conversion ({duty * 100:.1f} % of the time at {rate_hz:g} Hz); its column is the average."
    )
    lines.append(
        f"worst step: the largest N-per-count as a share of the force over {lo:g}-{hi:g} N; "
        f"finest here: {_ohms_label(best.r_fixed)} Ω."
    )
    limit = f"{CURRENT_LIMIT_MA:g} mA"
    lines.append(_advice("R1 to GND", recommend(columns), limit))
    lines.append(_advice(f"{pin} (the firmware's wiring)", recommend(columns, duty), f"{limit} on average"))
    return lines


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", parser_class=type(parser))
    div = sub.add_parser("divider", help="ADC counts and N per count against force for candidate resistors")
    div.add_argument("--resistors", default=",".join(_ohms_label(r) for r in DEFAULT_RESISTORS),
                     help="comma-separated ohms, e.g. 1k,4.7k,10k (default: %(default)s)")
    div.add_argument("--forces", default=",".join(f"{f:g}" for f in DEFAULT_FORCES),
                     help="comma-separated newtons (default: %(default)s)")
    div.add_argument("--vref", type=float, default=5.0, help="ADC reference in volts (default 5)")
    div.add_argument("--adc-bits", type=int, default=10, choices=range(8, 17), metavar="BITS",
                     help="ADC resolution (default 10)")
    div.add_argument("--rate", type=float, default=float(FIRMWARE_RATE_HZ), metavar="HZ",
                     help=f"sample rate of a divider switched by {DIVIDER_PIN}, 10-1000 (default %(default)g, the firmware's)")
    div.set_defaults(func=run_divider)
    parser.set_defaults(func=lambda args: _usage(parser))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def run_divider(args: argparse.Namespace) -> int:
    resistors = parse_list(args.resistors, "resistors", parse_ohms)
    forces = sorted(parse_list(args.forces, "forces", parse_force))
    if not 0 < args.vref <= 20:
        raise InputError(f"--vref {args.vref:g}: a reference between 0 and 20 V, please")
    if not 10 <= args.rate <= 1000:
        raise InputError(f"--rate {args.rate:g}: the firmware samples at 10 to 1000 Hz")
    columns = divider_table(resistors, forces, args.vref, args.adc_bits)
    print(f"FSR 402 (data-sheet curve) from 5 V to A0, the fixed resistor R1 from A0 to GND or to {DIVIDER_PIN}")
    for line in format_table(columns, forces, args.adc_bits, args.rate):
        print(line)
    return 0
