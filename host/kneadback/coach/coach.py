"""The coach: the session's events in, cues out, for one spot at a time.

The coach judges the rhythm, the pressure and static holds stroke by stroke (and, with a motion
sensor on the tool, the strokes' direction and length), asks for discomfort
ratings and keeps the scores; the bout life cycle it follows is the bout machine's
(`kneadback.coach.bouts`), which runs ahead of it in the session and hands it each bout's start,
phases and record. Every number it decides by is a named field of `Policy`.

Every cue is stamped with the session time it is due at, and time-based cues (bout timer, rest
reminders, hold limit) fire at their exact due time as soon as the session has moved past it, so
the cues do not depend on how the stream was chunked, and a replay gives the same cues as the
live session. Wall-clock dates ("bouts today") come from `wall_start` (Unix seconds at session time
0) plus session time; the coach never reads a clock.

Safety (`too-hard`) goes by the force's trust (`kneadback.coach.ceiling`): the user's absolute
ceiling for a calibrated force, else a multiple of their own, so a guessed scale never loops it.

In overtime (a bout past its length, still stroking) the coach reminds the user every
`Policy.overtime_remind_s` that the bout is done, and asks for no more work: "firmer", "faster"
and praise (`HELD_IN_OVERTIME`) wait for the next bout, so nothing sounds like encouragement to go
on. What lowers the load goes on as in the bout: safety, holds, "ease off", "slower"; and so do
the requests for a rating, which ask for no more work and keep the pressure band honest.
"""

from __future__ import annotations

import collections
import copy
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from kneadback.coach import discomfort
from kneadback.coach.bouts import BoutMachine, due_at, started_phase, time_left
from kneadback.coach.ceiling import Ceiling
from kneadback.coach.judges import Direction, Pressure, Rhythm
from kneadback.coach.rules import Gate, Policy
from kneadback.coach.score import Score, ScoreKeeper
from kneadback.coach.spots import MemorySpotHistory, SpotHistory, counts_toward_today, day_of
from kneadback.coach.targets import Targets
from kneadback.cues import CUES
from kneadback.engine.bouts import BoutParams
from kneadback.engine.motion import BoutMotion, bout_motion
from kneadback.fsr import ForceModel, trust_of
from kneadback.model import (
    Bout,
    BoutPhase,
    BoutPhaseName,
    BoutStarted,
    ContactChanged,
    Cue,
    Event,
    HoldEnded,
    HoldStarted,
    Rating,
    SpotChanged,
    Stroke,
    StrokeMotion,
)

_RECENT = 8  # strokes kept for pairing a rating and for a bout confirmed after its first strokes
_STRETCH = BoutParams()  # the engine's pause rule: the rate shown lapses when the engine's does
HELD_IN_OVERTIME = frozenset({"faster", "press-harder", "good-rhythm", "good-strokes"})  # they ask for more work


@dataclass
class _Bout:
    """The bout under way, as the bout machine last reported it, and what was said in it."""

    phase: BoutPhase
    strokes: int = 0
    fired: set[str] = field(default_factory=set)  # timer cues given
    reminders: int = 0  # rest reminders due so far in overtime
    asked: bool = False
    clean_praised: bool = False

    @property
    def running(self) -> bool:
        return self.phase.phase != "paused"

    @property
    def overtime(self) -> bool:
        return self.phase.phase == "overtime"

    def elapsed(self, t: float) -> float:
        return self.phase.active_at(t)


@dataclass
class _Hold:
    since: float  # when the static pressure began
    known: float  # when the engine confirmed it
    hard: bool  # above the force ceiling
    cued: float | None = None  # the last "dont-hold"


