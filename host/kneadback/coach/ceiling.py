"""The safety ceiling, in the units the force has.

Only a calibrated force is in newtons one can hold a user to: "approximate" force (a declared
front end through the data-sheet curve) can be off by a factor of two or more, and "unitless"
force (an unknown front end) has no scale at all. A fixed ceiling in newtons on such a force is
either never reached or reached by every stroke, which is an alarm loop. So until the force is
calibrated the ceiling is relative: `Policy.relative_ceiling` × the user's own force, which is
the upper edge of the spot's 7/10 band once ratings give one (the hardest the user rated as
right), else the user's firm strokes: the upper quartile of the recent peaks on the spot. Either
reference is in the same units as the strokes it is compared with, so a wrong scale cancels out.
A wrong curve stretches the ratios, most near its floor resistance (a data-sheet FSR 402 curve
on a larger FSR 406 reads 34 N as 2.5 times 20 N), so the reference is not the median: in varied
stroking, where firm strokes are half as hard again as light ones, the stretch would carry an
ordinary firm stroke past the multiple of the median.
"""

from __future__ import annotations

import collections
import statistics

from kneadback.coach.rules import Policy

Band = tuple[float, float]
CALIBRATED = "calibrated"


class Ceiling:
    """The force above which a stroke or a hold is `too-hard`: the user's absolute one for a
    calibrated force, else relative (see the module docstring); None while there is no reference."""

    def __init__(self, policy: Policy, absolute: float) -> None:
        self.p = policy
        self.absolute = absolute
        self.trust = "approximate"
        self.peaks: collections.deque[float] = collections.deque(maxlen=policy.typical_strokes)
        self.rated: float | None = None  # the 7/10 band's upper edge, when ratings give one

    @property
    def relative(self) -> bool:
        return self.trust != CALIBRATED

    @property
    def typical(self) -> float | None:
        """The user's firm strokes: the upper quartile of the recent peaks on the spot."""
        if len(self.peaks) < 2:
            return self.peaks[0] if self.peaks else None
        return statistics.quantiles(self.peaks, n=4, method="inclusive")[2]

    @property
    def reference(self) -> float | None:
        """What a relative ceiling is a multiple of; None until enough strokes."""
        if self.rated is not None:
            return self.rated
        return self.typical if len(self.peaks) >= self.p.consistency_min_strokes else None

    @property
    def value(self) -> float | None:
        if not self.relative:
            return self.absolute
        ref = self.reference
        return None if ref is None else self.p.relative_ceiling * ref

    def above(self, force: float) -> bool:
        ceiling = self.value
        return ceiling is not None and force > ceiling

    def stroke(self, peak: float) -> None:
        """A stroke, once judged: it joins the reference (so a user who keeps pressing harder is
        told, then followed, never told forever)."""
        self.peaks.append(peak)

    def cap(self, band: Band) -> Band:
        """A rated band kept under an absolute ceiling (a relative one follows the band instead)."""
        if self.relative:
            return band
        return min(band[0], self.absolute * self.p.band_low_cap), min(band[1], self.absolute)

    def restart(self) -> None:
        """Another spot: another force is the user's own there."""
        self.peaks.clear()
