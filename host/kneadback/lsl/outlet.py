"""`--lsl`: a session's force and events published on the Lab Streaming Layer.

`LslOutlet` is a sink. When the device says what it is, it opens the two streams of
`kneadback.lsl.meta` for it; every sample block goes to the force stream, every event of
`meta.MARKER_TYPES` and a status once per second of session time to the markers stream.

Samples are stamped with their device time mapped onto the LSL clock, not with when they reached
the host: a block arrives some jittery time after its last sample was taken, so `ClockMap` fits
the lower edge of (arrival − device time) over the last minute, which follows the drift of the
device's crystal and ignores the jitter. Markers are stamped at their event's time, mapped alike.
What cannot be seen from the host (the fixed part of the transport's delay) stays in the stamps.
"""

from __future__ import annotations

import collections
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from kneadback.clock import Clock
from kneadback.lsl import api, meta
from kneadback.model import DeviceInfo, Event, LinkEvent, LinkStatus, SampleBlock
from kneadback.sink import Sink

if TYPE_CHECKING:
    from kneadback.coach.coach import CoachState
    from kneadback.fsr import ForceModel

BUCKET_S = 1.0  # device seconds whose lowest arrival makes one point of the fit
WINDOW = 60  # points fitted: a minute follows a crystal's drift as its temperature changes
JUMP_S = 0.5  # an arrival this much later than the map says is a pause (or a stall), not jitter: start over
#: at the end, how long the streams stay up while someone reads them: an inlet that has not yet
#: pulled what was pushed loses it when its outlet goes (liblsl drops it on a lost stream)
CLOSE_GRACE_S = 1.0


class ClockMap:
    """Device time (session seconds) → host time (the LSL clock), from when blocks arrived.

    host = slope × t + a + b × t, where `slope` is the pace the source runs at (1 live; a replay's
    speed's inverse) and a + b × t is a line fitted to the lowest arrival of each complete
    `BUCKET_S` of device time over the last `WINDOW` of them (the lowest so far, until the first is
    complete). So the map moves once a bucket, by a little: a bucket's first arrivals, late by the
    jitter, never tilt it."""

    def __init__(self, slope: float = 1.0) -> None:
        self.slope = slope
        self.reset()

    def reset(self) -> None:
        """Forget every arrival: after a seek, or a pause of the source."""
        self._points: collections.deque[tuple[float, float]] = collections.deque(maxlen=WINDOW)
        self._bucket: int | None = None
        self._low: tuple[float, float] = (0.0, math.inf)  # the current bucket's (t, residual) lowest so far
        self._a = math.nan
        self._b = 0.0

    @property
    def ready(self) -> bool:
        return not math.isnan(self._a)

    def observe(self, t: float, arrival: float) -> None:
        """The sample of device time `t` had arrived by host time `arrival`."""
        r = arrival - self.slope * t
        if self.ready and r - (self._a + self._b * t) > JUMP_S:
            self.reset()
        bucket = math.floor(t / BUCKET_S)
        if bucket != self._bucket:
            if self._bucket is not None:
                self._points.append(self._low)
            self._bucket, self._low = bucket, (t, r)
        elif r < self._low[1]:
            self._low = (t, r)
            if self._points:
                return  # the bucket counts once it is complete
        else:
            return
        self._fit()

    def _fit(self) -> None:
        pts = list(self._points) or [self._low]
        if len(pts) < 2:
            self._a, self._b = pts[0][1], 0.0
            return
        ts = np.array([p[0] for p in pts])
        rs = np.array([p[1] for p in pts])
        tm, rm = ts.mean(), rs.mean()
        spread = float(((ts - tm) ** 2).sum())
        self._b = float(((ts - tm) * (rs - rm)).sum() / spread) if spread > 0 else 0.0
        self._a = float(rm - self._b * tm)

    def __call__(self, t: Any) -> Any:
        """Host time of device time `t` (a number or an array)."""
        return self.slope * t + self._a + self._b * t


