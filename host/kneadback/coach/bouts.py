"""The session's bouts: one state machine, one record.

A bout is what the user counts ("bout 3 of today") and what `sessions`, `history` and the report
count. Two inputs drive the one machine, `BoutMachine`:
- automatic: the engine's stretches of stroking (its `BoutStarted` and `Bout`, `kneadback.engine.bouts`);
- manual: the user's `BoutControl`: `start` and `stop` make bouts by hand (the engine's stretches
  are then held back), `auto` goes back to the engine's.

Its states and their transitions (all of them in `BoutMachine`):

    idle ──stroking starts, or start──▶ active ──the bout length is reached──▶ overtime
                                         │  ▲                                    │
                          stroking stops │  │ stroking again within `resume_s`   │ stroking stops, or stop
                                         ▼  │                                    ▼
                                        paused ──`resume_s` passes, or stop──▶ ended ──▶ idle

A bout made by hand does not pause: it runs until `stop`. A new start, a spot change and the
session's end also end the bout under way. In overtime the bout is done: when the stroking stops
it ends, it does not pause (`kneadback.coach.coach` reminds the user to rest meanwhile).

Out go the session's events with the engine's stretches replaced by the machine's bouts:
`BoutStarted` as a bout starts, `BoutPhase` as it pauses, resumes or runs into overtime, and `Bout`,
the one record of the bout, as it ends: with its active time, its overtime and whether it counts
toward the day (`counts_toward_today` on its active time: a short try does not). The coach's
"bouts today", the recording, `sessions`, `history` and the report all take the bouts from here.
Time-based transitions are stamped with their exact due time, so the output does not depend on
how the stream is cut into blocks. Bouts are numbered in the order they start, whoever made them.

The session runs one machine between the engine and its sinks and coach, live and in replay
alike; the user's controls are recorded and replayed at their place in the stream, so a replay
makes the same bouts.
"""

from __future__ import annotations

import collections
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from kneadback.coach.rules import Policy
from kneadback.coach.spots import counts_toward_today
from kneadback.coach.targets import Targets
from kneadback.engine.rate import rate_spm
from kneadback.model import Bout, BoutControl, BoutPhase, BoutStarted, Event, SpotChanged, Stroke

_RECENT = 16  # strokes kept for a bout the engine confirms after its first few


def started_phase(ev: BoutStarted) -> BoutPhase:
    """The phase a bout starts in: active from its start, nothing done yet."""
    return BoutPhase(ev.index, "active", ev.start, ev.t_confirmed, 0.0)


def due_at(phase: BoutPhase, active_s: float) -> float:
    """When a bout in `phase` reaches `active_s` of active time, if it stays active."""
    return phase.at + active_s - phase.active_s


def time_left(phase: BoutPhase, bout_s: float, t: float) -> float:
    """The bout's time left at `t`: what the bout timer shows, its "10 s left" and its overtime
    go by (none left once past its length)."""
    return max(0.0, bout_s - phase.active_at(t))


@dataclass
class _Running:
    """The bout under way."""

    started: BoutStarted
    manual: bool
    phase: BoutPhase  # the latest
    stretch: int | None  # the engine's stretch an automatic bout follows while active
    strokes: list[Stroke] = field(default_factory=list)


