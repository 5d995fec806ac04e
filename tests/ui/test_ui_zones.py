"""The colour logic: zones follow the coach's targets."""

from __future__ import annotations

import pytest

from kneadback.ui.dashboard import zones


@pytest.mark.parametrize(
    ("value", "expected"),
    [(60, "on"), (50, "on"), (70, "on"), (45, "near"), (78, "near"), (40, "off"), (90, "off"), (None, "none"),
     (float("nan"), "none")],
)
def test_rate_zone_against_the_band(value, expected):
    # band 50–70 around 60: "near" reaches 15 % of 60 = 9 /min beyond either edge
    assert zones.zone(value, (50.0, 70.0)) == expected


def test_no_band_is_grey():
    assert zones.zone(25.0, None) == "none"


def test_the_band_moves_the_colours():
    assert zones.zone(30.0, (20.0, 30.0)) == "on"
    assert zones.zone(30.0, (35.0, 45.0)) == "near"
    assert zones.zone(30.0, (50.0, 60.0)) == "off"


def test_the_safety_ceiling_is_always_red():
    assert zones.pressure_zone(95.0, (80.0, 100.0), 90.0) == "off"
    assert zones.pressure_zone(85.0, (80.0, 100.0), 90.0) == "on"
    assert zones.pressure_zone(95.0, None, 90.0) == "off"


@pytest.mark.parametrize(("done", "expected"), [(None, "none"), (0, "near"), (2, "near"), (3, "on"), (10, "on"), (11, "off")])
def test_bouts_today_against_three_to_ten(done, expected):
    assert zones.bouts_zone(done, 3, 10) == expected


@pytest.mark.parametrize(("left", "expected"), [(None, "none"), (25.0, "on"), (10.0, "near"), (0.5, "near"), (0.0, "off")])
def test_countdown_zone(left, expected):
    assert zones.countdown_zone(left) == expected


def test_every_zone_has_a_distinct_colour():
    assert len({zones.colour(z) for z in ("on", "near", "off", "none")}) == 4
