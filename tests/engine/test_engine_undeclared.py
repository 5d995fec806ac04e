"""A board that does not say what its front end is: the counts say which way they go with force,
and the stroke rules that hold on counts find the strokes however compressed they are."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from kneadback.engine.engine import Engine
from kneadback.engine.scoring import blocks, run_engine, score_rendering
from kneadback.engine.undeclared import Direction
from kneadback.model import DeviceInfo, Event
from kneadback.simulate.render import Rendering, render
from kneadback.simulate.scenario import load_scenario


class Undeclared(Engine):
    """The engine told `unknown`, whatever the board is."""

    def configure(self, info: DeviceInfo) -> None:
        super().configure(dataclasses.replace(info, front_end="unknown"))


def rendering(name: str, seed: int = 0, **device: object) -> Rendering:
    return render(load_scenario(name).with_device(**device), seed=seed)


@pytest.mark.parametrize("ohms", [1000, 10000, 47000])
def test_a_high_side_divider_is_read_the_right_way_up(ohms):
    r = rendering("steady", front_end="fsr-high", divider_ohms=float(ohms))
    engine = Undeclared()
    m = score_rendering(r, engine).match
    assert m.f1 >= 0.98, f"precision {m.precision:.3f} recall {m.recall:.3f}"
    assert engine._direction is not None and engine._direction.falls


def test_a_low_side_divider_stays_the_right_way_up():
    engine = Undeclared()
    assert score_rendering(rendering("steady", divider_ohms=10000.0), engine).match.f1 >= 0.98
    assert engine._direction is not None and not engine._direction.falls and not engine._direction.revised


@pytest.mark.parametrize("name", ["deep-continuous", "light-contact", "too-fast"])
def test_strokes_crowded_near_the_rail_are_found(name):
    """A 10 kΩ low-side divider under an FSR 406 squeezes in-contact strokes into the top few per
    cent of the range: a rule relative to the counts' level would lose every one."""
    scenario = load_scenario(name).with_device(divider_ohms=10000.0)
    r = render(dataclasses.replace(scenario, sensor=dataclasses.replace(scenario.sensor, part="fsr406")), seed=0)
    assert np.percentile(r.adc[r.force_n > 1.0], 5) > 0.9 * 1023  # crowded indeed
    m = score_rendering(r, Undeclared()).match
    assert m.f1 >= 0.95, f"precision {m.precision:.3f} recall {m.recall:.3f}"


RATE_HZ = 100.0  # a level held 0.2 s (20 samples) is a rest


def test_first_samples_in_contact_are_revised_once():
    d = Direction(1023, RATE_HZ)
    pressed = np.full(50, 300)  # a high-side divider, pressed from the first sample: low counts
    c, k = d.oriented(pressed)
    assert not d.falls and k is None and (c == 300).all()  # taken to rise, until the evidence turns
    lifted = np.concatenate((np.full(20, 300), np.full(30, 1023)))  # lifted: the unloaded rail is the top
    c, k = d.oriented(lifted)
    assert d.falls and d.revised and k == 20 + 19  # once it has rested there for 0.2 s
    assert (c[:k] == lifted[:k]).all() and (c[k:] == 1023 - lifted[k:]).all()
    c, k = d.oriented(np.concatenate((np.full(30, 0), np.full(30, 1000))))  # never back again
    assert d.falls and k is None and (c[:30] == 1023).all()


def test_a_glitch_or_a_burst_is_no_evidence():
    d = Direction(1023, RATE_HZ)
    d.oriented(np.full(40, 20))  # a tool pressed on a low-side divider from the first sample
    _, k = d.oriented(np.concatenate((np.full(5, 20), np.full(15, 1023), np.full(10, 20))))  # 0.15 s at the top rail
    assert k is None and not d.falls


def test_a_few_counts_of_noise_are_no_evidence():
    d = Direction(1023, RATE_HZ)
    d.oriented(np.full(40, 2))  # nearly at the bottom rail ...
    _, k = d.oriented(np.full(40, 1022))  # ... and a hard press one count nearer the top one
    assert k is None and not d.falls


def test_a_tool_preloaded_from_the_start_is_not_turned():
    """A 10 kΩ low-side divider whose mount presses 0.3 N on the sensor: it rests at about 390
    counts, far from either rail, and strokes go to within 3 % of the top rail."""
    d = Direction(1023, RATE_HZ)
    d.oriented(np.full(100, 393))
    _, k = d.oriented(np.concatenate((np.linspace(393, 994, 50).astype(int), np.full(20, 994))))
    assert k is None and not d.falls


def test_the_turn_does_not_depend_on_the_blocks():
    """A high-side recording that starts in contact turns where the samples say, however cut."""
    r = rendering("steady", front_end="fsr-high", divider_ohms=3300.0)
    start = int(np.argmax(r.force_n > 10.0))  # start mid-press
    t, adc = r.t[start:] - r.t[start], r.adc[start:]
    runs: list[list[Event]] = []
    for chunk in (7, 200, 5000):
        engine = Undeclared()
        runs.append(run_engine(engine, r.info, blocks(t, adc, chunk)))
        assert engine._direction is not None and engine._direction.falls and engine._direction.revised
    assert runs[0] == runs[1] == runs[2]
    assert len([e for e in runs[0] if type(e).__name__ == "Stroke"]) >= 0.9 * len(r.truth.strokes)


def test_force_from_raw_counts_is_turned_too():
    """The dashboard's trace reads the engine's force model on raw counts: unloaded is 0 there."""
    r = rendering("steady", front_end="fsr-high", divider_ohms=3300.0)
    engine = Undeclared()
    run_engine(engine, r.info, blocks(r.t, r.adc, 50))
    assert engine.force_model is not None and engine.force_model.unit == ""
    rest, pressed = engine.force_model.to_newtons(np.array([1023, 300]))
    assert rest == 0.0 and pressed > 50.0
    assert "fall with force" in engine.force_model.describe()
