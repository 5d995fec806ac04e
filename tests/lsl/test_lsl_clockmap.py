"""The outlet's device time → LSL time map, on a simulated drifting clock with jittery arrivals."""

from __future__ import annotations

import numpy as np

from kneadback.lsl.outlet import ClockMap

RATE = 1000.0
BLOCK = 20
DELAY_S = 0.002  # the fixed part of the transport's delay: no host can see it, it stays in the stamps


def run(drift_ppm: float, seconds: float, late_first_s: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Blocks of a device `drift_ppm` fast, each arriving `DELAY_S` plus a random delay after its
    last sample, the first block of every second `late_first_s` later still (a busy host). The
    stamps the map gives each sample as it arrives, and the truth (when each was taken)."""
    rng = np.random.default_rng(seed)
    m = ClockMap()
    stamps, truth = [], []
    host0 = 5000.0
    for b in range(int(seconds * RATE) // BLOCK):
        i = np.arange(b * BLOCK, (b + 1) * BLOCK)
        taken = host0 + i / RATE
        device_t = (i / RATE) * (1 + drift_ppm * 1e-6)
        late = late_first_s if b % int(RATE / BLOCK) == 0 else 0.0
        m.observe(float(device_t[-1]), float(taken[-1] + DELAY_S + late + rng.exponential(0.001)))
        stamps.append(m(device_t))
        truth.append(taken + DELAY_S)
    return np.concatenate(stamps), np.concatenate(truth)


def test_the_map_follows_a_drifting_clock_within_a_millisecond():
    stamps, truth = run(drift_ppm=300.0, seconds=120.0, late_first_s=0.0)
    steady = slice(int(5 * RATE), None)
    assert np.abs(stamps - truth)[steady].max() < 1e-3


def test_late_arrivals_at_a_bucket_start_never_make_the_stamps_jump():
    stamps, truth = run(drift_ppm=200.0, seconds=30.0, late_first_s=0.008)
    steady = slice(int(2 * RATE), None)
    steps = np.diff(stamps[steady])
    assert np.abs(steps - 1 / RATE).max() < 0.25e-3  # one period, give or take a refit's nudge (the late blocks: 8 ms)
    assert np.abs(stamps - truth)[steady].max() < 1e-3
