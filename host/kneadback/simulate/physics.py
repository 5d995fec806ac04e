"""Steps 2–4, force → FSR resistance → divider voltage → ADC counts, with a real part's flaws.

The curve, divider and ADC equations are the shared ones in `kneadback.fsr`; this module adds
what happens to one built-in part over time (Interlink FSR 400 series data sheet figures):
- **part-to-part** variation (`FsrCurve.sample_part`, "±15–25 %" force repeatability part to part);
- **hysteresis**: "+10 % average (R_F+ − R_F−)/R_F+": on the way down the resistance is lower
  than on the way up at the same force. Modelled on each stroke's release, zero at the peak and
  at the trough, largest half-way;
- **creep / drift**: "< 5 % per log10(time)" under constant load: the resistance falls by
  `creep` per decade of time since the sensor was last unloaded;
- **response time**: the FSR itself reacts in microseconds, but the cap and the tissue layer
  over it smooth the force: a first-order lag of `response_ms`;
- **preload** from the mount, and steps of it (baseline shifts);
- ADC input **noise** (RMS, in counts), mains **hum**, quantisation (floor), the rails, and
  single-sample **spikes** (a loose wire reads 0, a glitch reads high).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import signal

from kneadback.fsr import Divider, FsrCurve
from kneadback.simulate.scenario import Scenario

CREEP_T0_S = 0.1  # creep counts decades of time from this
HYSTERESIS_FLOOR = 1e-9


def preload(scenario: Scenario, t: np.ndarray) -> np.ndarray:
    """Force the mount puts on the sensor at each sample (newtons)."""
    s = scenario.sensor
    out = np.full(len(t), s.preload_n)
    for when, level in s.preload_steps:
        out[t >= when] = level
    return out


def hysteresis_force(force: np.ndarray, releases: Sequence[tuple[int, int]], hysteresis: float, exponent: float) -> np.ndarray:
    """Force as the sensor 'feels' it: higher than true on each release (lo = peak, hi = trough).

    A relative force excess of h / exponent lowers a power-law resistance by about h.
    """
    if hysteresis <= 0 or not releases:
        return force
    out = force.copy()
    spans = [np.arange(lo + 1, hi + 1) for lo, hi in releases if hi > lo]
    if not spans:
        return out
    i = np.concatenate(spans)
    peak = np.repeat([force[lo] for lo, hi in releases if hi > lo], [len(s) for s in spans])
    trough = np.repeat([force[hi] for lo, hi in releases if hi > lo], [len(s) for s in spans])
    x = np.clip((force[i] - trough) / np.maximum(peak - trough, HYSTERESIS_FLOOR), 0.0, 1.0)
    out[i] = force[i] * (1.0 + hysteresis / exponent * 4.0 * x * (1.0 - x))
    return out


def lag(force: np.ndarray, rate_hz: float, tau_s: float) -> np.ndarray:
    """First-order low-pass with time constant `tau_s`, starting settled."""
    if tau_s <= 0 or not len(force):
        return force
    alpha = 1.0 - np.exp(-1.0 / (rate_hz * tau_s))
    b, a = [alpha], [1.0, alpha - 1.0]
    zi = signal.lfilter_zi(b, a) * force[0]
    return signal.lfilter(b, a, force, zi=zi)[0]


def creep_factor(loaded: np.ndarray, t: np.ndarray, creep: float) -> np.ndarray:
    """Resistance multiplier < 1 growing with the log of time since the sensor was last unloaded."""
    if creep <= 0 or not len(t):
        return np.ones(len(t))
    n = np.arange(len(t))
    last_free = np.maximum.accumulate(np.where(loaded, 0, n))
    since = np.where(loaded, t - t[last_free], 0.0)
    return np.maximum(0.6, 1.0 - creep * np.log10(1.0 + since / CREEP_T0_S))


def adc_counts(
    scenario: Scenario,
    part: FsrCurve,
    t: np.ndarray,
    force: np.ndarray,
    releases: Sequence[tuple[int, int]],
    rng: np.random.Generator,
) -> np.ndarray:
    """ADC counts (int32) the board reads for the true force on the skin."""
    dev, sen, noise = scenario.device, scenario.sensor, scenario.noise
    divider = Divider(dev.divider_ohms, dev.vref_mv / 1000.0, dev.adc_bits, dev.front_end)
    on_sensor = hysteresis_force(force, releases, sen.hysteresis, part.exponent) + preload(scenario, t)
    felt = lag(on_sensor, dev.rate_hz, sen.response_ms / 1000.0)
    creep = creep_factor(felt >= part.turn_on_n, t, sen.creep)
    if divider.is_fsr:
        steps = divider.voltage(part.resistance(felt) * creep) / divider.vref * (1 << dev.adc_bits)
    else:  # an op-amp or load-cell front end: counts proportional to force (to conductance: creep raises it)
        steps = felt / creep / dev.linear_full_n * (1 << dev.adc_bits)
    if noise.adc_lsb > 0:
        steps = steps + rng.normal(0.0, noise.adc_lsb, len(t))
    if noise.hum_lsb > 0:
        steps = steps + noise.hum_lsb * np.sin(2 * np.pi * noise.hum_hz * t + rng.uniform(0, 2 * np.pi))
    counts = np.clip(np.floor(steps), 0, divider.full_scale).astype(np.int32)
    duration_min = (t[-1] - t[0]) / 60.0 if len(t) > 1 else 0.0
    n_spikes = rng.poisson(noise.spikes_per_min * duration_min) if noise.spikes_per_min > 0 else 0
    if n_spikes:
        at = rng.integers(0, len(t), n_spikes)
        high = rng.random(n_spikes) < 0.6
        span = divider.full_scale * 150 // 1023  # glitches span as much of any ADC as of a 10-bit one
        pressed = divider.pressed(counts[at]) + rng.integers(span, divider.full_scale, n_spikes)
        counts[at] = divider.pressed(np.where(high, np.minimum(pressed, divider.full_scale), 0))
    return counts
