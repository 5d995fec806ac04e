"""The replay view: a recorded session played through the same window, with working controls."""

from __future__ import annotations

import pytest
from pyqtgraph.Qt import QtCore

from kneadback.clock import ManualClock
from kneadback.coach.coach import Coach
from kneadback.engine.engine import Engine
from kneadback.session import Session
from kneadback.sources.replay import ReplaySource
from kneadback.store.reader import open_recording
from kneadback.ui.dashboard.replay import PlaybackClock, ReplayController
from kneadback.ui.dashboard.window import DashboardWindow

from .conftest import STEP_S

K = QtCore.Qt.Key


def _replay_window(qtbot, recording: str):
    base = ManualClock()
    play = PlaybackClock(base)
    source = ReplaySource(open_recording(recording), clock=play)
    starts = [e.data["start"] for e in source.recording.events if e.type == "bout-start"]
    controller = ReplayController(source, play, starts)
    session = Session(source, base, analyzer=Engine(), coach=Coach(spot="left calf"))
    window = DashboardWindow(session, base, replay=controller)
    qtbot.addWidget(window)
    window.resize(1600, 1000)
    window.show()
    window.start(timers=False)

    def run(seconds: float) -> None:
        for _ in range(round(seconds / STEP_S)):
            base.advance(STEP_S)
            window.pump()
        window.redraw()

    return window, controller, source, run


def test_replay_plays_pauses_changes_speed_and_seeks(qtbot, recorded):
    w, ctl, src, run = _replay_window(qtbot, recorded)
    assert len(ctl.bout_starts) == 2
    run(6.0)
    assert 5.5 <= w.feed.newest_t <= 6.1
    assert w.feed.strokes.total >= 1
    assert not w.direction_tile.isVisible() and w.view().motion is None  # an FSR-only recording: as before
    ctl.set_speed(4.0)
    run(2.0)
    assert 13.5 <= w.feed.newest_t <= 14.1
    assert ctl.speed_box.currentText() == "4×"
    qtbot.keyClick(w, K.Key_Space)  # pause
    t_paused = w.feed.newest_t
    run(3.0)
    assert w.feed.newest_t == t_paused and "play" in ctl.play_button.text()
    qtbot.keyClick(w, K.Key_Space)
    # drag the slider to 60 s: the picture restarts there
    ctl.slider.setSliderDown(True)
    ctl.slider.setValue(600)
    ctl.slider.setSliderDown(False)
    run(1.0)
    assert 60.0 <= w.feed.newest_t <= 64.5
    t_strokes, _ = w.feed.strokes.latest()
    assert len(t_strokes) == 0 or t_strokes.min() >= 59.0  # nothing from before the seek
    assert abs(ctl.slider.value() / 10.0 - src.position) < 0.2
    # jumps between bouts
    qtbot.keyClick(w, K.Key_BracketLeft)
    assert src.position == pytest.approx(ctl.bout_starts[1] - 1.0)
    qtbot.keyClick(w, K.Key_BracketLeft)
    assert src.position == pytest.approx(max(0.0, ctl.bout_starts[0] - 1.0))
    run(0.5)
    assert w.feed.newest_t < ctl.bout_starts[0] + 1.0
    before = src.position
    qtbot.keyClick(w, K.Key_Right)
    assert src.position == pytest.approx(before + 5.0)


def test_replay_stays_open_and_paused_at_the_end(qtbot, recorded):
    w, ctl, src, run = _replay_window(qtbot, recorded)
    ctl.seek(src.duration - 1.0)
    run(2.0)
    assert src.finished and not w.is_finished and not ctl.playing
    ctl.play()  # from the end: starts over
    run(1.0)
    assert w.feed.newest_t < 2.0 and ctl.playing


@pytest.mark.parametrize(("given", "shown", "choices"), [(10.0, "10×", 6), (4.0, "4×", 5), (0.25, "0.25×", 6)])
def test_the_speed_box_shows_the_speed_the_replay_was_started_at(qtbot, recorded, given, shown, choices):
    base = ManualClock()
    play = PlaybackClock(base, rate=given)
    source = ReplaySource(open_recording(recorded), clock=play)
    controller = ReplayController(source, play)
    window = DashboardWindow(Session(source, base, analyzer=Engine(), coach=Coach(spot="left calf")), base, replay=controller)
    qtbot.addWidget(window)
    window.start(timers=False)
    box = controller.speed_box
    assert box.currentText() == shown and box.count() == choices
    speeds = [box.itemData(i) for i in range(box.count())]
    assert speeds == sorted(speeds)  # the given speed sits in order among the choices
    box.activated.emit(box.findData(2.0))  # the box still changes the speed, and back
    assert controller.speed == 2.0
    box.activated.emit(box.findData(given))
    assert controller.speed == given
    window.redraw()
    assert box.currentText() == shown


def test_speed_keys_step_to_the_next_choice_from_any_speed(qtbot, recorded):
    w, ctl, _, _ = _replay_window(qtbot, recorded)
    ctl.set_speed(10.0)
    qtbot.keyClick(w, K.Key_Plus)
    assert ctl.speed == 10.0  # past the last choice: stays
    qtbot.keyClick(w, K.Key_Minus)
    assert ctl.speed == 8.0
    ctl.set_speed(3.0)
    qtbot.keyClick(w, K.Key_Plus)
    assert ctl.speed == 4.0
    ctl.set_speed(3.0)
    qtbot.keyClick(w, K.Key_Minus)
    assert ctl.speed == 2.0 and ctl.speed_box.currentText() == "2×"
