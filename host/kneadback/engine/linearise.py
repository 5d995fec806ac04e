"""ADC counts → the two signals the engine works on, by table look-up.

* the linearised signal: for an FSR divider the FSR's conductance (µS) through the divider
  equation (low-side G ∝ c / (full − c), high-side G ∝ (full − c) / c): nearly linear in force
  and free of the ADC's compression near the rail; for a linear or unknown front end the counts
  themselves. Strokes are detected on it;
* force through the force model (newtons from the datasheet curve or a user's calibration, or
  a unitless relative force).

The engine sees counts turned to rise with force (`Linearizer.clip`), so a high-side divider's
unloaded rail is 0 there as a low-side one's is. Both tables are made once per configuration
for every possible count, so a block costs one index.
"""

from __future__ import annotations

import numpy as np

from kneadback.fsr import Divider, ForceModel

# The counts at the pressed rail are a saturated input or the noise there: the conductance is held
# at its value this many counts below the rail. The cap is in counts, not in ohms, so a divider
# read with the wrong resistor (a file that does not say) gives the same signal to scale, and the
# scale-free strokes and holds come out the same.
RAIL_COUNTS = 2
MAX_FORCE_N = 500.0  # far beyond any hand on a massage tool


class Linearizer:
    """Tables of the linearised signal and of force per pressed count (counts rising with force)."""

    def __init__(self, divider: Divider, force_model: ForceModel) -> None:
        self.divider = divider
        self.full_scale = divider.full_scale
        raw = divider.pressed(np.arange(self.full_scale + 1))  # the ADC reading of each pressed count
        if divider.is_fsr:
            r = divider.resistance_from_counts(raw)
            with np.errstate(divide="ignore"):
                g = np.where(np.isinf(r), 0.0, 1e6 / r)
            g = np.minimum(g, g[self.full_scale - RAIL_COUNTS])
        else:
            g = np.arange(self.full_scale + 1, dtype=float)
        self.conductance_us = g
        f = np.asarray(force_model.to_newtons(raw), dtype=float)
        # a power-law curve has a pole near the rail: keep the table finite and monotone
        f = np.nan_to_num(f, nan=0.0, posinf=MAX_FORCE_N)
        self.force_n = np.minimum(np.maximum.accumulate(np.maximum(f, 0.0)), MAX_FORCE_N)
        self.slope_us = np.gradient(g)  # signal per count, for noise in counts → signal

    def force_at(self, signal: float) -> float:
        """The force of the lowest count whose linearised signal reaches `signal`."""
        i = int(self.conductance_us.searchsorted(signal))
        return float(self.force_n[min(i, self.full_scale)])

    def clip(self, counts: np.ndarray) -> np.ndarray:
        """ADC counts as the engine works on them: within range, rising with force."""
        return self.divider.pressed(np.clip(counts, 0, self.full_scale))
