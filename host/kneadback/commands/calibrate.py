"""`kneadback calibrate`: force calibration against a scale, and its upkeep.

    kneadback calibrate force                 interactive: press on a scale, type what it shows
    kneadback calibrate force --points F.csv  fit `adc,newtons` rows from a file
    kneadback calibrate show                  every stored calibration, by board
    kneadback calibrate check                 has the unloaded reading drifted?
    kneadback calibrate reset                 forget the calibrations (back to the uncalibrated force)
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from kneadback.clock import Clock, MonotonicClock
from kneadback.errors import InputError, KneadbackError, SourceError
from kneadback.frontend import FRONT_ENDS
from kneadback.sources import DEFAULT_SPEC, SOURCE_USAGE

if TYPE_CHECKING:  # numpy, the FSR model and the fit load where used: registering the flags stays light
    import numpy as np

    from kneadback.calibration import Calibration, CalPoint
    from kneadback.fsr import Divider, ForceModel
    from kneadback.model import DeviceInfo, SampleBlock
    from kneadback.sources.base import Source

HELP = "calibrate the force reading in newtons with a kitchen scale"
ORDER = 70

CAPTURE_S = 1.0  # seconds of samples averaged per level
STEADY_LIMIT = 0.05  # relative force spread above which a level is taken again
NO_DATA_TIMEOUT_S = 5.0

Ask = Callable[[str], str]
Say = Callable[[str], None]


class Cancelled(KneadbackError):
    """The user left the interactive calibration; nothing was saved."""

    exit_code = 1


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", parser_class=type(parser))
    force = sub.add_parser("force", help="fit the FSR curve to scale readings (interactive, or --points FILE.csv)")
    force.add_argument("--source", default=DEFAULT_SPEC, metavar="SPEC", help=f"where to read the ADC (default: auto): {SOURCE_USAGE}")
    force.add_argument("--points", type=Path, metavar="FILE.csv", help="fit adc,newtons rows from a file instead")
    force.add_argument("--front-end", choices=FRONT_ENDS, metavar="KIND",
                       help=f"the sensor circuit: {', '.join(FRONT_ENDS)} (default: what the board reports, else fsr-low)")
    force.add_argument("--divider-ohms", type=float, metavar="OHMS",
                       help="the divider resistor (default: what the board reports, else 1000)")
    force.add_argument("--vref", type=float, default=None, help="ADC reference volts (default: board, else 5)")
    force.add_argument("--adc-bits", type=int, default=None, help="ADC bits (default: board, else 10)")
    force.add_argument("--unit", choices=("g", "kg", "N"), default="g", help="unit of bare numbers typed (default g)")
    force.add_argument("--seconds", type=float, default=CAPTURE_S, help="seconds averaged per level (default 1)")
    force.add_argument("--no-save", action="store_true", help="fit and report, but keep the stored calibration")
    force.set_defaults(func=run_force)
    show = sub.add_parser("show", help="print every stored calibration: its board, front end and date")
    show.set_defaults(func=run_show)
    check = sub.add_parser("check", help="compare the unloaded reading with the one at calibration (exit 1 on drift)")
    check.add_argument("--source", default=DEFAULT_SPEC, metavar="SPEC", help=f"where to read the ADC (default: auto): {SOURCE_USAGE}")
    check.add_argument("--seconds", type=float, default=CAPTURE_S, help="seconds averaged (default 1)")
    check.set_defaults(func=run_check)
    reset = sub.add_parser("reset", help="delete the stored calibrations; the uncalibrated force is used again")
    reset.add_argument("--board", metavar="SERIAL", help="only the calibration of the board with this USB serial number")
    reset.set_defaults(func=run_reset)
    parser.set_defaults(func=lambda args: _usage(parser))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


# --- reading the ADC -----------------------------------------------------------------------


class AdcReader:
    """Pulls samples from an open source: the device facts, a backlog drain, a timed capture."""

    def __init__(self, source: Source, clock: Clock) -> None:
        self.source = source
        self.clock = clock
        self.info: DeviceInfo | None = source.info

    def _read(self, timeout: float) -> list[SampleBlock]:
        from kneadback.model import DeviceInfo, SampleBlock

        blocks = []
        for item in self.source.read(timeout):
            if isinstance(item, DeviceInfo):
                self.info = item
            elif isinstance(item, SampleBlock) and len(item):
                blocks.append(item)
        return blocks

    def drain(self) -> None:
        """Drop what arrived while the user was typing: the capture starts now."""
        for _ in range(1000):
            if not self._read(0.0):
                return

    def capture(self, seconds: float) -> np.ndarray:
        """Counts covering `seconds` of sample time; SourceError when the source stays silent."""
        import numpy as np

        counts: list[np.ndarray] = []
        t0: float | None = None
        waited_since = self.clock.now()
        while True:
            blocks = self._read(0.05)
            if blocks:
                waited_since = self.clock.now()
            for b in blocks:
                t0 = float(b.t[0]) if t0 is None else t0
                counts.append(np.asarray(b.adc, dtype=float))
                if float(b.t[-1]) - t0 >= seconds:
                    return np.concatenate(counts)
            if self.source.finished:
                if counts:
                    return np.concatenate(counts)
                raise SourceError(f"{self.source.spec}: the source ended before any samples arrived")
            if self.clock.now() - waited_since > NO_DATA_TIMEOUT_S:
                raise SourceError(f"{self.source.spec}: no samples for {NO_DATA_TIMEOUT_S:g} s: is the board streaming?")

    def wait_for_info(self) -> None:
        """Give the board a moment to say HELLO (it carries the divider resistor)."""
        start = self.clock.now()
        while self.info is None and self.clock.now() - start < 2.0 and not self.source.finished:
            if self._read(0.05):
                break


def _divider(args: argparse.Namespace, info: DeviceInfo | None) -> Divider:
    from kneadback.fsr import Divider

    def given(flag: float | None, board: float | None, default: float) -> float:
        return flag if flag is not None else (board or default)  # a flag of 0 is refused, not ignored

    ohms = given(args.divider_ohms, info.divider_ohms if info else None, 1000.0)
    vref = given(args.vref, info.vref_mv / 1000 if info else None, 5.0)
    bits = given(args.adc_bits, info.adc_bits if info else None, 10)
    if not 10 <= ohms <= 10e6:
        raise InputError(f"--divider-ohms {ohms:g}: a resistor between 10 Ω and 10 MΩ, please")
    if not 0 < vref <= 20 or not 8 <= bits <= 16:
        raise InputError("--vref must be 0..20 V and --adc-bits 8..16")
    front = args.front_end or (info.front_end if info is not None else "fsr-low")
    return Divider(float(ohms), float(vref), int(bits), front)


# --- the interactive procedure -------------------------------------------------------------


def interactive_calibration(reader: AdcReader, divider: Divider, ask: Ask, say: Say, *, unit: str = "g",
                            seconds: float = CAPTURE_S) -> tuple[list[CalPoint], float]:
    """Walk the user through the unloaded reading and five or more levels on a scale.

    Returns (points, unloaded_adc). Raises Cancelled on "q" or end of input.
    """
    from kneadback import calibration as cal_mod
    from kneadback.calibration import CalPoint
    from kneadback.fsr import uncalibrated_model

    rough = uncalibrated_model(divider)

    def prompt(text: str) -> str:
        try:
            answer = ask(text)
        except EOFError:
            raise Cancelled("calibration cancelled: nothing saved") from None
        if answer.strip().lower() in ("q", "quit"):
            raise Cancelled("calibration cancelled: nothing saved")
        return answer

    say(f"Calibrating {reader.source.spec} ({cal_mod.front_end_text(divider)}, {divider.adc_bits}-bit ADC).")
    if divider.front_end == "unknown":
        say("The board does not say its front end: declare it with --front-end for a closer fit.")
    say("You need a kitchen or bathroom scale. Press straight down, tip centred, at 5 or more levels from")
    say("light to the hardest you use (about 0.5 kg to 12 kg). At each level hold steady, type the scale's")
    say("reading and press Enter while still holding: one second of samples is taken. q stops without saving.")
    prompt("Lift the tool off everything, then press Enter: ")
    reader.drain()
    unloaded, _ = cal_mod.mean_reading(reader.capture(seconds))
    preloaded = abs(unloaded - divider.rest) >= 1
    say(f"  unloaded: {unloaded:.1f} counts" + (" (a preload or an offset; it is tared)" if preloaded else ""))
    points: list[CalPoint] = []
    while True:
        n = len(points) + 1
        finish = ", or Enter to finish" if len(points) >= cal_mod.MIN_POINTS else ""
        answer = prompt(f"Level {n}: scale reading (e.g. 850 g, 2.5 kg){finish}: ")
        if not answer.strip():
            if len(points) >= cal_mod.MIN_POINTS:
                return points, unloaded
            say(f"  {len(points)} point(s) so far: at least {cal_mod.MIN_POINTS} are needed")
            continue
        try:
            newtons = cal_mod.parse_scale_reading(answer, unit)
        except InputError as e:
            say(f"  {e}")
            continue
        reader.drain()
        counts = reader.capture(seconds)
        adc, spread = cal_mod.mean_reading(counts)
        problem = _level_problem(adc, spread, newtons, unloaded, points, divider, rough)
        if problem:
            say(f"  {problem}: take this level again")
            continue
        points.append(CalPoint(adc, newtons, f"level {n}"))
        say(f"  level {n}: {adc:.1f} counts at {newtons:.2f} N")


def _level_problem(adc: float, spread: float, newtons: float, unloaded: float, points: list[CalPoint],
                   divider: Divider, rough: ForceModel) -> str | None:
    import numpy as np

    from kneadback import calibration as cal_mod

    def pressed(counts: float) -> float:
        return float(divider.pressed(np.asarray(counts, dtype=float)))

    if pressed(adc) >= divider.full_scale - 0.5:
        return "the ADC is saturated: this level is beyond what the front end can read"
    if pressed(adc) <= pressed(unloaded) + 0.5:
        return "no force reached the sensor: centre the tip on the scale"
    if not 0 < newtons <= cal_mod.MAX_NEWTONS:
        return f"{newtons:.1f} N is out of range"
    # the wobble as a share of the force added to the unloaded reading, by the uncalibrated curve
    base, low, mid, high = rough.to_newtons(np.array([unloaded, adc - spread, adc, adc + spread]))
    wobble = abs(float(high - low)) / 2 / float(mid - base) if mid > base else 0.0
    if wobble > STEADY_LIMIT:
        return f"the reading wobbled ±{wobble * 100:.0f} %: hold still"
    for p in points:
        if p.newtons == newtons:
            return f"{newtons:.2f} N was already taken: use a different level"
        if (p.newtons < newtons) != (pressed(p.adc) < pressed(adc)):
            return f"{adc:.1f} counts at {newtons:.2f} N does not fit {p.adc:.1f} counts at {p.newtons:.2f} N ({p.where})"
    return None


# --- commands ------------------------------------------------------------------------------


def _open(spec: str) -> tuple[Source, Clock]:
    """The board, opened, and the clock it runs on (which also dates the calibration)."""
    from kneadback.sources import open_source
    from kneadback.sources.base import SourceOptions

    options = SourceOptions()
    source = open_source(spec, options)
    source.open()
    return source, options.clock


def run_force(args: argparse.Namespace) -> int:
    from kneadback import calibration as cal_mod
    from kneadback.calibration import CalibratedForceModel

    if args.seconds <= 0 or args.seconds > 30:
        raise InputError(f"--seconds {args.seconds:g}: 0 to 30 s, please")
    if args.points:
        points, unloaded = cal_mod.read_points_csv(args.points)
        divider = _divider(args, None)
        cal = cal_mod.fit_calibration(points, divider, unloaded, source=str(args.points), now=_now(MonotonicClock()))
    else:
        source, clock = _open(args.source)
        try:
            reader = AdcReader(source, clock)
            reader.wait_for_info()
            divider = _divider(args, reader.info)
            points, unloaded = interactive_calibration(reader, divider, input, print, unit=args.unit, seconds=args.seconds)
        finally:
            source.close()
        serial = reader.info.serial_number if reader.info is not None else None
        board = reader.info.board if reader.info is not None else ""
        cal = cal_mod.fit_calibration(points, divider, unloaded, source=source.spec, serial_number=serial, board=board,
                                      now=_now(clock))
    for line in cal_mod.error_report(cal):
        print(line)
    if (problem := cal_mod.misfit(cal)) is not None:
        raise InputError(f"calibrate force: {problem}")
    if args.no_save:
        print("not saved (--no-save)")
    else:
        path = cal_mod.save_calibration(cal)
        print(f"saved {path}: {CalibratedForceModel(cal).describe()}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    """Every stored calibration; a damaged one is named on stderr (exit 2) and the rest still shown."""
    import sys

    from kneadback import calibration as cal_mod

    found = cal_mod.stored_calibration_paths()
    if not found:
        print("no calibration stored: force comes from the data-sheet curve of an FSR divider, or is relative "
              "(run `kneadback calibrate force`)")
        return 0
    damaged = 0
    for k, path in enumerate(found):
        try:
            cal = cal_mod.load_calibration(path)
        except InputError as e:
            print(f"kneadback: {e}", file=sys.stderr)
            damaged += 1
            continue
        if cal is not None:
            if k:
                print()
            for line in describe_calibration(cal, path):
                print(line)
    return 2 if damaged else 0


def describe_calibration(cal: Calibration, path: Path) -> list[str]:
    """What `calibrate show` says of one calibration: whose it is, its front end, when, its fit."""
    from kneadback import calibration as cal_mod
    from kneadback.calibration import CountsCurve

    board = f"board {cal.serial_number}" if cal.serial_number else "boards without a serial number"
    made = f"{cal.board} on {cal.source}" if cal.board else (cal.source or "?")
    d = cal.divider
    if isinstance(cal.curve, CountsCurve):
        curve = f"F = {cal.curve.scale:.4g} N × counts^{cal.curve.exponent:.3f}"
    else:
        curve = f"R = {cal.curve.r_floor:.0f} Ω + {cal.curve.r_1n:.0f} Ω / F^{cal.curve.exponent:.3f}"
    circuit = f"{cal_mod.front_end_text(d)}, " if d.is_fsr else ""  # (the first line names the kind)
    return [
        f"{board}: {d.front_end} front end, calibrated {cal.created[:10] or 'undated'} ({path})",
        f"  {circuit}{d.adc_bits}-bit ADC at {d.vref:g} V; made from {made}; unloaded reading {cal.unloaded_adc:.1f} counts",
        f"  curve: {curve}",
        *(f"  {line}" for line in cal_mod.error_report(cal)),
    ]


def run_check(args: argparse.Namespace) -> int:
    from kneadback import calibration as cal_mod
    from kneadback.calibration import CalibratedForceModel

    if not cal_mod.stored_calibration_paths():
        raise InputError("no calibration stored: run `kneadback calibrate force` first")
    source, clock = _open(args.source)
    try:
        reader = AdcReader(source, clock)
        reader.wait_for_info()
        serial = reader.info.serial_number if reader.info is not None else None
        cal = cal_mod.board_calibration(serial)
        if cal is None:
            raise InputError(f"{source.spec}: no calibration stored for board {serial}: run `kneadback calibrate force`")
        input("Lift the tool off everything, then press Enter: ")
        reader.drain()
        unloaded, _ = cal_mod.mean_reading(reader.capture(args.seconds))
    except EOFError:
        raise Cancelled("check cancelled") from None
    finally:
        source.close()
    drift = CalibratedForceModel(cal).check_drift(unloaded)
    advice = drift.advice()
    if advice:
        print(advice)
        return 1
    print(f"unloaded reading {unloaded:.1f} counts ({drift.shift_n:+.2f} N since calibration): calibration still good")
    return 0


def run_reset(args: argparse.Namespace) -> int:
    from kneadback import calibration as cal_mod

    if args.board is not None:
        path = cal_mod.calibration_path(args.board)
        if not path.exists():
            raise InputError(f"calibrate reset: no calibration stored for board {args.board} (`kneadback calibrate show` lists them)")
        found = [path]
    else:
        found = cal_mod.stored_calibration_paths()
    for path in found:
        path.unlink()
        print(f"removed {path}")
    print("force is uncalibrated again" if found else "no calibration stored")
    return 0


def _now(clock: Clock) -> dt.datetime:
    return dt.datetime.fromtimestamp(clock.wall(), dt.UTC)

