"""Force on screen in the units it has: "approx. N" through the data-sheet curve, a relative scale
for an unknown front end, newtons once calibrated; the ceiling said as relative while it is."""

from __future__ import annotations

import dataclasses
import io

import numpy as np
import pytest

from kneadback import calibration as cm
from kneadback.calibration import CalibratedForceModel
from kneadback.clock import ManualClock
from kneadback.coach.coach import Coach, CoachState
from kneadback.coach.rules import Policy
from kneadback.coach.targets import Targets
from kneadback.fsr import RELATIVE_FULL_SCALE, Divider, FsrCurve
from kneadback.model import LinkStatus, Rating
from kneadback.ui.coach_view import CoachTerminalView, pressure_field
from kneadback.ui.dashboard.feed import DashboardFeed
from kneadback.ui.dashboard.view import build_view

RELATIVE = Policy().relative_ceiling
CALIBRATED = CalibratedForceModel(cm.fit_calibration(
    cm.simulate_levels(FsrCurve(), Divider(), [3, 8, 15, 30, 60], np.random.default_rng(1)), Divider()))


def _state(trust: str, **state) -> CoachState:
    cs = Coach(Targets(), "calf").state
    ceiling = Targets().force_ceiling_n if trust == "calibrated" else None
    base = dict(force_trust=trust, force_ceiling=ceiling, relative_ceiling=None if trust == "calibrated" else RELATIVE)
    return dataclasses.replace(cs, **{**base, **state})


def test_the_terminal_says_how_far_the_force_is_trusted():
    calibrated = pressure_field(_state("calibrated", last_peak_n=21.0, consistency_band_n=(18.0, 24.0)))
    assert calibrated.text == "pressure 21.0 N ok (even: 18-24 N)"
    approximate = pressure_field(_state("approximate", last_peak_n=21.0, consistency_band_n=(18.0, 24.0),
                                        force_ceiling=52.5))
    assert approximate.text == f"pressure 21.0 approx. N ok (even: 18-24 approx. N, limit {RELATIVE:g}× yours)"
    unitless = pressure_field(_state("unitless", last_peak_n=61.3, pressure_band_n=(55.0, 70.0), force_ceiling=175.0))
    assert unitless.text == f"pressure 61 rel. ok (55-70 rel., limit {RELATIVE:g}× yours)" and unitless.short == "61 rel. ok"
    before = pressure_field(_state("approximate", last_peak_n=21.0))
    assert before.text == f"pressure 21.0 approx. N (rate it: 0-9, t=10; limit {RELATIVE:g}× yours)"


def test_too_hard_on_screen_is_the_coachs_ceiling_in_the_units_it_has():
    # 120 approx. N: above the 90 N a calibrated force would be held to, but not the user's own ×2.5
    cs = _state("approximate", last_peak_n=120.0, consistency_band_n=(90.0, 130.0), force_ceiling=275.0)
    assert "TOO HARD" not in pressure_field(cs).text and pressure_field(cs).zone == "on"
    over = dataclasses.replace(cs, last_peak_n=280.0)
    assert "TOO HARD" in pressure_field(over).text and pressure_field(over).zone == "off"
    calibrated = _state("calibrated", last_peak_n=120.0, consistency_band_n=(90.0, 130.0))
    assert "TOO HARD" in pressure_field(calibrated).text


@pytest.mark.parametrize(("trust", "title", "full"), [
    ("calibrated", "N", Targets().force_ceiling_n),
    ("approximate", "approx. N", Targets().force_ceiling_n),
    ("unitless", "relative", RELATIVE_FULL_SCALE),
])
def test_the_dashboard_view_scales_the_gauge_in_the_units_the_force_has(trust, title, full):
    v = build_view(DashboardFeed(ManualClock()), None, _state(trust), Targets(), "calf")
    assert v.force_words.title == title and v.gauge_full_n == full
    assert v.force_ceiling_n == (Targets().force_ceiling_n if trust == "calibrated" else None)
    known = build_view(DashboardFeed(ManualClock()), None, _state(trust, force_ceiling=42.0), Targets(), "calf")
    assert known.force_ceiling_n == known.gauge_full_n == 42.0


def test_the_terminal_line_at_80_columns_keeps_the_unit():
    out = io.StringIO()
    coach = Coach(Targets(), "left calf")
    coach.force_model_of = lambda: None  # no board yet: the data-sheet curve, approximate
    view = CoachTerminalView(ManualClock(), out, coach, tty=True, colour=False, width=lambda: 80)
    view.on_status(LinkStatus(t=1.0, samples=200, rate_hz=200.0, last_adc=0, state="streaming"))
    line = out.getvalue().rsplit("\r", 1)[-1].rstrip()
    assert len(line) <= 80 and "approx. N" in line


@pytest.mark.parametrize(("model", "words"), [(None, "25.5 approx. N"), (CALIBRATED, "25.5 N")])
def test_the_terminal_says_a_rating_force_in_the_units_it_has(model, words):
    out = io.StringIO()
    coach = Coach(Targets(), "calf")
    coach.force_model_of = lambda: model
    coach.on_events([], 1.0)  # the coach has read the board's force model, as in a session
    view = CoachTerminalView(ManualClock(), out, coach, tty=False, colour=False, width=lambda: 200)
    view.on_events([Rating(t=3.0, value=6, spot="calf", force_n=25.5)])
    assert out.getvalue().splitlines()[-1].endswith(f"rated 6/10 on calf at {words}")


def test_the_pressure_tile_shows_the_unit_and_the_relative_limit(rig):
    r = rig(rate_hz=1.0, force_n=20.0, seconds=20.0)
    w = r.window
    w.coach.force_model_of = lambda: w.session.analyzer.force_model  # as the app wires it
    r.run(10.0)
    assert w.pressure_tile.title == "PRESSURE  approx. N"
    assert w.pressure_tile.words.ceiling_note == f"limit {RELATIVE:g}× yours"
    ceiling = w.coach.state.force_ceiling
    assert ceiling is not None and w.trace.ceiling.isVisible() and w.trace.ceiling.value() == ceiling
