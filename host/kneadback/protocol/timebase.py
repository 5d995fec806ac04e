"""Mapping a device clock to session time: u32 unwrapping and drift estimation.

The device stamps every sample with `micros()`, a u32 that wraps every 71 minutes and whose
crystal may run fast or slow against the host by up to about 1 %. `DeviceTimebase` unwraps it
and maps device microseconds to session seconds piecewise linearly:
``t = t_anchor + (d - d_anchor) * scale``. The scale (host seconds per device second) is
estimated from when frames arrive: for each `WINDOW_S` of device time the smallest latency
(arrival minus device time) is kept, and a robust slope (Theil–Sen) through those minima gives
the scale; a small extra slew removes what the first seconds at the nominal rate left
behind. Session time never jumps and never runs backwards. Delayed arrivals (a busy or
suspended host reading a backlog) only raise latency, so the minima ignore them. Arrival
times that do not track the device (a file read at once, a simulation run faster than real
time) give a slope far from 1 and are ignored.
"""

from __future__ import annotations

import collections

import numpy as np

WRAP = 1 << 32
HALF = 1 << 31
WINDOW_S = 2.0  # device seconds per latency window
MIN_SPAN_S = 10.0  # device seconds of windows needed before drift is estimated
MAX_WINDOWS = 150  # about five minutes of windows
MAX_DRIFT = 0.02  # scales further than this from 1 are taken as arrival times that do not track
SLEW_S = 20.0  # an offset between session and host time is corrected over this long
MAX_SLEW = 0.005  # at most this much faster or slower than the estimated rate


class DeviceTimebase:
    """One segment of a device clock (from a reset or the first sample on)."""

    def __init__(self, first_raw_us: int, t_start: float) -> None:
        self._raw_last = int(first_raw_us)
        self._d_last = 0  # unwrapped µs since the first sample of the segment
        self._d_anchor = 0
        self._t_anchor = self._t_start = float(t_start)
        self.scale = 1.0
        self._windows: collections.deque[tuple[float, float]] = collections.deque(maxlen=MAX_WINDOWS)
        self._win_end = WINDOW_S
        self._win_best: tuple[float, float] | None = None  # (latency, d) of the current window
        self._next_fit = MIN_SPAN_S

    @property
    def last_raw(self) -> int:
        """The device clock (u32) at the last sample."""
        return self._raw_last

    def step_back(self, raw_us: int) -> bool:
        """True when `raw_us` lies before the last sample (a clock that restarted)."""
        return (int(raw_us) - self._raw_last) % WRAP >= HALF

    def gap_us(self, raw_us: int) -> int:
        """Device µs from the last sample to `raw_us` (forward, modulo the wrap)."""
        return (int(raw_us) - self._raw_last) % WRAP

    def map(self, raw_us: np.ndarray, first: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Unwrap `raw_us` (uint32, following the last sample) into segment µs and session
        seconds. With `first`, the first value is the segment's first sample itself."""
        raw = raw_us.astype(np.int64)
        if first:
            self._raw_last = int(raw[0])
        # a frame spans far less than a wrap, so each sample's offset from the last is exact
        d = self._d_last + (raw - self._raw_last) % WRAP
        self._raw_last = int(raw[-1])
        self._d_last = int(d[-1])
        return d, self.session_time(d)

    def session_time(self, d_us: np.ndarray | float) -> np.ndarray:
        return self._t_anchor + (np.asarray(d_us, dtype=np.float64) - self._d_anchor) * (1e-6 * self.scale)

    @property
    def t_last(self) -> float:
        return float(self.session_time(self._d_last))

    def observe(self, t_arrival: float) -> None:
        """Note that the samples up to the last mapped one had arrived by `t_arrival`."""
        d_s = self._d_last * 1e-6
        while d_s >= self._win_end:
            if self._win_best is not None:
                lat, d_at = self._win_best
                self._windows.append((d_at, lat + d_at))
                self._win_best = None
            self._win_end += WINDOW_S
            if self._win_end - WINDOW_S >= self._next_fit:
                self._next_fit += WINDOW_S
                self._fit()
        lat = t_arrival - d_s
        if self._win_best is None or lat < self._win_best[0]:
            self._win_best = (lat, d_s)

    def _fit(self) -> None:
        if len(self._windows) < 5:
            return
        w = np.asarray(self._windows)
        x, y = w[:, 0], w[:, 1]
        if x[-1] - x[0] < MIN_SPAN_S:
            return
        i, j = np.triu_indices(len(x), k=1)
        dx = x[j] - x[i]
        far = dx >= MIN_SPAN_S / 2
        if not far.any():
            return
        slope = float(np.median((y[j] - y[i])[far] / dx[far]))
        if abs(slope - 1.0) > MAX_DRIFT:
            return
        # Session time should be host time since the segment began: t_start + slope * d.
        # Re-anchor at the last sample (time stays continuous) and slew off what the
        # uncorrected start left behind, over SLEW_S seconds.
        t_now = self.t_last
        error = t_now - (self._t_start + slope * self._d_last * 1e-6)
        self._t_anchor = t_now
        self._d_anchor = self._d_last
        self.scale = slope - float(np.clip(error / SLEW_S, -MAX_SLEW, MAX_SLEW))

    @property
    def latency_floor(self) -> float | None:
        """The smallest recent (arrival − session time) seen, in host seconds."""
        best = self._win_best
        if best is None and not self._windows:
            return None
        d_at, y = self._windows[-1] if best is None else (best[1], best[0] + best[1])
        return y - float(self.session_time(d_at * 1e6))
