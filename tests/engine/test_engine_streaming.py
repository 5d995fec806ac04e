"""Streaming properties: chunking makes no difference, events are causal, gaps are honoured."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kneadback.engine.engine import Engine
from kneadback.engine.scoring import (
    Score,
    blocks,
    expected_strokes,
    match_strokes,
    run_engine,
    score_rendering,
)
from kneadback.fsr import default_force_model
from kneadback.model import (
    ContactChanged,
    DeviceInfo,
    HoldEnded,
    HoldStarted,
    SampleBlock,
    SignalQuality,
    Stroke,
)
from kneadback.simulate.render import render
from kneadback.simulate.scenario import load_scenario


@pytest.fixture(scope="module")
def piece():
    """Strokes, a static hold, strokes again: 26 s at 200 Hz, with spikes and noise added."""
    r = render(load_scenario("static-hold"), seed=3)
    keep = (r.t >= 14.0) & (r.t < 40.0)
    t, adc = r.t[keep] - r.t[keep][0], r.adc[keep].copy()
    rng = np.random.default_rng(5)
    adc[rng.integers(0, len(adc), 20)] = 1023
    return r.info, t, adc


def dicts(events):
    return [e.to_dict() for e in events]


def feed(info, t, adc, sizes):
    """Feed in blocks whose sizes cycle through `sizes`."""
    engine = Engine()
    engine.configure(info)
    out, a, k = [], 0, 0
    while a < len(t):
        b = min(len(t), a + sizes[k % len(sizes)])
        out += engine.process(SampleBlock(t[a:b], adc[a:b], a))
        a, k = b, k + 1
    return out + engine.finish()


@pytest.fixture(scope="module")
def reference(piece):
    return dicts(feed(*piece, [len(piece[1])]))


def test_the_piece_has_everything(reference):
    kinds = {d["type"] for d in reference}
    assert {"stroke", "hold", "contact", "bout-start", "bout", "quality"} <= kinds


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sizes=st.lists(st.integers(min_value=1, max_value=600), min_size=1, max_size=8))
def test_chunking_makes_no_difference(piece, reference, sizes):
    assert dicts(feed(*piece, sizes)) == reference


def test_a_reset_engine_replays_as_a_new_one(piece, reference):
    """A replay that goes back in time resets the engine: nothing of the first pass may leak into
    the second (the last stroke's peak, which the next stroke's release is measured against,
    included)."""
    info, t, adc = piece
    engine = Engine()
    engine.configure(info)
    engine.process(SampleBlock(t, adc))
    engine.reset()
    engine.configure(info)
    again = engine.process(SampleBlock(t, adc)) + engine.finish()
    assert dicts(again) == reference


def test_one_sample_at_a_time(piece, reference):
    assert dicts(feed(*piece, [1])) == reference


@pytest.mark.parametrize("cut_s", [3.3, 7.0, 11.9, 17.25, 22.6])
def test_future_samples_never_change_an_emitted_event(piece, reference, cut_s):
    info, t, adc = piece
    n = int(np.searchsorted(t, cut_s))
    engine = Engine()
    engine.configure(info)
    early = dicts(engine.process(SampleBlock(t[:n], adc[:n], 0)))
    assert early, "the cut should come after some events"
    assert early == [d for d in reference if d["t"] <= t[n - 1]]
    for d in early:  # each event uses only samples up to its t_confirmed
        assert d["t"] <= t[n - 1]


def test_lost_samples_keep_time_and_invent_nothing():
    r = render(load_scenario("disconnect"), seed=0)
    engine = Engine()
    events = run_engine(engine, r.info, blocks(r.t, r.adc, 50, r.lost))
    assert engine.state.lost_samples == int(r.lost.sum()) > 0
    gap = next(run for run in r.truth.lost if run.cause == "disconnect")
    strokes = [e for e in events if isinstance(e, Stroke)]
    inside = [s for s in strokes if gap.start < s.t_peak < gap.end]
    assert not inside
    after = [s for s in strokes if s.t_peak > gap.end]
    true_after = [s for s in expected_strokes(r) if s.t_peak > gap.end + 1.0]
    m = match_strokes([x.t_peak for x in after], true_after)  # at their true times
    assert m.false_negatives == 0 and m.true_positives == len(true_after)
    quality = [e for e in events if isinstance(e, SignalQuality)]
    assert quality[-1].lost_samples == int(r.lost.sum())
    assert not [e for e in events if isinstance(e, HoldStarted)]  # the gap is not a hold


def test_sample_rates_behave_alike():
    """The same strokes at 100 Hz and 1 kHz give the same strokes (state is in seconds)."""
    sc = load_scenario("steady")
    found = {}
    for rate in (100.0, 1000.0):
        r = render(sc.with_device(rate_hz=rate), seed=1)
        ev = run_engine(Engine(), r.info, blocks(r.t, r.adc, 1000))
        found[rate] = np.array([e.t_peak for e in ev if isinstance(e, Stroke)])
    assert len(found[100.0]) == len(found[1000.0])
    assert np.median(np.abs(found[100.0] - found[1000.0])) < 0.03


def test_a_calibration_replaces_the_datasheet_curve(piece):
    info, t, adc = piece

    class Doubled:
        def __init__(self, inner):
            self.inner = inner

        def to_newtons(self, counts):
            return 2.0 * self.inner.to_newtons(counts)

        def describe(self):
            return "twice the datasheet"

    plain = Engine()
    plain.configure(info)
    base = plain.force_model
    ev1 = [e for e in plain.process(SampleBlock(t, adc)) if isinstance(e, Stroke)]
    doubled = Engine(force_model=Doubled(base))
    doubled.configure(info)
    ev2 = [e for e in doubled.process(SampleBlock(t, adc)) if isinstance(e, Stroke)]
    assert [e.t_peak for e in ev1] == [e.t_peak for e in ev2]  # detection is on conductance
    assert [round(2 * e.peak_n, 6) for e in ev1] == [round(e.peak_n, 6) for e in ev2]
    assert doubled.force_model.describe() == "twice the datasheet"


def test_state_follows_the_session(piece):
    info, t, adc = piece
    engine = Engine()
    engine.configure(info)
    seen = {"rate": False, "hold": False, "contact": False}
    for a in range(0, len(t), 40):
        for e in engine.process(SampleBlock(t[a : a + 40], adc[a : a + 40], a)):
            s = engine.state
            if isinstance(e, Stroke):
                assert s.last_stroke == e and s.strokes == e.index + 1
                seen["rate"] |= s.rate_spm is not None and 40 < s.rate_spm < 80
            if isinstance(e, HoldStarted):
                assert s.holding_since == e.start and s.bout_start is None and s.rate_spm is None
                seen["hold"] = True
            if isinstance(e, HoldEnded):
                assert s.holding_since is None
            if isinstance(e, ContactChanged):
                assert s.in_contact == e.on
                seen["contact"] = True
    assert all(seen.values()), seen
    assert engine.state.t == t[-1]
    assert 0 < engine.state.noise_n < 1.0


def test_flat_signals_give_no_strokes():
    """Off the skin, and a steady press with noise: no strokes, one hold."""
    info_t = np.arange(0, 20.0, 1 / 200.0)
    rng = np.random.default_rng(0)
    info = DeviceInfo(1, "test", "test", 200.0)
    force = np.where(info_t < 5, 0.0, 15.0) * (1 + 0.01 * rng.standard_normal(len(info_t)))
    adc = default_force_model().to_counts(force) + rng.integers(-1, 2, len(info_t))
    events = run_engine(Engine(), info, blocks(info_t, np.clip(adc, 0, 1023).astype(np.int32), 97))
    assert not [e for e in events if isinstance(e, Stroke)]
    holds = [e for e in events if isinstance(e, HoldStarted)]
    assert len(holds) == 1 and 4.5 < holds[0].start < 5.5


@pytest.mark.parametrize(
    "rate_hz, contact, fs",
    [(0.3, 0.0, 100.0), (0.3, 0.0, 1000.0), (3.0, 0.0, 100.0), (3.0, 0.5, 1000.0), (0.5, 0.5, 200.0), (0.5, 0.5, 1000.0)],
)
def test_stroke_rates_from_0_3_to_3_hz(rate_hz, contact, fs):
    """The extremes of the stroke rate, lifting off and staying in contact; slow in-contact
    stroking is not mistaken for static holds."""
    sc = load_scenario("steady")
    phases = tuple(
        dataclasses.replace(p, duration_s=max(30.0, 12 / rate_hz), user=dataclasses.replace(p.user, rate_hz=rate_hz, contact=contact))
        for p in sc.phases
    )
    r = render(dataclasses.replace(sc, phases=phases).with_device(rate_hz=fs), seed=0)
    s = score_rendering(r, Engine(), block_s=0.5)
    assert s.match.f1 >= 0.98
    assert s.false_holds == 0
    assert Score.median(s.rate_errors) < 1.0


def test_long_blocks_equal_short_ones():
    """Blocks longer than the engine's slice and its history give the same events as short ones."""
    r = render(load_scenario("bouts"), seed=0)
    long = run_engine(Engine(), r.info, blocks(r.t, r.adc, len(r.t) // 2 + 1))
    short = run_engine(Engine(), r.info, blocks(r.t, r.adc, 997))
    assert dicts(long) == dicts(short)


def test_a_hold_near_the_rail_is_found_through_its_noise():
    """A 47 kΩ pull-down and a firm press put the counts a few steps below the rail, where two
    counts of noise move the conductance by a third: the stillness band widens with the noise
    measured at that level, so the hold is still seen, and the quality reports say how much of
    the signal lies that near the rail."""
    rate = 200.0
    t = np.arange(0, 20.0, 1 / rate)
    rng = np.random.default_rng(1)
    press = np.clip((t - 5.0) / 0.3, 0.0, 1.0)
    adc = np.round(1015 * press + rng.normal(0.0, 1.2, len(t))).clip(0, 1023).astype(np.int32)
    info = DeviceInfo(1, "test", "test", rate, divider_ohms=47000)
    events = run_engine(Engine(), info, blocks(t, adc, 4))
    holds = [e for e in events if isinstance(e, HoldStarted)]
    assert len(holds) == 1 and 4.5 < holds[0].start < 6.0 and holds[0].t_confirmed < 8.5
    near = [q.near_rail_fraction for q in events if isinstance(q, SignalQuality)]
    assert max(near[:4]) == 0.0 and min(near[6:]) > 0.5
