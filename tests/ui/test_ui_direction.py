"""The direction tile and the terminal's direction field: shown only for a board with a motion
sensor, coloured against "short strokes in one direction"."""

from __future__ import annotations

import dataclasses
import inspect
import io
import re

import numpy as np
import pytest
from pyqtgraph.Qt import QtGui

from coach.helpers import bout, run
from kneadback import words as words_module
from kneadback.clock import ManualClock
from kneadback.coach.coach import Coach
from kneadback.coach.spots import MemorySpotHistory
from kneadback.coach.targets import Targets
from kneadback.cues import CUES
from kneadback.engine import motion as motion_module
from kneadback.engine.motion import bout_motion
from kneadback.model import LinkStatus, StrokeMotion
from kneadback.ui import motion_words
from kneadback.ui.coach_view import CoachTerminalView, coach_fields, direction_field
from kneadback.ui.dashboard.feed import DashboardFeed
from kneadback.ui.dashboard.view import build_view
from kneadback.ui.dashboard.widgets import DirectionTile
from kneadback.ui.dashboard.zones import direction_zone
from kneadback.ui.motion_words import pattern_words
from kneadback.words import PATTERN_WORDS


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
    assert f is not None and f.text.startswith("strokes both ways") and f.text.endswith("last 7.0 cm, median 7.0 cm")
    assert "% same way" in f.text and f.short == "both ways, median 7.0 cm" and f.zone == "off"
    assert f in coach_fields(cs)
    assert direction_field(Coach().state) is None


# --- the tile as painted: its arrow points where the strokes go ----------------------------------

def _tile_with(qtbot, motions, excursion_cm: float | None = 3.0) -> DirectionTile:
    feed = DashboardFeed(ManualClock())
    cs = dataclasses.replace(Coach().state, stroke_motion=bout_motion(motions), last_excursion_cm=excursion_cm)
    view = build_view(feed, None, cs, Targets(), "")
    tile = DirectionTile()
    qtbot.addWidget(tile)
    tile.resize(320, 320)
    m = cs.stroke_motion
    zone = direction_zone(m.pattern if m else None, m.median_excursion_cm if m else None, 5.0)
    tile.show_view(dataclasses.replace(view, motion=m, excursion_cm=excursion_cm, direction_zone=zone))
    return tile


def _ink(tile: DirectionTile) -> np.ndarray:
    """(x, y) of the shape's pixels: those far from the panel's colour."""
    img = tile.grab().toImage().convertToFormat(QtGui.QImage.Format.Format_RGB32)
    rgb = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine() // 4, 4)[:, :img.width(), :3]
    body = tile.body_rect()
    top, bottom = int(body.top()), int(body.top() + body.height() * 0.56)
    area = rgb[top:bottom, int(body.left()):int(body.right())]
    panel = np.median(area.reshape(-1, 3), axis=0)
    ys, xs = np.nonzero(np.abs(area - panel).sum(axis=2) > 300)
    return np.column_stack([xs, ys]).astype(float)


def _line(ink: np.ndarray) -> tuple[float, float]:
    """The shape's long axis, as a direction on the tile (0°: up, counter-clockwise), pointing to
    its heavier end (a head), and how much heavier that end is (0: balanced, as two heads are)."""
    w, v = np.linalg.eigh(np.cov(ink.T))
    u = v[:, np.argmax(w)]
    along = ink @ u
    lean = float(along.mean() - (along.min() + along.max()) / 2)
    if lean < 0:
        u, lean = -u, -lean
    return float(np.degrees(np.arctan2(-u[0], -u[1])) % 360.0), lean / float(np.ptp(along))


def _strokes(*directions_deg: float) -> list[StrokeMotion]:
    return [StrokeMotion(i, float(i), d, 3.0, 0.05 if i else None) for i, d in enumerate(directions_deg)]


@pytest.mark.parametrize("direction", [0.0, 90.0, 200.0, 315.0])
def test_one_way_the_arrow_points_the_strokes_direction(qtbot, direction):
    """Seen along the handle: 0° (along it, away from the hand) is up, 90° is to the left."""
    ink = _ink(_tile_with(qtbot, _strokes(*[direction] * 6)))
    assert len(ink) > 200
    pointed, lean = _line(ink)  # the head weighs the tip's end
    assert lean > 0.05 and abs((pointed - direction + 180.0) % 360.0 - 180.0) < 5.0


def test_back_and_forth_the_arrow_lies_along_their_line(qtbot):
    # 30° and 210° strokes: their one-way mean is near nothing (and points across the line)
    tile = _tile_with(qtbot, _strokes(30.0, 210.0, 30.0, 210.0, 30.0, 215.0))
    assert tile.motion is not None and tile.motion.pattern == "back-and-forth"
    line, lean = _line(_ink(tile))
    assert lean < 0.02  # two heads: balanced
    assert abs((line - 30.8 + 90.0) % 180.0 - 90.0) < 5.0


