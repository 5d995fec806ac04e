"""Bout and session scores, 0..100.

    score = 100 × (0.35·R + 0.35·P + 0.15·L + 0.15·(1 − H) + 0.15·D + 0.15·S) / (sum of the weights present)

- R: share of strokes whose rhythm (the coach's, `kneadback.coach.judges.Rhythm`) is in the rate band;
- P: share of strokes whose peak force is in the pressure band (the 7/10 band once the spot has
  enough ratings, else within the consistency band around the recent median);
- L: bout length against the target, min(active time, bout_s) / bout_s (a session uses the mean);
- H: share of the time spent in static holds;
- D: only with a motion sensor on the tool: how well a bout's working directions agree (the
  resultant length of `kneadback.engine.motion.bout_motion`; 1 when every stroke goes one way);
  a session uses the mean over the bouts that have it;
- S: only with a motion sensor too: the share of a bout's measured strokes no longer than
  `Policy.max_excursion_cm` (the routine's "short strokes"); a session uses the mean over the bouts.
Without an IMU there is no D and no S, so an FSR-only score is what it always was.

A part with no evidence (no stroke with a rate yet, say) drops out and the weights of the others
are renormalised. A score is "unavailable" (value None, never 0) without any stroke, and
"provisional" with fewer than `PROVISIONAL_STROKES` strokes (bout) or twice that (session).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kneadback.coach.rules import Policy
from kneadback.engine.motion import bout_motion
from kneadback.model import StrokeMotion

WEIGHTS = {"rate": 0.35, "pressure": 0.35, "length": 0.15, "holds": 0.15, "direction": 0.15, "short": 0.15}
MOTION_PARTS = ("direction", "short")  # the parts only a tool with a motion sensor has
PROVISIONAL_STROKES = 10


@dataclass(frozen=True)
class Score:
    value: float | None
    status: str  # "ok", "provisional", "unavailable"
    strokes: int
    parts: dict[str, float] = field(default_factory=dict)

    def __float__(self) -> float:
        return float("nan") if self.value is None else self.value

    def label(self) -> str:
        if self.value is None:
            return "unavailable"
        return f"{self.value:.0f}" + (" (provisional)" if self.status == "provisional" else "")

    def to_dict(self) -> dict[str, object]:
        return {"value": None if self.value is None else round(self.value, 1), "status": self.status,
                "strokes": self.strokes, "parts": {k: round(v, 3) for k, v in self.parts.items()}}


@dataclass
class Tally:
    """Evidence gathered over a bout (or a whole session)."""

    strokes: int = 0
    rated: int = 0  # strokes with a rate
    rate_ok: int = 0
    pressed: int = 0  # strokes with a pressure verdict
    pressure_ok: int = 0
    hold_s: float = 0.0
    active_s: float = 0.0  # time in bouts
    length_sum: float = 0.0  # sum of per-bout length factors
    bouts: int = 0
    motions: list[StrokeMotion] = field(default_factory=list)  # a bout's strokes' motion, with an IMU
    bout_motions: list[dict[str, float]] = field(default_factory=list)  # a session: each bout's `motion_parts`

    def add_stroke(self, rate_ok: bool | None, pressure_ok: bool | None) -> None:
        self.strokes += 1
        if rate_ok is not None:
            self.rated += 1
            self.rate_ok += int(rate_ok)
        if pressure_ok is not None:
            self.pressed += 1
            self.pressure_ok += int(pressure_ok)

    def add(self, other: Tally) -> None:
        for name in ("strokes", "rated", "rate_ok", "pressed", "pressure_ok", "hold_s", "active_s", "length_sum", "bouts",
                     "motions", "bout_motions"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def motion_parts(motions: list[StrokeMotion], max_excursion_cm: float) -> dict[str, float]:
    """A bout's D and S (0..1 each); none without any motion."""
    bout = bout_motion(motions)
    if bout is None:
        return {}
    return {"direction": bout.resultant,
            "short": sum(m.excursion_cm <= max_excursion_cm for m in motions) / len(motions)}


