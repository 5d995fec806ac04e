"""The cue rules: what each cue says, which family it belongs to, and the anti-nag gate.

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

SEVERITY = {
    "faster": "correction",
    "slower": "correction",
    "good-rhythm": "praise",
    "dont-hold": "correction",
    "press-harder": "correction",
    "ease-off": "correction",
    "too-hard": "safety",
    "ten-seconds-left": "info",
    "bout-done": "info",
    "lift-off": "info",
    "bout-count": "info",
    "daily-limit": "info",
    "rate-discomfort": "info",
}

# Cue families share a tone (kneadback.coach.audio).
FAMILY = {
    "faster": "rhythm",
    "slower": "rhythm",
    "good-rhythm": "praise",
    "dont-hold": "hold",
    "press-harder": "pressure",
    "ease-off": "pressure",
    "too-hard": "safety",
    "ten-seconds-left": "timer",
    "bout-done": "timer",
    "lift-off": "bout",
    "bout-count": "bout",
    "daily-limit": "bout",
    "rate-discomfort": "rating",
}

OPPOSITE = {"faster": "slower", "slower": "faster", "press-harder": "ease-off", "ease-off": "press-harder"}

TEXT = {
    "faster": "A little faster: about one stroke a second.",
    "slower": "A little slower: about one stroke a second.",
    "good-rhythm": "Good rhythm.",
    "dont-hold": "Keep moving: short strokes rather than holding still.",
    "press-harder": "Press a little firmer.",
    "ease-off": "Ease off a little.",
    "too-hard": "Too hard. Ease off now.",
    "ten-seconds-left": "Ten seconds left.",
    "bout-done": "Bout done. Rest, or move to another spot.",
    "lift-off": "Lifted off: bout paused.",
    "bout-count": "Bout {n} of today on {spot}.",
    "daily-limit": "{n} bouts today on {spot}: that is plenty for one day. Rest it or pick another spot.",
    "rate-discomfort": "How uncomfortable is this, 0 to 10? Press a number key.",
}

# Far off target, the correction drops the "a little".
TEXT_FAR = {
    "faster": "Faster: aim for one stroke a second.",
    "slower": "Slower: aim for one stroke a second.",
    "press-harder": "Press firmer.",
    "ease-off": "Ease off.",
}

# Consistency coaching (before the spot has enough ratings) words it differently.
TEXT_CONSISTENT = {
    "press-harder": "Keep the pressure even: a little firmer, as before.",
    "ease-off": "Keep the pressure even: a little lighter, as before.",
}


@dataclass(frozen=True)
class Policy:
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
    ask_gap_s: float = 12.0  # between two requests for a rating
    consistency_low: float = 0.75  # consistency mode: off when below this × the recent median
    consistency_high: float = 1.33
    far: float = 0.3  # "far off": more than this share beyond the band's edge


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
        sev = SEVERITY[kind]
        if sev == "safety":
            return since >= p.safety_repeat_s
        if kind == "dont-hold":
            return since >= p.hold_repeat_s
        if sev == "correction":
            opposite = OPPOSITE.get(kind)
            if opposite is not None and now - self.last.get(opposite, float("-inf")) < p.opposite_gap_s:
                return False
            return now - self.last_correction >= p.correction_gap_s and since >= p.repeat_gap_s
        if sev == "praise":
            return since >= p.praise_gap_s and now - self.last_any >= p.info_gap_s
        return now - self.last_any >= p.info_gap_s

    def given(self, kind: str, now: float) -> None:
        self.last[kind] = now
        self.last_any = now
        if SEVERITY[kind] in ("correction", "safety"):
            self.last_correction = now


def text_for(kind: str, *, consistency: bool = False, far: bool = False, **fields: object) -> str:
    if consistency:
        template = TEXT_CONSISTENT.get(kind, TEXT[kind])
    else:
        template = TEXT_FAR.get(kind, TEXT[kind]) if far else TEXT[kind]
    return template.format(**fields)
