"""The engine's building blocks: despiking, the low-pass, the history, the linearisation."""

from __future__ import annotations

import numpy as np

from kneadback.engine.filters import BoxMean, Despike, LowPass, median5
from kneadback.engine.history import History
from kneadback.engine.linearise import Linearizer
from kneadback.engine.quality import QualityMeter
from kneadback.fsr import Divider, default_force_model


def test_median5_is_the_median():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 1024, (5, 2000))
    assert np.array_equal(median5(*x), np.median(x, axis=0).astype(x.dtype))


def test_despike_removes_glitches_and_keeps_steps():
    x = np.r_[np.full(50, 100), np.full(50, 600)].astype(np.int32)
    spiky = x.copy()
    spiky[[10, 30, 31, 70]] = [1023, 0, 0, 0]
    despike = Despike()
    y = np.concatenate([despike(spiky[a : a + 7]) for a in range(0, 100, 7)])
    assert np.array_equal(y[:48], x[:48]) and np.array_equal(y[60:], x[58:-2])  # two samples late


def test_lowpass_is_chunk_exact_and_starts_settled():
    rng = np.random.default_rng(1)
    x = 500 + rng.standard_normal(3000)
    whole = LowPass(200.0)(x)
    lp = LowPass(200.0)
    pieces = np.concatenate([lp(x[a : a + 13]) for a in range(0, 3000, 13)])
    assert np.array_equal(whole, pieces)
    assert abs(whole[0] - 500) < 5  # no start-up ramp from zero
    assert 0.02 < LowPass(200.0).delay_s < 0.06


def test_lowpass_filters_channels_as_if_each_were_alone():
    rng = np.random.default_rng(2)
    x = np.stack((500 + rng.standard_normal(999), 3.0 + 0.1 * rng.standard_normal(999)))
    both = LowPass(500.0)
    pieces = np.concatenate([both(x[:, a : a + 10]) for a in range(0, 999, 10)], axis=1)
    for row in range(2):
        assert np.array_equal(pieces[row], LowPass(500.0)(x[row]))


def test_history_keeps_the_recent_past_sums_and_stillness():
    h = History(keep_s=2.0)
    t = np.arange(0, 10, 0.01)
    f = np.sin(t)
    for a in range(0, len(t), 77):
        b = min(a + 77, len(t))
        h.append(t[a:b], f[a:b], f[a:b], np.zeros(b - a, dtype=np.int32))
    assert h.end == len(t) and h.start <= len(t) - 200
    i0 = h.index_at(8.0)
    assert h.at("t", i0) == t[800]
    assert np.isclose(h.cum_before(h.end) - h.cum_before(i0), f[800:].sum())
    assert h.last_move(h.end - 1, 9.9, 0.5, 0.0) is None  # sin barely moves in 0.1 s
    assert 8.5 < h.last_move(h.end - 1, 8.0, 0.05, 0.0) < 10.0


def test_linearizer_tables_are_monotone_and_finite():
    lin = Linearizer(Divider(10000.0), default_force_model(10000.0))
    assert np.all(np.diff(lin.conductance_us) >= 0) and np.all(np.isfinite(lin.conductance_us))
    assert np.all(np.diff(lin.force_n) >= 0) and np.all(np.isfinite(lin.force_n))
    assert lin.conductance_us[0] == 0 and lin.force_n[0] == 0


def test_quality_reports_once_a_second():
    rng = np.random.default_rng(2)
    t = np.arange(0, 5, 0.005)
    c = np.clip(np.rint(500 + 2.0 * rng.standard_normal(len(t))), 0, 1023).astype(np.int32)
    c[:100] = 1023  # half of the first second at the rail
    q = QualityMeter(1023, np.ones(1024))
    reports, noise = q.process(t, c, lost=3)
    assert [r.t for r in reports] == [1.0, 2.0, 3.0, 4.0]
    assert reports[0].saturated_fraction == 0.5 and reports[1].saturated_fraction == 0.0
    assert 1.5 < reports[2].noise_n < 2.5  # counts here (1 N per count)
    assert reports[-1].lost_samples == 3
    assert noise[0] == 0 and 1.5 < noise[-1] < 2.5


def test_box_mean_is_chunk_exact_and_averages_the_last_samples():
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 1000, 3000)
    whole = BoxMean(5)(x)
    box = BoxMean(5)
    parts = np.concatenate([box(x[a : a + 13]) for a in range(0, len(x), 13)])
    assert np.array_equal(whole, parts)
    assert np.allclose(whole[4:], np.convolve(x, np.ones(5) / 5, mode="valid"))
    assert whole[0] == x[0]  # starts settled on the first sample
