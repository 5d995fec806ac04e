"""Ground truth, measured exactly on the rendered force trace (`Rendering.force_n`).

Definitions (also in signals/README.md):
- a stroke's **peak** is the sample of greatest force within its cycle;
- its **start** is the *last* sample at the lowest force between the previous stroke's peak (or
  the start of its phase) and this peak: the trough before it. When the tool lifted off, the
  trough is a run of zero force and the start is its last sample, the moment before contact;
- its **end** is the *first* sample at the lowest force between this peak and the next stroke's
  peak (or the end of its phase). In contact, one stroke's end is the next one's start;
- **off-contact** intervals are runs of exactly zero force (first and last sample of the run);
- a **hold** is the steady part of a static-pressure phase, from the end of the press-in ramp to
  the start of the let-go ramp;
- a **bout** is a run of consecutive strokes phases: from its first stroke's start to its last
  stroke's end;
- **spots** are runs of phases on the same spot, from the first phase's start to the last's end;
- with a `[motion]` table, each stroke's **motion** (`stroke_motion`), measured on the tip's true
  path in the skin plane (`kneadback.simulate.motion`): the working direction and excursion from
  its start to its end, and the share of the force on the return before it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from kneadback.model import Rating
from kneadback.simulate.scenario import Scenario
from kneadback.simulate.user import Motion


@dataclass(frozen=True)
class TrueStroke:
    index: int
    t_start: float
    t_peak: float
    t_end: float
    peak_n: float
    spot: str
    bout: int
    lost_samples: int = 0  # of its samples, how many never reach the host (frame loss, disconnect)


@dataclass(frozen=True)
class TrueStrokeMotion:
    """The motion of stroke `index` (signals/README.md, "Ground truth")."""

    index: int
    direction_deg: float  # the working stroke's direction in the skin plane, from the handle, 0..360
    excursion_cm: float  # its length: the tip's displacement from the stroke's start to its end
    return_share: float | None  # share of the force on the return before it; None for a bout's first
    return_loaded: bool  # the user kept the return on the skin (scrubbing, or easing off in contact)


@dataclass(frozen=True)
class TrueHold:
    start: float
    end: float
    mean_n: float
    spot: str


@dataclass(frozen=True)
class Interval:
    start: float
    end: float


@dataclass(frozen=True)
class TrueBout:
    index: int
    start: float
    end: float
    strokes: int
    spot: str
    mean_peak_n: float


@dataclass(frozen=True)
class TrueSpot:
    start: float
    end: float
    spot: str


@dataclass(frozen=True)
class LostRun:
    """Samples that never reach the host (lost frames, a disconnect)."""

    start: float
    end: float
    samples: int
    cause: str  # "frame" or "disconnect"


@dataclass
class Truth:
    strokes: list[TrueStroke] = field(default_factory=list)
    holds: list[TrueHold] = field(default_factory=list)
    off_contact: list[Interval] = field(default_factory=list)
    bouts: list[TrueBout] = field(default_factory=list)
    ratings: list[Rating] = field(default_factory=list)
    spots: list[TrueSpot] = field(default_factory=list)
    lost: list[LostRun] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    stroke_motion: list[TrueStrokeMotion] = field(default_factory=list)  # only with [motion]

    def to_dict(self) -> dict[str, Any]:
        def rows(items: list[Any]) -> list[dict[str, Any]]:
            return [{k: _plain(v) for k, v in asdict(x).items()} for x in items]

        return {
            **{k: _plain(v) for k, v in self.meta.items()},
            "strokes": rows(self.strokes),
            "holds": rows(self.holds),
            "off_contact": rows(self.off_contact),
            "bouts": rows(self.bouts),
            "ratings": [{k: _plain(v) for k, v in r.to_dict().items() if k != "type"} for r in self.ratings],
            "spots": rows(self.spots),
            "lost": rows(self.lost),
            **({"stroke_motion": rows(self.stroke_motion)} if self.stroke_motion else {}),
        }


def _plain(v: Any) -> Any:
    if isinstance(v, float | np.floating):
        return round(float(v), 6)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    return v


def measure_truth(scenario: Scenario, t: np.ndarray, motion: Motion, rng: np.random.Generator) -> Truth:
    """The truth of a rendering; `rng` draws only the ratings' noise."""
    f = motion.force_n
    n = len(f)
    phases = scenario.phases
    truth = Truth()
    if n == 0:
        return truth

    def idx(when):
        return np.searchsorted(t, when, side="left")

    # strokes: peaks inside cycles, troughs between neighbouring peaks
    c_lo = idx(motion.cycle_start)
    c_hi = np.minimum(idx(motion.cycle_end), n)
    keep = c_hi > c_lo
    c_lo, c_hi, c_phase = c_lo[keep], c_hi[keep], motion.cycle_phase[keep]
    peaks = np.array([lo + int(np.argmax(f[lo:hi])) for lo, hi in zip(c_lo, c_hi)], dtype=int)
    p_lo = idx(motion.phase_start)
    p_hi = np.minimum(idx(motion.phase_end), n)
    bout_of_phase = _bout_numbers(phases)
    for i, pk in enumerate(peaks):
        j = int(c_phase[i])
        same_prev = i > 0 and bout_of_phase[int(c_phase[i - 1])] == bout_of_phase[j]
        same_next = i + 1 < len(peaks) and bout_of_phase[int(c_phase[i + 1])] == bout_of_phase[j]
        left = int(peaks[i - 1]) if same_prev else int(p_lo[j])
        right = int(peaks[i + 1]) if same_next else int(p_hi[j]) - 1
        seg = f[left : pk + 1]
        s = left + int(np.flatnonzero(seg == seg.min())[-1])
        seg = f[pk : right + 1]
        e = pk + int(np.flatnonzero(seg == seg.min())[0])
        truth.strokes.append(
            TrueStroke(i, float(t[s]), float(t[pk]), float(t[e]), float(f[pk]), phases[j].spot, bout_of_phase[j])
        )

    # bouts: consecutive strokes phases
    for b in sorted({bout_of_phase[j] for j in range(len(phases)) if bout_of_phase[j] >= 0}):
        members = [s for s in truth.strokes if s.bout == b]
        if members:
            truth.bouts.append(
                TrueBout(
                    b,
                    members[0].t_start,
                    members[-1].t_end,
                    len(members),
                    members[0].spot,
                    float(np.mean([s.peak_n for s in members])),
                )
            )

    for start, end, j in motion.holds:
        lo, hi = idx(start), idx(end)
        mean = float(np.mean(f[lo:hi])) if hi > lo else 0.0
        truth.holds.append(TrueHold(float(start), float(end), mean, phases[j].spot))

    zero = f <= 0.0
    edges = np.flatnonzero(np.diff(np.concatenate([[0], zero.astype(np.int8), [0]])))
    for a, b in zip(edges[::2], edges[1::2]):
        truth.off_contact.append(Interval(float(t[a]), float(t[b - 1])))

    run_start = 0
    for j in range(1, len(phases) + 1):
        if j == len(phases) or phases[j].spot != phases[run_start].spot:
            truth.spots.append(TrueSpot(float(motion.phase_start[run_start]), float(motion.phase_end[j - 1]), phases[run_start].spot))
            run_start = j

    duration = float(motion.phase_end[-1])
    for j, ph in enumerate(phases):
        if not ph.rating:
            continue
        if ph.kind == "hold":
            hold = next(h for h, (_, _, hj) in zip(truth.holds, motion.holds) if hj == j)
            felt = hold.mean_n
        else:
            recent = [s.peak_n for s in truth.strokes if s.bout == bout_of_phase[j] and s.t_peak <= motion.phase_end[j]][-10:]
            if not recent:
                continue
            felt = float(np.mean(recent))
        spot = scenario.spots[ph.spot]
        value = 7.0 * (felt / spot.force_at_7) ** spot.steepness + rng.normal(0.0, spot.rating_noise)
        when = min(float(motion.phase_end[j]) + 1.0, duration)
        truth.ratings.append(Rating(when, int(np.clip(np.rint(value), 0, 10)), ph.spot, round(felt, 3)))
    truth.ratings.sort(key=lambda r: r.t)
    return truth


def _bout_numbers(phases: Any) -> list[int]:
    """The bout index of each phase (-1 for holds and rests)."""
    out: list[int] = []
    b = -1
    for j, ph in enumerate(phases):
        if ph.kind == "strokes":
            if j == 0 or phases[j - 1].kind != "strokes":
                b += 1
            out.append(b)
        else:
            out.append(-1)
    return out