def score(t: Tally, bout_s: float, *, session: bool = False,
          max_excursion_cm: float = Policy.max_excursion_cm) -> Score:
    if t.strokes == 0:
        return Score(None, "unavailable", 0)
    parts: dict[str, float] = {}
    if t.rated:
        parts["rate"] = t.rate_ok / t.rated
    if t.pressed:
        parts["pressure"] = t.pressure_ok / t.pressed
    if session:
        if t.bouts:
            parts["length"] = t.length_sum / t.bouts
    else:
        parts["length"] = min(t.active_s, bout_s) / bout_s
    total = t.active_s + t.hold_s
    if total > 0:
        parts["holds"] = 1.0 - t.hold_s / total
    if session:
        for k in MOTION_PARTS:
            known = [b[k] for b in t.bout_motions if k in b]
            if known:
                parts[k] = sum(known) / len(known)
    else:
        parts.update(motion_parts(t.motions, max_excursion_cm))
    if not parts:  # a stroke or two, nothing yet to judge them by
        return Score(None, "unavailable", t.strokes)
    weight = sum(WEIGHTS[k] for k in parts)
    value = 100.0 * sum(WEIGHTS[k] * v for k, v in parts.items()) / weight
    need = PROVISIONAL_STROKES * (2 if session else 1)
    return Score(value, "provisional" if t.strokes < need else "ok", t.strokes, parts)


class ScoreKeeper:
    """The evidence of the bout under way and of the session, and each finished bout's score."""

    def __init__(self, bout_s: float, max_excursion_cm: float = Policy.max_excursion_cm) -> None:
        self.bout_s = bout_s
        self.max_excursion_cm = max_excursion_cm
        self.bout = Tally()
        self.session = Tally()
        self.lengths: list[float] = []  # each finished bout's length factor
        self.motion_parts: list[dict[str, float]] = []  # each finished bout's D and S (none: no IMU)
        self.bouts: list[Score] = []
        self.last = Score(None, "unavailable", 0)

    def stroke(self, rhythm: int | None, pressure: int | None, *, session: bool = True, bout: bool = True) -> None:
        """A stroke with its rhythm and pressure verdicts (-1, 0, +1, or None: not judged)."""
        ok = (None if rhythm is None else rhythm == 0, None if pressure is None else pressure == 0)
        if session:
            self.session.add_stroke(*ok)
        if bout:
            self.bout.add_stroke(*ok)

    def motion(self, m: StrokeMotion) -> None:
        """How a stroke of the bout under way moved (only a tool with an IMU says)."""
        self.bout.motions.append(m)

    def hold(self, seconds: float) -> None:
        self.bout.hold_s += seconds
        self.session.hold_s += seconds

    def running(self, active_s: float) -> Score:
        """The score of the bout under way, `active_s` into it."""
        live = Tally()
        live.add(self.bout)
        live.active_s = active_s
        return score(live, self.bout_s, max_excursion_cm=self.max_excursion_cm)

    def finish(self, active_s: float) -> Score:
        """The bout's score, kept; the next bout starts from nothing."""
        self.last = self.running(active_s)
        self.bouts.append(self.last)
        self.session.active_s += active_s
        self.lengths.append(min(active_s, self.bout_s) / self.bout_s)
        self.motion_parts.append(motion_parts(self.bout.motions, self.max_excursion_cm))
        self.bout = Tally()
        return self.last

    def session_score(self, running_s: float | None) -> Score:
        """The session's score, with the bout under way `running_s` into it, if any."""
        tally = Tally()
        tally.add(self.session)
        lengths = list(self.lengths)
        tally.bout_motions = list(self.motion_parts)
        if running_s is not None:
            tally.active_s += running_s
            lengths.append(min(running_s, self.bout_s) / self.bout_s)
            tally.bout_motions.append(motion_parts(self.bout.motions, self.max_excursion_cm))
        tally.bouts = len(lengths)
        tally.length_sum = sum(lengths)
        return score(tally, self.bout_s, session=True)
