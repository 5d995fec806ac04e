"""The replay view's clock and controller, without a window."""

from __future__ import annotations

import pytest
from pyqtgraph.Qt import QtCore

from kneadback.clock import ManualClock
from kneadback.ui.dashboard.replay import PlaybackClock, ReplayController


def test_playback_clock_pauses_and_changes_speed_without_jumps():
    base = ManualClock(100.0)
    clock = PlaybackClock(base)
    base.advance(2.0)
    assert clock.now() == pytest.approx(2.0)
    clock.paused = True
    base.advance(5.0)
    assert clock.now() == pytest.approx(2.0)
    clock.sleep(1.0)  # waiting while paused moves nothing
    assert base.now() == pytest.approx(107.0)
    clock.paused = False
    clock.rate = 4.0
    assert clock.now() == pytest.approx(2.0)
    base.advance(1.0)
    assert clock.now() == pytest.approx(6.0)
    clock.sleep(2.0)  # two playback seconds at 4x are half a second of the base clock
    assert base.now() == pytest.approx(108.5)
    with pytest.raises(ValueError):
        clock.rate = 0.0


class _Seekable:
    def __init__(self, duration: float) -> None:
        self.position = 0.0
        self.finished = False
        self._duration = duration
        self.seeks: list[float] = []

    @property
    def duration(self) -> float:
        return self._duration

    def seek(self, t: float) -> None:
        self.position = min(max(0.0, t), self._duration)
        self.finished = False
        self.seeks.append(self.position)


def test_controller_keys_seek_jump_and_speed():
    src = _Seekable(120.0)
    ctl = ReplayController(src, PlaybackClock(ManualClock()), bout_starts=[10.0, 50.0, 90.0])
    K = QtCore.Qt.Key
    assert ctl.handle_key(K.Key_BracketRight)
    assert src.position == 9.0  # a second before the first bout
    ctl.handle_key(K.Key_BracketRight)
    assert src.position == 49.0
    ctl.handle_key(K.Key_BracketLeft)
    assert src.position == 9.0
    ctl.handle_key(K.Key_Right)
    assert src.position == 14.0
    ctl.handle_key(K.Key_Left)
    ctl.handle_key(K.Key_Left)
    assert src.position == 4.0
    for _ in range(6):
        ctl.handle_key(K.Key_Plus)
    assert ctl.speed == 8.0
    for _ in range(6):
        ctl.handle_key(K.Key_Minus)
    assert ctl.speed == 0.5
    assert ctl.playing
    ctl.handle_key(K.Key_Space)
    assert not ctl.playing
    assert not ctl.handle_key(K.Key_Z)


def test_play_at_the_end_starts_over():
    src = _Seekable(30.0)
    ctl = ReplayController(src, PlaybackClock(ManualClock()))
    ctl.play(False)
    src.position, src.finished = 30.0, True
    ctl.play(True)
    assert src.seeks[-1] == 0.0 and ctl.playing
