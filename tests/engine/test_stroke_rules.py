"""The stroke detector's rhythm rules. The quick rule: in a rhythm a release confirms a stroke
early, while a press-in settling into a hold, a hold's wander and a dip on a long plateau never
add a stroke. Merging: tremor on a slow, light press does not cut its rise into pieces. Shapes
of real presses: a second hump inside one press, a small rise just before a large one and small
bumps between presses; the same strokes at every scale of the signal."""

from __future__ import annotations

import math

import numpy as np
import pytest
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


def _detect(rel: np.ndarray, rate_hz: float, params: StrokeParams | None = None, scale: float = 1.0) -> tuple[list[float], list[float]]:
    """Peak and confirmation times of accepted candidates, the signal fed in 20 ms blocks;
    `scale` multiplies the signal and its noise (another sensor or divider)."""
    raw = scale * (BASE_US + HEIGHT_US * rel)
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
        for c in det.process(t[sl], g[sl], fast[sl], np.full(len(t[sl]), 0.5 * scale), first):
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


def test_in_a_rhythm_a_top_held_longer_than_a_stroke_is_a_press_in():
    """Strokes at 1 Hz, then a hold whose force sags 12 % 1.3 s after its top: held longer than
    a stroke interval, the top is a press-in, and the sag is the hold's wander, not a release."""
    rate = 200.0
    t = np.arange(0, 12.0, 1 / rate)
    hold = _stroke(t, 4.5, 6.0) - 0.12 * np.exp(-0.5 * ((t - 6.0) / 0.12) ** 2)
    rel = _train(t, 4, 1.0, 0.25) + hold
    held = [p for p in _detect(rel, rate)[0] if p < 10.6]
    assert len(held) == 4
    loose = [p for p in _detect(rel, rate, StrokeParams(max_top_share=math.inf))[0] if p < 10.6]
    assert len(loose) == 5  # with only the 1.5 s limit the sag counts


def test_a_dip_early_on_a_long_plateau_does_not_count_twice():
    rate = 200.0
    period = 3.0
    t = np.arange(0, 8 * period, 1 / rate)
    rel = _train(t, 7, period, 1.4, dips=((0.15, 0.12),))
    peaks, confirmed = _detect(rel, rate)
    assert len(peaks) == 7
    assert any(c < 0.5 + k * period + 0.2 + 1.4 for k, c in enumerate(confirmed))  # some early on the plateau
    # the force staying up for as long as a share of the stroke interval is not a new stroke,
    # nor is a dip that stays far above the level the strokes start from
    double, _ = _detect(rel, rate, StrokeParams(release_share=0.0, release_floor_share=0.0))
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


# rules that the real recordings (benchmarks/bench_engine_realdata.py) showed were missing
OLD_RULES = StrokeParams(reach=0.0, release_floor=1.0)  # the detector without them


def _hump(t: np.ndarray, at: float, height: float = 1.0, width_s: float = 0.09) -> np.ndarray:
    return height * np.exp(-0.5 * ((t - at) / width_s) ** 2)


def test_a_second_hump_inside_one_press_is_one_stroke():
    """A press that rocks forward (a heel-and-toe double hump, as a foot or a rolling tool makes):
    the force dips by more than half between the humps but never goes back to where presses
    start from."""
    rate, period = 200.0, 1.1
    t = np.arange(0, 12.0, 1 / rate)
    starts = 0.5 + period * np.arange(10)
    rel = sum((_hump(t, s + 0.15) + _hump(t, s + 0.45, 0.8) for s in starts), np.zeros(len(t)))
    assert rel[round((starts[0] + 0.3) * rate)] < 0.5  # the dip
    peaks, _ = _detect(rel, rate)
    np.testing.assert_allclose(peaks, starts + 0.15 + 0.03, atol=0.03)  # each first hump, once
    assert len(_detect(rel, rate, OLD_RULES)[0]) == 20


def test_a_small_rise_just_before_a_large_one_does_not_take_its_place():
    """A light touch 0.4 s before each press, rocking a little, that never falls back by half."""
    rate, period = 200.0, 1.1
    t = np.arange(0, 12.0, 1 / rate)
    tops = 1.0 + period * np.arange(10)
    touch = sum((0.12 * _rc((t - s + 0.4) / 0.05) * (1 - _rc((t - s - 0.3) / 0.1)) for s in tops), np.zeros(len(t)))
    wobble = sum((_hump(t, s - 0.2, -0.04, 0.03) for s in tops), np.zeros(len(t)))
    rel = touch + wobble + sum((_hump(t, s, 1.0, 0.08) for s in tops), np.zeros(len(t)))
    peaks, _ = _detect(rel, rate)
    np.testing.assert_allclose(peaks, tops, atol=0.03)
    old = _detect(rel, rate, OLD_RULES)[0]
    assert any(abs(p - (s - 0.28)) < 0.05 for p in old for s in tops)  # the touch took a press's place


def test_small_bumps_between_strokes_are_not_strokes():
    """Bumps of 10-20 % of the presses after each release (a tool bouncing on the skin)."""
    rate, period = 200.0, 1.0
    t = np.arange(0, 12.0, 1 / rate)
    tops = 1.0 + period * np.arange(11)
    rel = sum((_hump(t, s) + _hump(t, s + 0.45, 0.1 + 0.01 * k, 0.04) for k, s in enumerate(tops)), np.zeros(len(t)))
    peaks, _ = _detect(rel, rate)
    np.testing.assert_allclose(peaks, tops, atol=0.03)
    assert len(_detect(rel, rate, OLD_RULES)[0]) > len(tops)


@pytest.mark.parametrize("scale", [0.02, 0.1, 0.5, 2.0, 10.0, 50.0])
def test_the_same_strokes_at_every_scale(scale):
    """The same signal and noise at 0.02-50 times the conductance (another FSR, another divider,
    a linear front end's counts): every threshold is relative, or comes from the noise."""
    rate = 200.0
    t = np.arange(0, 30.0, 1 / rate)
    rng = np.random.default_rng(3)
    heights = 0.3 + rng.random(20)
    light = _train(t, 20, 1.3, 0.2) * np.repeat(heights, len(t) // 20 + 1)[: len(t)]
    rel = np.where(t < 14, light, 0.6 + 0.1 * light) + 0.004 * rng.standard_normal(len(t))  # then in contact
    assert _detect(rel, rate, scale=scale) == _detect(rel, rate)


@pytest.mark.parametrize("creep", [0.0, 0.03, 0.06])
def test_a_creeping_press_in_stays_a_press_in(creep):
    """FSR creep lifts a held press a few percent a decade of time: its top keeps rising, yet it
    is a press-in after 1.5 s, and its release is not a stroke."""
    rate = 200.0
    t = np.arange(0, 14.0, 1 / rate)
    press = _rc((t - 1.0) / 0.4) * (1 - _rc((t - 10.0) / 0.4))
    rel = press * (1 + creep * np.log10(1 + np.clip(t - 1.4, 0.0, None) / 0.1))
    assert _detect(rel, rate)[0] == []
    if creep:
        assert _detect(rel, rate, StrokeParams(creep=0.0))[0] != []  # the top's every new high
