"""Automatic or manual bouts: the one place that decides which bouts a session has.

In automatic mode (the default) the engine's `BoutStarted`/`Bout` pass. The user's `BoutControl`
input switches: `start` and `stop` make bouts by hand (manual mode: the engine's bouts are held
back), `auto` goes back to the engine's. The session runs this between the engine and its sinks
and coach, live and in replay alike; the control is user input, recorded and replayed at its
place in the stream, so a replay re-creates the manual bouts and the coach gives the same cues.

Bouts are numbered in the order they start in the session, whoever made them.
"""

from __future__ import annotations

import collections
import dataclasses
import statistics
from collections.abc import Sequence

from kneadback.model import Bout, BoutControl, BoutStarted, Event, Stroke

_RECENT = 16  # strokes kept for a bout the engine confirms after its first few


class BoutSwitch:
    """Events in, the session's events out: the bouts replaced as the user's control says."""

    def __init__(self) -> None:
        self.auto = True
        self.running: BoutStarted | None = None  # the manual bout under way
        self._index = 0  # the next bout's number
        self._open: tuple[int, BoutStarted] | None = None  # the engine's bout under way: (its index, as passed)
        self._strokes: list[Stroke] = []  # the strokes of the bout under way (manual or automatic)
        self._recent: collections.deque[Stroke] = collections.deque(maxlen=_RECENT)

    def apply(self, events: Sequence[Event]) -> list[Event]:
        out: list[Event] = []
        for ev in events:
            if isinstance(ev, BoutControl):
                out.append(ev)
                out += self._control(ev)
            elif isinstance(ev, BoutStarted):
                if self.auto:
                    started = dataclasses.replace(ev, index=self._index)
                    self._index += 1
                    self._open = (ev.index, started)
                    self._strokes = [s for s in self._recent if s.t_start >= ev.start]
                    out.append(started)
            elif isinstance(ev, Bout):
                if self.auto and self._open is not None and self._open[0] == ev.index:
                    out.append(dataclasses.replace(ev, index=self._open[1].index))
                    self._open = None
            else:
                if isinstance(ev, Stroke):
                    self._recent.append(ev)
                    if self.running is not None or self._open is not None:
                        self._strokes.append(ev)
                out.append(ev)
        return out

    def finish(self, t: float) -> list[Event]:
        """At the end of the session: the manual bout under way ends at `t`."""
        return [self._end(self.running, t)] if self.running is not None else []

    def _control(self, ev: BoutControl) -> list[Event]:
        if ev.action == "auto":
            out: list[Event] = [self._end(self.running, ev.t)] if self.running is not None else []
            self.auto = True
            return out
        self.auto = False
        if ev.action == "start":
            if self.running is not None:
                return []
            # an automatic bout under way gives way: the coach ends it when this one starts
            self._open = None
            self.running = BoutStarted(index=self._index, start=ev.t, t_confirmed=ev.t)
            self._index += 1
            self._strokes = []
            return [self.running]
        if self.running is not None:  # stop
            return [self._end(self.running, ev.t)]
        if self._open is not None:  # stopping the automatic bout under way: it ends here
            return [self._end(self._open[1], ev.t)]
        return []

    def _end(self, started: BoutStarted, t: float) -> Bout:
        strokes = self._strokes
        peaks = [s.t_peak for s in strokes]
        span = peaks[-1] - peaks[0] if len(peaks) >= 2 else 0.0
        rate = 60.0 * (len(peaks) - 1) / span if span > 0 else None
        mean_peak = statistics.fmean(s.peak_n for s in strokes) if strokes else None
        end = max(started.start, t)
        self.running = None
        self._open = None
        self._strokes = []
        return Bout(started.index, started.start, end, end, len(strokes), rate, mean_peak)
