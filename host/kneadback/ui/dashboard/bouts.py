"""Automatic or manual bouts, between the session and the coach.

In automatic mode (the default) the engine's bouts go to the coach untouched. In manual mode the
engine's `BoutStarted`/`Bout` are held back from the coach and the user's own start/stop (the
dashboard's Space key) makes the bouts instead; those go through `Session.submit`, so every
sink (the recorder too) sees them like any other event.
"""

from __future__ import annotations

from collections.abc import Sequence

from kneadback.model import Bout, BoutStarted, Event, Stroke
from kneadback.session import Coach, Session


class BoutControl:
    """Implements the Session's Coach protocol around the real coach."""

    def __init__(self, coach: Coach, session: Session) -> None:
        self.coach = coach
        self.session = session
        self.auto = True
        self.started: BoutStarted | None = None  # the running manual bout
        self._index = 0
        self._peaks: list[tuple[float, float]] = []  # (t_peak, peak_n) of the manual bout's strokes
        self._mine: list[Event] = []  # submitted by us, not yet seen back

    def on_events(self, events: Sequence[Event], now: float) -> list[Event]:
        passed: list[Event] = []
        for ev in events:
            mine = any(ev is m for m in self._mine)
            if mine:
                self._mine = [m for m in self._mine if m is not ev]
            elif isinstance(ev, (BoutStarted, Bout)) and not self.auto:
                continue
            if isinstance(ev, Stroke) and self.started is not None:
                self._peaks.append((ev.t_peak, ev.peak_n))
            passed.append(ev)
        return self.coach.on_events(passed, now)

    def toggle(self) -> None:
        """Start a manual bout, or stop the running one (switching automatic bouts off)."""
        self.auto = False
        if self.started is None:
            self._start()
        else:
            self._stop()

    def set_auto(self, auto: bool) -> None:
        if auto and self.started is not None:
            self._stop()
        self.auto = auto

    def _start(self) -> None:
        now = self.session.now
        self.started = BoutStarted(index=self._index, start=now, t_confirmed=now)
        self._peaks = []
        self._submit(self.started)

    def _stop(self) -> None:
        assert self.started is not None
        now = self.session.now
        times = [t for t, _ in self._peaks]
        rate = 60.0 * (len(times) - 1) / (times[-1] - times[0]) if len(times) >= 2 and times[-1] > times[0] else None
        mean_peak = sum(p for _, p in self._peaks) / len(self._peaks) if self._peaks else None
        bout = Bout(self._index, self.started.start, now, now, len(self._peaks), rate, mean_peak)
        self._index += 1
        self.started = None
        self._submit(bout)

    def _submit(self, ev: Event) -> None:
        self._mine.append(ev)
        self.session.submit(ev)
