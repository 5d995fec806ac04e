"""Force as the screen shows it, in the units it has (`kneadback.fsr.TRUST_WORDS`): newtons once
calibrated, "approx. N" through the data-sheet curve, and a relative scale without a unit for an
unknown front end; and the safety ceiling, in newtons or as a multiple of the user's own force.
The terminal's pressure field and the dashboard's pressure tile both say it this way."""

from __future__ import annotations

from dataclasses import dataclass

from kneadback.coach.ceiling import CALIBRATED
from kneadback.coach.coach import CoachState
from kneadback.fsr import TRUST_WORDS


@dataclass(frozen=True)
class ForceWords:
    trust: str = CALIBRATED
    relative_ceiling: float | None = None  # the multiple of the user's own force, when relative

    @classmethod
    def of(cls, cs: CoachState | None) -> ForceWords:
        return cls() if cs is None else cls(cs.force_trust, cs.relative_ceiling)

    @property
    def unit(self) -> str:
        return TRUST_WORDS[self.trust].after

    @property
    def title(self) -> str:
        """The pressure tile's unit."""
        return TRUST_WORDS[self.trust].title

    def number(self, x: float | None, digits: int = 1) -> str:
        """A relative force is a share of the ADC range: no decimals to suggest precision."""
        return "--" if x is None else f"{x:.{0 if self.trust == 'unitless' else digits}f}"

    def force(self, x: float | None) -> str:
        return f"{self.number(x)} {self.unit}"

    @property
    def ceiling_note(self) -> str | None:
        """The ceiling, said where it is not the user's own in newtons."""
        return None if self.relative_ceiling is None else f"limit {self.relative_ceiling:g}× yours"
