"""Stroke F1 and hold recall on every common way to wire a force sensor, declared and undeclared.

    python tests/benchmarks/bench_hardware_matrix.py [--scenarios a,b,...] [--seed N]

Each cell renders the scenario families below with one front end (`[device]` and `[sensor]` of
the scenario replaced) and runs the engine in live-sized blocks, as `bench_engine_accuracy.py`
does. "declared": the board says its front end, as a 1.1 board or the `--front-end` flags do;
"undeclared": it says `unknown`, so the engine gets raw counts and force has no unit.

Targets, declared: stroke F1 ≥ 0.98 and hold recall ≥ 0.9 in every cell. Undeclared: strokes
still found (reported), force unitless.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections.abc import Iterator
from dataclasses import dataclass

from kneadback.engine.engine import Engine
from kneadback.engine.scoring import score_rendering
from kneadback.simulate.render import Rendering, render
from kneadback.simulate.scenario import Scenario, load_scenario

TARGET_F1 = 0.98
TARGET_HOLD_RECALL = 0.9
FAMILIES = ("steady", "irregular", "deep-continuous", "light-contact", "static-hold", "too-fast", "too-slow", "ramp", "noisy")
REFERENCE = (10, 5000)  # the noise of a scenario is given in counts of a 10-bit, 5 V ADC


@dataclass(frozen=True)
class Cell:
    name: str
    device: dict[str, object]
    part: str = "fsr402"


def cells() -> Iterator[Cell]:
    for ohms in (1000, 3300, 10000, 47000):
        for side in ("fsr-low", "fsr-high"):
            for part in ("fsr402", "fsr406", "flexiforce"):
                for bits, vref in ((10, 5000), (12, 3300)):
                    label = f"{side} {ohms / 1000:g}k {part} {bits}-bit {vref / 1000:g} V"
                    yield Cell(label, {"front_end": side, "divider_ohms": float(ohms), "adc_bits": bits, "vref_mv": vref}, part)
    for bits, vref in ((10, 5000), (12, 3300)):
        yield Cell(f"linear op-amp {bits}-bit {vref / 1000:g} V", {"front_end": "linear", "adc_bits": bits, "vref_mv": vref})
    for rate in (10, 80):  # the HX711's two rates; the host keeps the top 16 of its 24 bits
        yield Cell(f"HX711 load cell {rate} Hz", {"front_end": "linear", "adc_bits": 16, "rate_hz": float(rate), "linear_full_n": 200.0})


def built(scenario: Scenario, cell: Cell) -> Scenario:
    """The scenario on this cell's hardware, with the same electrical noise in volts."""
    bits, vref = int(cell.device.get("adc_bits", 10)), int(cell.device.get("vref_mv", 5000))
    per_count = (1 << bits) / (1 << REFERENCE[0]) * REFERENCE[1] / vref
    noise = dataclasses.replace(scenario.noise, adc_lsb=scenario.noise.adc_lsb * per_count,
                                hum_lsb=scenario.noise.hum_lsb * per_count)
    sensor = dataclasses.replace(scenario.sensor, part=cell.part)
    return dataclasses.replace(scenario.with_device(**cell.device), noise=noise, sensor=sensor)


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    holds: int = 0
    flagged: int = 0
    false_holds: int = 0
    units: set[str] = dataclasses.field(default_factory=set)

    @property
    def f1(self) -> float:
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp else 0.0

    @property
    def hold_recall(self) -> float:
        return self.flagged / self.holds if self.holds else float("nan")


def score(r: Rendering, declared: bool, tally: Tally) -> None:
    if not declared:
        r = _undeclared(r)
    engine = Engine()
    s = score_rendering(r, engine)
    tally.tp += s.match.true_positives
    tally.fp += s.match.false_positives
    tally.fn += s.match.false_negatives
    tally.holds += s.holds_true
    tally.flagged += s.holds_flagged
    tally.false_holds += s.false_holds
    assert engine.force_model is not None
    tally.units.add(engine.force_model.unit or "none")


def _undeclared(r: Rendering) -> Rendering:
    """The same samples from a board that does not say what it is."""

    class Undeclared(Rendering):
        @property
        def info(self):  # type: ignore[no-untyped-def]
            return dataclasses.replace(super().info, front_end="unknown")

    out = Undeclared.__new__(Undeclared)
    out.__dict__.update(r.__dict__)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenarios", default=",".join(FAMILIES), help="comma-separated scenario names")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    families = [load_scenario(n) for n in args.scenarios.split(",") if n]
    print(f"scenario families: {', '.join(s.name for s in families)}; seed {args.seed}")
    print(f"{'front end':<40} {'declared F1':>11} {'holds':>7} {'false':>5} {'unit':>4}   "
          f"{'undeclared F1':>13} {'holds':>7} {'false':>5} {'unit':>4}")
    start = time.perf_counter()
    misses = []
    for cell in cells():
        tallies = {True: Tally(), False: Tally()}
        for scenario in families:
            r = render(built(scenario, cell), seed=args.seed)
            for declared in (True, False):
                score(r, declared, tallies[declared])
        d, u = tallies[True], tallies[False]
        ok = d.f1 >= TARGET_F1 and not d.hold_recall < TARGET_HOLD_RECALL
        if not ok:
            misses.append(cell.name)
        print(f"{cell.name:<40} {d.f1:>11.3f} {d.hold_recall:>7.2f} {d.false_holds:>5} {'/'.join(sorted(d.units)):>4}"
              f"   {u.f1:>13.3f} {u.hold_recall:>7.2f} {u.false_holds:>5} {'/'.join(sorted(u.units)):>4}{'' if ok else '  MISS'}")
    print(f"holds: true holds flagged within 1 s of the limit ({d.holds} per cell); false: holds announced where there is none")
    print(f"targets, declared: F1 ≥ {TARGET_F1}, hold recall ≥ {TARGET_HOLD_RECALL}; "
          f"{len(misses)} cell(s) miss; {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
