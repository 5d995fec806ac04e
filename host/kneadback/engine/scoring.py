"""Scoring detections against ground truth (simulated scenarios, annotated recordings).

A detected stroke counts when its peak time lies within a true stroke's start..end, one to one.
Used by the accuracy benchmark and the engine's tests.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from kneadback.model import DeviceInfo, Event, SampleBlock


class TrueStrokeLike(Protocol):
    t_start: float
    t_peak: float
    t_end: float


@dataclass(frozen=True)
class Match:
    true_positives: int
    false_positives: int
    false_negatives: int
    pairs: list[tuple[int, int]]  # (detection index, truth index)

    @property
    def precision(self) -> float:
        d = self.true_positives + self.false_positives
        return self.true_positives / d if d else 1.0

    @property
    def recall(self) -> float:
        d = self.true_positives + self.false_negatives
        return self.true_positives / d if d else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def match_strokes(detected_peaks: Sequence[float], truth: Sequence[TrueStrokeLike]) -> Match:
    """One-to-one matching: each detection takes the free true stroke containing its peak time
    whose own peak is nearest."""
    starts = np.array([s.t_start for s in truth])
    ends = np.array([s.t_end for s in truth])
    peaks = np.array([s.t_peak for s in truth])
    used = np.zeros(len(truth), dtype=bool)
    pairs: list[tuple[int, int]] = []
    for k, tp in enumerate(detected_peaks):
        inside = np.flatnonzero((starts <= tp) & (tp <= ends) & ~used)
        if len(inside):
            j = int(inside[np.argmin(np.abs(peaks[inside] - tp))])
            used[j] = True
            pairs.append((k, j))
    tp_ = len(pairs)
    return Match(tp_, len(detected_peaks) - tp_, len(truth) - tp_, pairs)


def blocks(t: np.ndarray, adc: np.ndarray, chunk: int, lost: np.ndarray | None = None) -> Iterator[SampleBlock]:
    """Cut samples into blocks of `chunk`, leaving out the `lost` ones (counted in `.lost`)."""
    keep = np.ones(len(t), dtype=bool) if lost is None else ~np.asarray(lost, dtype=bool)
    index = np.arange(len(t))[keep]
    tk, ak = t[keep], adc[keep]
    # lost samples just before each kept sample
    missing = np.diff(np.concatenate(([-1], index))) - 1
    for a in range(0, len(tk), chunk):
        b = min(a + chunk, len(tk))
        # a block holds consecutive samples only: split it where samples went missing
        cuts = [a, *(a + np.flatnonzero(missing[a + 1 : b]) + 1).tolist(), b]
        for lo, hi in itertools.pairwise(cuts):
            yield SampleBlock(tk[lo:hi], ak[lo:hi], int(index[lo]), int(missing[lo]))


def run_engine(engine: Any, info: DeviceInfo, stream: Iterator[SampleBlock]) -> list[Event]:
    """Feed blocks through an analyzer; everything it emits, finish included."""
    engine.configure(info)
    out: list[Event] = []
    for block in stream:
        out += engine.process(block)
    out += engine.finish()
    return out


# --- a rendered scenario against its truth ---------------------------------------------------

LIVE_BLOCK_S = 0.02  # a live board delivers about this much at a time
UNSEEN_GAP_S = 0.1  # strokes overlapping a longer loss (a disconnect) cannot be expected
TAIL_S = 0.3  # nor strokes whose release the recording cuts off
HOLD_LIMIT_S = 2.0
HOLD_TOLERANCE_S = 1.0


@dataclass
class Score:
    """How one run of the engine compares with a scenario's truth."""

    name: str
    match: Match
    delays: list[float]  # t_confirmed − true t_peak, per matched stroke
    earliest: list[float]  # when the true force had first fallen 10 % from the true peak
    rate_errors: list[float]  # |live rate − true rate| at each stroke, strokes/min
    bout_rate_errors: list[float]
    holds_true: int
    holds_flagged: int  # true holds announced within the tolerance of the limit
    hold_errors: list[float]  # announcement time − (true start + limit)
    false_holds: int
    bouts_true: int
    bouts_found: int
    events: list[Event]

    @staticmethod
    def median(x: Sequence[float]) -> float:
        return float(np.median(x)) if len(x) else float("nan")


def expected_strokes(rendering: Any) -> list[Any]:
    """The true strokes a causal detector can be asked to find in this rendering."""
    t, lost = rendering.t, rendering.lost
    runs = [(r.start, r.end) for r in rendering.truth.lost if r.end - r.start >= UNSEEN_GAP_S]
    t_end = float(t[~lost][-1]) if (~lost).any() else 0.0
    return [
        s
        for s in rendering.truth.strokes
        if s.t_end <= t_end - TAIL_S and not any(a <= s.t_end and s.t_start <= b for a, b in runs)
    ]


