"""The dashboard's sink: it only stores what arrives, in numpy rings and a few fields.

It never draws. Every sample the session delivers lands here (drawing is throttled elsewhere,
data never is); `version` grows with each change so a redraw can tell whether anything moved.
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Callable, Sequence

import numpy as np

from kneadback.clock import Clock
from kneadback.engine.motion import imu_columns
from kneadback.fsr import ForceModel, default_force_model, device_divider, uncalibrated_model
from kneadback.model import (
    Bout,
    Cue,
    DeviceInfo,
    Event,
    HoldEnded,
    HoldStarted,
    LinkEvent,
    LinkStatus,
    Marker,
    Notice,
    Rating,
    SampleBlock,
    SignalQuality,
    SpotChanged,
    Stroke,
)
from kneadback.sink import Sink
from kneadback.ui.dashboard.ring import Ring

TRACE_SECONDS = 10.0  # the force trace shows this much
_KEEP_SECONDS = 12.0  # the force ring holds a little more
_DEFAULT_RATE_HZ = 1000.0


@dataclasses.dataclass
class HoldSpan:
    start: float
    end: float | None = None  # None while the hold goes on


class DashboardFeed(Sink):
    """Latest state for the dashboard. `force_model_of` gives the engine's force model (asked
    when the device info arrives, after the engine has been configured)."""

    def __init__(self, clock: Clock, force_model_of: Callable[[], ForceModel | None] | None = None) -> None:
        self.clock = clock
        self._force_model_of = force_model_of
        self.force_model: ForceModel = default_force_model()
        self.force = Ring(int(_DEFAULT_RATE_HZ * _KEEP_SECONDS))
        self.strokes = Ring(1024)  # (t_peak, peak_n)
        self.rate = Ring(1 << 15)  # (t, strokes/min): each stroke's rate (`kneadback.engine.rate`), the history
        self.holds: collections.deque[HoldSpan] = collections.deque(maxlen=64)
        self.markers: collections.deque[Marker] = collections.deque(maxlen=64)
        self.bouts: list[Bout] = []
        self.cue: Cue | None = None
        self.rating: Rating | None = None
        self.spot: str | None = None
        self.quality: SignalQuality | None = None
        self.status = LinkStatus()
        self.connected = True  # the port is there; follows link events at once
        self.notice: Notice | None = None  # the session's latest news (a silent device's hint)
        self.imu = False  # the board has a motion sensor: the direction tile is shown
        self.samples = 0
        self.newest_t = float("nan")
        self.newest_arrival = float("nan")  # host clock when the newest sample arrived
        self.version = 0
        self.closed = False

    # --- Sink --------------------------------------------------------------------------
    def on_info(self, info: DeviceInfo) -> None:
        model = self._force_model_of() if self._force_model_of is not None else None
        self.force_model = model or uncalibrated_model(device_divider(info))
        self.imu = imu_columns(info) is not None
        rate = info.sample_rate_hz if info.sample_rate_hz and info.sample_rate_hz > 0 else _DEFAULT_RATE_HZ
        capacity = max(1024, int(rate * _KEEP_SECONDS))
        if capacity != self.force.capacity:
            t, v = self.force.latest()
            ring = Ring(capacity)
            ring.append(t.copy(), v.copy())
            self.force = ring
        self.version += 1

    def on_block(self, block: SampleBlock) -> None:
        n = len(block)
        if not n:
            return
        self.force.append(block.t, self.force_model.to_newtons(np.asarray(block.adc)))
        self.samples += n
        self.newest_t = block.t_end
        self.newest_arrival = self.clock.now()
        self.version += 1

    def on_events(self, events: Sequence[Event]) -> None:
        for ev in events:
            self._on_event(ev)
        self.version += 1

    def on_status(self, status: LinkStatus) -> None:
        self.status = dataclasses.replace(status, errors_by_kind=dict(status.errors_by_kind))
        self.connected = status.state != "lost"
        self.version += 1

    def on_notice(self, notice: Notice) -> None:
        self.notice = notice
        self.version += 1

    def close(self) -> None:
        self.closed = True
        self.version += 1

    # --- for replay seeks ----------------------------------------------------------------
    def on_history(self, events: Sequence[Event]) -> None:
        """At a replay's new point: the force trace starts afresh (its samples are not handed
        over, so neither are the peaks and holds drawn on it); the rate history, the bouts, the
        markers and the latest cue, rating and spot are as an uninterrupted replay has them."""
        self.clear()
        for ev in events:
            if isinstance(ev, Stroke):
                self._add_rate(ev)
            elif not isinstance(ev, (HoldStarted, HoldEnded)):
                self._on_event(ev)
        self.version += 1

    def clear(self) -> None:
        """Forget everything time-based (a seek starts the picture afresh)."""
        for ring in (self.force, self.strokes, self.rate):
            ring.clear()
        self.holds.clear()
        self.markers.clear()
        self.bouts.clear()
        self.cue = None
        self.rating = None
        self.newest_t = float("nan")
        self.newest_arrival = float("nan")
        self.version += 1

    # --- internals -------------------------------------------------------------------------
    def _on_event(self, ev: Event) -> None:
        if isinstance(ev, Stroke):
            self.strokes.append(ev.t_peak, ev.peak_n)
            self._add_rate(ev)
        elif isinstance(ev, HoldStarted):
            self.holds.append(HoldSpan(ev.start))
        elif isinstance(ev, HoldEnded):
            if self.holds and self.holds[-1].end is None and abs(self.holds[-1].start - ev.start) < 1e-6:
                self.holds[-1].end = ev.end
            else:
                self.holds.append(HoldSpan(ev.start, ev.end))
        elif isinstance(ev, Cue):
            self.cue = ev
        elif isinstance(ev, Bout):
            self.bouts.append(ev)
        elif isinstance(ev, Rating):
            self.rating = ev
        elif isinstance(ev, Marker):
            self.markers.append(ev)
        elif isinstance(ev, SpotChanged):
            self.spot = ev.spot
        elif isinstance(ev, SignalQuality):
            self.quality = ev
        elif isinstance(ev, LinkEvent) and ev.kind in ("disconnected", "reconnected"):
            self.connected = ev.kind == "reconnected"

    def _add_rate(self, stroke: Stroke) -> None:
        if stroke.rate_spm is not None:
            self.rate.append(stroke.t_peak, stroke.rate_spm)

    def recent_peak_n(self, now: float, window_s: float = 10.0, count: int = 5) -> float | None:
        """Mean peak force of the last few strokes within `window_s` (what a rating pairs with)."""
        t, v = self.strokes.latest(count)
        recent = v[t >= now - window_s]
        return float(recent.mean()) if len(recent) else None


def peak_decimate(t: np.ndarray, v: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """About `2 * bins` points (at most `4 * bins`) keeping each bin's minimum and maximum (in
    time order), so a trace drawn from them looks like the full one at that width: no peak is
    lost, and the newest sample is always the last point."""
    n = len(t)
    if n <= 2 * bins or bins < 1:
        return t, v
    per = n // bins
    nb = n // per
    start = n - per * nb  # fewer than `per` oldest samples, kept as they are
    tv = t[start:].reshape(nb, per)
    vv = v[start:].reshape(nb, per)
    imin = vv.argmin(axis=1)
    imax = vv.argmax(axis=1)
    rows = np.arange(nb)
    first, second = np.minimum(imin, imax), np.maximum(imin, imax)
    t_out = np.empty(start + 2 * nb)
    v_out = np.empty(start + 2 * nb)
    t_out[:start], v_out[:start] = t[:start], v[:start]
    t_out[start::2], v_out[start::2] = tv[rows, first], vv[rows, first]
    t_out[start + 1 :: 2], v_out[start + 1 :: 2] = tv[rows, second], vv[rows, second]
    if t_out[-1] != t[-1]:  # the trace always reaches the newest sample
        t_out, v_out = np.append(t_out, t[-1]), np.append(v_out, v[-1])
    return t_out, v_out
