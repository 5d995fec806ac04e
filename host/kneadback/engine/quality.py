"""Signal quality per second of session time: saturation, noise, lost samples.

Everything is counted in integers (a histogram of the second difference of the raw counts, the
number of samples at the rail), so the figures do not depend on how the stream is chunked.
Noise is robust: the median absolute second difference, which strokes and spikes barely move.
"""

from __future__ import annotations

import math

import numpy as np

from kneadback.model import SignalQuality

WINDOW_S = 1.0
BINS = 64  # |second differences| above this many counts are strokes or spikes anyway
_MAD_D2 = 0.6745 * math.sqrt(6.0)  # median |second difference| of unit white noise
RESOLUTION_COUNTS = 1.5  # a change of one count is the ADC's rounding; more than this is the signal
ADC_STEP_RMS = 1.0 / math.sqrt(12.0)  # the rounding noise of an ideal ADC, counts RMS
NEAR_RAIL_STEP = 0.1  # near the rail: one count moves the linearised signal by more than this share of it


def near_rail_from(signal: np.ndarray) -> int:
    """The lowest count in the upper half of the range from which one count moves the linearised
    signal (one value per count) by more than `NEAR_RAIL_STEP` of itself; past the top if none."""
    step = np.abs(np.gradient(signal))
    half = len(signal) // 2
    coarse = (step[half:] > NEAR_RAIL_STEP * np.abs(signal[half:])).nonzero()[0]
    return half + int(coarse[0]) if len(coarse) else len(signal)


class QualityMeter:
    def __init__(self, full_scale: int, force_per_count: np.ndarray, rail_from: int | None = None) -> None:
        """`rail_from`: the lowest count that is near the rail (`near_rail_from`)."""
        self.full_scale = full_scale
        self.rail_from = full_scale + 1 if rail_from is None else rail_from
        self._rail = self.rail_from <= full_scale  # any count near the rail at all
        self.force_per_count = force_per_count  # dF/dc per count value
        self.window: int | None = None
        self.lost_total = 0
        self.saturated_fraction = 0.0
        self.near_rail_fraction = 0.0
        self.noise_n = 0.0
        self.noise_counts = 0.0  # RMS noise of the last closed window, in counts
        self._tail: np.ndarray | None = None  # last two raw counts
        self._reset()

    def _reset(self) -> None:
        self.n = 0
        self.n_sat = 0
        self.n_rail = 0
        self.sum_c = 0
        self.hist = np.zeros(BINS, dtype=np.int64)

    def process(self, t: np.ndarray, c: np.ndarray, lost: int) -> tuple[list[SignalQuality], np.ndarray]:
        """Quality reports for the windows this block closes, and per sample the noise RMS in
        counts measured over the last closed window (0 before the first)."""
        out: list[SignalQuality] = []
        if not len(t):
            return out, np.zeros(0)
        self.lost_total += lost
        ext = c if self._tail is None else np.concatenate((self._tail, c))
        d1 = ext[1:] - ext[:-1]
        d2 = np.abs(d1[1:] - d1[:-1])
        np.minimum(d2, BINS - 1, out=d2)
        skip = len(c) - len(d2)  # the very first two samples have no second difference
        self._tail = ext[-2:].copy()
        win = np.floor(t / WINDOW_S).astype(np.int64)
        if self.window is None:
            self.window = int(win[0])
        cuts = (win[1:] != win[:-1]).nonzero()[0]
        if not len(cuts):  # the whole block lies in one window (a live block, mostly)
            if int(win[0]) != self.window:
                out.append(self._emit(float(t[0])))
                self.window = int(win[0])
            self.n += len(c)
            self.n_sat += int(np.count_nonzero(c >= self.full_scale))
            self.n_rail += int(np.count_nonzero(c >= self.rail_from)) if self._rail else 0
            self.sum_c += int(c.sum(dtype=np.int64))
            self.hist += np.bincount(d2, minlength=BINS)
            return out, np.full(len(c), self.noise_counts)
        starts = np.concatenate(([0], cuts + 1))
        lengths = np.diff(np.concatenate((starts, [len(t)])))
        seg = np.repeat(np.arange(len(starts)), lengths)
        sat = np.add.reduceat(c >= self.full_scale, starts, dtype=np.int64)
        rail = np.add.reduceat(c >= self.rail_from, starts, dtype=np.int64) if self._rail else np.zeros(len(starts), dtype=np.int64)
        sums = np.add.reduceat(c, starts, dtype=np.int64)
        hist = np.bincount(seg[skip:] * BINS + d2, minlength=len(starts) * BINS)
        hist = hist.reshape(len(starts), BINS)
        noise = np.empty(len(starts))
        medians = _medians_of_histograms(hist)
        per_window = zip(starts.tolist(), win[starts].tolist(), lengths.tolist(), sat.tolist(), rail.tolist(), sums.tolist())
        for k, (a, w, n, n_sat, n_rail, s) in enumerate(per_window):
            if w != self.window:
                # a window begun in this block has this block's histogram alone: its median is known
                out.append(self._emit(float(t[a]), float(medians[k - 1]) if k > 1 else None))
                self.window = w
            noise[k] = self.noise_counts
            self.n += n
            self.n_sat += n_sat
            self.n_rail += n_rail
            self.sum_c += s
            if k == 0:
                self.hist += hist[0]
        # every window but the last is closed here with its median known: only the last one's
        # histogram is still needed
        if len(starts) > 1:
            self.hist += hist[-1]
        return out, np.repeat(noise, lengths)

    def _emit(self, t: float, median: float | None = None) -> SignalQuality:
        """Close the window; `median`: of its histogram, when known already."""
        if self.n:
            self.saturated_fraction = self.n_sat / self.n
            self.near_rail_fraction = self.n_rail / self.n
            mean_c = round(self.sum_c / self.n)
            slope = float(self.force_per_count[min(max(mean_c, 0), self.full_scale)])
            self.noise_counts = (_median_of_histogram(self.hist) if median is None else median) / _MAD_D2
            self.noise_n = self.noise_counts * slope
        q = SignalQuality(t, self.saturated_fraction, self.noise_n, self.lost_total, self.near_rail_fraction)
        self._reset()
        return q


def _median_of_histogram(hist: np.ndarray) -> float:
    """Median of integer values from their counts, interpolated within the middle bin."""
    cum = hist.cumsum()
    total = int(cum[-1])
    if total == 0:
        return 0.0
    k = int(cum.searchsorted(total / 2.0))
    below = float(cum[k - 1]) if k else 0.0
    frac = (total / 2.0 - below) / float(hist[k])
    lo = max(k - 0.5, 0.0)
    return lo + frac * (k + 0.5 - lo)


def _medians_of_histograms(hist: np.ndarray) -> np.ndarray:
    """`_median_of_histogram` of each row at once, with the same arithmetic."""
    cum = hist.cumsum(axis=1)
    total = cum[:, -1]
    half = total / 2.0
    k = (cum < half[:, None]).sum(axis=1)  # the first bin where the count reaches half
    rows = np.arange(len(hist))
    below = np.where(k > 0, cum[rows, np.maximum(k - 1, 0)], 0).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = (half - below) / hist[rows, np.minimum(k, hist.shape[1] - 1)]
    lo = np.maximum(k - 0.5, 0.0)
    return np.where(total > 0, lo + frac * (k + 0.5 - lo), 0.0)
