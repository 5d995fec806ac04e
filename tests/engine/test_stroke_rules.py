"""The stroke detector's rhythm rules. The quick rule: in a rhythm a release confirms a stroke
early, while a press-in settling into a hold, a hold's wander and a dip on a long plateau never
add a stroke. Merging: tremor on a slow, light press does not cut its rise into pieces."""

from __future__ import annotations

import math

import numpy as np
from scipy import signal

from kneadback.engine.filters import BoxMean, LowPass
from kneadback.engine.history import History
from kneadback.engine.strokes import StrokeDetector, StrokeParams

BASE_US, HEIGHT_US = 50.0, 1000.0


def _rc(x: np.ndarray) -> np.ndarray:
    """A raised-cosine step from 0 to 1 over 0 ≤ x ≤ 1."""
    return 0.5 - 0.5 * np.cos(np.pi * np.clip(x, 0.0, 1.0))


def _stroke(
    t: np.ndarray, start: float, plateau_s: float, dips: tuple[tuple[float, float], ...] = (), press_s: float = 0.2
) -> np.ndarray:
    """One stroke of relative height 1: a `press_s` press, a plateau with (time after its start,
    depth) dips of 60 ms, and a release of three quarters of the press."""
    top = start + press_s
    end = top + plateau_s
    y = _rc((t - start) / press_s) * (1.0 - _rc((t - end) / (0.75 * press_s)))
    for at, depth in dips:
        y -= depth * np.exp(-0.5 * ((t - top - at) / 0.02) ** 2) * (t > top) * (t < end)
    return y


def _detect(rel: np.ndarray, rate_hz: float, params: StrokeParams | None = None) -> tuple[list[float], list[float]]:
    """Peak and confirmation times of accepted candidates, the signal fed in 20 ms blocks."""
    raw = BASE_US + HEIGHT_US * rel
    g, fast = LowPass(rate_hz)(raw), BoxMean(max(1, round(0.01 * rate_hz)))(raw)
    t = np.arange(len(raw)) / rate_hz
    h = History(keep_s=12.0)
    det = StrokeDetector(h, rate_hz, lp_noise_gain=1.0, params=params)
    peaks: list[float] = []
    confirmed: list[float] = []
    step = round(0.02 * rate_hz)
    for a in range(0, len(raw), step):
        first = h.end
        sl = slice(a, a + step)
        h.append(t[sl], g[sl], g[sl], np.zeros(len(t[sl]), dtype=np.int32))
        for c in det.process(t[sl], g[sl], fast[sl], np.full(len(t[sl]), 0.5), first):
            if c.accepted:
                peaks.append(float(t[c.i_peak]))
                confirmed.append(float(t[c.i_confirm]))
    return peaks, confirmed


def _train(
    t: np.ndarray, n: int, period: float, plateau_s: float, dips: tuple[tuple[float, float], ...] = (), press_s: float = 0.2
) -> np.ndarray:
    """`n` strokes every `period` seconds from t = 0.5 s."""
    return sum((_stroke(t, 0.5 + k * period, plateau_s, dips, press_s) for k in range(n)), np.zeros(len(t)))


def test_in_a_rhythm_a_release_confirms_sooner_than_the_twenty_percent_fall():
    for rate in (100.0, 1000.0):
        t = np.arange(0, 7.0, 1 / rate)
        rel = _train(t, 6, 1.0, 0.25)
        _, quick = _detect(rel, rate)
        _, slow = _detect(rel, rate, StrokeParams(quick_fall=0.0))
        assert len(quick) == len(slow) == 6
        # the first two strokes set the rhythm: confirmed by the 20 % fall alone
        assert quick[:2] == slow[:2]
        for k in range(2, 6):
            release = 0.5 + k + 0.2 + 0.25
            assert release < quick[k] < slow[k] - 0.015, (rate, k, quick[k], slow[k])


def test_a_press_in_settling_into_a_hold_is_no_stroke_outside_a_rhythm():
    rate = 200.0
    t = np.arange(0, 6.0, 1 / rate)
    rel = _stroke(t, 0.5, 4.0, dips=((0.1, 0.05), (0.4, 0.05)))
    peaks, _ = _detect(rel, rate)
    assert all(p > 4.5 for p in peaks)  # only the final release, 4 s later, confirms it


def test_a_hold_after_strokes_adds_no_stroke_from_its_wander():
    rate = 200.0
    t = np.arange(0, 12.0, 1 / rate)
    strokes = _train(t, 4, 1.0, 0.25)
    hold = _stroke(t, 4.5, 6.0, dips=tuple((at, 0.05) for at in (0.8, 1.6, 2.4, 3.2, 4.0)))
    hold *= 1.0 + 0.02 * np.clip(t - 4.7, 0.0, None)  # the FSR creeps: the top keeps rising
    held = [p for p in _detect(strokes + hold, rate)[0] if p < 10.6]  # before the hold's release
    assert len(held) == 4
    # without the limit after the middle of the rise, its wander would count
    loose = [p for p in _detect(strokes + hold, rate, StrokeParams(quick_mid_s=math.inf))[0] if p < 10.6]
    assert len(loose) > 4


def test_a_dip_early_on_a_long_plateau_does_not_count_twice():
    rate = 200.0
    period = 3.0
    t = np.arange(0, 8 * period, 1 / rate)
    rel = _train(t, 7, period, 1.4, dips=((0.15, 0.12),))
    peaks, confirmed = _detect(rel, rate)
    assert len(peaks) == 7
    assert any(c < 0.5 + k * period + 0.2 + 1.4 for k, c in enumerate(confirmed))  # some early on the plateau
    # the force staying up for as long as a share of the stroke interval is not a new stroke
    double, _ = _detect(rel, rate, StrokeParams(release_share=0.0))
    assert len(double) > 7


def test_tremor_on_slow_light_strokes_does_not_cut_their_rise():
    """Strokes at 0.3 per second that keep 88 % of the force, with 10 Hz tremor: each slow press
    is broken by tremor dips into rises too small to count, unless they are joined."""
    rate = 200.0
    period = 1 / 0.3
    t = np.arange(0, 12 * period, 1 / rate)
    strokes = _train(t, 11, period, 1.0, press_s=0.9)
    band = signal.butter(2, [8.0, 12.0], btype="band", fs=rate, output="sos")
    tremor = signal.sosfilt(band, np.random.default_rng(0).standard_normal(len(t)))
    rel = 7.0 + strokes + 0.08 * tremor / tremor.std()  # 1 % of the force, RMS
    joined, _ = _detect(rel, rate)
    cut, _ = _detect(rel, rate, StrokeParams(merge_s=0.0))
    assert len(joined) >= 10
    assert len(cut) <= 7
