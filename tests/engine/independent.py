"""A force-sensor recording from a plain model of its own, independent of kneadback's simulator.

Written apart from `kneadback.simulate` so that the engine is not judged only on signals made
alongside it: a massage session of raised-cosine strokes at about one a second, of varied force,
with residual contact between them (the tool never fully leaves the skin), a few static holds,
an FSR whose resistance follows a power law of its own constants, a pull-down divider read by a
10-bit 5 V ADC with a little noise. Its truth: every stroke's span and every hold's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kneadback.engine.scoring import match_strokes

RATE_HZ = 200.0
VCC = 5.0
ADC_FULL = 1023


@dataclass(frozen=True)
class Span:
    start: float
    peak: float
    end: float


@dataclass(frozen=True)
class Recording:
    t: np.ndarray
    force_n: np.ndarray
    adc: np.ndarray
    strokes: list[Span]
    holds: list[Span]  # peak: when the hold settled


def fsr_ohms(force_n: np.ndarray) -> np.ndarray:
    """A power law with a floor; an open pad (no force) reads 20 MΩ."""
    f = np.maximum(force_n, 1e-6)
    r = 220.0 + 7000.0 / f**0.75
    return np.where(force_n < 0.1, 20e6, np.minimum(r, 20e6))


def session(seed: int, seconds: float = 120.0) -> tuple[np.ndarray, np.ndarray, list[Span], list[Span]]:
    """Time, true force at `RATE_HZ`, strokes and holds: stretches of stroking over a residual
    contact force that wanders slowly (1.5-3.5 N), each stretch followed by a static hold; the tool
    is in the air only for the first second."""
    rng = np.random.default_rng(seed)
    t = np.arange(0.0, seconds, 1.0 / RATE_HZ)
    residual = 2.5 + np.sin(2.0 * np.pi * t / 37.0 + rng.uniform(0.0, 2.0 * np.pi))
    force = np.where(t >= 0.7, residual * np.clip((t - 0.7) / 0.3, 0.0, 1.0), 0.0)
    strokes: list[Span] = []
    holds: list[Span] = []
    now = 1.5
    while now < seconds - 12.0:
        stretch_end = min(now + rng.uniform(15.0, 25.0), seconds - 10.0)
        while now < stretch_end - 1.2:
            interval = rng.uniform(0.8, 1.25)
            width = interval * rng.uniform(0.55, 0.75)
            k = (t >= now) & (t < now + width)
            phase = (t[k] - now) / width
            force[k] += rng.uniform(12.0, 40.0) * 0.5 * (1.0 - np.cos(2.0 * np.pi * phase))
            strokes.append(Span(now, now + width / 2, now + width))
            now += interval
        # a static hold: pressed in, held with a tremor of about a per cent, released
        level, hold_s, ramp = rng.uniform(15.0, 30.0), rng.uniform(5.0, 8.0), 0.4
        k = (t >= now) & (t < now + hold_s)
        shape = np.minimum(np.clip((t[k] - now) / ramp, 0.0, 1.0), np.clip((now + hold_s - t[k]) / ramp, 0.0, 1.0))
        tremor = 1.0 + 0.01 * np.sin(2.0 * np.pi * 7.0 * t[k]) + 0.005 * rng.standard_normal(int(k.sum()))
        force[k] += level * shape * tremor
        holds.append(Span(now, now + ramp, now + hold_s))
        now += hold_s + rng.uniform(1.5, 3.0)
    return t, force, strokes, holds


def recording(pull_down_ohms: float, seed: int = 0, seconds: float = 120.0) -> Recording:
    """The session through an FSR over a pull-down (low side: counts rise with force)."""
    rng = np.random.default_rng(seed + 1000)
    t, force, strokes, holds = session(seed, seconds)
    volts = VCC * pull_down_ohms / (pull_down_ohms + fsr_ohms(force))
    counts = np.floor(volts / VCC * (ADC_FULL + 1) + rng.normal(0.0, 0.6, len(t)))
    return Recording(t, force, np.clip(counts, 0, ADC_FULL).astype(int), strokes, holds)


def write_csv(rec: Recording, path: Path) -> Path:
    """A plain `time_s,adc` file that says nothing of its front end."""
    rows = "\n".join(f"{t:.4f},{a}" for t, a in zip(rec.t, rec.adc, strict=True))
    path.write_text("time_s,adc\n" + rows + "\n", encoding="utf-8")
    return path


@dataclass(frozen=True)
class Found:
    """How `kneadback analyze --json`'s output compares with a recording's truth."""

    stroke_f1: float
    hold_recall: float  # true holds that a reported hold starts within
    false_hold_s: float  # reported hold time outside every true hold


def score(rec: Recording, analysis: dict[str, Any]) -> Found:
    peaks = [s["t_peak"] for s in analysis["strokes"]]
    match = match_strokes(peaks, [_Truth(s.start, s.peak, s.end) for s in rec.strokes])
    reported = [(float(h["start"]), float(h["end"])) for h in analysis["holds"]]
    found = sum(any(h.start <= a <= h.end for a, _ in reported) for h in rec.holds)
    inside = sum(max(0.0, min(b, h.end) - max(a, h.start)) for a, b in reported for h in rec.holds)
    outside = sum(b - a for a, b in reported) - inside
    return Found(match.f1, found / len(rec.holds), outside)


@dataclass(frozen=True)
class _Truth:
    t_start: float
    t_peak: float
    t_end: float