@dataclass(frozen=True)
class CoachState:
    t: float
    targets: Targets
    spot: str
    rate_spm: float | None  # the stroke rate (`kneadback.engine.rate`): the one the report shows
    last_peak_n: float | None
    pressure_band_n: tuple[float, float] | None  # the 7/10 band; None until enough ratings
    consistency_band_n: tuple[float, float] | None  # around the recent median (before ratings)
    ratings: int
    cue: Cue | None  # the latest cue
    bout_active: bool  # a bout runs (active or in overtime)
    bout_elapsed_s: float | None  # None with no bout; a paused one keeps its time while it may resume
    bout_left_s: float | None
    bouts_today: int
    holding: bool
    rhythm_off: bool  # what the "auto" metronome follows
    bout_score: Score
    session_score: Score
    metronome: str  # "auto" (only while the rhythm is off), "on", "off"
    muted: bool
    bout_phase: BoutPhaseName | None = None  # None with no bout
    overtime_s: float | None = None  # how far past its length the bout under way is, once it is
    # how far the force can be trusted (`kneadback.coach.ceiling`): this state's forces are in its units
    force_trust: str = "calibrated"
    force_ceiling: float | None = None  # the safety ceiling in those units; None until a relative one has a reference
    relative_ceiling: float | None = None  # the ceiling's multiple of the user's own force, while relative
    # with a motion sensor: how the bout's strokes moved so far, and the last stroke's excursion
    stroke_motion: BoutMotion | None = None
    last_excursion_cm: float | None = None
    max_excursion_cm: float = Policy.max_excursion_cm  # "short": `Policy.max_excursion_cm`

    @property
    def pressure_mode(self) -> str:
        return "band" if self.pressure_band_n is not None else "consistency"


