"""The "10 s left" cue as the dashboard and the terminal show it: it says what the bout timer says
(one time left, `CoachState.bout_left_s`) and goes with its bout."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from kneadback.clock import ManualClock
from kneadback.coach.coach import Coach, CoachState
from kneadback.coach.targets import Targets
from kneadback.cues import CUES
from kneadback.lsl.meta import parse_marker, status_json
from kneadback.model import Cue, SampleBlock
from kneadback.ui.coach_view import CUE_SHOWN_S, bout_field, cue_field
from kneadback.ui.dashboard.feed import DashboardFeed
from kneadback.ui.dashboard.view import build_view
from kneadback.ui.dashboard.zones import countdown_s
from kneadback.ui.overview import Overview, tool_fields
from kneadback.words import mmss

TEN_LEFT = Cue(20.0, "ten-seconds-left", "info", CUES["ten-seconds-left"].text)


def _state(t: float, **kw: object) -> CoachState:
    return dataclasses.replace(Coach(spot="left calf").state, t=t, cue=TEN_LEFT, **kw)


def _view(cs: CoachState):
    feed = DashboardFeed(ManualClock())
    feed.on_block(SampleBlock(t=np.array([cs.t]), adc=np.array([300], dtype=np.int32)))
    feed.on_events([TEN_LEFT])
    return build_view(feed, None, cs, Targets(), "left calf")


@pytest.mark.parametrize("left", [10.0, 7.4, 4.2, 0.3])
def test_the_cue_counts_down_with_the_bout_timer(left):
    cs = _state(30.0 - left, bout_active=True, bout_phase="active", bout_elapsed_s=30.0 - left, bout_left_s=left)
    v = _view(cs)
    shown = math.ceil(left)
    assert (v.cue_headline, v.cue_text) == (f"{shown} s LEFT", f"{shown} s left in this bout.")
    assert v.bout_left_s == left  # the ring's number is the same ceil of the same time left
    f = cue_field(cs)  # the terminal line keeps a cue up for `CUE_SHOWN_S`, then drops it
    if cs.t - TEN_LEFT.t <= CUE_SHOWN_S:
        assert f is not None and (f.text, f.short) == (f"» {shown} s left in this bout.", f"» {shown} s LEFT")
    else:
        assert f is None


@pytest.mark.parametrize(("phase", "left"), [("paused", 6.0), (None, None)])
def test_the_cue_goes_once_its_bout_pauses_or_ends(phase, left):
    cs = _state(25.0, bout_active=False, bout_phase=phase, bout_elapsed_s=None if left is None else 30.0 - left,
                bout_left_s=left)
    v = _view(cs)
    assert (v.cue_headline, v.cue_text) == ("", "")  # nothing, not a stale "10 s LEFT"
    assert cue_field(cs) is None


def test_other_cues_are_shown_as_given_and_nothing_yet_prompts_to_begin():
    feed = DashboardFeed(ManualClock())
    feed.on_block(SampleBlock(t=np.array([3.0]), adc=np.array([300], dtype=np.int32)))
    cs = dataclasses.replace(Coach().state, t=3.0)
    assert (build_view(feed, None, cs, Targets(), "").cue_text) == "stroke the spot to begin"
    slower = Cue(2.0, "slower", "correction", CUES["slower"].text)
    feed.on_events([slower])
    v = build_view(feed, None, dataclasses.replace(cs, cue=slower, bout_phase="active", bout_left_s=4.0), Targets(), "")
    assert (v.cue_headline, v.cue_text, v.cue_zone) == ("SLOWER", slower.text, "near")


def test_scrubbing_five_seconds_before_the_end_the_banner_and_the_ring_agree(rig):
    r = rig("sim:scrubbing")
    r.run(25.0)
    w = r.window
    assert w.coach.state.cue is not None and w.coach.state.cue.kind == "ten-seconds-left"
    v = w.view()
    assert v.bout_left_s is not None and 4.0 < v.bout_left_s < 6.0
    ring = w.countdown_tile.left  # what the ring shows, rounded up
    assert ring is not None and w.cue_banner.headline == v.cue_headline == f"{math.ceil(ring)} s LEFT"


@pytest.mark.parametrize(("left", "shown"), [(5.03, 6), (5.5, 6), (0.2, 1), (0.0, 0)])
def test_the_terminal_and_the_ring_count_the_same_whole_seconds(left, shown):
    """Rounded up, as a countdown is: it reads 0 only once the time is up."""
    assert countdown_s(left) == shown
    cs = _state(30.0 - left, bout_active=True, bout_phase="active", bout_elapsed_s=30.0 - left, bout_left_s=left)
    assert bout_field(cs).text == f"bout {mmss(30.0 - left)}, 0:{shown:02d} left"


def test_the_overview_counts_the_cue_down_and_takes_it_down_with_its_bout():
    ov = Overview(ManualClock())

    def status(phase: str | None, left: float | None) -> None:
        cs = _state(30.0 - (left or 0.0), bout_active=phase == "active", bout_phase=phase, bout_left_s=left)
        ov.take("A1", "A1", parse_marker(status_json(cs)))

    status("active", 4.2)
    tool = ov.tools["A1"]
    assert (tool.cue_headline, tool.cue_text) == ("5 s LEFT", "5 s left in this bout.")
    assert [f.text for f in tool_fields(tool, 0.0)][-1] == "5 s LEFT: 5 s left in this bout."
    status("paused", 3.0)
    assert (tool.cue_headline, tool.cue_text, tool.cue_zone) == ("", "", "none")
    assert not any("LEFT" in f.text for f in tool_fields(tool, 0.0))


def test_bout_paused_is_taken_down_once_the_bout_is_over():
    paused = Cue(26.6, "lift-off", "info", CUES["lift-off"].text)
    for phase, shown in (("active", True), ("paused", True), (None, False)):
        cs = dataclasses.replace(Coach().state, t=30.0, cue=paused, bout_phase=phase, bout_left_s=None if phase is None else 5.6)
        feed = DashboardFeed(ManualClock())
        feed.on_block(SampleBlock(t=np.array([cs.t]), adc=np.array([0], dtype=np.int32)))
        feed.on_events([paused])
        v = build_view(feed, None, cs, Targets(), "")
        assert (v.cue_headline, v.cue_text) == (("PAUSED", paused.text) if shown else ("", ""))
        assert (cue_field(cs) is not None) == shown
