"""The overview of many tools, from markers alone: tiles and lines, lost tools, the window."""

from __future__ import annotations

import dataclasses
import io
import math
from typing import Any

from pyqtgraph.Qt import QtCore

from kneadback.clock import ManualClock
from kneadback.coach.coach import Coach
from kneadback.coach.targets import Targets
from kneadback.cues import CUES
from kneadback.lsl.meta import marker_json, parse_marker, status_json
from kneadback.model import Cue, SpotChanged, Stroke
from kneadback.ui.dashboard.zones import COLOURS, CUE_FRESH_S, PEAK_FRESH_S
from kneadback.ui.overview import LOST_S, WAITING, Overview, OverviewTable, tool_fields


def status(cue: Cue | None = None, **changes: Any) -> dict[str, Any]:
    """A status marker as a tool publishes it: a coach's state, through the markers' own encoding."""
    state = Coach(Targets(), "left calf").state
    fields: dict[str, Any] = {"t": 10.0, "rate_spm": 62.0, "last_peak_n": 21.5, "pressure_band_n": (15.0, 20.0),
                              "bout_active": True, "bout_elapsed_s": 75.0, "bout_left_s": 15.0, "cue": cue,
                              "force_trust": "calibrated"}
    return parse_marker(status_json(dataclasses.replace(state, **{**fields, **changes})))


def take(ov: Overview, key: str, event: Any) -> None:
    ov.take(key, key, parse_marker(marker_json(event)))


def stroke(t: float, peak_n: float, rate_spm: float | None = 62.0) -> Stroke:
    return Stroke(index=0, t_start=t - 0.3, t_peak=t, t_end=t + 0.3, t_confirmed=t + 0.4, peak_n=peak_n,
                  mean_n=peak_n / 2, peak_adc=400, impulse_ns=5.0, release=0.9, interval_s=1.0, rate_spm=rate_spm)


def heard(ov: Overview, key: str, **changes: Any) -> None:
    """A status, and the stroke whose peak it carries just before it."""
    take(ov, key, stroke(9.0, changes.get("last_peak_n", 21.5)))
    ov.take(key, key, status(**changes))


def test_a_status_marker_fills_the_tile_and_markers_in_between_update_it_at_once():
    clock = ManualClock()
    ov = Overview(clock)
    ov.take("A1", "A1", status(cue=Cue(t=9.0, kind="good-rhythm", severity="praise", text="Good rhythm.")))
    tool = ov.tools["A1"]
    assert tool.pressure is None  # a peak, but of when? only a stroke marker says
    take(ov, "A1", stroke(9.5, 21.5))
    assert (tool.spot, tool.rate_spm, tool.rate_zone, tool.pressure, tool.pressure_zone, tool.bout_zone) == \
        ("left calf", 62.0, "on", 21.5, "near", "on")
    assert (tool.cue_headline, tool.cue_zone) == (CUES["good-rhythm"].headline, "on")
    take(ov, "A1", Cue(t=10.5, kind="press-harder", severity="correction", text="Press a little firmer."))
    assert (tool.cue_headline, tool.cue_text, tool.cue_zone) == (CUES["press-harder"].headline,
                                                                 "Press a little firmer.", "near")
    take(ov, "A1", SpotChanged(t=11.0, spot="right calf"))
    assert tool.spot == "right calf"
    take(ov, "A1", stroke(11.5, 19.0, rate_spm=58.0))
    assert (tool.rate_spm, tool.pressure, tool.pressure_zone) == (58.0, 19.0, "on")  # inside the 15–20 band
    ov.take("A1", "A1", status(t=11.5 + PEAK_FRESH_S + 0.5))
    assert tool.pressure is None and tool.pressure_zone == "none"  # a stale peak is no reading (as on the dashboard)
    ov.take("A1", "A1", status(t=10.5 + CUE_FRESH_S + 1))
    assert tool.cue_zone == "none"  # an old cue is shown dimmed, as on the dashboard


def test_a_relative_force_is_a_share_of_the_range_and_nan_shows_a_dash():
    clock = ManualClock()
    ov = Overview(clock)
    heard(ov, "B", force_trust="unitless", last_peak_n=42.3, rate_spm=math.nan, pressure_band_n=None)
    fields = tool_fields(ov.tools["B"], clock.now())
    assert [f.text for f in fields[1:3]] == ["rate –", "pressure 42 rel."]
    assert [f.zone for f in fields[1:3]] == ["none", "none"]


