"""The cue rules: when a cue may go (what each cue says and how urgent it is: `kneadback.cues`).

Anti-nag rules (after CPR feedback devices):
- a correction only after `streak` consecutive off-target strokes (`StreakRule`);
- at least `correction_gap_s` between any two corrections, and `repeat_gap_s` before the same
  correction again;
- no flicker: the opposite of a correction (faster ↔ slower, press-harder ↔ ease-off) waits
  `opposite_gap_s` after it;
- praise only after a correction was followed, or after a long clean run, and at most every
  `praise_gap_s`;
- safety (`too-hard`) at once, repeated every `safety_repeat_s` while it lasts;
- a static hold is flagged at once when it passes the limit.
"""

from __future__ import annotations

from dataclasses import dataclass

from kneadback.cues import CUES


@dataclass(frozen=True)
class Policy:
    """Every number the coach decides by, besides the user's targets (`Targets`)."""

    # the anti-nag gate
    streak: int = 3  # consecutive off-target strokes before a correction
    correction_gap_s: float = 4.0
    repeat_gap_s: float = 8.0
    opposite_gap_s: float = 12.0
    praise_gap_s: float = 30.0
    praise_after_correction: int = 4  # in-band strokes after a correction earn praise
    praise_clean_run: int = 20  # ... or this many in a row without any correction
    safety_repeat_s: float = 3.0
    hold_repeat_s: float = 8.0
    info_gap_s: float = 1.5  # between any two non-urgent cues
    # rhythm: the coach judges the rhythm by the median of the last few peak-to-peak intervals, a
    # quicker and steadier figure for its corrections than the rate shown (`kneadback.engine.rate`):
    # it follows a change within `rhythm_strokes` strokes, and one odd stroke does not move it
    rhythm_strokes: int = 3
    rhythm_break_s: float = 4.0  # a longer gap between strokes is a pause, not a slow stroke
    # pressure
    pressure_strokes: int = 8  # strokes in the consistency reference (the median of a bout's last few)
    consistency_min_strokes: int = 4  # ... coached only once a bout has this many
    consistency_low: float = 0.75  # consistency mode: off when below this × the recent median
    consistency_high: float = 1.33
    far: float = 0.3  # "far off": more than this share beyond the band's edge
    recent_strokes: int = 3  # "the recent pressure": the median peak of this many strokes
    aim_inner: float = 0.25  # a pressure correction is followed until the strokes are this share of the band inside it
    band_low_cap: float = 0.8  # the 7/10 band starts at most at this share of the force ceiling
    # stroke direction and length (only with a motion sensor, `kneadback.engine.motion`): a stroke
    # is off when its return carries a loaded share of the force or it goes against the previous
    # stroke (more than `direction_turn_deg` from it), or when it moves further than `max_excursion_cm`
    direction_turn_deg: float = 90.0
    max_excursion_cm: float = 5.0
    # safety until the force is calibrated (`kneadback.coach.ceiling`): too hard above this × the
    # user's own force on the spot (the 7/10 band's top, else the upper quartile of the last
    # `typical_strokes` peaks). Clear of a firm stroke after a rest (1.5-1.7× the last ones in the
    # demo session) and of the stretch a wrong data-sheet curve puts on force ratios, so it flags
    # a stroke far harder than the user's own and never an ordinary one
    relative_ceiling: float = 2.5
    typical_strokes: int = 12
    # discomfort ratings
    pair_window_s: float = 6.0  # a rating pairs with the strokes of the last few seconds ...
    pair_after_s: float = 0.5  # ... and with one that peaks just after it (pressed as the key was)
    pair_strokes: int = 5  # ... the median peak of at most this many of them
    ask_gap_s: float = 12.0  # between two requests for a rating
    ask_after_strokes: int = 4  # strokes into a bout before asking
    ask_after_rating_s: float = 20.0  # no request this soon after the last rating
    ask_per_session: int = 4  # ask once a bout until this many ratings on the spot this session ...
    ask_every_bouts: int = 2  # ... and at least every this many bouts (tenderness changes as a knot releases)
    ask_moved: float = 0.2  # ... and when the pressure moved this share away from the last rated force
    ask_band_ok: int = 3  # in-band strokes before checking a band the ratings do not cover
    # bouts (the bout machine, `kneadback.coach.bouts`, and its cues)
    resume_s: float = 10.0  # an automatic bout paused for at most this long resumes, not restarts
    warn_before_end_s: float = 10.0  # "ten seconds left" this long before the bout length
    overtime_remind_s: float = 15.0  # in overtime: "bout done N s ago" this often, until the stroking stops
    lift_off_s: float = 2.0  # off the skin this long in an unfinished bout: "bout paused"
    lift_off_min_bout_s: float = 3.0  # ... once the bout has run this long
    lift_off_pause_s: float = 1.0  # a bout that paused at most this long before the lift-off paused for it


class StreakRule:
    """Counts consecutive strokes off target in each direction."""

    def __init__(self, low_kind: str, high_kind: str) -> None:
        self.low_kind = low_kind
        self.high_kind = high_kind
        self.low = 0
        self.high = 0
        self.ok = 0

    def update(self, verdict: int | None) -> None:
        """verdict: -1 below target, 0 in band, +1 above, None unknown (leaves counts)."""
        if verdict is None:
            return
        self.low = self.low + 1 if verdict < 0 else 0
        self.high = self.high + 1 if verdict > 0 else 0
        self.ok = self.ok + 1 if verdict == 0 else 0

    def due(self, streak: int) -> str | None:
        if self.low >= streak:
            return self.low_kind
        if self.high >= streak:
            return self.high_kind
        return None

    def reset(self) -> None:
        self.low = self.high = self.ok = 0


class Gate:
    """Remembers when each cue was last given and says whether another may go now."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.last: dict[str, float] = {}
        self.last_correction = float("-inf")
        self.last_any = float("-inf")

    def allows(self, kind: str, now: float) -> bool:
        p = self.policy
        since = now - self.last.get(kind, float("-inf"))
        cue = CUES[kind]
        sev = cue.severity
        if sev == "safety":
            return since >= p.safety_repeat_s
        if kind == "dont-hold":
            return since >= p.hold_repeat_s
        if sev == "correction":
            opposite = cue.opposite
            if opposite is not None and now - self.last.get(opposite, float("-inf")) < p.opposite_gap_s:
                return False
            return now - self.last_correction >= p.correction_gap_s and since >= p.repeat_gap_s
        if sev == "praise":
            return since >= p.praise_gap_s and now - self.last_any >= p.info_gap_s
        return now - self.last_any >= p.info_gap_s

    def given(self, kind: str, now: float) -> None:
        self.last[kind] = now
        self.last_any = now
        if CUES[kind].severity in ("correction", "safety"):
            self.last_correction = now

