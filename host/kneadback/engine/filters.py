"""Streaming filters that keep their state across blocks, so chunking never changes the output.

Each filter takes a block of samples and returns the same number of outputs; feeding one sample
at a time or a whole recording at once gives bit-identical results.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

LOWPASS_HZ = 8.0  # strokes live below ~3 Hz (their shape a little above); hum lies far above


class Despike:
    """Causal median of the last five samples: removes one- and two-sample glitches.

    The output lags the input by two samples. Works on integer ADC counts (exact).
    """

    WIDTH = 5

    def __init__(self) -> None:
        self._tail: np.ndarray | None = None  # the last WIDTH-1 inputs

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if len(x) == 0:
            return x.copy()
        if self._tail is None:
            self._tail = np.full(self.WIDTH - 1, x[0], dtype=x.dtype)
        ext = np.concatenate((self._tail, x))
        self._tail = ext[-(self.WIDTH - 1) :].copy()
        n = len(x)
        a, b, c, d, e = (ext[i : i + n] for i in range(self.WIDTH))
        return median5(a, b, c, d, e)


def median5(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Element-wise median of five arrays with nine min/max operations.

    Of two sorted pairs, the smaller low and the larger high cannot be the median; the median
    of the five is the median of the remaining three.
    """
    lo = np.maximum(np.minimum(a, b), np.minimum(c, d))
    hi = np.minimum(np.maximum(a, b), np.maximum(c, d))
    return np.maximum(np.minimum(lo, hi), np.minimum(np.maximum(lo, hi), e))


class BoxMean:
    """Causal mean of the last `n` samples, with carried state. Each output sums the same inputs
    in the same order however the stream is cut, so chunking never changes it."""

    def __init__(self, n: int) -> None:
        self.n = n
        self._tail: np.ndarray | None = None  # the last n-1 inputs

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if self.n == 1 or len(x) == 0:
            return x.astype(float)
        if self._tail is None:
            self._tail = np.full(self.n - 1, x[0], dtype=float)
        ext = np.concatenate((self._tail, x))
        self._tail = ext[len(x) :].copy()
        out = ext[: len(x)].copy()
        for k in range(1, self.n):
            out += ext[k : k + len(x)]
        out /= self.n
        return out


class LowPass:
    """A second-order Bessel low-pass (`sosfilt` with carried state): almost no overshoot, so a
    quick release does not ring below the trough and look like a small stroke.

    The first sample seeds the state at steady state, so a recording that starts under load
    does not ring. `delay_s` is the group delay at low frequencies, used to place peaks in time.
    """

    def __init__(self, rate_hz: float, cutoff_hz: float = LOWPASS_HZ) -> None:
        cutoff = min(cutoff_hz, 0.45 * rate_hz)
        self.sos = signal.bessel(2, cutoff, fs=rate_hz, norm="mag", output="sos")
        self._zi_unit = signal.sosfilt_zi(self.sos)
        self._zi: np.ndarray | None = None
        _, gd = signal.group_delay(signal.sos2tf(self.sos), w=[1.0], fs=rate_hz)
        self.delay_s = float(gd[0]) / rate_hz

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Filter a block: 1-D samples, or 2-D with one channel per row (each row is filtered
        on its own, exactly as if alone; one call for several channels is cheaper)."""
        if x.shape[-1] == 0:
            return np.empty(x.shape)
        if self._zi is None:
            if x.ndim == 1:
                self._zi = self._zi_unit * float(x[0])
            else:
                self._zi = self._zi_unit[:, None, :] * x[None, :, :1]
        y, self._zi = signal.sosfilt(self.sos, x, zi=self._zi)
        return y

