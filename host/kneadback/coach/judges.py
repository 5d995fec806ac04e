"""The coach's stroke-by-stroke judgement of the rhythm, the pressure and (with a motion sensor)
the strokes' direction and length: each stroke gets a verdict (-1 low, 0 on target, +1 high,
None: nothing to judge by yet), and a `StreakRule` counts the verdicts for the corrections
(`kneadback.coach.rules`). The numbers are `Policy` fields."""

from __future__ import annotations

import collections
import statistics

from kneadback.coach.rules import Policy, StreakRule
from kneadback.engine.motion import LOADED_RETURN
from kneadback.model import Stroke, StrokeMotion

Band = tuple[float, float]


def verdict(value: float, band: Band) -> int:
    return -1 if value < band[0] else 1 if value > band[1] else 0


class Rhythm:
    """60 / the median of the last `rhythm_strokes` peak-to-peak intervals: the figure the rhythm
    corrections go by. Quicker and steadier than the stroke rate shown (`kneadback.engine.rate`),
    which is what a correction needs: it follows a change within three strokes, and one odd stroke
    does not move it."""

    def __init__(self, policy: Policy) -> None:
        self.break_s = policy.rhythm_break_s
        self.intervals: collections.deque[float] = collections.deque(maxlen=policy.rhythm_strokes)
        self.rule = StreakRule("faster", "slower")
        self.spm: float | None = None
        self.verdict: int | None = None
        self.corrected = False  # a correction was given since the rhythm last broke

    def stroke(self, prev: Stroke | None, s: Stroke, band: Band) -> int | None:
        if prev is not None and 0 < s.t_peak - prev.t_peak <= self.break_s:
            self.intervals.append(s.t_peak - prev.t_peak)
        else:  # a pause: a fresh start for the rhythm
            self.intervals.clear()
            self.rule.reset()
            self.corrected = False
        self.spm = 60.0 / statistics.median(self.intervals) if self.intervals else None
        self.verdict = None if self.spm is None else verdict(self.spm, band)
        self.rule.update(self.verdict)
        return self.verdict

    def lapse(self, t: float, last_peak: float) -> None:
        """No stroke for longer than a pause: no rhythm now."""
        if t - last_peak > self.break_s:
            self.spm = self.verdict = None


class Pressure:
    """Each stroke's peak against the spot's 7/10 band once its ratings give one (`band`), else
    against a consistency band around the bout's recent peaks."""

    def __init__(self, policy: Policy) -> None:
        self.p = policy
        self.peaks: collections.deque[float] = collections.deque(maxlen=policy.pressure_strokes)
        self.rule = StreakRule("press-harder", "ease-off")
        self.band: Band | None = None
        self.aim: int | None = None  # -1 / +1 while a correction towards the band is being followed

    def stroke(self, peak: float) -> int | None:
        """The stroke's verdict (for the score); the correction rule counts it as the user is aimed."""
        band = self.band or self.consistency_band()
        v = None if band is None else verdict(peak, band)
        self.rule.update(self._aimed(peak, v))
        self.peaks.append(peak)
        return v

    def consistency_band(self) -> Band | None:
        if self.band is not None or len(self.peaks) < self.p.consistency_min_strokes:
            return None
        ref = statistics.median(self.peaks)
        return ref * self.p.consistency_low, ref * self.p.consistency_high

    def corrected(self, kind: str) -> None:
        """A correction was given: with a band, aim the user well into it."""
        if self.band is not None:
            self.aim = -1 if kind == "press-harder" else 1

    def moved_from(self, force_n: float) -> bool:
        """The recent strokes press more than `ask_moved` apart from `force_n`."""
        if len(self.peaks) < self.p.recent_strokes:
            return False
        return abs(self._recent() / force_n - 1.0) > self.p.ask_moved

    def restart(self) -> None:
        """A new bout (consistency is kept within a bout) or a new band: nothing counted yet."""
        self.peaks.clear()
        self.rule.reset()

    def set_band(self, band: Band | None) -> None:
        self.band = band
        self.aim = None
        self.rule.reset()

    def _recent(self, peak: float | None = None) -> float:
        """The median of the recent strokes (`peak` the newest, not kept yet)."""
        n = self.p.recent_strokes
        recent = list(self.peaks)[-(n - 1):] + [peak] if peak is not None else list(self.peaks)[-n:]
        return statistics.median(recent)

    def _aimed(self, peak: float, v: int | None) -> int | None:
        """After a correction, the user is on the way until they reach well into the band
        (`aim_inner` of its width), not just its edge: hysteresis aims them at the middle."""
        if self.band is None or self.aim is None or v != 0:
            return v
        lo, hi = self.band
        inner = (hi - lo) * self.p.aim_inner
        recent = self._recent(peak)
        if (self.aim < 0 and recent >= lo + inner) or (self.aim > 0 and recent <= hi - inner):
            self.aim = None
            return 0
        return self.aim


class Direction:
    """Each stroke's motion (`StrokeMotion`, only with a motion sensor) against the routine's
    "short strokes in one direction": off one way when its return was loaded (scrubbing), it went
    against the stroke before (back and forth) or it never stopped (circling), too long past
    `max_excursion_cm`. Each has its own
    `StreakRule`, so one correction never resets the other's count."""

    def __init__(self, policy: Policy) -> None:
        self.p = policy
        self.way = StreakRule("one-direction", "one-direction")
        self.length = StreakRule("shorter-strokes", "shorter-strokes")
        self.last: StrokeMotion | None = None
        self.bout: list[StrokeMotion] = []  # the bout's strokes so far (what the dashboard shows)
        self.corrected = False  # a direction or length correction was given and not yet praised

    def stroke(self, m: StrokeMotion) -> None:
        turned = self.last is not None and _turn_deg(self.last.direction_deg, m.direction_deg) > self.p.direction_turn_deg
        loaded = m.return_share is not None and m.return_share >= LOADED_RETURN
        self.way.update(1 if turned or loaded or m.circling else 0)
        self.length.update(1 if m.excursion_cm > self.p.max_excursion_cm else 0)
        self.last = m
        self.bout.append(m)

    @property
    def ok(self) -> int:
        """Strokes in a row that were both one way and short."""
        return min(self.way.ok, self.length.ok)

    def restart(self) -> None:
        """A new bout: the directions of the last one say nothing of this one's."""
        self.last = None
        self.bout = []
        self.way.reset()
        self.length.reset()


def _turn_deg(a: float, b: float) -> float:
    """The angle between two directions, 0..180."""
    return abs((b - a + 180.0) % 360.0 - 180.0)
