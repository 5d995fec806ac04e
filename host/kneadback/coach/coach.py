"""The coach: engine events in, cues out, for one spot at a time.

Every cue is stamped with the session time it is due at, and time-based cues (bout timer, hold
limit) fire at their exact due time as soon as the session has moved past it, so the cues do not
depend on how the stream was chunked, and a replay gives the same cues as the live session.
Wall-clock dates ("bouts today") come from `wall_start` (Unix seconds at session time 0) plus
session time; the coach never reads a clock.
"""

from __future__ import annotations

import collections
import copy
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from kneadback.coach import discomfort, rules
from kneadback.coach.rules import Gate, Policy, StreakRule
from kneadback.coach.score import Score, Tally, score
from kneadback.coach.spots import MemorySpotHistory, SpotHistory, counts_toward_today, day_of
from kneadback.coach.targets import Targets
from kneadback.model import (
    Bout,
    BoutControl,
    BoutStarted,
    ContactChanged,
    Cue,
    Event,
    HoldEnded,
    HoldStarted,
    Rating,
    SpotChanged,
    Stroke,
)

RATE_WINDOW = 3  # stroke intervals in the smoothed rate
MAX_INTERVAL_S = 4.0  # a longer gap between strokes is a pause, not a slow stroke
PRESSURE_WINDOW = 8  # strokes in the consistency reference
PAIR_WINDOW_S = 6.0  # a rating pairs with the strokes of the last few seconds
LIFT_OFF_S = 2.0  # off the skin this long in an unfinished bout: "bout paused"
RESUME_S = 10.0  # a bout paused (lift-off) for less than this resumes instead of restarting
ASK_PER_SESSION = 4  # ask once a bout until this many ratings on the spot this session
MOVED = 0.2  # ... and whenever the pressure moved this share away from the last rated force
ASK_EVERY_BOUTS = 2  # ... and at least every this many bouts


@dataclass
class _Bout:
    seg_start: float
    acc: float = 0.0  # seconds done before the current segment
    active: bool = True
    paused_at: float = 0.0
    counted: bool = False
    strokes: int = 0
    fired: set[str] = field(default_factory=set)  # timer cues given
    asked: bool = False
    clean_praised: bool = False

    def elapsed(self, t: float) -> float:
        return self.acc + (t - self.seg_start if self.active else 0.0)


