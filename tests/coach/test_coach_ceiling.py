"""The safety ceiling in the units the force has: absolute only for a calibrated force, else a
multiple of the user's own; a guessed scale never loops the safety cue."""

from __future__ import annotations

import dataclasses
import io
import statistics
from pathlib import Path

import pytest

from kneadback.app import Run, Settings
from kneadback.clock import ManualClock
from kneadback.coach.coach import Coach
from kneadback.coach.rules import Policy
from kneadback.coach.spots import MemorySpotHistory
from kneadback.coach.targets import Targets
from kneadback.model import HoldStarted, Stroke
from kneadback.simulate.render import render
from kneadback.simulate.scenario import load_scenario, parse_scenario

from .helpers import bout, run, with_trust
from .scenario_run import run_scenario

# a text sketch over a 2.2 kΩ pull-down, pressing about 44 N: the board says nothing of it
TEXT_SKETCH_2K2 = {
    "description": "44 N strokes at 1/s over a 2.2 kΩ pull-down",
    "device": {"rate_hz": 200, "divider_ohms": 2200},
    "user": {"rate_hz": 1.0, "force_n": 44.0},
    "spots": [{"name": "calf", "force_at_7": 44.0}],
    "phase": [{"kind": "strokes", "duration_s": 40}],
}
RELATIVE = Policy().relative_ceiling


def _sketch_run(front_end: str):
    scenario = parse_scenario(TEXT_SKETCH_2K2, "text-sketch-2k2", Path("text-sketch-2k2.toml"))
    told = dataclasses.replace(render(scenario, 0).info, divider_ohms=1000, front_end=front_end)  # the host's guess
    return run_scenario(scenario, ratings=False, info=told)


@pytest.mark.parametrize(("front_end", "trust"), [("fsr-low", "approximate"), ("unknown", "unitless")])
def test_a_guessed_scale_never_loops_the_safety_cue(front_end, trust):
    run = _sketch_run(front_end)
    peaks = [e.peak_n for e in run.events if isinstance(e, Stroke)]
    assert len(peaks) >= 35
    if front_end == "fsr-low":  # an assumed 1 kΩ reads the 44 N strokes as hundreds of newtons
        assert statistics.median(peaks) > 3 * Targets().force_ceiling_n
    assert run.coach.state.force_trust == trust
    assert not [c for c in run.cues if c.kind == "too-hard"]
    firm = statistics.quantiles(peaks[-12:], n=4, method="inclusive")[2]  # the user's firm strokes
    assert run.coach.state.force_ceiling == pytest.approx(RELATIVE * firm)


@pytest.mark.parametrize("name", ["irregular", "noisy"])
def test_varied_strokes_through_a_stretched_curve_are_not_too_hard(name):
    """An FSR 406 read through the FSR 402 data-sheet curve: near the 402's floor resistance the
    curve stretches force ratios (34 N reads as 2.5 times 20 N), so the firmer strokes of varied
    stroking, twice the light ones at most and far within the ceiling, passed 2.5 times the median."""
    scenario = load_scenario(name).with_device(front_end="fsr-high")
    scenario = dataclasses.replace(scenario, sensor=dataclasses.replace(scenario.sensor, part="fsr406"))
    res = run_scenario(scenario)
    assert res.rendering.force_n.max() < 0.5 * Targets().force_ceiling_n
    peaks = [e.peak_n for e in res.events if isinstance(e, Stroke)]
    assert max(peaks) > RELATIVE * statistics.median(peaks)  # the curve stretched the ratios that far
    assert res.coach.state.force_trust == "approximate"
    assert not [c for c in res.cues if c.kind == "too-hard"]


def test_a_calibrated_force_keeps_the_absolute_ceiling():
    hard = bout(1.0, 20, 60, peak_n=120.0)
    calibrated = with_trust(Coach(Targets(), "calf", MemorySpotHistory(), 0.0), "calibrated")
    cues = run(calibrated, hard)
    assert len([c for c in cues if c.kind == "too-hard"]) >= 5  # at once, then every few seconds
    assert calibrated.state.force_ceiling == Targets().force_ceiling_n and calibrated.state.relative_ceiling is None
    approximate = with_trust(Coach(Targets(), "calf", MemorySpotHistory(), 0.0), "approximate")
    assert not [c for c in run(approximate, hard) if c.kind == "too-hard"]


def test_the_relative_ceiling_flags_a_stroke_far_harder_than_the_users_own_then_follows():
    c = with_trust(Coach(Targets(), "calf", MemorySpotHistory(), 0.0), "approximate")
    assert c.state.force_ceiling is None  # no reference yet: no guess
    events = bout(1.0, 40, 60, peak_n=[20.0] * 10 + [20.0 * (RELATIVE + 0.5)] * 30)
    cues = run(c, events)
    hard = [q.t for q in cues if q.kind == "too-hard"]
    first_far = next(e.t for e in events if isinstance(e, Stroke) and e.index == 10)
    assert hard and hard[0] == first_far  # the first stroke that far above the user's own
    assert max(hard) < 20.0  # the user's own force now: told, then followed, never told forever
    assert c.state.relative_ceiling == RELATIVE


def test_a_hold_far_harder_than_the_users_strokes_is_too_hard():
    c = with_trust(Coach(Targets(), "calf", MemorySpotHistory(), 0.0), "unitless")
    run(c, bout(1.0, 8, 60, peak_n=10.0), until=9.5)
    cues = c.on_events([HoldStarted(start=10.0, t_confirmed=11.0, mean_n=10.0 * RELATIVE * 1.2)], 11.0)
    assert [q.kind for q in cues] == ["too-hard"]


def test_ratings_make_the_reference_the_users_rated_force():
    h = MemorySpotHistory()
    h.add_rating("calf", 0.0, 3, 10.0)
    h.add_rating("calf", 0.0, 7, 24.0)
    c = with_trust(Coach(Targets(), "calf", h, 1000.0), "approximate")
    run(c, bout(1.0, 5, 60, peak_n=22.0))
    band = c.state.pressure_band_n
    assert band is not None and c.state.force_ceiling == pytest.approx(RELATIVE * band[1])


def test_the_trust_follows_the_engines_model_and_a_calibration_caps_the_band():
    h = MemorySpotHistory()
    h.add_rating("calf", 0.0, 2, 50.0)
    h.add_rating("calf", 0.0, 4, 100.0)  # the 7/10 band lies far above the 90 N ceiling
    c = Coach(Targets(), "calf", h, 1000.0)
    run(c, bout(1.0, 3, 60, peak_n=150.0))
    assert c.state.force_trust == "approximate"
    uncapped = c.state.pressure_band_n
    assert uncapped is not None and uncapped[1] > Targets().force_ceiling_n
    with_trust(c, "calibrated")
    run(c, bout(10.0, 3, 60, peak_n=150.0))
    assert c.state.force_trust == "calibrated"
    assert c.state.pressure_band_n is not None and c.state.pressure_band_n[1] == Targets().force_ceiling_n


def test_a_run_coaches_by_its_engines_force_model():
    run = Run(Settings(source="sim:steady", record=False, jsonl=True), ManualClock())
    session = run.session([], out=io.StringIO())
    session.analyzer.configure(render(load_scenario("steady"), 0).info)
    model = session.analyzer.force_model
    assert model is not None and run.coach().force_model_of() is model
    run.coach().on_events([], 0.0)
    assert run.coach().state.force_trust == model.trust
