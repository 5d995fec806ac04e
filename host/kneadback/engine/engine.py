"""The streaming analysis engine: samples in, strokes, holds, contact, bouts and quality out.

One block at a time, in order, causally: every event is built from samples up to its
`t_confirmed` and is emitted in the block that holds that sample, so the output does not depend
on how the stream is chunked. The hot path is vectorised per block (look-up tables, `sosfilt`
with carried state, running extrema); Python runs once per turning point and per event.

Pipeline per block: despike (median of 5 counts) → linearise (conductance µS, force N) →
8 Hz low-pass, and a 10 ms mean of the conductance for the detector's quick rule → stroke
detector (conductance) → contact (conductance above a tracked baseline) → holds → bouts and rate;
quality runs beside it on the raw counts; a board with an IMU adds each stroke's motion
(`kneadback.engine.motion`), which an FSR-only board never runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from kneadback.engine.bouts import BoutTracker, MeasuredStroke
from kneadback.engine.contact import ContactTracker
from kneadback.engine.filters import LOWPASS_HZ, BoxMean, Despike, LowPass
from kneadback.engine.history import History
from kneadback.engine.holds import HoldChange, HoldTracker, Mark
from kneadback.engine.linearise import Linearizer
from kneadback.engine.motion import MotionTracker, imu_columns
from kneadback.engine.quality import ADC_STEP_RMS, RESOLUTION_COUNTS, QualityMeter, near_rail_from
from kneadback.engine.strokes import Candidate, StrokeDetector
from kneadback.engine.undeclared import Direction, OrientedForce, stroke_params
from kneadback.fsr import ForceModel, RelativeForceModel, device_divider, uncalibrated_model
from kneadback.model import (
    Bout,
    BoutStarted,
    ContactChanged,
    DeviceInfo,
    Event,
    HoldEnded,
    HoldStarted,
    SampleBlock,
    SignalQuality,
    Stroke,
    StrokeMotion,
)

HISTORY_S = 12.0  # seconds of processed samples kept for looking back
GAP_RESET_S = 1.0  # a gap in the data longer than this restarts the filters and the detector
START_SHARE = 0.02  # a stroke starts where it has risen this share of its rise above the trough
SLICE = 16384  # samples processed at a time (long blocks are sliced; the output is the same)

# order of simultaneous events (same t_confirmed)
_RANK = {ContactChanged: 0, HoldEnded: 1, Bout: 2, StrokeMotion: 3, Stroke: 3, BoutStarted: 4, HoldStarted: 5, SignalQuality: 6}


@dataclass(frozen=True)
class EngineState:
    """What the engine knows at the latest sample, for status lines and dashboards."""

    t: float
    force_n: float  # low-passed force
    rate_spm: float | None  # None with fewer than two strokes or after a pause
    in_contact: bool
    holding_since: float | None
    bout_index: int  # of the current bout, or of the next one when none is running
    bout_start: float | None
    bout_strokes: int
    strokes: int  # so far in the session
    last_stroke: Stroke | None
    saturated_fraction: float
    noise_n: float
    lost_samples: int
    baseline_n: float = 0.0  # what the sensor reads with the tool in the air

    def to_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "last_stroke"}
        d["last_stroke"] = None if self.last_stroke is None else self.last_stroke.to_dict()
        return d


class Engine:
    """Implements the session's Analyzer protocol: `configure`, `process`, `finish`, `state`."""

    def __init__(
        self,
        force_model: ForceModel | None = None,
        *,
        model_for_device: Callable[[DeviceInfo], ForceModel] | None = None,
    ) -> None:
        """`force_model` replaces the datasheet curve (a user's calibration); or
        `model_for_device` picks one once the device's divider is known."""
        self._user_model = force_model
        self._model_for = model_for_device
        self.force_model: ForceModel | None = force_model
        self.info: DeviceInfo | None = None
        self._n_strokes = 0
        self._bout_index = 0
        self._last_stroke: Stroke | None = None
        self._last_peak_n: float | None = None
        self._lost = 0
        self._configured_key: tuple[Any, ...] | None = None

    # --- set-up ---------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget everything, as if just built: the next `configure` sets up afresh (a replay that
        goes back in time rebuilds its state from the start, see `Session.restart_at`)."""
        self.force_model = self._user_model
        self.info = None
        self._n_strokes = 0
        self._bout_index = 0
        self._last_stroke = None
        self._last_peak_n = None
        self._lost = 0
        self._configured_key = None

    def configure(self, info: DeviceInfo) -> None:
        """Set up for a device; a repeated identical INFO (a reconnect) keeps all state."""
        key = (info.sample_rate_hz, info.divider_ohms, info.vref_mv, info.adc_bits, info.front_end, info.channels)
        self.info = info
        if key == self._configured_key:
            return
        self._configured_key = key
        divider = device_divider(info)
        if self._user_model is not None:
            self.force_model = self._user_model
        elif self._model_for is not None:
            self.force_model = self._model_for(info)
        else:
            self.force_model = uncalibrated_model(divider)
        assert self.force_model is not None
        self.rate_hz = float(info.sample_rate_hz)
        self.lin = Linearizer(divider, self.force_model)
        # an undeclared front end's counts may fall with force, and need not be proportional to it
        # (`engine.undeclared`); a calibration made on the raw counts knows which way they go
        undeclared = divider.front_end == "unknown"
        self._direction = Direction(divider.full_scale, self.rate_hz) if undeclared and isinstance(self.force_model, RelativeForceModel) else None
        if self._direction is not None:  # the engine's tables take turned counts; raw counts are read turned too
            self.force_model = OrientedForce(self.force_model, self._direction)
        self._turned = False
        self._despike = Despike()
        self._lp = LowPass(self.rate_hz)  # conductance and force, one channel each
        self._despike_lag_s = 2.0 / self.rate_hz  # the median of five lags two samples
        self.lag_s = self._lp.delay_s + self._despike_lag_s
        imu = imu_columns(info)  # a motion sensor on the tool: stroke direction and length
        self.motion = MotionTracker(self.rate_hz, imu, self.lag_s) if imu is not None else None
        self._extra: np.ndarray | None = None
        self._extra_at = 0
        self._lp_lag_n = round(self._lp.delay_s * self.rate_hz)
        # white noise that survives the low-pass (equivalent noise bandwidth ≈ 1.11 × cutoff)
        self._lp_noise_gain = math.sqrt(min(1.0, 2.0 * 1.11 * LOWPASS_HZ / self.rate_hz))
        self.history = History(HISTORY_S)
        self.detector = StrokeDetector(self.history, self.rate_hz, self._lp_noise_gain, stroke_params(divider.full_scale) if undeclared else None)
        # the least noise, in counts after the low-pass: a stroke's floor (noise_k of it) is at
        # least `RESOLUTION_COUNTS`, so a flicker of one count is never a stroke
        self._least_noise = RESOLUTION_COUNTS / self.detector.p.noise_k
        self._fast = BoxMean(self.detector.fast_n)
        # an FSR divider reads its zero with no force on the sensor (the FSR open); other front
        # ends have an offset, so their lowest reading so far stands for it
        zero = float(self.lin.conductance_us[0]) if divider.is_fsr else math.inf
        self.contact = ContactTracker(self.lag_s, self.rate_hz, zero)
        self.holds = HoldTracker(self._moved)
        self.bouts = BoutTracker()
        self.bouts.index = self._bout_index
        self.quality = QualityMeter(divider.full_scale, np.gradient(self.lin.force_n), near_rail_from(self.lin.conductance_us))
        self._hold_start_i = 0
        self._hold_cum0 = 0.0
        self._t_last: float | None = None
        self._t_first = 0.0
        self._f_last = 0.0

    # --- streaming ------------------------------------------------------------------------
    def process(self, block: SampleBlock) -> list[Event]:
        """Everything confirmed by the samples of `block` (consecutive samples; `block.lost`
        went missing just before it)."""
        if self.info is None:
            raise RuntimeError("Engine.configure(info) must come before process()")
        t_all = np.asarray(block.t, dtype=float)
        adc_all = np.asarray(block.adc)
        if not len(t_all):  # nothing arrived, but samples may have been lost
            self._lost += int(block.lost)
            self.quality.lost_total += int(block.lost)
            return []
        events: list[Event] = []
        # long blocks go in slices that stay in the CPU cache; the output is the same
        self._extra, self._extra_at = block.extra, 0  # the IMU's rows, taken as the samples are
        for a in range(0, len(t_all), SLICE):
            events += self._oriented(t_all[a : a + SLICE], adc_all[a : a + SLICE], int(block.lost) if a == 0 else 0)
        return events

    def _oriented(self, t: np.ndarray, adc: np.ndarray, lost: int) -> list[Event]:
        """An undeclared front end's counts turned as they go with force (`engine.undeclared`); where
        that turns, the filters and the detector start afresh, as after a gap."""
        if self._direction is None:
            return self._process(t, adc, lost)
        c, k = self._direction.oriented(adc)
        events = self._process(t[:k], c[:k], lost) if k else []
        self._turned = k is not None
        return events + self._process(t[k or 0 :], c[k or 0 :], 0 if k else lost)

    def _process(self, t: np.ndarray, adc: np.ndarray, lost: int) -> list[Event]:
        self._lost += lost
        restarted: list[HoldChange] = []
        if self._t_last is not None and (float(t[0]) - self._t_last > GAP_RESET_S or self._turned):
            self._turned = False
            self._restart_filters()
            restarted = self.holds.restart(self.history.end, float(t[0]), self._t_last - self.lag_s)
            self.bouts.grace_s += float(t[0]) - self._t_last
        c = self.lin.clip(adc).astype(np.int32, copy=False)
        cd = self._despike(c)
        gf = np.empty((2, len(cd)))
        self.lin.conductance_us.take(cd, out=gf[0])
        self.lin.force_n.take(cd, out=gf[1])
        fast = self._fast(gf[0])
        g, f = self._lp(gf)
        quality, noise_counts = self.quality.process(t, c, lost)
        # µS RMS after the low-pass, never below the ADC's resolution (the low-pass cannot smooth
        # a step): every floor of the detector comes from it, none from newtons
        noise = np.maximum(noise_counts * self._lp_noise_gain, self._least_noise)
        noise *= self.lin.slope_us.take(cd)
        first = self.history.end
        self.history.append(t, g, f, cd)
        if self._t_last is None:
            self._t_first = float(t[0])
        self._t_last = float(t[-1])
        self._f_last = float(f[-1])

        events: list[Event] = []
        level = self.detector.peak_level
        cands = self.detector.process(t, g, fast, noise, first)
        # the level strokes peak at, per sample: it changes where each stroke is confirmed
        steps = [(0, math.nan if level is None else level)]
        steps += [(cand.i_confirm - first, cand.level_us) for cand in cands if cand.accepted]
        at, levels = zip(*steps)
        peak = np.repeat(levels, np.diff((*at, len(t))))
        strokes = [(cd_.i_confirm, *self._stroke(cd_)) for cd_ in cands if cd_.accepted]
        changes = self.contact.process(t, g, noise, peak, first)
        marks = [Mark(ch.sample, ch.t_confirmed, "on" if ch.on else "off", ch.at, ch.at) for ch in changes]
        marks += [Mark(i, s["t_confirmed"], "activity", s["t_start"], s["t_end"]) for i, s, _ in strokes]
        holds = restarted + self.holds.process(t, first, marks)
        events += [ContactChanged(ch.at, ch.on, ch.t_confirmed) for ch in changes]
        events += [self._hold_event(h) for h in holds]
        events += self._bouts(t, first, strokes, holds)  # the strokes too, with their rate
        events += quality
        if self.motion is not None:
            rows = None if self._extra is None else self._extra[self._extra_at : self._extra_at + len(t)]
            self._extra_at += len(t)
            # the strokes as measured, before their stretch stamps an interval and a rate on them
            events += self.motion.process(t, rows, f, [Stroke(**s) for _, s, _ in strokes])
        events.sort(key=lambda e: (e.t, _RANK[type(e)]))
        return events

    def finish(self) -> list[Event]:
        """Close what is open at the end of the data: a hold and the last bout."""
        if self.info is None or self._t_last is None:
            return []
        t = self._t_last
        out: list[Event] = []
        if self.holds.holding_since is not None:
            start = self.holds.holding_since
            self.holds.holding_since = None
            out.append(HoldEnded(start, t - self.lag_s, t, self._hold_mean(self.history.end)))
        out += self.bouts.close(t)
        self._bout_index = self.bouts.index
        return out

    @property
    def state(self) -> EngineState:
        ready = self.info is not None and self._t_last is not None
        b = self.bouts if ready else None
        return EngineState(
            t=(self._t_last or 0.0) if ready else 0.0,  # ready: never None
            force_n=self._f_last if ready else 0.0,
            rate_spm=b.rate_spm if b else None,
            in_contact=self.contact.on if ready else False,
            holding_since=self.holds.holding_since if ready else None,
            bout_index=b.index if b else self._bout_index,
            bout_start=b.start if b else None,
            bout_strokes=b.count if b and b.active else 0,
            strokes=self._n_strokes,
            last_stroke=self._last_stroke,
            saturated_fraction=self.quality.saturated_fraction if ready else 0.0,
            noise_n=self.quality.noise_n if ready else 0.0,
            lost_samples=self._lost,
            baseline_n=self.lin.force_at(self.contact.baseline) if ready else 0.0,
        )

    # --- internals ------------------------------------------------------------------------
    def _restart_filters(self) -> None:
        """After a long gap: do not bridge it with invented data, start the filters afresh."""
        self._despike = Despike()
        self._lp = LowPass(self.rate_hz)
        self._fast = BoxMean(self.detector.fast_n)
        self.detector.reset()

    def _stroke(self, cand: Candidate) -> tuple[MeasuredStroke, float]:
        """The fields of the stroke a candidate stands for, but its interval and rate (the stretch
        it falls in gives them, `BoutTracker.on_stroke`), and the middle of its rise (timing for
        the rate)."""
        h, lag = self.history, self.lag_s
        t_top = h.at("t", cand.i_peak)  # the low-passed peak, for where the rise began
        i0 = max(cand.i_trough, h.index_at(t_top - self.detector.p.max_rise_s))
        i_conf = cand.i_confirm
        tt, gg, ff, cc = h.col("t", i0, i_conf + 1), h.col("g", i0, i_conf + 1), h.col("f", i0, i_conf + 1), h.col("c", i0, i_conf + 1)
        g_rise = gg[: cand.i_peak + 1 - i0]
        low = (g_rise <= cand.trough_us + START_SHARE * cand.rise_us).nonzero()[0]
        k0 = int(low[-1]) if len(low) else 0  # the stroke starts here
        k_mid = k0 + int((g_rise[k0:] >= cand.trough_us + 0.5 * cand.rise_us).argmax())
        t_mid = float(tt[k_mid]) - lag
        tt, ff, cc = tt[k0:], ff[k0:], cc[k0:]
        # the peak in time: despiked counts, sharper than `g`, up to the low-passed peak (later,
        # the FSR's hysteresis lifts the reading as the force is released)
        upto = cc[: max(1, cand.i_peak + self._lp_lag_n + 1 - i0 - k0)]
        at_top = upto == np.maximum.reduce(upto)
        a = int(at_top.argmax())  # the first run of samples at the top
        n = int(at_top[a:].argmin())
        if at_top[a + n]:  # the run goes on to the end
            n = len(upto) - a
        k_raw = a + n // 2  # the middle of a flat (clipped) top
        t_start = max(float(tt[0]) - lag, self._t_first)
        t_peak = float(tt[k_raw]) - self._despike_lag_s
        t_conf = float(tt[-1])
        peak_n = float(np.maximum.reduce(ff))
        f_start = float(ff[0])
        # the fall is still under way at confirmation: it takes about as long as the press-in took
        # (twice start → mid-rise), a fifth of which has passed by now
        t_end = t_conf - lag + 0.8 * 2.0 * max(t_mid - t_start, 0.0)
        seen = 0.5 * float(np.dot(ff[1:] + ff[:-1], tt[1:] - tt[:-1])) if len(tt) > 1 else 0.0
        impulse = seen + (t_end - (t_conf - lag)) * 0.5 * (float(ff[-1]) + f_start)
        duration = t_end - t_start
        top = self._last_peak_n if self._last_peak_n is not None else peak_n
        release = min(max((top - f_start) / top, 0.0), 1.0) if top > 0 else 0.0
        measured: MeasuredStroke = {
            "index": self._n_strokes,
            "t_start": t_start,
            "t_peak": t_peak,
            "t_end": t_end,
            "t_confirmed": t_conf,
            "peak_n": peak_n,
            "mean_n": impulse / duration if duration > 0 else peak_n,
            "peak_adc": int(np.maximum.reduce(cc)),
            "impulse_ns": impulse,
            "release": release,
        }
        self._n_strokes += 1
        self._last_peak_n = peak_n
        return measured, t_mid

    def _moved(self, i: int, t_from: float) -> float | None:
        """When the force last moved out of the stillness band between `t_from` (corrected
        time) and sample `i`, in corrected time; None when it stayed still."""
        p = self.detector.p
        # never narrower than a few times the noise at this level, the ADC's rounding included
        # (wide near the rail, where the low-passed signal wanders by a count)
        c = int(self.history.at("c", i))
        noise = max(self.quality.noise_counts * self._lp_noise_gain, ADC_STEP_RMS) * float(self.lin.slope_us[c])
        band = self.detector.still_band(float(self.history.at("g", i)), p.noise_k * noise)
        last = self.history.last_move(i, t_from + self.lag_s, *band)
        return None if last is None else last - self.lag_s

    def _hold_mean(self, i_end: int) -> float:
        n = i_end - self._hold_start_i
        return (self.history.cum_before(i_end) - self._hold_cum0) / n if n > 0 else 0.0

    def _hold_event(self, h: HoldChange) -> HoldStarted | HoldEnded:
        if h.end is None:
            self._hold_start_i = self.history.index_at(h.start + self.lag_s)
            self._hold_cum0 = self.history.cum_before(self._hold_start_i)
            return HoldStarted(h.start, h.t_confirmed, self._hold_mean(h.index + 1))
        return HoldEnded(h.start, h.end, h.t_confirmed, self._hold_mean(h.index + 1))

    def _bouts(self, t: np.ndarray, first: int, strokes: list[tuple[int, MeasuredStroke, float]], holds: list[HoldChange]) -> list[Event]:
        """The stretches of stroking, and each stroke with its interval and the rate as of it."""
        out: list[Event] = []
        marks: list[tuple[int, int, MeasuredStroke | None, float]] = [(i, 1, s, t_mid) for i, s, t_mid in strokes]
        marks += [(h.index, 0, None, 0.0) for h in holds if h.end is None]
        marks.sort(key=lambda m: (m[0], m[1]))
        pos = 0
        for i, _, measured, t_mid in [*marks, (first + len(t), 2, None, 0.0)]:
            stop = i - first
            k = self.bouts.check_pause(t, pos, min(stop, len(t)))
            if k is not None:
                out += self.bouts.close(float(t[k]))
            if stop >= len(t):
                break
            pos = stop
            if measured is None:
                out += self.bouts.close(float(t[stop]))
            else:
                self._last_stroke, started = self.bouts.on_stroke(measured, t_mid)
                out += [self._last_stroke, *started]
        self._bout_index = self.bouts.index
        return out