@dataclass(frozen=True)
class CoachState:
    t: float
    targets: Targets
    spot: str
    rate_spm: float | None
    last_peak_n: float | None
    pressure_band_n: tuple[float, float] | None  # the 7/10 band; None until enough ratings
    consistency_band_n: tuple[float, float] | None  # around the recent median (before ratings)
    ratings: int
    cue: Cue | None  # the latest cue
    bout_active: bool
    bout_elapsed_s: float | None  # None with no bout; a paused one keeps its time while it may resume
    bout_left_s: float | None
    bouts_today: int
    holding: bool
    rhythm_off: bool  # what the "auto" metronome follows
    bout_score: Score
    session_score: Score
    metronome: str  # "auto" (only while the rhythm is off), "on", "off"
    muted: bool

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
        self._start(spot)

    def reset(self) -> None:
        """Back to the state the coach was built in: its first spot, nothing seen, and the spot
        history as it was before this coach added to it (a replay that goes back in time rebuilds
        from the start, see `Session.restart_at`). The sound settings are the user's and stay."""
        if self._history_before is not None:
            self.history = copy.deepcopy(self._history_before)
        self._start(self._first_spot)

    def _start(self, spot: str) -> None:
        """Every piece of session state, as at the start."""
        self.spot = spot
        self._day = day_of(self._wall(0.0))
        self._gate = Gate(self.policy)
        self._t = 0.0
        self._rate = StreakRule("faster", "slower")
        self._pressure = StreakRule("press-harder", "ease-off")
        self._intervals: collections.deque[float] = collections.deque(maxlen=RATE_WINDOW)
        self._peaks: collections.deque[float] = collections.deque(maxlen=PRESSURE_WINDOW)
        self._recent: collections.deque[tuple[Stroke, int | None, int | None]] = collections.deque(maxlen=8)
        self._prev: Stroke | None = None
        self._rate_spm: float | None = None
        self._rate_verdict: int | None = None
        self._rate_corrected = False
        self._bout: _Bout | None = None
        self._bout_tally = Tally()
        self._session = Tally()
        self._bout_lengths: list[float] = []
        self._last_bout_score = Score(None, "unavailable", 0)
        self._bout_scores: list[Score] = []
        self._holding_since: float | None = None
        self._hold_known: float = 0.0
        self._hold_hard = False  # the hold under way presses above the force ceiling
        self._hold_cued: float | None = None
        self._last_rating_t = float("-inf")
        self._last_rated_force: float | None = None
        self._bouts_unrated = 0  # bouts begun on this spot since its last rating
        self._rated_this_session: dict[str, int] = {}  # spot → ratings given this session
        self._latest: Cue | None = None
        self._aim: int | None = None  # -1 / +1 while a pressure correction is being followed
        self._off_since: float | None = None  # the tool is off the skin since
        self._lift_cued = False
        self._by_hand = False  # bouts are started and stopped by the user (manual bouts)
        self._set_spot(spot)

    # --- the Session's protocol -------------------------------------------------------
    def on_events(self, events: Sequence[Event], now: float) -> list[Event]:
        out: list[Cue] = []
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
        return self._holding_since is not None or self._rate_verdict in (-1, 1)

    @property
    def state(self) -> CoachState:
        b = self._bout
        elapsed = b.elapsed(self._t) if b is not None and (b.active or b.paused_at >= self._t - RESUME_S) else None
        return CoachState(
            t=self._t,
            targets=self.targets,
            spot=self.spot,
            rate_spm=self._rate_spm,
            last_peak_n=self._prev.peak_n if self._prev is not None else None,
            pressure_band_n=self._band,
            consistency_band_n=self._consistency_band(),
            ratings=self._rating_count,
            cue=self._latest,
            bout_active=bool(b is not None and b.active),
            bout_elapsed_s=elapsed,
            bout_left_s=None if elapsed is None else max(0.0, self.targets.bout_s - elapsed),
            bouts_today=self._bouts_today,
            holding=self._holding_since is not None,
            rhythm_off=self._rhythm_off(),
            bout_score=self._running_bout_score() if b is not None else self._last_bout_score,
            session_score=self._session_score(),
            metronome=self.metronome,
            muted=self.mute,
        )

    def scores(self) -> tuple[list[Score], Score]:
        """Every bout's score so far (the running one last) and the session score."""
        bouts = list(self._bout_scores)
        if self._bout is not None:
            bouts.append(self._running_bout_score())
        return bouts, self._session_score()

    def _running_bout_score(self) -> Score:
        assert self._bout is not None
        live = Tally()
        live.add(self._bout_tally)
        live.active_s = self._bout.elapsed(self._t)
        return score(live, self.targets.bout_s)

    # --- events ------------------------------------------------------------------------
    def _handle(self, ev: Event, out: list[Cue]) -> None:
        if isinstance(ev, Stroke):
            self._on_stroke(ev, out)
        elif isinstance(ev, BoutStarted):
            self._on_bout_started(ev, out)
        elif isinstance(ev, Bout):
            self._on_bout(ev, out)
        elif isinstance(ev, HoldStarted):
            self._holding_since = ev.start
            self._hold_known = ev.t
            self._hold_cued = None
            self._hold_hard = ev.mean_n > self.targets.force_ceiling_n
            if self._hold_hard and self._gate.allows("too-hard", ev.t):
                self._cue("too-hard", ev.t, out)  # pressing still, and too hard: safety first
            self._advance(ev.t, out)
        elif isinstance(ev, HoldEnded):
            self._end_hold(ev.end)
        elif isinstance(ev, ContactChanged):
            self._on_contact(ev)
        elif isinstance(ev, Rating):
            self._on_rating(ev)
        elif isinstance(ev, SpotChanged):
            if ev.spot and ev.spot != self.spot:
                self._set_spot(ev.spot)
        elif isinstance(ev, BoutControl):
            self._by_hand = ev.action != "auto"

    def _on_stroke(self, s: Stroke, out: list[Cue]) -> None:
        t = s.t
        p = self.policy
        if self._holding_since is not None:
            self._end_hold(s.t_start)
        # safety first: at once, then every `safety_repeat_s` while strokes stay too hard
        if s.peak_n > self.targets.force_ceiling_n and self._gate.allows("too-hard", t):
            self._cue("too-hard", t, out)
        # rhythm
        prev = self._prev
        if prev is not None and 0 < s.t_peak - prev.t_peak <= MAX_INTERVAL_S:
            self._intervals.append(s.t_peak - prev.t_peak)
        else:  # a pause: a fresh start for the rhythm
            self._intervals.clear()
            self._rate.reset()
            self._rate_corrected = False
        self._rate_spm = 60.0 / statistics.median(self._intervals) if self._intervals else None
        lo, hi = self.targets.rate_band
        rv = None if self._rate_spm is None else (-1 if self._rate_spm < lo else 1 if self._rate_spm > hi else 0)
        self._rate_verdict = rv
        self._rate.update(rv)
        # pressure
        pv = self._pressure_verdict(s.peak_n)
        self._pressure.update(self._aimed_verdict(s.peak_n, pv))
        self._peaks.append(s.peak_n)
        self._recent.append((s, rv, pv))
        self._prev = s
        self._session.add_stroke(None if rv is None else rv == 0, None if pv is None else pv == 0)
        if self._bout is not None and self._bout.active:
            self._bout_tally.add_stroke(None if rv is None else rv == 0, None if pv is None else pv == 0)
            self._bout.strokes += 1
        # one correction at most per stroke: rhythm before pressure
        far = {
            self._rate: self._far(self._rate_spm, self.targets.rate_band),
            self._pressure: self._band is not None and self._far(s.peak_n, self._band),
        }
        for rule in (self._rate, self._pressure):
            kind = rule.due(p.streak)
            if kind is not None and self._gate.allows(kind, t):
                self._cue(kind, t, out, far=far[rule])
                rule.reset()
                if rule is self._pressure and self._band is not None:
                    self._aim = -1 if kind == "press-harder" else 1
                if rule is self._rate:
                    self._rate_corrected = True
                break
        else:
            self._maybe_praise(t, out)
            self._maybe_ask(t, out)

    def _far(self, value: float | None, band: tuple[float, float]) -> bool:
        f = self.policy.far
        return value is not None and (value < band[0] * (1 - f) or value > band[1] * (1 + f))

    def _aimed_verdict(self, peak: float, verdict: int | None) -> int | None:
        """After a pressure correction, the user is on the way until they reach well into the band
        (a quarter of its width), not just its edge: hysteresis aims them at the middle."""
        if self._band is None or self._aim is None or verdict != 0:
            return verdict
        lo, hi = self._band
        inner = (hi - lo) / 4
        recent = statistics.median(list(self._peaks)[-2:] + [peak])
        if (self._aim < 0 and recent >= lo + inner) or (self._aim > 0 and recent <= hi - inner):
            self._aim = None
            return 0
        return self._aim

    def _pressure_verdict(self, peak: float) -> int | None:
        band = self._band or self._consistency_band()
        if band is None:
            return None
        return -1 if peak < band[0] else 1 if peak > band[1] else 0

    def _consistency_band(self) -> tuple[float, float] | None:
        if self._band is not None or len(self._peaks) < 4:
            return None
        ref = statistics.median(self._peaks)
        return ref * self.policy.consistency_low, ref * self.policy.consistency_high

    def _maybe_praise(self, t: float, out: list[Cue]) -> None:
        p = self.policy
        if self._rate_corrected and self._rate.ok >= p.praise_after_correction:
            if self._gate.allows("good-rhythm", t):
                self._cue("good-rhythm", t, out)
            self._rate_corrected = False
        elif (
            self._bout is not None
            and not self._bout.clean_praised
            and self._rate.ok >= p.praise_clean_run
            and t - self._gate.last_correction >= p.praise_clean_run * self.targets.stroke_period_s
            and self._gate.allows("good-rhythm", t)
        ):
            self._bout.clean_praised = True
            self._cue("good-rhythm", t, out)

    def _maybe_ask(self, t: float, out: list[Cue]) -> None:
        b = self._bout
        if b is None or not b.active or b.strokes < 4 or t - self._last_rating_t < 20.0:
            return
        if t - self._gate.last.get("rate-discomfort", float("-inf")) < self.policy.ask_gap_s:
            return
        curve = self._curve
        if not discomfort.usable(curve):
            # once a bout; again only if the last request was answered
            due = not b.asked or self._last_rating_t >= self._gate.last.get("rate-discomfort", float("inf"))
        elif (
            self._rated_this_session.get(self.spot, 0) < ASK_PER_SESSION  # a few fresh ones every session
            or self._bouts_unrated >= ASK_EVERY_BOUTS  # tenderness changes as a knot releases
            or self._pressure_moved()  # the last rating was at another pressure: how is this one?
        ):
            due = not b.asked
        else:
            # the band is extrapolated and the user has reached it: ask to check it
            due = curve is not None and not curve.covers(self.targets.discomfort) and self._pressure.ok >= 3
        if due and self._gate.allows("rate-discomfort", t):
            b.asked = True
            self._cue("rate-discomfort", t, out)

    def _pressure_moved(self) -> bool:
        """The recent strokes press more than `MOVED` apart from the last rated force."""
        if self._last_rated_force is None or len(self._peaks) < 3:
            return False
        recent = statistics.median(list(self._peaks)[-3:])
        return abs(recent / self._last_rated_force - 1.0) > MOVED

    def _on_bout_started(self, ev: BoutStarted, out: list[Cue]) -> None:
        b = self._bout
        # a short pause resumes an automatic bout; a bout started by hand is always a new one
        if (b is not None and not b.active and "bout-done" not in b.fired and not self._by_hand
                and ev.start - b.paused_at <= RESUME_S):
            b.active = True
            b.seg_start = ev.start
            return
        self._finish_bout()
        self._bout = _Bout(seg_start=ev.start)
        self._bouts_unrated += 1
        self._bout_tally = Tally()
        self._rate.ok = 0  # praise is earned within the bout
        self._peaks.clear()  # consistency is kept within a bout
        self._pressure.reset()
        for s, rv, pv in self._recent:  # the engine confirms a bout after its first strokes
            if s.t_start >= ev.start:
                self._bout_tally.add_stroke(None if rv is None else rv == 0, None if pv is None else pv == 0)
                self._bout.strokes += 1
        self._intervals.clear()
        n = self._bouts_today + 1
        if n > self.targets.bouts_max:  # a bout over the limit: said once as it starts
            self._cue("daily-limit", ev.t, out, n=self._bouts_today, spot=self.spot)
        else:
            self._cue("bout-count", ev.t, out, n=n, spot=self.spot)

    def _on_bout(self, ev: Bout, out: list[Cue]) -> None:
        b = self._bout
        if b is None or not b.active:
            return
        b.acc += max(0.0, ev.end - b.seg_start)
        b.active = False
        b.paused_at = ev.end
        self._bout_tally.active_s = b.acc
        if not b.counted and counts_toward_today(b.acc, self.targets.bout_s):
            b.counted = True
            bout_score = score(self._bout_tally, self.targets.bout_s)
            self._keep_history()
            self.history.add_bout(self.spot, self._wall(ev.end), b.acc, b.strokes, bout_score.value)
            self._bouts_today += 1
            self._limit_reached(b, self._bouts_today, ev.t, out)

    def _limit_reached(self, b: _Bout, done: int, t: float, out: list[Cue]) -> None:
        """Say `daily-limit` once, as the bout that brings the day's count to the limit is done:
        at its `bout-done`, or as it ends if it counts without reaching that."""
        if done == self.targets.bouts_max and "daily-limit" not in b.fired:
            b.fired.add("daily-limit")
            self._cue("daily-limit", t, out, n=done, spot=self.spot)

    def _finish_bout(self) -> None:
        b = self._bout
        if b is None:
            return
        self._bout_tally.active_s = b.acc
        self._last_bout_score = score(self._bout_tally, self.targets.bout_s)
        self._bout_scores.append(self._last_bout_score)
        self._session.active_s += b.acc
        self._bout_lengths.append(min(b.acc, self.targets.bout_s) / self.targets.bout_s)
        self._bout = None

    def _on_contact(self, ev: ContactChanged) -> None:
        self._off_since = None if ev.on else ev.at
        self._lift_cued = False
        if not ev.on and self._holding_since is not None:
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
        if self._holding_since is None:
            return
        held = max(0.0, end - self._holding_since)
        self._hold_hard = False
        self._bout_tally.hold_s += held
        self._session.hold_s += held
        self._holding_since = None

    # --- time ---------------------------------------------------------------------------
    def _advance(self, t: float, out: list[Cue]) -> None:
        """Fire every time-based cue due up to `t`, each at its own due time."""
        if t < self._t:
            return
        if day_of(self._wall(t)) != self._day:  # past midnight: a new day's count
            self._day = day_of(self._wall(t))
            self._bouts_today = self.history.bouts_on(self.spot, self._day)
        due: list[tuple[float, str]] = []
        b = self._bout
        if b is not None and b.active:
            for kind, at in (("ten-seconds-left", self.targets.bout_s - 10.0), ("bout-done", self.targets.bout_s)):
                if kind not in b.fired and at > 0 and b.elapsed(t) >= at:
                    due.append((b.seg_start + at - b.acc, kind))
        if self._off_since is not None and not self._lift_cued and b is not None and "bout-done" not in b.fired:
            at = self._off_since + LIFT_OFF_S
            # this lift-off interrupts the bout (not a rest after a bout that ended before)
            interrupts = b.active or b.paused_at >= self._off_since - 1.0
            if at <= t and interrupts and b.elapsed(at) >= 3.0:
                due.append((at, "lift-off"))
        if self._holding_since is not None:
            if self._hold_cued is None:
                at = max(self._holding_since + self.targets.hold_max_s, self._hold_known)
            else:
                at = self._hold_cued + self.policy.hold_repeat_s
            if at <= t:
                due.append((at, "dont-hold"))
        if self._hold_hard:  # a hold too hard: again every `safety_repeat_s` while it lasts
            at = self._gate.last["too-hard"] + self.policy.safety_repeat_s  # given or gated as it began
            while at <= t:
                due.append((at, "too-hard"))
                at += self.policy.safety_repeat_s
        for at, kind in sorted(due):
            at = max(at, self._t)
            if kind in ("dont-hold", "too-hard"):
                if kind == "dont-hold":
                    self._hold_cued = at
                self._cue(kind, at, out)
                continue
            if kind == "lift-off":  # off the skin, mid-bout: the bout is paused
                self._lift_cued = True
                self._cue(kind, at, out)
                continue
            assert b is not None
            b.fired.add(kind)
            self._cue(kind, at, out)
            if kind == "bout-done":
                self._limit_reached(b, self._bouts_today + (0 if b.counted else 1), at, out)
        self._t = t
        if self._rate_spm is not None and self._prev is not None and t - self._prev.t_peak > MAX_INTERVAL_S:
            self._rate_spm = None
            self._rate_verdict = None

    # --- helpers ----------------------------------------------------------------------
    def _cue(self, kind: str, t: float, out: list[Cue], far: bool = False, **fields: object) -> None:
        consistency = kind in ("press-harder", "ease-off") and self._band is None
        text = rules.text_for(kind, consistency=consistency, far=far, **fields)
        cue = Cue(t=t, kind=kind, severity=rules.SEVERITY[kind], text=text)
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
        peaks = [s.peak_n for s, _rv, _pv in self._recent if t - PAIR_WINDOW_S <= s.t_peak <= t + 0.5]
        return float(statistics.median(peaks[-5:])) if peaks else None

    def _set_spot(self, spot: str) -> None:
        self._finish_bout()
        self.spot = spot
        self._day = day_of(self._wall(self._t))
        self._bouts_today = self.history.bouts_on(spot, self._day)
        self._pressure.reset()
        self._peaks.clear()
        self._bouts_unrated = 0
        self._refit(self._t)
        rated = [r.force_n for r in self.history.ratings(spot) if r.force_n is not None]
        self._last_rated_force = rated[-1] if rated else None

    def _refit(self, t: float) -> None:
        ratings = self.history.ratings(self.spot)
        self._rating_count = sum(1 for r in ratings if r.force_n is not None)
        self._curve = discomfort.fit_curve(ratings, self._wall(t))
        self._band: tuple[float, float] | None = None
        if discomfort.usable(self._curve):
            assert self._curve is not None
            lo, hi = discomfort.target_band(self._curve, self.targets.discomfort, self.targets.discomfort_tolerance)
            ceiling = self.targets.force_ceiling_n
            self._band = (min(lo, ceiling * 0.8), min(hi, ceiling))
        self._aim = None
        self._pressure.reset()

    def _session_score(self) -> Score:
        tally = Tally()
        tally.add(self._session)
        lengths = list(self._bout_lengths)
        if self._bout is not None:
            tally.active_s += self._bout.elapsed(self._t)
            lengths.append(min(self._bout.elapsed(self._t), self.targets.bout_s) / self.targets.bout_s)
        tally.bouts = len(lengths)
        tally.length_sum = sum(lengths)
        return score(tally, self.targets.bout_s, session=True)


def score_events(events: Sequence[Event], targets: Targets | None = None, spot: str = "") -> tuple[list[Score], Score]:
    """Bout and session scores of a recorded session's engine events (ratings included)."""
    coach = Coach(targets, spot or "default", MemorySpotHistory(), 0.0)
    evs = sorted((e for e in events if not isinstance(e, Cue)), key=lambda e: getattr(e, "t", 0.0))
    coach.on_events(evs, max((getattr(e, "t", 0.0) for e in evs), default=0.0))
    return coach.scores()
