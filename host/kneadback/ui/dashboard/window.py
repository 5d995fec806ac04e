"""The dashboard window: it holds a `Session`, steps it from one Qt timer and redraws from
another.

- The step timer reads the source without blocking (`Session.step(timeout=0)`) every few
  milliseconds, so every sample goes through the engine and coach as soon as it arrives.
- The feed (a `Sink`) only stores state; the draw timer repaints at a steady rate whatever the
  data rate. Drawing is throttled, data never is.
- Time comes from the injected clock; tests drive the window with a `ManualClock`.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

from pyqtgraph.Qt import QtCore, QtGui, QtWidgets

from kneadback.clock import Clock
from kneadback.coach.bouts import BoutMachine
from kneadback.coach.coach import Coach
from kneadback.coach.sound import METRONOME_MODES
from kneadback.coach.targets import Targets
from kneadback.fsr import ForceModel
from kneadback.model import BoutControl, Event, Marker, Rating, SpotChanged
from kneadback.session import Session
from kneadback.ui.audio import audible
from kneadback.ui.dashboard import keys
from kneadback.ui.dashboard.feed import DashboardFeed
from kneadback.ui.dashboard.plots import ForceTrace, RateHistory
from kneadback.ui.dashboard.replay import ReplayController
from kneadback.ui.dashboard.status import status_fields, status_html
from kneadback.ui.dashboard.view import DashboardView, build_view
from kneadback.ui.dashboard.widgets import BACKGROUND, BoutsTile, CountdownTile, CueBanner, DirectionTile, PressureTile, RateTile
from kneadback.ui.png import save_png

DRAW_FPS = 36.0  # redraws per second: a margin over the promised floor of 30
STEP_MS = 10  # how often the session is stepped (ms); each redraw steps it too
KEY_NOTE_S = 4.0  # how long the status line confirms what a key did
_LABEL_PX = 20
_FIT_SLACK_PX = 4  # the status line is fitted this much inside its label: rounding



def force_text(model: ForceModel) -> str:
    """The force conversion in a word or two: the calibration's date, or "uncalibrated"
    (the status line's tooltip holds the whole description)."""
    text = model.describe()
    return text.split(":", 1)[0] if text.startswith("calibrated") else "uncalibrated"

class DashboardWindow(QtWidgets.QMainWindow):
    """The live (and, with `replay`, the replay) dashboard around one session."""

    finished = QtCore.Signal()

    def __init__(
        self,
        session: Session,
        clock: Clock,
        *,
        replay: ReplayController | None = None,
        screenshot: Path | None = None,
        fps: float = DRAW_FPS,
        step_ms: int = STEP_MS,
    ) -> None:
        super().__init__()
        self.session = session
        self.clock = clock
        self.coach: Coach | None = session.coach if isinstance(session.coach, Coach) else None
        self.targets = self.coach.targets if self.coach is not None else Targets()
        self.spot = self.coach.spot if self.coach is not None else ""
        self.known_spots = [self.spot] if self.spot else []  # offered by the spot picker
        self.screenshot = screenshot
        self.error: Exception | None = None  # what ended the run early, raised again by the caller
        self.frames = 0
        self.is_finished = False
        self._opened = False
        self._last_key = ("", 0.0)  # what the last key did, and when (clock time)
        self._quitting = False
        self._status_key: tuple[object, ...] = ()  # what the status line was made from
        analyzer = session.analyzer
        self.feed = DashboardFeed(clock, force_model_of=lambda: getattr(analyzer, "force_model", None))
        session.sinks.append(self.feed)

        self.setWindowTitle("kneadback" + (" — replay" if replay is not None else ""))
        self.setStyleSheet(f"QMainWindow, QWidget#central {{ background: {BACKGROUND}; }}")
        central = QtWidgets.QWidget(objectName="central")
        self.setCentralWidget(central)
        self.rate_tile = RateTile()
        self.pressure_tile = PressureTile()
        self.countdown_tile = CountdownTile()
        self.bouts_tile = BoutsTile()
        self.direction_tile = DirectionTile()  # shown once the board says it has a motion sensor
        self.direction_tile.setVisible(False)
        self.cue_banner = CueBanner()
        self.tiles = (self.rate_tile, self.pressure_tile, self.countdown_tile, self.bouts_tile, self.direction_tile,
                      self.cue_banner)
        self.trace = ForceTrace(self.feed)
        self.history = RateHistory(self.feed)
        self.status_label = self._label()
        self.keys_label = self._label()
        self.keys_label.setText(keys.shortcut_line(replay is not None))
        self.keys_label.setWordWrap(True)  # two lines in a narrow window, rather than cut
        self.keys_label.setStyleSheet(f"color: #cfcfcf; font-size: {_LABEL_PX}px; padding: 2px 8px;")

        top = QtWidgets.QHBoxLayout()
        for tile in (self.rate_tile, self.pressure_tile, self.countdown_tile, self.bouts_tile, self.direction_tile):
            top.addWidget(tile, 1)
        plots = QtWidgets.QHBoxLayout()
        plots.addWidget(self.trace, 2)
        plots.addWidget(self.history, 1)
        layout = QtWidgets.QVBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addLayout(top, 9)
        layout.addWidget(self.cue_banner, 4)
        layout.addLayout(plots, 7)
        self.replay = replay
        if replay is not None:
            layout.addWidget(replay.bar(self))
        layout.addWidget(self.status_label)
        layout.addWidget(self.keys_label)
        for w in self.findChildren(QtWidgets.QWidget):
            w.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)

        self.step_timer = QtCore.QTimer(self)
        self.step_timer.setInterval(step_ms)
        self.step_timer.timeout.connect(self.pump)
        self.draw_timer = QtCore.QTimer(self)
        self.draw_timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
        self.draw_timer.setInterval(max(1, round(1000.0 / fps)))
        self.draw_timer.timeout.connect(self._timed_redraw)

    def _label(self) -> QtWidgets.QLabel:
        label = QtWidgets.QLabel()
        label.setTextFormat(QtCore.Qt.TextFormat.RichText)
        label.setStyleSheet(f"color: #f2f2f2; font-size: {_LABEL_PX}px; padding: 2px 8px;")
        label.ensurePolished()  # its font is the style sheet's from now on: the status line is measured in it
        label.setMinimumWidth(1)  # a long line is cut at the window's edge, never widens it
        label.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)
        return label

    # --- running -------------------------------------------------------------------------
    def start(self, timers: bool = True) -> None:
        """Open the session and (unless a test drives it by hand) start both timers."""
        if not self._opened:
            self.session.open()
            self._opened = True
        self.redraw()
        if timers:
            self.step_timer.start()
            self.draw_timer.start()

    def pump(self) -> None:
        """Step the session once (non-blocking); finish when it is done."""
        if self.is_finished:
            return
        try:
            self.session.step(timeout=0.0)
        except Exception as e:  # a lost port, a bad file, or a bug: end the run and report it
            self.error = e
            self.finish()
            return
        if self.replay is not None and self.session.source.finished and not self._quitting and self.replay.keep_open:
            self.replay.play(False)  # the end of a replay: stay, paused, to look back
            return
        if self.session.done:
            self.finish()

    def restart_at(self, t: float) -> None:
        """A replay seek: the session goes on from session time `t` as it was then, and the
        picture starts afresh there, with the history before it (the feed's `on_history`)."""
        self.session.restart_at(t)
        self.redraw()

    def finish(self) -> None:
        """End the run: draw the last picture, save the screenshot, close the session."""
        if self.is_finished:
            return
        self.is_finished = True
        self.step_timer.stop()
        self.draw_timer.stop()
        try:
            self.redraw()
            if self.screenshot is not None:  # the last live moment, before closing ends the bout
                self.save_screenshot(self.screenshot)
            if self._opened:
                self.session.close()
            self.redraw()
        except Exception as e:
            self.error = self.error or e
        finally:
            self.finished.emit()

    def save_screenshot(self, path: Path) -> None:
        """The window as a PNG at `path`, written as `outfile` writes (into a folder that exists)."""
        save_png(self.grab(), path)

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        self._quitting = True
        self.finish()
        event.accept()

    # --- drawing -------------------------------------------------------------------------
    def view(self) -> DashboardView:
        return build_view(
            self.feed,
            getattr(self.session.analyzer, "state", None),
            self.coach.state if self.coach is not None else None,
            self.targets,
            self.spot,
            auto_bouts=self.bouts.auto,
        )

    def _timed_redraw(self) -> None:
        self.pump()  # the freshest samples go into the frame
        if self.is_finished:
            return
        try:
            self.redraw()
        except Exception as e:  # a bug: stop, rather than fail again every frame
            self.error = e
            self.finish()

    def redraw(self) -> None:
        """Bring every widget up to date with the feed (what the draw timer calls)."""
        if self.coach is not None:
            self.spot = self.coach.spot  # spot changes also arrive from the source (a replay, a simulation)
            if self.spot not in self.known_spots:
                self.known_spots.append(self.spot)
        v = self.view()
        if self.direction_tile.isVisibleTo(self) != v.motion_shown:
            self.direction_tile.setVisible(v.motion_shown)
        for tile in self.tiles:
            tile.show_view(v)
        self.trace.refresh(v)
        self.history.refresh(v)
        self._show_status(v)
        if self.replay is not None:
            self.replay.refresh()
        self.frames += 1

    def _show_status(self, v: DashboardView) -> None:
        """The status line, fitted to the label's width; remade only when something in it changed
        (measuring the text costs more than the rest of a frame)."""
        fields = status_fields(v, silent=self.feed.status.state == "silent", heard=audible(self.session.sinks),
                               force=force_text(self.feed.force_model), rating=self.feed.rating,
                               replay=self.replay is not None)
        text, at = self._last_key
        note = text if text and self.clock.now() - at <= KEY_NOTE_S else ""  # what the last key did, for a moment
        # a hidden window is not laid out yet: nothing to fit, the whole line is kept
        width = self.status_label.contentsRect().width() - _FIT_SLACK_PX if self.isVisible() else math.inf
        key = (note, tuple(fields), width)
        if key != self._status_key:
            self._status_key = key
            self.status_label.setText(status_html(note, fields, width, self.status_label.font()))
            self.status_label.setToolTip(f"force: {self.feed.force_model.describe()}")

    # --- user input ----------------------------------------------------------------------
    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:
        if not self.handle_key(QtCore.Qt.Key(event.key())):
            super().keyPressEvent(event)

    def handle_key(self, key: QtCore.Qt.Key) -> bool:
        """Act on a shortcut; False when the key is not one."""
        K = QtCore.Qt.Key
        if self.replay is not None and self.replay.handle_key(key):
            return True
        if key in (K.Key_F, K.Key_F11):
            self.setWindowState(self.windowState() ^ QtCore.Qt.WindowState.WindowFullScreen)
        elif key == K.Key_Escape and self.isFullScreen():
            self.showNormal()
        elif key == K.Key_Q:
            self._quitting = True
            self.session.stop()
        elif key == K.Key_M:
            self.toggle_mute()
        elif self.replay is not None:
            return False
        elif key in keys.RATING_KEYS:
            self.rate(keys.RATING_KEYS[key])
        elif key == K.Key_B:
            self.mark()
        elif key == K.Key_P:
            self.pick_spot()
        elif key == K.Key_K:
            self.cycle_metronome()
        elif key == K.Key_Space:
            self.toggle_bout()
        elif key == K.Key_A:
            self.toggle_auto_bouts()
        else:
            return False
        return True

    def _note(self, text: str) -> None:
        self._last_key = (text, self.clock.now())

    def rate(self, value: int) -> None:
        now = self.session.now
        rating = Rating(t=now, value=value, spot=self.spot)
        event: Event
        if self.coach is not None:
            event = self.coach.prepare_input(rating)  # the coach pairs it with the recent strokes
        else:
            event = dataclasses.replace(rating, force_n=self.feed.recent_peak_n(now))
        self.session.submit(event)
        self._note(f"rated {value}/10")

    def mark(self) -> None:
        n = len(self.feed.markers) + 1
        self.session.submit(Marker(t=self.session.now, label=f"marker {n}"))
        self._note(f"marker {n} set")

    def choose_spot(self, spot: str) -> None:
        spot = spot.strip()
        if not spot or spot == self.spot:
            return
        self.spot = spot
        if spot not in self.known_spots:
            self.known_spots.append(spot)
        self.session.submit(SpotChanged(t=self.session.now, spot=spot))
        self._note(f"spot: {spot}")

    def pick_spot(self) -> None:
        """Ask for the spot in a small non-blocking dialog (a list of known spots, or type one)."""
        dialog = QtWidgets.QInputDialog(self)
        dialog.setWindowTitle("Spot")
        dialog.setLabelText("Which spot are you working?")
        dialog.setComboBoxEditable(True)
        dialog.setComboBoxItems(self.known_spots or ["left calf"])
        dialog.setTextValue(self.spot)
        dialog.setStyleSheet("font-size: 24px;")
        dialog.textValueSelected.connect(self.choose_spot)
        dialog.open()
        self.spot_dialog = dialog

    def toggle_mute(self) -> None:
        if self.coach is not None:
            self.coach.mute = not self.coach.mute
            self._note("muted" if self.coach.mute else "sound on")

    def cycle_metronome(self) -> None:
        if self.coach is not None:
            modes = METRONOME_MODES
            self.coach.metronome = modes[(modes.index(self.coach.metronome) + 1) % len(modes)]
            self._note(f"metronome {self.coach.metronome}")

    @property
    def bouts(self) -> BoutMachine:
        """The session's automatic or manual bouts."""
        return self.session.bouts

    def toggle_bout(self) -> None:
        """Start a bout by hand, or stop the one under way (switching automatic bouts off)."""
        action = "stop" if self.bouts.running is not None else "start"
        self.session.submit(BoutControl(t=self.session.now, action=action))
        self._note("bout started" if action == "start" else "bout stopped")

    def toggle_auto_bouts(self) -> None:
        auto = not self.bouts.auto
        self.session.submit(BoutControl(t=self.session.now, action="auto" if auto else "stop"))
        self._note("automatic bouts" if auto else "manual bouts: Space starts/stops")