def test_a_tool_that_goes_quiet_is_lost_with_how_long_ago_and_comes_back():
    clock = ManualClock()
    news: list[str] = []
    ov = Overview(clock, on_news=news.append)
    ov.take("A1", "A1", status())
    ov.found("C", "C")  # its streams are there, nothing came from it yet
    clock.advance(LOST_S - 0.1)
    ov.check()
    assert news == ["found tool A1", "found tool C"]
    clock.advance(9.0)
    ov.check()
    ov.check()  # said once
    assert news == ["found tool A1", "found tool C", "lost tool A1"]
    assert [f.text for f in tool_fields(ov.tools["C"], clock.now())] == ["C", WAITING]  # waiting, not lost
    fields = tool_fields(ov.tools["A1"], clock.now())
    assert fields[1].text == "lost, last heard 12 s ago" and fields[1].zone == "off"
    ov.take("A1", "A1", status())
    assert news[-1] == "tool A1 is back"
    assert not ov.tools["A1"].lost(clock.now())


def test_the_table_on_a_pipe_prints_a_line_a_tool_each_second_with_news_above():
    clock = ManualClock()
    ov = Overview(clock)
    out = io.StringIO()
    table = OverviewTable(ov, out, tty=False)
    ov.on_news = table.news
    table.draw()
    heard(ov, "A1")
    heard(ov, "B2", spot="neck", rate_spm=30.0)
    table.draw()
    clock.advance(0.5)
    table.draw()  # not due yet
    lines = out.getvalue().splitlines()
    assert lines[0] == "looking for kneadback tools on LSL…"
    assert lines[1:3] == ["found tool A1", "found tool B2"]
    assert lines[3].startswith("A1 | rate 62/min | pressure 21.5 N | spot left calf | bout 1:15")
    assert lines[4].startswith("B2 | rate 30/min") and "spot neck" in lines[4]
    assert len(lines) == 6  # and a blank line between tables


def test_the_table_on_a_terminal_is_coloured_by_zone_and_fitted_to_its_width():
    clock = ManualClock()
    ov = Overview(clock)
    heard(ov, "A1")
    out = io.StringIO()
    OverviewTable(ov, out, tty=True, colour=True, width=lambda: 40).draw()
    line = out.getvalue().splitlines()[0]
    assert "\x1b[32mrate 62/min\x1b[0m" in line  # on target: green
    assert "\x1b[33mpressure 21.5 N\x1b[0m" in line  # near: amber
    assert "spot" not in line  # a detail gives way in 40 columns


def pressure_box_colour(window: Any, key: str) -> str:
    """The colour at the top edge of a tile's middle box (above its title)."""
    tile = window.tiles[key]
    h = tile.height() - 24
    top = tile.mapTo(window, QtCore.QPoint(tile.width() // 2, round(12 + 0.26 * h + 2)))
    return str(window.grab().toImage().pixelColor(top.x(), top.y()).name())


def test_the_window_grows_a_tile_a_tool_and_greys_out_a_lost_one(qtbot):
    from kneadback.ui.overview_window import OverviewWindow

    clock = ManualClock()
    ov = Overview(clock)
    alive = {"A1", "B2", "C3"}

    def poll() -> None:
        for key in sorted(alive):
            heard(ov, key)

    window = OverviewWindow(ov, poll, clock, duration=30.0)
    qtbot.addWidget(window)
    window.resize(1200, 700)
    window.show()
    window.start()
    window.timer.stop()  # the test ticks by hand
    assert list(window.tiles) == ["A1", "B2", "C3"]
    assert not window.waiting.isVisible()
    # the pressure box (the middle one) is filled in the "near" colour
    assert pressure_box_colour(window, "A1") == COLOURS["near"]
    alive.discard("B2")
    clock.advance(LOST_S + 2.0)
    window.tick()
    assert window.tiles["B2"].lost_s is not None and window.tiles["A1"].lost_s is None
    assert pressure_box_colour(window, "B2") not in COLOURS.values()
    clock.advance(30.0)
    window.tick()
    assert window.is_finished
