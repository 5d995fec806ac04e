"""The direction tile and the terminal's direction field: shown only for a board with a motion
sensor, coloured against "short strokes in one direction"."""

from __future__ import annotations

import dataclasses

import pytest

from kneadback.coach.coach import Coach
from kneadback.engine.motion import bout_motion
from kneadback.model import StrokeMotion
from kneadback.ui.coach_view import coach_fields, direction_field
from kneadback.ui.dashboard.zones import direction_zone


@pytest.mark.parametrize(
    ("pattern", "excursion", "zone"),
    [("one-direction", 3.0, "on"), ("one-direction", 8.0, "near"), ("back-and-forth", 3.0, "near"),
     ("mixed", 3.0, "near"), ("back-and-forth", 8.0, "off"), (None, None, "none")],
)
def test_direction_zone_counts_what_is_off(pattern, excursion, zone):
    assert direction_zone(pattern, excursion, 5.0) == zone


def test_the_tile_shows_the_bouts_direction_on_a_board_with_a_motion_sensor(rig):
    r = rig("sim:one-direction")
    r.run(25.0)
    w = r.window
    assert w.feed.imu and w.direction_tile.isVisible()
    v = w.view()
    assert v.motion is not None and v.motion.pattern == "one-direction" and v.motion.resultant > 0.9
    assert v.excursion_cm is not None and 1.0 < v.excursion_cm < 5.0
    assert w.direction_tile.zone == "on"


def test_scrubbing_shows_back_and_forth_off_target(rig):
    r = rig("sim:scrubbing")
    r.run(25.0)
    v = r.window.view()
    assert v.motion is not None and v.motion.pattern == "back-and-forth"
    assert r.window.direction_tile.zone in ("near", "off")


def test_an_fsr_only_board_shows_no_direction_tile(rig):
    r = rig(rate_hz=1.0, force_n=20.0, seconds=20.0)
    r.run(12.0)
    w = r.window
    assert not w.feed.imu and not w.direction_tile.isVisible()
    v = w.view()
    assert v.motion is None and v.excursion_cm is None and v.direction_zone == "none"
    assert direction_field(w.coach.state) is None  # nor on the terminal


def test_the_terminal_field_says_the_pattern_consistency_and_length():
    motions = [StrokeMotion(i, float(i), 180.0 * (i % 2), 7.0, 0.5) for i in range(6)]
    cs = dataclasses.replace(Coach().state, stroke_motion=bout_motion(motions), last_excursion_cm=7.0)
    f = direction_field(cs)
    assert f is not None and f.text.startswith("strokes back and forth") and f.text.endswith("7.0 cm")
    assert f.short == "7.0 cm" and f.zone == "off"
    assert f in coach_fields(cs)
    assert direction_field(Coach().state) is None