class Coach:
    """Implements the Session's Coach protocol."""

    def __init__(
        self,
        targets: Targets | None = None,
        spot: str = "default",
        history: SpotHistory | None = None,
        wall_start: float = 0.0,
        *,
        policy: Policy | None = None,
        metronome: str = "auto",
        mute: bool = False,
    ) -> None:
        if metronome not in ("auto", "on", "off"):
            raise ValueError(f"metronome must be auto, on or off, not {metronome!r}")
        self.targets = targets or Targets()
        self.history: SpotHistory = history if history is not None else MemorySpotHistory()
        self.wall_start = float(wall_start)
        self.policy = policy or Policy()
        self.metronome = metronome
        self.mute = mute
        self._first_spot = spot
        self._history_before: SpotHistory | None = None  # a copy from before this coach first added to it
        # the engine's force model (the session sets it): its trust decides the safety ceiling
        self.force_model_of: Callable[[], ForceModel | None] = lambda: None
        self._start(spot)

    def bout_machine(self) -> BoutMachine:
        """The bout machine the session runs ahead of this coach: its bout length and resume time,
        and its first spot."""
        return BoutMachine(self.targets, self.policy, self._first_spot)

    def reset(self) -> None:
        """Back to the state the coach was built in: its first spot, nothing seen, and the spot
        history as it was before this coach added to it (a replay that goes back in time rebuilds
        from the start, see `Session.restart_at`). The sound settings are the user's and stay."""
        if self._history_before is not None:
            self.history = copy.deepcopy(self._history_before)
        self._start(self._first_spot)

    def _start(self, spot: str) -> None:
        """Every piece of session state, as at the start."""
        p = self.policy
        self.spot = spot
        self._day = day_of(self._wall(0.0))
        self._gate = Gate(p)
        self._t = 0.0
        self._rhythm = Rhythm(p)
        self._pressure = Pressure(p)
        self._direction = Direction(p)
        self._ceiling = Ceiling(p, self.targets.force_ceiling_n)
        self._recent: collections.deque[tuple[Stroke, int | None, int | None]] = collections.deque(maxlen=_RECENT)
        self._prev: Stroke | None = None
        self._rate_spm: float | None = None  # the last stroke's rate, until the stroking pauses
        self._bout: _Bout | None = None
        self._scores = ScoreKeeper(self.targets.bout_s, p.max_excursion_cm)
        self._hold: _Hold | None = None
        self._last_rating_t = float("-inf")
        self._last_rated_force: float | None = None
        self._bouts_unrated = 0  # bouts begun on this spot since its last rating
        self._rated_this_session: dict[str, int] = {}  # spot → ratings given this session
        self._latest: Cue | None = None
        self._off_since: float | None = None  # the tool is off the skin since
        self._lift_cued = False
        self._set_spot(spot)

    # --- the Session's protocol -------------------------------------------------------
    def on_events(self, events: Sequence[Event], now: float) -> list[Event]:
        out: list[Cue] = []
        self._check_trust()
        for ev in events:
            self._advance(min(getattr(ev, "t", now), now), out)
            self._handle(ev, out)
        self._advance(now, out)
        return list(out)

    def prepare_input(self, event: Event) -> Event:
        """Complete user input before it is recorded: a rating gets its spot and paired force."""
        if isinstance(event, Rating):
            force = event.force_n if event.force_n is not None else self._paired_force(event.t)
            return replace(event, spot=event.spot or self.spot, force_n=force)
        return event

    def metronome_on(self) -> bool:
        """Whether the metronome should tick now: always, never, or while the rhythm is off."""
        if self.mute or self.metronome == "off":
            return False
        return self.metronome == "on" or self._rhythm_off()

    def _rhythm_off(self) -> bool:
        return self._hold is not None or self._rhythm.verdict in (-1, 1)

    @property
    def state(self) -> CoachState:
        b = self._bout
        elapsed = b.elapsed(self._t) if b is not None else None
        bout_s = self.targets.bout_s
        return CoachState(
            t=self._t,
            targets=self.targets,
            spot=self.spot,
            rate_spm=self._rate_spm,
            last_peak_n=self._prev.peak_n if self._prev is not None else None,
            pressure_band_n=self._pressure.band,
            consistency_band_n=self._pressure.consistency_band(),
            ratings=self._rating_count,
            cue=self._latest,
            bout_active=b is not None and b.running,
            bout_elapsed_s=elapsed,
            bout_left_s=None if b is None else time_left(b.phase, bout_s, self._t),
            bouts_today=self._bouts_today,
            holding=self._hold is not None,
            rhythm_off=self._rhythm_off(),
            bout_score=self._scores.running(elapsed) if elapsed is not None else self._scores.last,
            session_score=self._scores.session_score(elapsed),
            metronome=self.metronome,
            muted=self.mute,
            bout_phase=b.phase.phase if b is not None else None,
            overtime_s=max(0.0, elapsed - bout_s) if b is not None and b.overtime and elapsed is not None else None,
            force_trust=self._ceiling.trust,
            force_ceiling=self._ceiling.value,
            relative_ceiling=self.policy.relative_ceiling if self._ceiling.relative else None,
            stroke_motion=bout_motion(self._direction.bout) if self._direction.bout else None,
            last_excursion_cm=self._direction.last.excursion_cm if self._direction.last is not None else None,
            max_excursion_cm=self.policy.max_excursion_cm,
        )

    def scores(self) -> tuple[list[Score], Score]:
        """Every bout's score so far (the running one last) and the session score."""
        elapsed = self._bout.elapsed(self._t) if self._bout is not None else None
        bouts = list(self._scores.bouts)
        if elapsed is not None:
            bouts.append(self._scores.running(elapsed))
        return bouts, self._scores.session_score(elapsed)

    # --- events ------------------------------------------------------------------------
    def _handle(self, ev: Event, out: list[Cue]) -> None:
        if isinstance(ev, Stroke):
            self._on_stroke(ev, out)
        elif isinstance(ev, StrokeMotion):
            self._on_motion(ev, out)
        elif isinstance(ev, BoutStarted):
            self._on_bout_started(ev, out)
        elif isinstance(ev, BoutPhase):
            self._on_bout_phase(ev, out)
        elif isinstance(ev, Bout):
            self._on_bout_end(ev, out)
        elif isinstance(ev, HoldStarted):
            self._hold = _Hold(ev.start, ev.t, self._ceiling.above(ev.mean_n))
            if self._hold.hard and self._gate.allows("too-hard", ev.t):
                self._cue("too-hard", ev.t, out)  # pressing still, and too hard: safety first
            self._advance(ev.t, out)
        elif isinstance(ev, HoldEnded):
            self._end_hold(ev.end)
        elif isinstance(ev, ContactChanged):
            self._on_contact(ev)
        elif isinstance(ev, Rating):
            self._on_rating(ev)
        elif isinstance(ev, SpotChanged) and ev.spot and ev.spot != self.spot:
            self._set_spot(ev.spot)

    def _on_stroke(self, s: Stroke, out: list[Cue]) -> None:
        t = s.t
        b = self._bout
        if self._hold is not None:
            self._end_hold(s.t_start)
        # safety first: at once, then every `safety_repeat_s` while strokes stay too hard
        if self._ceiling.above(s.peak_n) and self._gate.allows("too-hard", t):
            self._cue("too-hard", t, out)
        self._ceiling.stroke(s.peak_n)
        self._rate_spm = s.rate_spm
        rv = self._rhythm.stroke(self._prev, s, self.targets.rate_band)
        pv = self._pressure.stroke(s.peak_n)
        self._recent.append((s, rv, pv))
        self._prev = s
        in_bout = b is not None and b.running
        self._scores.stroke(rv, pv, bout=in_bout)
        if b is not None and in_bout:
            b.strokes += 1
        # one correction at most per stroke: rhythm before pressure; in overtime, none that asks for more
        band = self._pressure.band
        for rule, far in ((self._rhythm.rule, self._far(self._rhythm.spm, self.targets.rate_band)),
                          (self._pressure.rule, band is not None and self._far(s.peak_n, band))):
            kind = rule.due(self.policy.streak)
            if kind is None or self._held(kind) or not self._gate.allows(kind, t):
                continue
            self._cue(kind, t, out, far=far)
            rule.reset()
            if rule is self._rhythm.rule:
                self._rhythm.corrected = True
            else:
                self._pressure.corrected(kind)
            break
        else:
            self._maybe_praise(t, out)
            self._maybe_ask(t, out)

    def _on_motion(self, m: StrokeMotion, out: list[Cue]) -> None:
        """A stroke's direction and length (only with a motion sensor). Its corrections come after
        rhythm and safety: none while the rhythm is off, a hold lasts or a rhythm or pressure
        correction is due; the gate spaces them from every other correction."""
        d = self._direction
        d.stroke(m)
        if self._bout is not None and self._bout.running:
            self._scores.motion(m)
        if self._hold is not None or self._rhythm.verdict in (-1, 1):
            return
        if self._rhythm.rule.due(self.policy.streak) or self._pressure.rule.due(self.policy.streak):
            return
        for rule in (d.way, d.length):
            kind = rule.due(self.policy.streak)
            if kind is not None and self._gate.allows(kind, m.t):
                self._cue(kind, m.t, out)
                rule.reset()
                d.corrected = True
                return
        if d.corrected and d.ok >= self.policy.praise_after_correction and not self._held("good-strokes"):
            if self._gate.allows("good-strokes", m.t):
                self._cue("good-strokes", m.t, out)
            d.corrected = False

    def _held(self, kind: str) -> bool:
        """Whether a cue waits for the next bout: one that asks for more work, in overtime."""
        return self._bout is not None and self._bout.overtime and kind in HELD_IN_OVERTIME

    def _far(self, value: float | None, band: tuple[float, float]) -> bool:
        f = self.policy.far
        return value is not None and (value < band[0] * (1 - f) or value > band[1] * (1 + f))

    def _maybe_praise(self, t: float, out: list[Cue]) -> None:
        p = self.policy
        rhythm = self._rhythm
        if self._held("good-rhythm"):
            return
        if rhythm.corrected and rhythm.rule.ok >= p.praise_after_correction:
            if self._gate.allows("good-rhythm", t):
                self._cue("good-rhythm", t, out)
            rhythm.corrected = False
        elif (
            self._bout is not None
            and not self._bout.clean_praised
            and rhythm.rule.ok >= p.praise_clean_run
            and t - self._gate.last_correction >= p.praise_clean_run * self.targets.stroke_period_s
            and self._gate.allows("good-rhythm", t)
        ):
            self._bout.clean_praised = True
            self._cue("good-rhythm", t, out)

    def _maybe_ask(self, t: float, out: list[Cue]) -> None:
        p = self.policy
        b = self._bout
        if b is None or not b.running or b.strokes < p.ask_after_strokes or t - self._last_rating_t < p.ask_after_rating_s:
            return
        if t - self._gate.last.get("rate-discomfort", float("-inf")) < p.ask_gap_s:
            return
        curve = self._curve
        if not discomfort.usable(curve):
            # once a bout; again only if the last request was answered
            due = not b.asked or self._last_rating_t >= self._gate.last.get("rate-discomfort", float("inf"))
        elif (
            self._rated_this_session.get(self.spot, 0) < p.ask_per_session  # a few fresh ones every session
            or self._bouts_unrated >= p.ask_every_bouts  # tenderness changes as a knot releases
            or self._pressure_moved()  # the last rating was at another pressure: how is this one?
        ):
            due = not b.asked
        else:
            # the band is extrapolated and the user has reached it: ask to check it
            due = curve is not None and not curve.covers(self.targets.discomfort) and self._pressure.rule.ok >= p.ask_band_ok
        if due and self._gate.allows("rate-discomfort", t):
            b.asked = True
            self._cue("rate-discomfort", t, out)

    def _pressure_moved(self) -> bool:
        """The recent strokes press more than `ask_moved` apart from the last rated force."""
        return self._last_rated_force is not None and self._pressure.moved_from(self._last_rated_force)

    # --- the bout machine's news --------------------------------------------------------
    def _on_bout_started(self, ev: BoutStarted, out: list[Cue]) -> None:
        self._finish_bout()
        self._bout = _Bout(started_phase(ev))
        self._bouts_unrated += 1
        self._rhythm.rule.ok = 0  # praise is earned within the bout
        self._rhythm.intervals.clear()
        self._pressure.restart()  # consistency is kept within a bout
        self._direction.restart()
        self._count_recent(ev.start)
        n = self._bouts_today + 1
        if n > self.targets.bouts_max:  # a bout over the limit: said once as it starts
            self._cue("daily-limit", ev.t, out, n=self._bouts_today, spot=self.spot)
        else:
            self._cue("bout-count", ev.t, out, n=n, spot=self.spot)

    def _count_recent(self, since: float) -> None:
        """The bout's strokes from `since` that came before the machine said so (the engine
        confirms a stretch of stroking after its first strokes)."""
        assert self._bout is not None
        for s, rv, pv in self._recent:
            if s.t_start >= since:
                self._scores.stroke(rv, pv, session=False)  # (the session counted it as it came)
                self._bout.strokes += 1

    def _on_bout_phase(self, ev: BoutPhase, out: list[Cue]) -> None:
        b = self._bout
        if b is None or ev.index != b.phase.index:
            return
        b.phase = ev
        if ev.phase == "active":  # resumed: its strokes so far
            self._count_recent(ev.at)
        elif ev.phase == "overtime":
            b.fired.add("bout-done")
            self._cue("bout-done", max(ev.at, self._t), out)
            self._limit_reached(b, self._bouts_today + 1, max(ev.at, self._t), out)
        elif counts_toward_today(ev.active_s, self.targets.bout_s):  # paused, and it counts whatever comes
            self._limit_reached(b, self._bouts_today + 1, ev.t, out)

    def _on_bout_end(self, ev: Bout, out: list[Cue]) -> None:
        b = self._bout
        if b is None or ev.index != b.phase.index:
            return
        active = ev.active_s if ev.active_s is not None else ev.duration  # (recorded before bouts had it)
        counted = ev.counted if ev.counted is not None else counts_toward_today(active, self.targets.bout_s)
        bout_score = self._finish_bout(active)
        if counted:
            self._keep_history()
            self.history.add_bout(self.spot, self._wall(ev.end), active, ev.strokes, bout_score.value)
            self._bouts_today += 1
            self._limit_reached(b, self._bouts_today, ev.t, out)

    def _limit_reached(self, b: _Bout, done: int, t: float, out: list[Cue]) -> None:
        """Say `daily-limit` once, as the bout that brings the day's count to the limit is done:
        at its `bout-done`, or as it pauses or ends if it counts without reaching that."""
        if done == self.targets.bouts_max and "daily-limit" not in b.fired:
            b.fired.add("daily-limit")
            self._cue("daily-limit", t, out, n=done, spot=self.spot)

    def _finish_bout(self, active_s: float | None = None) -> Score:
        """The bout under way is over (`active_s`: its active time, by its record)."""
        b = self._bout
        if b is None:
            return self._scores.last
        self._bout = None
        return self._scores.finish(b.elapsed(self._t) if active_s is None else active_s)

    # --- other input ----------------------------------------------------------------------
    def _on_contact(self, ev: ContactChanged) -> None:
        self._off_since = None if ev.on else ev.at
        self._lift_cued = False
        if not ev.on and self._hold is not None:
            self._end_hold(ev.at)

    def _on_rating(self, r: Rating) -> None:
        r = self.prepare_input(r)  # type: ignore[assignment]
        spot = r.spot or self.spot
        self._keep_history()
        self.history.add_rating(spot, self._wall(r.t), int(r.value), r.force_n)
        self._rated_this_session[spot] = self._rated_this_session.get(spot, 0) + 1
        if spot == self.spot:
            self._last_rating_t = r.t
            self._bouts_unrated = 0
            if r.force_n is not None:
                self._last_rated_force = r.force_n
            self._refit(r.t)

    def _end_hold(self, end: float) -> None:
        if self._hold is None:
            return
        self._scores.hold(max(0.0, end - self._hold.since))
        self._hold = None

    # --- time ---------------------------------------------------------------------------
    def _advance(self, t: float, out: list[Cue]) -> None:
        """Fire every time-based cue due up to `t`, each at its own due time."""
        if t < self._t:
            return
        if day_of(self._wall(t)) != self._day:  # past midnight: a new day's count
            self._day = day_of(self._wall(t))
            self._bouts_today = self.history.bouts_on(self.spot, self._day)
        p = self.policy
        due: list[tuple[float, str]] = []
        b = self._bout
        if b is not None and b.phase.phase == "active" and "ten-seconds-left" not in b.fired:
            at = self.targets.bout_s - p.warn_before_end_s
            if at > 0 and b.elapsed(t) >= at:
                due.append((due_at(b.phase, at), "ten-seconds-left"))
        if b is not None and b.overtime:  # remind while the stroking goes on
            at = b.phase.at + (b.reminders + 1) * p.overtime_remind_s
            while at <= t:
                b.reminders += 1
                if self._prev is not None and at - self._prev.t_confirmed <= p.rhythm_break_s:
                    due.append((at, "overtime"))
                at += p.overtime_remind_s
        if self._off_since is not None and not self._lift_cued and b is not None and not b.overtime:
            at = self._off_since + p.lift_off_s
            # this lift-off interrupts the bout (not a rest after a bout that ended before)
            interrupts = b.running or b.phase.at >= self._off_since - p.lift_off_pause_s
            if at <= t and interrupts and b.elapsed(at) >= p.lift_off_min_bout_s:
                due.append((at, "lift-off"))
        hold = self._hold
        if hold is not None:
            at = max(hold.since + self.targets.hold_max_s, hold.known) if hold.cued is None else hold.cued + p.hold_repeat_s
            if at <= t:
                due.append((at, "dont-hold"))
        if hold is not None and hold.hard:  # a hold too hard: again every `safety_repeat_s` while it lasts
            at = self._gate.last["too-hard"] + p.safety_repeat_s  # given or gated as it began
            while at <= t:
                due.append((at, "too-hard"))
                at += p.safety_repeat_s
        for at, kind in sorted(due):
            at = max(at, self._t)
            if kind == "dont-hold":
                assert hold is not None
                hold.cued = at
            elif kind == "lift-off":  # off the skin, mid-bout: the bout is paused
                self._lift_cued = True
            elif kind == "ten-seconds-left":
                assert b is not None
                b.fired.add(kind)
            self._cue(kind, at, out)
        self._t = t
        if self._prev is not None:
            self._rhythm.lapse(t, self._prev.t_peak)
            if self._rate_spm is not None and t - self._prev.t_peak > _STRETCH.pause_after_s(60.0 / self._rate_spm):
                self._rate_spm = None

    # --- helpers ----------------------------------------------------------------------
    def _cue(self, kind: str, t: float, out: list[Cue], far: bool = False, **fields: object) -> None:
        entry = CUES[kind]  # its consistency wording while the spot has no rated band
        cue = Cue(t=t, kind=kind, severity=entry.severity, text=entry.text_for(consistency=self._pressure.band is None, far=far, **fields))
        self._gate.given(kind, t)
        self._latest = cue
        out.append(cue)

    def _keep_history(self) -> None:
        """Before the first addition of the session: keep a copy of the history, for `reset`."""
        if self._history_before is None:
            self._history_before = copy.deepcopy(self.history)

    def _wall(self, t: float) -> float:
        return self.wall_start + t

    def _paired_force(self, t: float) -> float | None:
        p = self.policy
        peaks = [s.peak_n for s, _rv, _pv in self._recent if t - p.pair_window_s <= s.t_peak <= t + p.pair_after_s]
        return float(statistics.median(peaks[-p.pair_strokes:])) if peaks else None

    def _set_spot(self, spot: str) -> None:
        self._finish_bout()
        self.spot = spot
        self._day = day_of(self._wall(self._t))
        self._bouts_today = self.history.bouts_on(spot, self._day)
        self._pressure.restart()
        self._ceiling.restart()
        self._bouts_unrated = 0
        self._refit(self._t)
        rated = [r.force_n for r in self.history.ratings(spot) if r.force_n is not None]
        self._last_rated_force = rated[-1] if rated else None

    def _check_trust(self) -> None:
        """The force model's trust as the engine has it now (it is set as the board says what it
        is): a change re-fits the band, which only a calibrated force caps in newtons."""
        trust = trust_of(self.force_model_of())
        if trust != self._ceiling.trust:
            self._ceiling.trust = trust
            self._refit(self._t)

    def _refit(self, t: float) -> None:
        ratings = self.history.ratings(self.spot)
        self._rating_count = sum(1 for r in ratings if r.force_n is not None)
        self._curve = discomfort.fit_curve(ratings, self._wall(t))
        band = None
        if discomfort.usable(self._curve):
            assert self._curve is not None
            band = self._ceiling.cap(discomfort.target_band(self._curve, self.targets.discomfort,
                                                            self.targets.discomfort_tolerance))
        self._ceiling.rated = band[1] if band is not None else None
        self._pressure.set_band(band)


def score_events(events: Sequence[Event], targets: Targets | None = None, spot: str = "",
                 force_model: ForceModel | None = None) -> tuple[list[Score], Score]:
    """Bout and session scores of a recorded session's events (its bouts as recorded, ratings
    included), judged as live judged them: `force_model` is the one the session recorded, whose
    trust decides whether the band is capped at the force ceiling."""
    coach = Coach(targets, spot or "default", MemorySpotHistory(), 0.0)
    coach.force_model_of = lambda: force_model
    evs = sorted((e for e in events if not isinstance(e, Cue)), key=lambda e: getattr(e, "t", 0.0))
    coach.on_events(evs, max((getattr(e, "t", 0.0) for e in evs), default=0.0))
    return coach.scores()
