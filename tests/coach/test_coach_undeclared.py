"""A board that does not say what its front end is, coached: its strokes are coached in the units
it has, and no safety cue comes from a scale nobody knows."""

from __future__ import annotations

import dataclasses

import pytest

from kneadback.model import Stroke
from kneadback.simulate.render import render
from kneadback.simulate.scenario import load_scenario

from .scenario_run import run_scenario


@pytest.mark.parametrize("side", ["fsr-low", "fsr-high"])
def test_an_undeclared_divider_is_coached_without_safety_cues(side):
    scenario = load_scenario("irregular").with_device(front_end=side, divider_ohms=10000.0)
    told = dataclasses.replace(render(scenario, 0).info, front_end="unknown")
    res = run_scenario(scenario, info=told)
    strokes = [e for e in res.events if isinstance(e, Stroke)]
    assert len(strokes) >= 0.9 * len(res.rendering.truth.strokes)  # read the right way up
    assert res.coach.state.force_trust == "unitless"
    assert not [c for c in res.cues if c.kind == "too-hard"]
