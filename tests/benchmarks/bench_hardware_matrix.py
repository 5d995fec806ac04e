"""Stroke F1 and hold recall on every common way to wire a force sensor, declared and undeclared.

    python tests/benchmarks/bench_hardware_matrix.py [--scenarios a,b,...] [--seed N]

Each cell renders the scenario families below with one front end (`[device]` and `[sensor]` of
the scenario replaced) and runs the engine in live-sized blocks, as `bench_engine_accuracy.py`
does. "declared": the board says its front end, as a 1.1 board or the `--front-end` flags do;
"undeclared": it says `unknown`, so the engine gets raw counts and force has no unit.

FSR cells keep the scenario's creep (`[sensor] creep`, 3 % per decade of time under load); the
"creep 5 %" rows take the data sheets' bound.

Targets, declared: stroke F1 ≥ 0.98 and hold recall ≥ 0.9 in every cell. Undeclared: strokes
still found (reported), force unitless. Either way, no safety cue: each scenario also runs as a
live session does (the board's INFO, then its samples and the simulated user's ratings, through
`Run.session`: the engine, the bout machine and the coach a `live` run builds), and the
`safety` column counts the safety cues (`too-hard`) it gives where the true force stays within
the user's ceiling.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import os
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from kneadback.app import Run, Settings
from kneadback.clock import ManualClock
from kneadback.cues import CUES
from kneadback.engine.engine import Engine
from kneadback.engine.scoring import blocks, score_rendering
from kneadback.model import Cue, DeviceInfo, Event, Rating, SourceItem, SpotChanged
from kneadback.simulate.render import Rendering, render
from kneadback.simulate.scenario import Scenario, load_scenario
from kneadback.sink import Sink
from kneadback.sources.base import Source

TARGET_F1 = 0.98
TARGET_HOLD_RECALL = 0.9
FAMILIES = ("steady", "irregular", "deep-continuous", "light-contact", "static-hold", "too-fast", "too-slow", "ramp", "noisy")
REFERENCE = (10, 5000)  # the noise of a scenario is given in counts of a 10-bit, 5 V ADC
SESSION_BLOCK_S = 0.25
WALL = 1_772_445_600.0  # a fixed wall-clock start: the coach's day does not depend on when it runs
SAFETY = frozenset(c.kind for c in CUES.values() if c.severity == "safety")


@dataclass(frozen=True)
class Cell:
    name: str
    device: dict[str, object]
    part: str = "fsr402"
    creep: float | None = None  # per decade of time under load; None: the scenario's own (3 %)


def cells() -> Iterator[Cell]:
    for ohms in (1000, 3300, 4700, 10000, 47000):
        for side in ("fsr-low", "fsr-high"):
            for part in ("fsr402", "fsr406", "flexiforce"):
                for bits, vref in ((10, 5000), (12, 3300)):
                    label = f"{side} {ohms / 1000:g}k {part} {bits}-bit {vref / 1000:g} V"
                    yield Cell(label, {"front_end": side, "divider_ohms": float(ohms), "adc_bits": bits, "vref_mv": vref}, part)
    for part in ("fsr402", "fsr406", "flexiforce"):  # creep at the data sheets' bound
        device = {"front_end": "fsr-low", "divider_ohms": 4700.0, "adc_bits": 10, "vref_mv": 5000}
        yield Cell(f"fsr-low 4.7k {part} 10-bit creep 5 %", device, part, creep=0.05)
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
    sensor = dataclasses.replace(scenario.sensor, part=cell.part, creep=scenario.sensor.creep if cell.creep is None else cell.creep)
    return dataclasses.replace(scenario.with_device(**cell.device), noise=noise, sensor=sensor)


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    holds: int = 0
    flagged: int = 0
    false_holds: int = 0
    safety: int = 0  # safety cues where the true force stayed within the ceiling
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
    tally.safety += safety_cues(r, declared)


class Played(Source):
    """A rendering as a board delivers it: its INFO, then its samples in blocks, with the simulated
    user's ratings at their times (as `sim:` sources say them). The cues are stamped with session
    time and do not depend on how the samples are cut, so the blocks are longer than live ones."""

    def __init__(self, r: Rendering, info: DeviceInfo) -> None:
        super().__init__(f"matrix:{r.scenario.name}")
        self.r, self.info = r, info

    def _open(self) -> None:
        pass

    def _close(self) -> None:
        pass

    def read(self, timeout: float = 0.05) -> list[SourceItem | Rating | SpotChanged]:  # type: ignore[override]
        if self.finished:
            return []
        r = self.r
        said: list[Rating | SpotChanged] = [Rating(x.t, x.value, x.spot) for x in r.truth.ratings]
        said += [SpotChanged(x.start, x.spot) for x in r.truth.spots[1:]]
        said.sort(key=lambda e: e.t)
        out: list[SourceItem | Rating | SpotChanged] = [self.info]
        for block in blocks(r.t, r.adc, max(1, round(SESSION_BLOCK_S * r.rate_hz)), r.lost):
            while said and said[0].t <= block.t[-1]:
                out.append(said.pop(0))
            out.append(block)
        self.finished = True
        return out + said


class Cues(Sink):
    def __init__(self) -> None:
        self.cues: list[Cue] = []

    def on_events(self, events: Sequence[Event]) -> None:
        self.cues += [e for e in events if isinstance(e, Cue)]


def safety_cues(r: Rendering, declared: bool) -> int:
    """The safety cues a live session gives on the rendering, where its true force stays within the
    user's ceiling (every scenario family does)."""
    settings = Settings(spot=r.scenario.phases[0].spot, record=False, gui=False)
    if r.force_n.max() > settings.targets.force_ceiling_n:
        return 0
    info = r.info if declared else dataclasses.replace(r.info, front_end="unknown")
    heard = Cues()
    Run(settings, ManualClock(wall_start=WALL)).session([heard], source=Played(r, info), out=io.StringIO()).run()
    return sum(c.kind in SAFETY for c in heard.cues)


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
    os.environ["KNEADBACK_HOME"] = tempfile.mkdtemp(prefix="kneadback-matrix-")  # no stored calibration or history
    print(f"scenario families: {', '.join(s.name for s in families)}; seed {args.seed}")
    print(f"{'front end':<40} {'declared F1':>11} {'holds':>7} {'false':>5} {'unit':>4} {'safety':>6}   "
          f"{'undeclared F1':>13} {'holds':>7} {'false':>5} {'unit':>4} {'safety':>6}")
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
        print(f"{cell.name:<40} {d.f1:>11.3f} {d.hold_recall:>7.2f} {d.false_holds:>5} {'/'.join(sorted(d.units)):>4} {d.safety:>6}"
              f"   {u.f1:>13.3f} {u.hold_recall:>7.2f} {u.false_holds:>5} {'/'.join(sorted(u.units)):>4} {u.safety:>6}"
              f"{'' if ok else '  MISS'}")
    print(f"holds: true holds flagged within 1 s of the limit ({d.holds} per cell); false: holds announced where there is none; "
          "safety: safety cues while the true force stays within the ceiling (target 0)")
    print(f"targets, declared: F1 ≥ {TARGET_F1}, hold recall ≥ {TARGET_HOLD_RECALL}; "
          f"{len(misses)} cell(s) miss; {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
