"""ADC counts → the two signals the engine works on, by table look-up.

* conductance (µS) of the FSR, through the divider equation G ∝ c / (full − c): nearly linear
  in force and free of the ADC's compression near the rail; strokes are detected on it;
* force (N) through the force model (the datasheet curve, or a user's calibration).

Both are tabulated once per configuration for every possible count, so a block costs one index.
"""

from __future__ import annotations

import numpy as np

from kneadback.fsr import Divider, ForceModel

# The FSR's resistance never falls below its floor (~150 Ω, less for a low part); counts that
# imply less are noise at the rail or a saturated input, so conductance is capped there.
MIN_FSR_OHMS = 60.0
MAX_FORCE_N = 500.0  # far beyond any hand on a massage tool


class Linearizer:
    """Tables of conductance (µS) and force (N) per ADC count."""

    def __init__(self, divider: Divider, force_model: ForceModel) -> None:
        self.full_scale = divider.full_scale
        counts = np.arange(self.full_scale + 1)
        r = divider.resistance_from_counts(counts)
        with np.errstate(divide="ignore"):
            g = np.where(np.isinf(r), 0.0, 1e6 / np.maximum(r, MIN_FSR_OHMS))
        self.conductance_us = g
        self.force_n = np.asarray(force_model.to_newtons(counts), dtype=float)
        # a power-law curve has a pole near the rail: keep the table finite and monotone
        f = np.nan_to_num(self.force_n, nan=0.0, posinf=MAX_FORCE_N)
        self.force_n = np.minimum(np.maximum.accumulate(np.maximum(f, 0.0)), MAX_FORCE_N)
        self.slope_us = np.gradient(g)  # µS per count, for noise in counts → µS

    def clip(self, counts: np.ndarray) -> np.ndarray:
        return np.clip(counts, 0, self.full_scale)
