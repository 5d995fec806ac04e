"""The replay view's controls: play/pause, a seek slider, speed 0.5–8× (and the speed the replay
was started at) and jumps to bouts.

Playback runs on a `PlaybackClock`, a clock of its own that the controls pause and speed up; the
replay source is paced by it like any source by its clock, so the session, the engine and the
coach run exactly as live. Seeking (the slider, ← / →, the bout jumps) goes through the
session's `restart_at(t)`: the engine, the coach and the bouts are rebuilt as they were at `t`,
and the dashboard's picture starts afresh there.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from pyqtgraph.Qt import QtCore, QtWidgets

from kneadback.clock import Clock
from kneadback.words import mmss

if TYPE_CHECKING:
    from kneadback.ui.dashboard.window import DashboardWindow

SPEEDS: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 8.0)
SKIP_S = 5.0  # ← / → move this far
BOUT_LEAD_S = 1.0  # a jump to a bout lands this long before it starts


class PlaybackClock:
    """A clock that runs at `rate` times its base clock and stops while paused."""

    def __init__(self, base: Clock, rate: float = 1.0) -> None:
        self.base = base
        self._rate = float(rate)
        self._paused = False
        self._anchor_base = base.now()
        self._anchor = 0.0

    def now(self) -> float:
        if self._paused:
            return self._anchor
        return self._anchor + (self.base.now() - self._anchor_base) * self._rate

    def sleep(self, seconds: float) -> None:
        """Waits are the base clock's (a paused clock does not move while waiting)."""
        if seconds > 0 and not self._paused:
            self.base.sleep(seconds / self._rate)

    def wall(self) -> float:
        return self.base.wall()

    def _reanchor(self) -> None:
        self._anchor = self.now()
        self._anchor_base = self.base.now()

    @property
    def rate(self) -> float:
        return self._rate

    @rate.setter
    def rate(self, rate: float) -> None:
        if not rate > 0:
            raise ValueError("rate must be > 0")
        self._reanchor()
        self._rate = float(rate)

    @property
    def paused(self) -> bool:
        return self._paused

    @paused.setter
    def paused(self, paused: bool) -> None:
        if paused != self._paused:
            self._reanchor()
            self._paused = paused


class Seekable(Protocol):
    """What the controls need of the replay source (`kneadback.sources.replay.ReplaySource`)."""

    position: float
    finished: bool

    @property
    def duration(self) -> float: ...

    def seek(self, t: float) -> None: ...


