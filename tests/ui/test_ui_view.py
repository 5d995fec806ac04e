"""`build_view`: what the dashboard shows for a given engine and coach state."""

from __future__ import annotations

import dataclasses

import numpy as np

from kneadback.clock import ManualClock
from kneadback.coach.coach import Coach
from kneadback.coach.targets import Targets
from kneadback.engine.engine import EngineState
from kneadback.model import Cue, LinkStatus, Notice, SampleBlock, Stroke
from kneadback.ui.dashboard.feed import DashboardFeed
from kneadback.ui.dashboard.view import build_view


def _engine(**kw) -> EngineState:
    base = dict(t=10.0, force_n=5.0, rate_spm=None, in_contact=True, holding_since=None, bout_index=0,
                bout_start=None, bout_strokes=0, strokes=0, last_stroke=None, saturated_fraction=0.0,
                noise_n=0.1, lost_samples=0)
    return EngineState(**{**base, **kw})


def _feed_with_stroke(peak_n: float, t_peak: float = 9.5) -> DashboardFeed:
    feed = DashboardFeed(ManualClock())
    feed.on_block(SampleBlock(t=np.array([9.9, 10.0]), adc=np.array([300, 310], dtype=np.int32)))
    feed.on_events([Stroke(0, t_peak - 0.3, t_peak, t_peak + 0.3, t_peak + 0.4, peak_n, peak_n / 2, 500, 5.0, 0.9)])
    return feed


def _coach(targets: Targets | None = None, **state):
    return dataclasses.replace(Coach(targets=targets, spot="left calf").state, **state)


def test_rate_colour_follows_the_targets():
    feed = _feed_with_stroke(25.0)
    slow = _coach(rate_spm=40.0)
    assert build_view(feed, _engine(), slow, Targets(), "").rate_zone == "off"
    assert build_view(feed, _engine(), _coach(rate_spm=58.0), Targets(), "").rate_zone == "on"
    assert build_view(feed, _engine(), _coach(rate_spm=75.0), Targets(), "").rate_zone == "near"
    # a slower target makes 40/min right: the coach's targets decide
    relaxed = _coach(Targets(rate_spm=40.0, rate_tolerance_spm=5.0), rate_spm=40.0)
    v = build_view(feed, _engine(), relaxed, Targets(), "")
    assert v.rate_zone == "on" and v.rate_band == (35.0, 45.0)


def test_pressure_colour_follows_the_7_of_10_band():
    cs = _coach(pressure_band_n=(20.0, 30.0))
    assert build_view(_feed_with_stroke(25.0), _engine(), cs, Targets(), "").pressure_zone == "on"
    assert build_view(_feed_with_stroke(18.0), _engine(), cs, Targets(), "").pressure_zone == "near"
    assert build_view(_feed_with_stroke(10.0), _engine(), cs, Targets(), "").pressure_zone == "off"
    v = build_view(_feed_with_stroke(95.0), _engine(), cs, Targets(), "")
    assert v.pressure_zone == "off" and v.pressure_n == 95.0


def test_pressure_before_ratings_uses_the_consistency_band_then_none():
    v = build_view(_feed_with_stroke(25.0), _engine(), _coach(consistency_band_n=(22.0, 28.0)), Targets(), "")
    assert (v.pressure_mode, v.pressure_zone) == ("consistency", "on")
    v = build_view(_feed_with_stroke(25.0), _engine(), _coach(), Targets(), "")
    assert (v.pressure_mode, v.pressure_zone) == ("none", "none")


def test_a_static_hold_is_never_green():
    cs = _coach(pressure_band_n=(20.0, 30.0), holding=True)
    feed = DashboardFeed(ManualClock())
    feed.on_block(SampleBlock(t=np.array([10.0]), adc=np.array([400], dtype=np.int32)))
    v = build_view(feed, _engine(force_n=25.0, holding_since=7.0), cs, Targets(), "")
    assert v.holding and v.pressure_n == 25.0 and v.pressure_zone == "near"


def test_old_peak_gives_way_to_live_force():
    feed = _feed_with_stroke(25.0, t_peak=2.0)  # 8 s ago
    assert build_view(feed, _engine(force_n=3.0), _coach(), Targets(), "").pressure_n == 3.0
    assert build_view(feed, _engine(force_n=3.0, in_contact=False), _coach(), Targets(), "").pressure_n is None


def test_countdown_bouts_and_cue():
    feed = _feed_with_stroke(25.0)
    feed.on_events([Cue(9.0, "faster", "correction", "A little faster.")])
    cs = _coach(bout_active=True, bout_left_s=8.0, bouts_today=4)
    v = build_view(feed, _engine(), cs, Targets(), "")
    assert (v.countdown_zone, v.bout_left_s, v.bouts_zone, v.bouts_today) == ("near", 8.0, "on", 4)
    assert (v.cue_headline, v.cue_zone, v.cue_fresh) == ("FASTER", "near", True)
    feed.on_block(SampleBlock(t=np.array([30.0]), adc=np.array([0], dtype=np.int32)))
    assert build_view(feed, _engine(), cs, Targets(), "").cue_fresh is False
    idle = build_view(feed, _engine(), _coach(), Targets(), "")
    assert idle.countdown_zone == "none" and idle.bouts_zone == "near"


def test_the_link_state_heads_the_view():
    feed = DashboardFeed(ManualClock())
    feed.on_status(LinkStatus(state="waiting"))  # open, nothing heard yet: no alarm
    assert build_view(feed, _engine(), _coach(), Targets(), "").cue_headline == ""
    hint = "/dev/ttyUSB0: no valid data in 3 s (nothing came); likely the wrong port"
    feed.on_notice(Notice(0.0, "silent", hint))
    feed.on_status(LinkStatus(state="silent", quiet_s=3.0))
    v = build_view(feed, _engine(), _coach(), Targets(), "")
    assert (v.cue_headline, v.cue_text, v.cue_zone, v.connected) == ("NO DATA", hint, "off", True)
    feed.on_status(LinkStatus(state="lost", quiet_s=4.0))
    v = build_view(feed, _engine(), _coach(), Targets(), "")
    assert (v.cue_headline, v.connected) == ("DEVICE LOST", False)