class BoutMachine:
    """Events in, the session's events out, with the bouts made as described above."""

    def __init__(self, targets: Targets | None = None, policy: Policy | None = None, spot: str | None = None) -> None:
        self.bout_s = (targets or Targets()).bout_s
        self.resume_s = (policy or Policy()).resume_s
        self._first_spot = spot
        self.reset()

    def reset(self) -> None:
        """As built: automatic bouts, none yet (a replay that goes back rebuilds from the start)."""
        self.auto = True
        self._bout: _Running | None = None
        self._index = 0  # the next bout's number
        self._spot = self._first_spot
        self._stretch: int | None = None  # the engine's stretch under way
        self._restart = False  # the spot changed mid-stroking: the next stroke starts a bout
        self._recent: collections.deque[Stroke] = collections.deque(maxlen=_RECENT)
        self._t = 0.0

    @property
    def running(self) -> BoutStarted | None:
        """The bout made by hand under way, if any."""
        return self._bout.started if self._bout is not None and self._bout.manual else None

    @property
    def phase(self) -> BoutPhase | None:
        """The phase of the bout under way, if any."""
        return self._bout.phase if self._bout is not None else None

    def apply(self, events: Sequence[Event], now: float) -> list[Event]:
        """The events, with the bouts made of them, and whatever fell due up to session time `now`."""
        out: list[Event] = []
        for ev in events:
            self._advance(getattr(ev, "t", now), out)
            self._take(ev, out)
        self._advance(now, out)
        return out

    def finish(self, t: float) -> list[Event]:
        """At the end of the session (time `t`): the bout under way ends."""
        out: list[Event] = []
        self._advance(t, out)
        if self._bout is not None:
            self._end(self._bout, self._stop_time(self._bout, t), max(t, self._t), out)
        return out

    # --- the transitions ------------------------------------------------------------------
    def _advance(self, t: float, out: list[Event]) -> None:
        """Time passes: an active bout reaches its length, a pause runs out."""
        b = self._bout
        if b is not None:
            ph = b.phase
            if ph.phase == "active" and (due := due_at(ph, self.bout_s)) <= t:
                b.phase = BoutPhase(ph.index, "overtime", due, max(due, self._t), self.bout_s)
                out.append(b.phase)
            elif ph.phase == "paused" and (due := ph.at + self.resume_s) <= t:
                self._end(b, ph.at, max(due, self._t), out)
        self._t = max(self._t, t)

    def _take(self, ev: Event, out: list[Event]) -> None:
        b = self._bout
        if isinstance(ev, BoutStarted):  # the engine: a stretch of stroking begins
            self._stretch = ev.index
            self._restart = False
            if not self.auto:
                return
            if b is not None and b.phase.phase == "paused" and not b.manual:
                b.stretch = ev.index
                b.strokes += [s for s in self._recent if s.t_start >= ev.start]
                self._set_phase(b, BoutPhase(b.started.index, "active", ev.start, ev.t, b.phase.active_s), out)
                return
            if b is not None:
                self._end(b, self._stop_time(b, ev.start), ev.t, out)
            self._start(ev.start, ev.t, False, out)
        elif isinstance(ev, Bout):  # the engine: the stretch ended
            if ev.index == self._stretch:
                self._stretch = None
            self._restart = False
            if b is None or b.manual or b.stretch != ev.index:
                return
            b.stretch = None
            if b.phase.phase == "overtime":  # done: a rest now ends it
                self._end(b, ev.end, ev.t, out)
            else:
                self._set_phase(b, BoutPhase(b.started.index, "paused", ev.end, ev.t, b.phase.active_at(ev.end)), out)
        elif isinstance(ev, BoutControl):
            out.append(ev)
            self._control(ev, out)
        elif isinstance(ev, SpotChanged):
            if ev.spot and ev.spot != self._spot:
                self._spot = ev.spot
                if b is not None:  # the bout stays with the spot it was done on
                    self._end(b, self._stop_time(b, ev.t), ev.t, out)
                    self._restart = self.auto and self._stretch is not None
            out.append(ev)
        elif isinstance(ev, Stroke):
            self._recent.append(ev)
            out.append(ev)
            if b is not None and b.phase.phase != "paused":
                b.strokes.append(ev)
            elif b is None and self._restart:  # stroking goes on on the new spot: a new bout
                self._restart = False
                self._start(ev.t_start, ev.t, False, out)
        else:
            out.append(ev)

    def _control(self, ev: BoutControl, out: list[Event]) -> None:
        b = self._bout
        self._restart = False
        if ev.action == "auto":
            if b is not None and b.manual:
                self._end(b, ev.t, ev.t, out)
            self.auto = True
            return
        self.auto = False
        if ev.action == "start":
            if b is not None and b.manual:
                return  # already running
            if b is not None:  # an automatic bout under way gives way
                self._end(b, self._stop_time(b, ev.t), ev.t, out)
            self._start(ev.t, ev.t, True, out)
        elif b is not None:  # stop
            self._end(b, self._stop_time(b, ev.t), ev.t, out)

    # --- a start, a phase, the record ------------------------------------------------------
    def _start(self, start: float, t: float, manual: bool, out: list[Event]) -> None:
        started = BoutStarted(self._index, start, t)
        self._index += 1
        strokes = [] if manual else [s for s in self._recent if s.t_start >= start]
        self._bout = _Running(started, manual, started_phase(started), None if manual else self._stretch, strokes)
        out.append(started)

    def _set_phase(self, b: _Running, phase: BoutPhase, out: list[Event]) -> None:
        b.phase = phase
        out.append(phase)

    @staticmethod
    def _stop_time(b: _Running, t: float) -> float:
        """When a bout stopped at `t` ends: a paused one where it paused."""
        return b.phase.at if b.phase.phase == "paused" else t

    def _end(self, b: _Running, end: float, t: float, out: list[Event]) -> None:
        """The record of the bout, ending at `end`, confirmed at `t`."""
        end = max(end, b.started.start)
        active = b.phase.active_at(end)
        strokes = b.strokes
        intervals = [s.interval_s for s in strokes[1:] if s.interval_s is not None]
        out.append(Bout(
            b.started.index, b.started.start, end, t, len(strokes), rate_spm(intervals),
            statistics.fmean(s.peak_n for s in strokes) if strokes else None,
            active_s=active, overtime_s=max(0.0, active - self.bout_s), counted=counts_toward_today(active, self.bout_s),
        ))
        self._bout = None
