"""The live window, driven by the simulated source on a manual clock through the real engine
and coach: the widgets update, every sample arrives, the keys act, the colours follow."""

from __future__ import annotations

import numpy as np
from pyqtgraph.Qt import QtCore

from kneadback.model import Marker, Rating
from kneadback.ui.dashboard.zones import COLOURS

K = QtCore.Qt.Key


def test_widgets_update_from_the_stream(rig):
    r = rig(rate_hz=1.0, force_n=20.0, seconds=40.0)
    w = r.window
    r.run(12.0)
    feed, status = w.feed, w.session.status
    assert feed.samples == status.samples > 2000  # every sample reached the dashboard
    assert feed.strokes.total >= 9  # the engine's strokes are marked on the trace
    assert w.rate_tile.value is not None and 50 <= w.rate_tile.value <= 70
    assert w.rate_tile.zone == "on"
    assert w.pressure_tile.value is not None and 10 < w.pressure_tile.value < 35
    assert w.trace.drawn_points > 100
    assert w.trace.getPlotItem().viewRange()[0] == [-10.0, 0.0]  # seconds before the newest sample
    x, y = w.trace.curve.getData()
    assert x[-1] == 0.0 and x[0] >= -10.0 and y.max() > 10.0
    x, y = w.trace.peaks.getData()
    assert len(x) >= 8 and np.all((x >= -10.0) & (x <= 0.0)) and np.all(y > 10.0)
    assert "connected" in w.status_label.text() and "200 Hz" in w.status_label.text()
    assert len(w.history.curves["on"].getData()[0]) >= 5


def test_stepping_never_draws_and_drawing_is_cheap_when_idle(rig):
    r = rig()
    w = r.window
    qapp = QtCore.QCoreApplication.instance()
    assert w.draw_timer.interval() <= 1000 / 30  # the draw timer alone sets the frame rate
    assert w.step_timer.interval() < w.draw_timer.interval()
    r.run(3.0)
    qapp.processEvents()
    frames, paints = w.frames, [t.paints for t in w.tiles]
    r.run(3.0, redraw=False)  # data flows through the session, nothing is drawn
    qapp.processEvents()
    assert w.frames == frames and [t.paints for t in w.tiles] == paints
    assert w.feed.samples == w.session.status.samples
    w.redraw()
    qapp.processEvents()
    paints = [t.paints for t in w.tiles]
    v = w.view()
    assert not any(t.show_view(v) for t in w.tiles)  # nothing new: no tile asks to repaint
    traced: list[float] = []
    w.trace.on_painted = traced.append
    w.redraw()
    qapp.processEvents()
    assert [t.paints for t in w.tiles] == paints
    assert traced == []  # nor the trace (a paused replay, a stalled link cost nothing)


def test_rating_keys_submit_ratings_paired_with_force(rig, qtbot):
    r = rig(force_n=22.0)
    w = r.window
    r.run(8.0)
    qtbot.keyClick(w, K.Key_7)
    r.run(0.1)
    assert isinstance(w.feed.rating, Rating)
    assert w.feed.rating.value == 7 and w.feed.rating.spot == "left calf"
    assert w.feed.rating.force_n is not None and 10 < w.feed.rating.force_n < 40
    assert w.coach.state.ratings == 1
    qtbot.keyClick(w, K.Key_T)
    r.run(0.1)
    assert w.feed.rating.value == 10
    assert "rated 10/10" in w.status_label.text()


def test_mute_metronome_marker_fullscreen_keys(rig, qtbot):
    r = rig()
    w = r.window
    r.run(2.0)
    qtbot.keyClick(w, K.Key_M)
    assert w.coach.mute is True
    qtbot.keyClick(w, K.Key_M)
    assert w.coach.mute is False
    assert w.coach.metronome == "auto"
    qtbot.keyClick(w, K.Key_K)
    assert w.coach.metronome == "on"
    qtbot.keyClick(w, K.Key_K)
    qtbot.keyClick(w, K.Key_K)
    assert w.coach.metronome == "auto"
    qtbot.keyClick(w, K.Key_B)
    r.run(0.1)
    assert len(w.feed.markers) == 1 and isinstance(w.feed.markers[0], Marker)
    assert w.trace.markers[0].isVisible()
    assert "marker 1 set" in w.status_label.text()  # the key is confirmed for a moment
    r.run(5.0)
    assert "marker 1 set" not in w.status_label.text()
    qtbot.keyClick(w, K.Key_F)
    assert w.windowState() & QtCore.Qt.WindowState.WindowFullScreen
    qtbot.keyClick(w, K.Key_F)
    assert not w.windowState() & QtCore.Qt.WindowState.WindowFullScreen
    assert "M</b>\u00a0mute" in w.keys_label.text() and "0–9,\u00a0T=10" in w.keys_label.text()


def test_spot_key_opens_a_picker_and_the_choice_reaches_the_coach(rig, qtbot):
    r = rig()
    w = r.window
    r.run(1.0)
    qtbot.keyClick(w, K.Key_P)
    assert w.spot_dialog.isVisible()
    w.spot_dialog.setTextValue("right shoulder")
    w.spot_dialog.accept()
    r.run(0.1)
    assert w.spot == "right shoulder" and w.coach.spot == "right shoulder"
    assert w.feed.spot == "right shoulder"
    assert w.bouts_tile.spot == "right shoulder"