def mid_rise(rendering: Any, stroke: Any) -> float:
    """When the true force of a stroke first reached half way from its start to its peak."""
    t, f = rendering.t, rendering.force_n
    i0, i1 = np.searchsorted(t, [stroke.t_start, stroke.t_peak])
    half = 0.5 * (f[i0] + stroke.peak_n)
    return float(t[i0 + int(np.argmax(f[i0 : i1 + 1] >= half))])


def score_rendering(rendering: Any, engine: Any, block_s: float = LIVE_BLOCK_S) -> Score:
    """Feed a rendering (without its lost samples) in live-sized blocks and score the output."""
    from kneadback.model import Bout, HoldStarted, Stroke

    r = rendering
    chunk = max(1, round(block_s * r.rate_hz))
    engine.configure(r.info)
    events: list[Event] = []
    rate_at: dict[int, float | None] = {}
    for block in blocks(r.t, r.adc, chunk, r.lost):
        new = engine.process(block)
        events += new
        for e in new:
            if isinstance(e, Stroke):
                rate_at[e.index] = engine.state.rate_spm
    events += engine.finish()

    truth = r.truth.strokes
    expected = {id(s) for s in expected_strokes(r)}
    strokes = [e for e in events if isinstance(e, Stroke)]
    full = match_strokes([s.t_peak for s in strokes], truth)
    # a detection of a stroke that could not be expected is not a false one
    matched = {j for _, j in full.pairs}
    missed = sum(1 for j, s in enumerate(truth) if id(s) in expected and j not in matched)
    pairs_ok = [(k, j) for k, j in full.pairs if id(truth[j]) in expected]
    m = Match(len(pairs_ok), full.false_positives, missed, pairs_ok)
    delays = [strokes[k].t_confirmed - truth[j].t_peak for k, j in m.pairs]
    earliest = []
    for _, j in m.pairs:
        s = truth[j]
        i0, i1 = np.searchsorted(r.t, [s.t_peak, s.t_end + 1e-9])
        below = np.flatnonzero(r.force_n[i0:i1] < 0.9 * s.peak_n)
        if len(below):
            earliest.append(float(r.t[i0 + below[0]]) - s.t_peak)

    # live rate at each stroke against the truth over the same number of intervals, both timed
    # at the middle of each rise (a peak on a flat top is ambiguous by a plateau's length)
    pairs = dict(m.pairs)
    rate_intervals = engine.bouts.p.rate_strokes
    bout_of = {id(s): s.bout for s in r.truth.strokes}
    rate_errors = []
    for k, s in enumerate(strokes):
        ours = rate_at.get(s.index)
        if ours is None or k not in pairs:
            continue
        n_int = min(rate_intervals, k)
        if n_int < 1 or (k - n_int) not in pairs:
            continue
        j, j0 = pairs[k], pairs[k - n_int]
        if bout_of[id(truth[j])] != bout_of[id(truth[j0])] or j - j0 != n_int:
            continue
        rate_errors.append(abs(ours - 60.0 * n_int / (mid_rise(r, truth[j]) - mid_rise(r, truth[j0]))))

    bouts = [e for e in events if isinstance(e, Bout)]
    bout_rate_errors = []
    for tb in r.truth.bouts:
        members = [s for s in r.truth.strokes if s.bout == tb.index]
        best = max(bouts, key=lambda b: min(b.end, tb.end) - max(b.start, tb.start), default=None)
        if best is None or best.rate_spm is None or len(members) < 2 or min(best.end, tb.end) <= max(best.start, tb.start):
            continue
        true_rate = 60.0 * (len(members) - 1) / (members[-1].t_peak - members[0].t_peak)
        bout_rate_errors.append(abs(best.rate_spm - true_rate))

    starts = [e for e in events if isinstance(e, HoldStarted)]
    hold_errors, flagged = [], 0
    for h in r.truth.holds:
        mine = [e for e in starts if h.start - HOLD_LIMIT_S - 1.0 <= e.t_confirmed <= h.end]
        if mine:
            err = mine[0].t_confirmed - (h.start + HOLD_LIMIT_S)
            hold_errors.append(err)
            flagged += abs(err) <= HOLD_TOLERANCE_S
    false_holds = sum(
        1 for e in starts if not any(h.start - HOLD_LIMIT_S - 1.0 <= e.t_confirmed <= h.end for h in r.truth.holds)
    )
    return Score(
        r.scenario.name,
        m,
        delays,
        earliest,
        rate_errors,
        bout_rate_errors,
        len(r.truth.holds),
        flagged,
        hold_errors,
        false_holds,
        len(r.truth.bouts),
        len(bouts),
        events,
    )
