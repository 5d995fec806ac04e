"""The coaching part of the terminal view, readable at a glance:

    » Press firmer. | bout 0:12, 0:18 left | rate 46/min SLOW (50-70) | pressure 12.4 N LIGHT (18-24 N) | done today 2 of 3-10 on left calf

`CoachTerminalView` is the `TerminalView` with these fields first on its status line, most
important first (after any link trouble, which outranks them): the cue, the bout's time left (or,
past its length, how far: "1:05 over"), the rate, the pressure; then, with a motion sensor on the
tool, the strokes' direction and length ("strokes one way, 98% same way, 3.4 cm"), the bouts done today and the sound. Each field is coloured by its zone,
as on the dashboard. It prints every cue on a line of its own above the status line, and reads
the keys (ratings 0–9, `t` for 10, `m` to mute, Space to start/stop a bout by hand, `a` for
automatic bouts) when stdin is a terminal, handing ratings and bout controls to the session as
user input.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import IO, Protocol

from kneadback.clock import Clock
from kneadback.coach.bouts import BoutMachine
from kneadback.coach.coach import Coach, CoachState
from kneadback.model import BoutControl, Cue, Event, LinkStatus, Rating, SampleBlock
from kneadback.sink import Sink
from kneadback.ui import motion_words
from kneadback.ui.audio import audible
from kneadback.ui.dashboard import zones
from kneadback.ui.force_words import ForceWords
from kneadback.ui.shown_cue import shown_cue
from kneadback.ui.statusline import Field
from kneadback.ui.terminal import TerminalView, link_part
from kneadback.ui.terminal_keys import KeyReader
from kneadback.words import mmss

CUE_SHOWN_S = 6.0  # the latest cue stays on the status line this long
_BOUT_NEWS = {
    ("start", False): "bout started by hand",
    ("stop", False): "bout stopped",
    ("stop", True): "manual bouts: Space starts/stops",
    ("auto", True): "automatic bouts",
}


class _Session(Protocol):
    @property
    def now(self) -> float: ...

    @property
    def sinks(self) -> list[Sink]: ...

    def submit(self, event: Event) -> None: ...


def cue_field(cs: CoachState) -> Field | None:
    """The latest cue while it is fresh (`kneadback.ui.shown_cue`); its headline when space is short."""
    cue = shown_cue(cs.cue, cs)
    if cue is None or cs.cue is None or cs.t - cs.cue.t > CUE_SHOWN_S:
        return None
    return Field(f"» {cue.text}", f"» {cue.headline}", zones.SEVERITY_ZONE.get(cs.cue.severity, "none"), core=True)


def bout_field(cs: CoachState) -> Field:
    if cs.holding:
        return Field("HOLDING: stroke instead", "HOLDING", "near", core=True)
    if cs.bout_elapsed_s is None:
        return Field("bout --", core=True)
    elapsed = f"bout {mmss(cs.bout_elapsed_s)}"
    left = None if cs.bout_left_s is None else f"{mmss(zones.countdown_s(cs.bout_left_s))} left"
    if cs.overtime_s is not None:  # past its length: by how much
        left = f"{mmss(cs.overtime_s)} over"
    paused = "" if cs.bout_active else " paused"
    zone = zones.countdown_zone(cs.bout_left_s) if cs.bout_active else "none"
    return Field(elapsed + (f", {left}" if left else "") + paused, (left or elapsed) + paused, zone, core=True)


def rate_field(cs: CoachState) -> Field:
    lo, hi = cs.targets.rate_band
    if cs.rate_spm is None:
        return Field(f"rate --/min ({lo:g}-{hi:g})", "--/min", core=True)
    word = "SLOW" if cs.rate_spm < lo else "FAST" if cs.rate_spm > hi else "ok"
    value = f"{cs.rate_spm:.0f}/min {word}"
    return Field(f"rate {value} ({lo:g}-{hi:g})", value, zones.zone(cs.rate_spm, cs.targets.rate_band), core=True)


def pressure_field(cs: CoachState) -> Field:
    """The last peak against the band, in the units the force has (`ForceWords`)."""
    words = ForceWords.of(cs)
    band = cs.pressure_band_n or cs.consistency_band_n
    peak = cs.last_peak_n
    value = words.force(peak)
    limit = words.ceiling_note
    if band is None:
        return Field(f"pressure {value} ({'; '.join(filter(None, ('rate it: 0-9, t=10', limit)))})", value, core=True)
    word = ""
    if peak is not None:
        word = " LIGHT" if peak < band[0] else " HEAVY" if peak > band[1] else " ok"
    if peak is not None and cs.force_ceiling is not None and peak > cs.force_ceiling:
        word = " TOO HARD"
    what = f"{words.number(band[0], 0)}-{words.number(band[1], 0)} {words.unit}"
    what = (what if cs.pressure_band_n is not None else f"even: {what}") + (f", {limit}" if limit else "")
    zone = zones.pressure_zone(peak, band, cs.force_ceiling, cs.holding)
    return Field(f"pressure {value}{word} ({what})", f"{value}{word}", zone, core=True)


def direction_field(cs: CoachState) -> Field | None:
    """With a motion sensor, once the bout has strokes with motion: their pattern and consistency,
    and the last stroke's length and the median, in the words of the dashboard's direction tile."""
    m = cs.stroke_motion
    if m is None or cs.last_excursion_cm is None:
        return None
    words = motion_words.pattern_words(m.pattern)
    zone = zones.direction_zone(m.pattern, m.median_excursion_cm, cs.max_excursion_cm)
    return Field(f"strokes {words}, {motion_words.same_way(m)}, {motion_words.lengths(m, cs.last_excursion_cm)}",
                 f"{words}, median {motion_words.length(m.median_excursion_cm)}", zone, core=True)


def today_field(cs: CoachState) -> Field:
    lo, hi = cs.targets.bouts_min, cs.targets.bouts_max
    return Field(f"done today {cs.bouts_today} of {lo}-{hi} on {cs.spot}", f"today {cs.bouts_today} of {lo}-{hi}",
                 zones.bouts_zone(cs.bouts_today, lo, hi))


def sound_field(cs: CoachState, heard: bool) -> Field | None:
    """Says so when nothing can play (no audio output, or not at 1× speed), or when muted."""
    if not heard:
        return Field("no sound")
    return Field("muted", zone="near") if cs.muted else None


def coach_fields(cs: CoachState, heard: bool = True) -> list[Field]:
    """The coaching fields, most important first (those with nothing to show left out)."""
    fields = (cue_field(cs), bout_field(cs), rate_field(cs), pressure_field(cs), direction_field(cs), today_field(cs),
              sound_field(cs, heard))
    return [f for f in fields if f is not None]


class CoachTerminalView(TerminalView):
    """The terminal view with the coaching: status-line parts, cue lines and rating keys."""

    def __init__(self, clock: Clock, out: IO[str] | None, coach: Coach, keys: KeyReader | None = None,
                 *, tty: bool | None = None, colour: bool | None = None,
                 width: Callable[[], int] | None = None) -> None:
        super().__init__(clock, out, tty=tty, colour=colour, width=width)
        self.coach = coach
        self.keys = keys
        self.session: _Session | None = None
        self.parts.remove(link_part)  # it leads the line here: see `fields`

    def attach(self, session: _Session) -> None:
        """The session that receives the ratings typed here (and whose sinks make the sound)."""
        self.session = session

    @property
    def heard(self) -> bool:
        return self.session is not None and audible(self.session.sinks)

    def fields(self, status: LinkStatus) -> list[Field]:
        """Link trouble (nothing is measured then), the coaching, then the link's details."""
        link = link_part(status)
        return [*([link] if link else []), *coach_fields(self.coach.state, self.heard), *super().fields(status)]

    def on_events(self, events: Sequence[Event]) -> None:
        super().on_events(events)
        for ev in events:
            if isinstance(ev, Cue):
                self.print_news(f"[{ev.t:8.2f} s] {ev.kind}: {ev.text}")
            elif isinstance(ev, Rating):
                force = "" if ev.force_n is None else f" at {ForceWords.of(self.coach.state).force(ev.force_n)}"
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
        bouts: BoutMachine | None = getattr(self.session, "bouts", None)
        # several keys in one read: each bout key goes by what the one before it asked
        running, auto = (bouts.running is not None, bouts.auto) if bouts is not None else (False, True)
        for key in self.keys.poll():
            if key.mute:
                self.coach.mute = not self.coach.mute
                if self.coach.mute:
                    self.print_news("sound muted")
                else:
                    self.print_news("sound on" if self.heard else "sound on, but nothing plays: no audio output, "
                                    "or a speed other than 1")
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