class LslOutlet(Sink):
    """The force and markers streams of one session's device."""

    def __init__(self, clock: Clock, *, spot: Callable[[], str], coach_state: Callable[[], CoachState | None],
                 force_model: Callable[[], ForceModel | None], speed: float = 1.0,
                 lsl_now: Callable[[], float] | None = None) -> None:
        """`clock`: the run's (it waits `CLOSE_GRACE_S` on it); `spot`, `coach_state` and
        `force_model` are read when needed (they change as the session goes); `speed`: session
        seconds per second of the LSL clock; `lsl_now`: the LSL clock (default liblsl's)."""
        self._pylsl = api.load()
        self.clock = clock
        self._spot = spot
        self._coach_state = coach_state
        self._force_model = force_model
        self._now: Callable[[], float] = lsl_now if lsl_now is not None else self._pylsl.local_clock
        self.map = ClockMap(1.0 / speed)
        self._device: str | None = None
        self._force: Any = None
        self._markers: Any = None
        self._scales = np.ones(0)
        self._last_t = -math.inf
        self._next_status = 0.0
        self._status: LinkStatus | None = None  # the latest
        self._link: str | None = None

    # --- Sink --------------------------------------------------------------------------
    def on_info(self, info: DeviceInfo) -> None:
        """Open the streams for this device (again only if it is another device)."""
        if meta.device_id(info) == self._device:
            return
        model = self._force_model()
        trust, unit = (model.trust, model.unit) if model is not None else ("approximate", "N")
        spot = self._spot()
        self._close()
        self._force = self._pylsl.StreamOutlet(meta.force_info(info, spot=spot, calibration=trust, force_unit=unit))
        self._markers = self._pylsl.StreamOutlet(meta.markers_info(info, spot=spot, calibration=trust))
        self._scales = np.array([c.scale for c in info.channels[1:]], dtype=np.float64)
        self._device = meta.device_id(info)
        self.map.reset()

    def on_block(self, block: SampleBlock) -> None:
        if self._force is None or not len(block):
            return
        arrival = self._now()
        t = np.asarray(block.t, dtype=np.float64)
        if t[0] < self._last_t:  # a seek back: the device time starts over
            self.map.reset()
        self._last_t = float(t[-1])
        self.map.observe(float(t[-1]), arrival)
        adc = np.asarray(block.adc)
        model = self._force_model()
        force = model.to_newtons(adc) if model is not None else np.full(len(adc), np.nan)
        columns = [adc, force]
        if len(self._scales):
            extra = np.full((len(adc), len(self._scales)), np.nan) if block.extra is None else np.asarray(block.extra)
            columns += list(np.asarray(extra, dtype=np.float64).reshape(len(adc), -1).T * self._scales[:, None])
        samples = np.column_stack(columns).astype(np.float32)
        self._force.push_chunk(samples, self.map(t).tolist())

    def on_events(self, events: Sequence[Event]) -> None:
        if self._markers is None:
            return
        for ev in events:
            if isinstance(ev, LinkEvent) and ev.kind == "reset":  # a seek, or the board restarted: learn the map anew
                self.map.reset()
                self._next_status = ev.t
            elif ev.type in meta.MARKER_TYPES:
                self._push_marker(meta.marker_json(ev), float(ev.t))

    def on_status(self, status: LinkStatus) -> None:
        """The status marker, once per `meta.STATUS_EVERY_S` of session time, and at once when the
        link changes (a tool whose device went silent says so while its time stands still)."""
        self._status = status
        if status.t < self._next_status and status.state == self._link:
            return
        self._next_status = (math.floor(status.t / meta.STATUS_EVERY_S) + 1) * meta.STATUS_EVERY_S  # one each second
        self._link = status.state
        self._push_status()

    def close(self) -> None:
        """A last status (the session's totals), time for the readers to take the rest, then the
        streams go."""
        if self._markers is not None:
            self._push_status()
            if self._force.have_consumers() or self._markers.have_consumers():
                self.clock.sleep(CLOSE_GRACE_S)
        self._close()

    # --- internals ---------------------------------------------------------------------
    def _push_status(self) -> None:
        state = self._coach_state()
        if self._markers is not None and state is not None and self._status is not None:
            self._push_marker(meta.status_json(state, self._status), self._status.t)

    def _push_marker(self, text: str, t: float) -> None:
        stamp = float(self.map(t)) if self.map.ready else self._now()
        self._markers.push_sample([text], stamp)

    def _close(self) -> None:
        """Drop the streams: liblsl closes an outlet when its last reference goes."""
        self._force = self._markers = None
        self._device = None