class ReplayController:
    """Drives a seekable source's playback; `bar()` builds its widgets for the window."""

    def __init__(
        self,
        source: Seekable,
        clock: PlaybackClock,
        bout_starts: Sequence[float] = (),
        keep_open: bool = True,
    ) -> None:
        self.source = source
        self.clock = clock
        self.bout_starts = sorted(float(t) for t in bout_starts)
        self.keep_open = keep_open  # at the end of the recording: stay open, paused
        self.window: DashboardWindow | None = None
        self._slider_held = False

    # --- actions ---------------------------------------------------------------------------
    @property
    def playing(self) -> bool:
        return not self.clock.paused

    def play(self, playing: bool = True) -> None:
        if playing and self.source.finished:
            self.seek(0.0)
        self.clock.paused = not playing

    def toggle(self) -> None:
        self.play(not self.playing)

    @property
    def speed(self) -> float:
        return self.clock.rate

    def set_speed(self, speed: float) -> None:
        self.clock.rate = speed

    def step_speed(self, up: bool) -> None:
        """To the next choice of `SPEEDS` up or down (none past the ends: the speed stays)."""
        s = self.speed
        choices = [c for c in SPEEDS if c > s] if up else [c for c in SPEEDS if c < s]
        if choices:
            self.set_speed(min(choices) if up else max(choices))

    def seek(self, t: float) -> None:
        """Continue from session time `t`, with everything as it was at `t`; the picture is cleared."""
        if self.window is not None:
            self.window.restart_at(t)  # the session's restart_at(t)
        else:
            self.source.seek(t)

    def skip(self, seconds: float) -> None:
        self.seek(self.source.position + seconds)

    def jump_bout(self, forward: bool) -> None:
        """To the next bout's start (or the previous one's, from more than a moment into a bout)."""
        pos = self.source.position
        if forward:
            later = [t for t in self.bout_starts if t - BOUT_LEAD_S > pos + 0.01]
            if later:
                self.seek(max(0.0, later[0] - BOUT_LEAD_S))
        else:
            earlier = [t for t in self.bout_starts if t - BOUT_LEAD_S < pos - 2.0]
            self.seek(max(0.0, earlier[-1] - BOUT_LEAD_S) if earlier else 0.0)

    def handle_key(self, key: QtCore.Qt.Key) -> bool:
        K = QtCore.Qt.Key
        if key == K.Key_Space:
            self.toggle()
        elif key == K.Key_Left:
            self.skip(-SKIP_S)
        elif key == K.Key_Right:
            self.skip(SKIP_S)
        elif key == K.Key_BracketLeft:
            self.jump_bout(False)
        elif key == K.Key_BracketRight:
            self.jump_bout(True)
        elif key in (K.Key_Plus, K.Key_Equal):
            self.step_speed(True)
        elif key == K.Key_Minus:
            self.step_speed(False)
        else:
            return False
        if self.window is not None:
            self.refresh()
        return True

    # --- widgets -----------------------------------------------------------------------
    def bar(self, window: DashboardWindow) -> QtWidgets.QWidget:
        self.window = window
        bar = QtWidgets.QWidget()
        bar.setStyleSheet(
            "QWidget { color: #f2f2f2; font-size: 20px; }"
            "QPushButton { background: #2a2a2a; border: 1px solid #555; padding: 6px 14px; min-width: 56px; }"
            "QComboBox { background: #2a2a2a; padding: 4px 10px; }"
        )
        row = QtWidgets.QHBoxLayout(bar)
        row.setContentsMargins(8, 2, 8, 2)
        self.prev_button = QtWidgets.QPushButton("|◀ bout")
        self.play_button = QtWidgets.QPushButton()
        self.next_button = QtWidgets.QPushButton("bout ▶|")
        self.slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.slider.setRange(0, max(1, int(self.source.duration * 10)))  # tenths of a second
        self.position_label = QtWidgets.QLabel()
        self.speed_box = QtWidgets.QComboBox()
        for s in SPEEDS:
            self.speed_box.addItem(f"{s:g}×", s)
        self.prev_button.clicked.connect(lambda: self.jump_bout(False))
        self.next_button.clicked.connect(lambda: self.jump_bout(True))
        self.play_button.clicked.connect(self.toggle)
        self.slider.sliderPressed.connect(self._hold)
        self.slider.sliderReleased.connect(self._release)
        self.speed_box.activated.connect(lambda i: self.set_speed(float(self.speed_box.itemData(i))))
        for w in (self.prev_button, self.play_button, self.next_button):
            row.addWidget(w)
        row.addWidget(self.slider, 1)
        row.addWidget(self.position_label)
        row.addWidget(self.speed_box)
        self.refresh()
        return bar

    def _hold(self) -> None:
        self._slider_held = True

    def _release(self) -> None:
        self._slider_held = False
        self.seek(self.slider.value() / 10.0)

    def refresh(self) -> None:
        """Bring the widgets up to date with the playback (the window's redraw calls this)."""
        self.play_button.setText("❚❚ pause" if self.playing else "▶ play")
        if not self._slider_held:
            self.slider.blockSignals(True)
            self.slider.setValue(int(self.source.position * 10))
            self.slider.blockSignals(False)
        self.position_label.setText(f"{mmss(math.floor(self.source.position))} / {mmss(math.floor(self.source.duration))}")
        box = self.speed_box
        i = box.findData(self.speed)
        if i < 0:  # a speed given on the command line that is not one of the choices becomes one
            i = sum(box.itemData(k) < self.speed for k in range(box.count()))
            box.insertItem(i, f"{self.speed:g}×", self.speed)
        if i != box.currentIndex():
            box.setCurrentIndex(i)