def test_before_the_first_stroke_motion_a_dash(qtbot):
    tile = _tile_with(qtbot, [], excursion_cm=None)
    assert tile.motion is None and tile.zone == "none"
    dash = _ink(tile)
    assert len(dash) > 50
    spread_x, spread_y = np.ptp(dash, axis=0)
    assert spread_x > 2 * spread_y


@pytest.mark.parametrize("pattern", ["mixed", "circling", "figure-eight"])
def test_any_pattern_is_drawn_and_said_in_the_same_words(qtbot, pattern):
    motions = _strokes(0.0, 90.0, 180.0, 270.0)
    m = dataclasses.replace(bout_motion(motions), pattern=pattern)
    feed = DashboardFeed(ManualClock())
    cs = dataclasses.replace(Coach().state, stroke_motion=m, last_excursion_cm=3.0)
    tile = DirectionTile()
    qtbot.addWidget(tile)
    tile.resize(320, 320)
    tile.show_view(dataclasses.replace(build_view(feed, None, cs, Targets(), ""), motion=m, excursion_cm=3.0))
    tile.grab()  # paints without a KeyError
    words = pattern_words(pattern)
    assert words == pattern.replace("-", " ")
    f = direction_field(cs)
    assert f is not None and f.text.startswith(f"strokes {words}, ") and f.short == f"{words}, median 3.0 cm"


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize(("turn", "loaded", "short"), [(5.0, 0.05, "one way, median 3.2 cm"),
                                                        (180.0, 0.5, "both ways, median 3.2 cm")])
def test_the_terminal_line_keeps_the_strokes_direction_from_80_columns(width, turn, loaded, short):
    """Direction and length are one of the routine's rules: from 80 columns the line says them,
    before the bouts done today and the link's details."""
    coach = Coach(Targets(), "upper trapezius (left)", MemorySpotHistory(), 0.0)
    strokes = bout(1.0, 12, 60, peak_n=20.0)
    motions = [StrokeMotion(i, 2.0 + i, turn * (i % 2), 3.2, loaded if i else None) for i in range(10)]
    run(coach, sorted([*strokes, *motions], key=lambda e: e.t), until=13.0)
    out = io.StringIO()
    view = CoachTerminalView(ManualClock(), out, coach, tty=True, colour=False, width=lambda: width)
    view.on_status(LinkStatus(t=13.0, samples=2600, rate_hz=200.0, last_adc=512, state="streaming"))
    shown = re.sub(r"\x1b\[[0-9;]*m", "", out.getvalue().rsplit("\r", 1)[-1]).rstrip()
    assert len(shown) < width
    direction = direction_field(coach.state)
    assert direction is not None and direction.short == short
    assert direction.text in shown.split(" | ") or direction.short in shown.split(" | ")


def test_the_length_shown_is_named_last_or_median():
    """The colour, the report and the history go by the bout's median length: the tile and the
    terminal name it, and the last stroke's, so the numbers a user compares agree."""
    motions = [StrokeMotion(i, float(i), 40.0, cm, 0.05) for i, cm in enumerate((4.0, 4.4, 3.9, 6.0, 3.6))]
    m = bout_motion(motions)
    assert m is not None and m.median_excursion_cm == 4.0
    cs = dataclasses.replace(Coach().state, stroke_motion=m, last_excursion_cm=3.6)
    f = direction_field(cs)
    assert f is not None and f.text == "strokes one way, 100% same way, last 3.6 cm, median 4.0 cm"
    assert f.short == "one way, median 4.0 cm"
    assert motion_words.lengths(m, 3.6) == "last 3.6 cm, median 4.0 cm"  # the tile's words


def test_every_pattern_the_engine_names_has_its_words_in_one_table():
    """Tile, terminal, report and history say a pattern in one table's words; the engine's names
    stay for machines."""
    engine_patterns = set(re.findall(r'pattern = "([a-z-]+)"', inspect.getsource(motion_module.bout_motion)))
    assert engine_patterns == set(PATTERN_WORDS) == {"one-direction", "back-and-forth", "circling", "mixed"}
    assert pattern_words is words_module.pattern_words


def test_a_correction_headline_names_the_action_not_the_state_the_tile_praises():
    """From across a room the banner's big words must not read as the tile's "one way": a
    correction's headline says what to do."""
    said = set(PATTERN_WORDS.values())
    for kind in ("one-direction", "shorter-strokes"):
        headline = CUES[kind].headline
        assert headline.lower() not in said and "STROKE" in headline
    assert all(c.headline.lower() not in said for c in CUES.values())
