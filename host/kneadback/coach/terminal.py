"""The coaching part of the terminal view, readable at a glance:

    rate 46/min SLOW (50-70) | pressure 12.4 N LIGHT (18-24 N) | bout 0:12, 0:18 left | today 2 (3-10) | » Press firmer.

`CoachTerminalView` is the `TerminalView` with these parts first on its status line; it prints
every cue on a line of its own above it, and reads the keys (ratings 0–9, `t` for 10, `m` to
mute, Space to start/stop a bout by hand, `a` for automatic bouts) when stdin is a terminal,
handing ratings and bout controls to the session as user input.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, Protocol

from kneadback.clock import Clock
from kneadback.coach.bouts import BoutSwitch
from kneadback.coach.coach import Coach, CoachState
from kneadback.coach.keys import KeyReader
from kneadback.model import BoutControl, Cue, Event, Rating, SampleBlock
from kneadback.session import LinkStatus
from kneadback.ui.terminal import TerminalView

CUE_SHOWN_S = 6.0  # the latest cue stays on the status line this long
_BOUT_NEWS = {
    ("start", False): "bout started by hand",
    ("stop", False): "bout stopped",
    ("stop", True): "manual bouts: Space starts/stops",
    ("auto", True): "automatic bouts",
}


class _Submitter(Protocol):
    @property
    def now(self) -> float: ...

    def submit(self, event: Event) -> None: ...


def _mmss(seconds: float) -> str:
    s = max(0, int(seconds + 0.5))
    return f"{s // 60}:{s % 60:02d}"


def rate_text(cs: CoachState) -> str:
    lo, hi = cs.targets.rate_band
    if cs.rate_spm is None:
        return f"rate --/min ({lo:g}-{hi:g})"
    word = "SLOW" if cs.rate_spm < lo else "FAST" if cs.rate_spm > hi else "ok"
    return f"rate {cs.rate_spm:.0f}/min {word} ({lo:g}-{hi:g})"


def pressure_text(cs: CoachState) -> str:
    band = cs.pressure_band_n or cs.consistency_band_n
    peak = cs.last_peak_n
    value = "--" if peak is None else f"{peak:.1f}"
    if band is None:
        return f"pressure {value} N (rate it: 0-9, t=10)"
    word = ""
    if peak is not None:
        word = " LIGHT" if peak < band[0] else " HEAVY" if peak > band[1] else " ok"
    if peak is not None and peak > cs.targets.force_ceiling_n:
        word = " TOO HARD"
    what = f"{band[0]:.0f}-{band[1]:.0f} N" if cs.pressure_band_n is not None else f"even: {band[0]:.0f}-{band[1]:.0f} N"
    return f"pressure {value} N{word} ({what})"


def bout_text(cs: CoachState) -> str:
    if cs.holding:
        return "HOLDING: stroke instead"
    if cs.bout_elapsed_s is None:
        return "bout --"
    left = "" if cs.bout_left_s is None else f", {_mmss(cs.bout_left_s)} left"
    paused = "" if cs.bout_active else " paused"
    return f"bout {_mmss(cs.bout_elapsed_s)}{left}{paused}"


def today_text(cs: CoachState) -> str:
    return f"done today {cs.bouts_today} of {cs.targets.bouts_min}-{cs.targets.bouts_max} on {cs.spot}"


def cue_text(cs: CoachState) -> str | None:
    cue = cs.cue
    if cue is None or cs.t - cue.t > CUE_SHOWN_S:
        return "muted" if cs.muted else None
    return f"» {cue.text}" + (" (muted)" if cs.muted else "")


def coach_line(cs: CoachState) -> str:
    parts = (rate_text(cs), pressure_text(cs), bout_text(cs), today_text(cs), cue_text(cs))
    return " | ".join(p for p in parts if p)


class CoachTerminalView(TerminalView):
    """The terminal view with the coaching: status-line parts, cue lines and rating keys."""

    def __init__(self, clock: Clock, out: IO[str] | None, coach: Coach, keys: KeyReader | None = None,
                 *, tty: bool | None = None) -> None:
        super().__init__(clock, out, tty=tty)
        self.coach = coach
        self.keys = keys
        self.session: _Submitter | None = None
        self.add_part(self._part, 0)

    def attach(self, session: _Submitter) -> None:
        """The session that receives the ratings typed here."""
        self.session = session

    def _part(self, status: LinkStatus) -> str:
        return coach_line(self.coach.state)

    def on_events(self, events: Sequence[Event]) -> None:
        super().on_events(events)
        for ev in events:
            if isinstance(ev, Cue):
                self.print_news(f"[{ev.t:8.2f} s] {ev.kind}: {ev.text}")
            elif isinstance(ev, Rating):
                force = "" if ev.force_n is None else f" at {ev.force_n:.1f} N"
                self.print_news(f"[{ev.t:8.2f} s] rated {ev.value}/10 on {ev.spot}{force}")

    def on_block(self, block: SampleBlock) -> None:
        super().on_block(block)
        self.poll_keys()

    def on_status(self, status: LinkStatus) -> None:
        self.poll_keys()
        super().on_status(status)

    def poll_keys(self) -> None:
        if self.keys is None:
            return
        bouts: BoutSwitch | None = getattr(self.session, "bouts", None)
        # several keys in one read: each bout key goes by what the one before it asked
        running, auto = (bouts.running is not None, bouts.auto) if bouts is not None else (False, True)
        for key in self.keys.poll():
            if key.mute:
                self.coach.mute = not self.coach.mute
                self.print_news("sound muted" if self.coach.mute else "sound on")
            elif key.rating is not None and self.session is not None:
                self.session.submit(Rating(t=self.session.now, value=key.rating, spot=self.coach.spot))
            elif (key.bout or key.auto) and self.session is not None and bouts is not None:
                if key.auto:  # `a`: automatic bouts on or off
                    action = "stop" if auto else "auto"
                else:  # Space: a bout by hand, started or stopped
                    action = "stop" if running else "start"
                self.session.submit(BoutControl(t=self.session.now, action=action))
                running, auto = action == "start", action == "auto"
                self.print_news(f"[{self.session.now:8.2f} s] {_BOUT_NEWS[action, key.auto]}")

    def close(self) -> None:
        if self.keys is not None:
            self.keys.close()
        super().close()
