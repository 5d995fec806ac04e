"""Contact and holds that do not depend on newtons: any part, divider and ADC, and FSR creep."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from kneadback.engine.contact import ContactTracker
from kneadback.engine.engine import Engine
from kneadback.engine.scoring import Score, blocks, run_engine, score_rendering
from kneadback.fsr import default_force_model
from kneadback.model import ContactChanged, DeviceInfo, HoldStarted, Stroke
from kneadback.simulate.render import Rendering, render
from kneadback.simulate.scenario import load_scenario


def _static_hold(part: str, ohms: float, creep: float, seed: int, **device: object) -> tuple[Score, Rendering]:
    """The static-hold scenario (strokes, a 15 s hold, strokes) on one sensor and divider, scored."""
    sc = load_scenario("static-hold")
    sc = dataclasses.replace(sc.with_device(divider_ohms=ohms, **device), sensor=dataclasses.replace(sc.sensor, part=part, creep=creep))
    r = render(sc, seed=seed)
    return score_rendering(r, Engine()), r


@pytest.mark.parametrize(
    "part, ohms, device",
    [
        ("flexiforce", 1000.0, {}),  # a few dozen counts at massage forces: far below 0.35 N of FSR 402 force
        ("flexiforce", 4700.0, {"adc_bits": 12, "vref_mv": 3300}),
        ("fsr402", 47000.0, {"adc_bits": 12, "vref_mv": 3300}),  # near the rail
    ],
)
def test_contact_and_the_hold_are_found_on_any_part_and_divider(part, ohms, device):
    """Contact is judged on the linearised signal relative to the strokes and the noise, not in
    newtons of a data-sheet curve the part does not follow: the tool is seen on the skin during
    every stroke and the hold, and the hold is announced at the limit."""
    s, r = _static_hold(part, ohms, 0.03, 0, **device)
    hold = r.truth.holds[0]
    on = [e for e in s.events if isinstance(e, ContactChanged) and e.on]
    assert len(on) == sum(1 for x in r.truth.off_contact if x.end < r.t[-1] - 0.5)  # one touch after each time in the air
    assert not any(isinstance(e, ContactChanged) and hold.start + 0.5 < e.at < hold.end for e in s.events)
    assert s.holds_flagged == s.holds_true == 1 and s.false_holds == 0, s.hold_errors


@pytest.mark.parametrize("part, ohms, creep, seed", [("fsr402", 4700.0, 0.05, 0), ("fsr402", 4700.0, 0.1, 2), ("fsr406", 4700.0, 0.05, 1), ("fsr402", 47000.0, 0.05, 1)])
def test_creep_defeats_neither_the_hold_nor_its_release(part, ohms, creep, seed):
    """FSR creep (the data sheets give up to 5 % per decade of time under load) keeps lifting a
    held press: the hold is still announced at the limit, and neither the hold nor its release
    adds a stroke."""
    s, r = _static_hold(part, ohms, creep, seed)
    hold = r.truth.holds[0]
    assert s.holds_flagged == s.holds_true == 1 and s.false_holds == 0, s.hold_errors
    strokes = [e for e in s.events if isinstance(e, Stroke)]
    matched = {k for k, _ in s.match.pairs}
    assert [x.t_peak for k, x in enumerate(strokes) if k not in matched and hold.start <= x.t_peak <= hold.end + 0.5] == []


@pytest.mark.parametrize("scale", [0.02, 1.0, 50.0])
def test_contact_is_the_same_at_every_scale(scale):
    """The same signal in any unit, with its noise, gives the same contact changes."""
    rate = 200.0
    t = np.arange(0, 30.0, 1 / rate)
    rng = np.random.default_rng(4)
    press = np.clip(np.sin(2 * np.pi * 0.8 * t), 0.0, None) * (t < 20)  # presses with lift-offs, then rest
    g = 0.3 + 100.0 * press + 0.2 * rng.standard_normal(len(t))
    noise = np.full(len(t), 0.2)
    peak = np.where(t < 2.0, np.nan, 100.3)
    changes = []
    tracker = ContactTracker(0.03, rate)
    for a in range(0, len(t), 37):
        b = slice(a, a + 37)
        changes += tracker.process(t[b], scale * g[b], scale * noise[b], scale * peak[b], a)
    reference = ContactTracker(0.03, rate).process(t, g, noise, peak, 0)
    assert [(c.sample, c.on) for c in changes] == [(c.sample, c.on) for c in reference]
    assert len(reference) == 2 * 16  # on and off for each press


def test_a_recording_that_starts_held_on_the_skin_starts_in_contact():
    """An FSR divider reads its zero with no force, so a press from the first sample is contact
    (and a hold), though no reading in the air was ever seen."""
    rate = 200.0
    t = np.arange(0, 8.0, 1 / rate)
    rng = np.random.default_rng(2)
    adc = default_force_model().to_counts(np.full(len(t), 9.0)) + rng.normal(0.0, 0.5, len(t))
    info = DeviceInfo(1, "test", "test", rate)
    events = run_engine(Engine(), info, blocks(t, np.clip(np.rint(adc), 0, 1023).astype(np.int32), 4))
    assert [e.on for e in events if isinstance(e, ContactChanged)] == [True]
    holds = [e for e in events if isinstance(e, HoldStarted)]
    assert len(holds) == 1 and holds[0].start < 0.5