def test_space_starts_and_stops_a_manual_bout(rig, qtbot):
    r = rig(rate_hz=1.0, seconds=60.0)
    w = r.window
    r.run(3.0)
    qtbot.keyClick(w, K.Key_Space)  # manual: the engine's bouts no longer count
    r.run(0.1)
    assert w.bouts.auto is False and w.coach.state.bout_active
    r.run(12.0)
    assert w.countdown_tile.left is not None and 15 < w.countdown_tile.left < 20
    assert w.countdown_tile.zone == "on"
    qtbot.keyClick(w, K.Key_Space)
    r.run(0.2)
    assert not w.coach.state.bout_active
    assert w.feed.bouts and w.feed.bouts[-1].strokes >= 10
    qtbot.keyClick(w, K.Key_A)
    r.run(0.1)
    assert w.bouts.auto is True
    assert "auto bouts" in w.status_label.text()


def test_colours_follow_the_targets_in_the_running_window(rig):
    slow = rig(rate_hz=0.5, force_n=20.0, seconds=30.0)
    slow.run(12.0)
    assert slow.window.rate_tile.zone == "off"  # 30/min against 50–70
    fast = rig(rate_hz=1.4, force_n=20.0, seconds=30.0)
    fast.run(8.0)
    assert fast.window.rate_tile.zone in ("near", "off")  # 84/min
    good = rig(rate_hz=1.0, force_n=20.0, seconds=30.0)
    good.run(8.0)
    tile = good.window.rate_tile
    assert tile.zone == "on"
    img = tile.grab().toImage()
    centre = img.pixelColor(12, img.height() // 2).name()  # the tile's fill, left of the digits
    assert centre == COLOURS["on"]
    slow.run(12.0)
    for r, zone in ((slow, "off"), (good, "on")):  # the rate history's line takes the same colour
        curves = r.window.history.curves
        drawn = {z for z, c in curves.items() if np.any(c.opts["connect"])}
        assert drawn == {zone}
        assert curves[zone].opts["pen"].color().name() == COLOURS[zone]


def test_screenshot_on_finish(rig, tmp_path):
    r = rig(seconds=3.0)
    w = r.window
    w.screenshot = tmp_path / "shot.png"
    r.run(5.0)
    assert w.is_finished  # the scenario ended
    assert w.screenshot.stat().st_size > 10_000


def test_a_lost_device_shows_at_once_and_recovers(rig):
    r = rig("sim:disconnect")  # the cable comes out at 25 s for 4 s
    w = r.window
    r.run(24.0)
    assert w.cue_banner.headline != "DEVICE LOST" and "connected" in w.status_label.text()
    r.run(2.0)
    assert w.cue_banner.headline == "DEVICE LOST" and w.cue_banner.zone == "off"
    assert "LOST" in w.status_label.text()
    samples = w.feed.samples
    r.run(6.0)
    assert w.cue_banner.headline != "DEVICE LOST" and w.feed.samples > samples
    assert w.feed.samples == w.session.status.samples


def test_q_ends_the_session_and_the_window(rig, qtbot):
    r = rig()
    w = r.window
    r.run(2.0)
    with qtbot.waitSignal(w.finished, timeout=1000):
        qtbot.keyClick(w, K.Key_Q)
        r.run(0.1)
    assert w.is_finished and w.error is None
    assert w.feed.closed  # the session was closed: every sink heard it


def test_status_shows_whether_force_is_calibrated(qtbot):
    """The stored calibration the engine uses is named in the status line (issue: hardware kit)."""
    import datetime as dt

    from kneadback.calibration import CalibratedForceModel, fit_calibration, simulate_levels
    from kneadback.clock import ManualClock
    from kneadback.coach.coach import Coach
    from kneadback.engine.engine import Engine
    from kneadback.fsr import Divider, FsrCurve
    from kneadback.session import Session
    from kneadback.sources import open_source
    from kneadback.sources.base import SourceOptions
    from kneadback.ui.dashboard.window import DashboardWindow

    divider = Divider(1000.0)
    points = simulate_levels(FsrCurve(), divider, [5, 15, 30, 60, 110], np.random.default_rng(3))
    model = CalibratedForceModel(fit_calibration(points, divider, now=dt.datetime(2026, 11, 20, 9, 0)))
    clock = ManualClock()
    for engine, expected in ((Engine(), "uncalibrated"), (Engine(force_model=model), "calibrated 2026-11-20")):
        session = Session(open_source("sim:steady", SourceOptions(clock=clock)), clock, analyzer=engine,
                          coach=Coach(spot="left calf"))
        w = DashboardWindow(session, clock)
        qtbot.addWidget(w)
        w.start(timers=False)
        for _ in range(20):
            clock.advance(0.05)
            w.pump()
        w.redraw()
        assert expected in w.status_label.text()
        assert w.status_label.toolTip().startswith("force: " + ("datasheet" if expected == "uncalibrated" else "calibrated"))
