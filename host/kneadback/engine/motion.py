"""Stroke direction and length from a 6-axis IMU on the tool: only for a board that has one.

The engine builds a `MotionTracker` only when the device lists the six channels accel-x … gyro-z
(`imu_columns`); an FSR-only board never reaches this module and gets no motion output at all.

- **Orientation and gravity.** Every sample goes through imufusion's AHRS (gyroscope and
  accelerometer, no magnetometer), which keeps the handle's orientation; its earth-frame
  acceleration is the tool's own acceleration with gravity taken out. The gyroscope's offset
  (up to ±20 °/s on an MPU-6050) is taken out first: a hand turns the tool to and fro but not
  round and round, so its mean rate over `GYRO_BIAS_S` is the offset. Left in, the AHRS would
  lean its gravity by the offset over its gain and turn real acceleration into tilt.
- **Per stroke**, once the engine has found it and its working part has ended (the first sample
  after its peak where the force is back within `END_SHARE` of its rise, or, in contact, the
  lowest force before it rises again): the horizontal acceleration from the stroke's start to
  that end is integrated twice, the velocity re-zeroed at both ends (the tool turns there, so a
  linear correction takes out whatever velocity built up: a tilt error of the gravity estimate,
  the gyroscope's offset, noise). Nothing is integrated across strokes, so no drift builds up.
  A tool that never stops (kneading circles) is told by what that re-zeroing makes of the last
  two stroke cycles, when they keep one rhythm (`_rolling`); its stroke is integrated over the
  cycle that ends with it instead, as one turn of a motion that repeats: the same velocity at
  both ends and back where it started. The start-to-end displacement gives the **direction**, measured from the handle's
  heading at the stroke, so the heading's slow drift between strokes (there is no compass) does
  not matter; the path's spread along it the **excursion** (a straight stroke's length, a
  circle's diameter).
- **Return share**: the force-weighted movement against this stroke's direction from the previous
  stroke's start to this one's (that stroke and the way back after it, each integrated on its
  own, or as one cycle when the tool never stops), as a share of that plus this stroke's
  force-weighted movement along its direction. Near 0 when the tool is lifted or eased off on the
  way back, about ½ when scrubbing with the same force both ways. None for the first stroke of a
  run.
- **Delay**: a stroke's motion is emitted with the sample whose (low-passed, so `lag_s` late)
  force shows that its working part has ended, as a `StrokeMotion`: causal and independent of how
  the stream is cut into blocks. Strokes that begin while the AHRS settles (its first 3 s, and
  after a gap) or that lost samples get none.
- **Per bout** (`bout_motion`): how well the working directions agree (the resultant length of
  their unit vectors; of the doubled angles for an axis, so that back-and-forth strokes 180°
  apart agree on their line but not their way), the median excursion and return share, and a
  pattern; a bout whose strokes mostly never stopped is circling, whatever its loaded halves do.

Measured in simulation only (docs/engine.md, "Stroke direction and length").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from kneadback.csvformat import IMU_KINDS, G
from kneadback.errors import InputError
from kneadback.model import DeviceInfo, Stroke, StrokeMotion

AHRS_GAIN = 0.5  # imufusion's default: how strongly the accelerometer corrects the gyroscope's tilt
GYRO_BIAS_S = 10.0  # time constant of the running mean that tracks the gyroscope's offset
HISTORY_S = 12.0  # samples kept: a stroke, the previous one and the way back between them
GAP_RESET_S = 1.0  # a gap in the data longer than this starts the orientation afresh (as the engine's filters)
RETURN_MAX_S = 3.0  # a gap after the previous stroke longer than this: no return share (a new run)
FLOOR_S = 3.0  # the force a stroke is weighed above: the lightest this long before it (or before the one before)
END_SHARE = 0.1  # a stroke's working part ends where its force is back within this share of its rise
MAX_FALL_S = 2.0  # ... or at the lowest force this long after its peak
ONE_WAY_RESULTANT = 0.7  # working directions agree (circular spread within about ±45°)
LOADED_RETURN = 1.0 / 3.0  # a return carrying this share of the force (half the working force) is loaded
CYCLES = 2  # stroke cycles a tool that works one spot comes back within (back-and-forth: two)
STEADY = 1.5  # cycles of one rhythm: the longest at most this many times the shortest
ROLLING = 0.5  # re-zeroed at each stroke's start, the tool ends up over this share of its path away: it never stopped
_ZERO_M = 1e-4  # a displacement below 0.1 mm has no direction


@dataclass(frozen=True)
class ImuColumns:
    """Where the six IMU channels sit in `SampleBlock.extra` and their scales (SI per count)."""

    index: tuple[int, ...]  # accel x, y, z, gyro x, y, z
    scale: tuple[float, ...]


def imu_columns(info: DeviceInfo) -> ImuColumns | None:
    """The IMU's columns of a device, or None when it lacks any of the six channels."""
    kinds = [c.kind for c in info.channels[1:]]
    if not all(k in kinds for k in IMU_KINDS):
        return None
    index = tuple(kinds.index(k) for k in IMU_KINDS)
    return ImuColumns(index, tuple(info.channels[1 + i].scale for i in index))


def _integrate(a: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """Velocity (re-zeroed at both ends) and displacement of a run of accelerations (n, 2)."""
    v = np.concatenate([np.zeros((1, 2)), np.cumsum((a[1:] + a[:-1]) * (dt / 2.0), axis=0)])
    v -= np.linspace(0.0, 1.0, len(v))[:, None] * v[-1]
    return v, _displacement(v, dt)


def _displacement(v: np.ndarray, dt: float) -> np.ndarray:
    """Where a run of velocities (n, 2) ends up from where it started."""
    return np.sum((v[1:] + v[:-1]) * (dt / 2.0), axis=0)


def extent(v: np.ndarray, u: np.ndarray, dt: float) -> float:
    """How far a path (velocities (n, 2)) reaches along the unit vector `u`: the spread of its
    positions along it. A straight stroke's length; a circle's diameter once it went half round."""
    x = np.concatenate([[0.0], np.cumsum((v[1:] + v[:-1]) @ u * (dt / 2.0))])
    return float(x.max() - x.min())


def loaded_movement(v: np.ndarray, f: np.ndarray, u: np.ndarray, dt: float) -> tuple[float, float]:
    """Force-weighted movement (N·m) along the unit vector `u` and against it."""
    along = v @ u
    return float(np.sum(f * np.maximum(along, 0.0)) * dt), float(np.sum(f * np.maximum(-along, 0.0)) * dt)


def angle_deg(d: np.ndarray, heading: float) -> float:
    """The direction of `d` (earth x, y) from a heading (radians), in degrees 0..360."""
    return math.degrees(math.atan2(float(d[1]), float(d[0])) - heading) % 360.0


def share(against: float, along: float) -> float | None:
    """The return's share of the force-weighted movement; None when nothing moved under force."""
    return against / (against + along) if against + along > 0 else None


class MotionTracker:
    """Per-stroke motion from the IMU channels of `SampleBlock.extra`, beside the engine."""

    def __init__(self, rate_hz: float, columns: ImuColumns, lag_s: float) -> None:
        try:
            import imufusion  # the optional extra `imu`
        except ImportError:
            raise InputError("the board has a motion sensor: install kneadback[imu] to analyse its strokes' direction") from None
        self._fusion = imufusion
        self.rate_hz = rate_hz
        self.dt = 1.0 / rate_hz
        self.columns = columns
        self.lag_s = lag_s
        self._lag_n = round(lag_s * rate_hz)
        self._keep = int(HISTORY_S * rate_hz)
        self._scale = np.array(columns.scale) * np.array([1.0 / G] * 3 + [180.0 / math.pi] * 3)  # g and °/s
        self.restart()

    def restart(self) -> None:
        """Start afresh (a gap in the data): nothing is carried across it."""
        self._ahrs = self._fusion.Ahrs()
        self._ahrs.set_settings(
            self._fusion.AhrsSettings(
                sample_rate=self.rate_hz, convention=self._fusion.CONVENTION_NWU, gain=AHRS_GAIN, gyroscope_range=250.0
            )
        )
        self._bias = np.zeros(3)  # the gyroscope's offset, °/s
        self._seen = 0  # samples that went into it
        self._settled: float | None = None  # when the AHRS's start-up (its first 3 s) was over
        self._t = np.zeros(0)
        self._a = np.zeros((0, 2))
        self._heading = np.zeros(0)
        self._f = np.zeros(0)
        self._pending: list[Stroke] = []
        self._marks: list[tuple[float, float]] = []  # the last strokes' starts and ends

    def process(self, t: np.ndarray, extra: np.ndarray | None, f: np.ndarray, strokes: Sequence[Stroke]) -> list[StrokeMotion]:
        """The motion of every stroke whose motion is complete by the last sample of `t`; `f` is
        the engine's low-passed force (`lag_s` late), `strokes` those it found in these samples."""
        if extra is None or (len(self._t) and float(t[0]) - float(self._t[-1]) > GAP_RESET_S):
            self.restart()  # the other channels did not come with these samples, or a long gap
            if extra is None:
                return []
        raw = extra[:, self.columns.index].astype(float) * self._scale
        acc = np.empty((len(t), 2))
        heading = np.empty(len(t))
        ahrs, bias = self._ahrs, self._bias
        for k in range(len(t)):
            self._seen += 1  # the mean of all samples at first, then a running mean
            bias += max(1.0 / self._seen, self.dt / GYRO_BIAS_S) * (raw[k, 3:] - bias)
            ahrs.update_no_magnetometer(raw[k, 3:] - bias, raw[k, :3])
            acc[k] = ahrs.get_earth_acceleration()[:2]
            w, x, y, z = ahrs.get_quaternion()
            heading[k] = math.atan2(2.0 * (x * y + w * z), 1.0 - 2.0 * (y * y + z * z))
            if self._settled is None and not ahrs.get_flags().startup:
                self._settled = float(t[k])
        keep = self._keep + len(t)  # these samples and the seconds before them
        self._t = np.concatenate([self._t, t])[-keep:]
        self._a = np.concatenate([self._a, acc * G])[-keep:]
        self._heading = np.concatenate([self._heading, heading])[-keep:]
        self._f = np.concatenate([self._f, f])[-keep:]
        self._pending += strokes
        out: list[StrokeMotion] = []
        while self._pending:
            s = self._pending[0]
            end = self._end_of(s)
            if end is None:
                break
            self._pending.pop(0)
            i_end, i_seen = end
            found = self._measure(s, float(self._t[i_end]), max(float(self._t[i_seen + self._lag_n]), s.t_confirmed))
            if found is not None:
                out.append(found)
        return out

    def _end_of(self, s: Stroke) -> tuple[int, int] | None:
        """Where the stroke's working part ended, and the sample that showed it (indices of the
        history; the force of sample i is at i + lag): the first sample after its peak where the
        force is back near the level it rose from, or, in contact, the lowest before it rises
        again; None while neither has come yet."""
        ft = self._f[self._lag_n :]  # the force at each sample's own time
        i0, ip = (int(i) for i in np.searchsorted(self._t[: len(ft)], [s.t_start, s.t_peak]))
        if ip >= len(ft) - 1:
            return None
        floor = float(ft[i0])
        height = float(ft[i0 : ip + 1].max()) - floor
        seg = ft[ip:]
        low = np.flatnonzero(seg <= floor + END_SHARE * height)
        if len(low):
            return ip + int(low[0]), ip + int(low[0])
        lowest = np.minimum.accumulate(seg)
        turned = np.flatnonzero((seg - lowest > END_SHARE * height) & (lowest < floor + height / 2.0))
        if len(turned):
            k = int(turned[0])
            return ip + int(np.argmin(seg[: k + 1])), ip + k
        if float(self._t[len(ft) - 1]) - s.t_peak > MAX_FALL_S:
            return ip + int(np.argmin(seg)), len(ft) - 1
        return None

    def _window(self, t0: float, t1: float) -> tuple[int, int] | None:
        """History indices of the samples t0..t1, None when they are not all there."""
        i0, i1 = int(np.searchsorted(self._t, t0)), int(np.searchsorted(self._t, t1, side="right")) - 1
        if i1 - i0 < 2 or i1 + self._lag_n >= len(self._t) or self._t[i0] > t0 + 1.5 * self.dt:
            return None
        if float(np.max(np.diff(self._t[i0 : i1 + 1]))) > 1.5 * self.dt:
            return None
        return i0, i1

    def _moves(self, i0: int, v: np.ndarray, u: np.ndarray, floor: float) -> tuple[float, float]:
        """Force-weighted movement along `u` and against it of the velocities `v` from history
        index `i0`, the force counted above `floor`."""
        return loaded_movement(v, self._f[i0 + self._lag_n : i0 + len(v) + self._lag_n] - floor, u, self.dt)

    def _still(self, i0: int, i1: int) -> np.ndarray:
        """The velocities from i0 to i1 for a tool at rest at both."""
        return _integrate(self._a[i0 : i1 + 1], self.dt)[0]

    def _repeating(self, i0: int, i1: int) -> np.ndarray:
        """The velocities from i0 to i1, one cycle of a motion that repeats: the same velocity at
        both ends, and back where it started."""
        v, d = _integrate(self._a[i0 : i1 + 1], self.dt)
        return v - d / (self._t[i1] - self._t[i0])

    def _rolling(self, marks: Sequence[tuple[float, float]], t_start: float) -> bool:
        """Whether the tool kept moving through the last strokes' starts (kneading circles).

        A tool that works one spot comes back to where it was within two strokes (one-way strokes
        each cycle, back-and-forth every other one). Re-zeroed at every stroke's start, the last two
        cycles then add up to little against the path they cover, unless the tool was still moving
        at those starts: then it seems to drift on, most of its path away (a circle comes out as a
        cycloid, 2π radii on a path of 8: 0.79; in simulation circles 0.71–0.83, straight strokes a
        median 0.12 and at most 0.38)."""
        starts = [m[0] for m in marks[-CYCLES:]] + [t_start]
        if len(starts) <= CYCLES or max(np.diff(starts)) > STEADY * min(np.diff(starts)):
            return False  # not the cycles of one rhythm (a rest between, a stroke missed)
        if self._settled is None or starts[0] < self._settled:
            return False  # the orientation was still settling
        cycles = [self._window(a, b) for a, b in zip(starts, starts[1:])]
        seen = [self._still(*c) for c in cycles if c is not None]
        if len(seen) < CYCLES:
            return False
        moved = np.sum([_displacement(v, self.dt) for v in seen], axis=0)
        path = sum(float(np.sum(np.hypot(*v.T))) * self.dt for v in seen)
        return float(np.hypot(*moved)) > ROLLING * path

    def _measure(self, s: Stroke, t_end: float, at: float) -> StrokeMotion | None:
        work = self._window(s.t_start, t_end)
        marks, self._marks = self._marks, [*self._marks[-CYCLES + 1 :], (s.t_start, t_end)]
        if work is None or self._settled is None or s.t_start < self._settled:
            return None  # not all there, or the orientation was still settling
        i0, i1 = work
        prev = marks[-1] if marks else None
        rolling = prev is not None and self._rolling(marks, s.t_start)
        if prev is not None and rolling:
            # one cycle of a repeating motion, as long as the last, that ends with the working part
            cycle = self._window(min(s.t_start, t_end - (s.t_start - prev[0])), t_end)
            if cycle is None:
                return None
            v = self._repeating(*cycle)[i0 - cycle[0] :]
            d = _displacement(v, self.dt)
        else:  # the tool stops where the stroke starts and where it turns
            v, d = _integrate(self._a[i0 : i1 + 1], self.dt)
        length = float(np.hypot(*d))
        if length < _ZERO_M:
            return None
        u = d / length
        h = self._heading[i0 : i1 + 1]
        heading = math.atan2(float(np.mean(np.sin(h))), float(np.mean(np.cos(h))))
        # the force with the tool in the air (or the mount's preload): the lightest of the seconds before
        lo = int(np.searchsorted(self._t, (s.t_start if prev is None else prev[0]) - FLOOR_S))
        floor = float(np.min(self._f[lo : i1 + 1 + self._lag_n]))
        along, _ = self._moves(i0, v, u, floor)
        ret: float | None = None
        if prev is not None and 0.0 <= s.t_start - prev[1] <= RETURN_MAX_S:
            if rolling:  # the previous stroke and the way back: one cycle
                cycle = self._window(prev[0], s.t_start)
                if cycle is not None:
                    ret = share(self._moves(cycle[0], self._repeating(*cycle), u, floor)[1], along)
            elif (before := self._window(prev[0], prev[1])) is not None:
                against = self._moves(before[0], self._still(*before), u, floor)[1]
                if (back := self._window(prev[1], s.t_start)) is not None:
                    against += self._moves(back[0], self._still(*back), u, floor)[1]
                ret = share(against, along)
        return StrokeMotion(s.index, at, angle_deg(d, heading), extent(v, u, self.dt) * 100.0, ret, rolling)


@dataclass(frozen=True)
class BoutMotion:
    """The motion of a bout's strokes."""

    strokes: int
    resultant: float  # 1: every working stroke the same way; 0: no common way (circling strokes count as none)
    axial_resultant: float  # the same for the line they lie on: back-and-forth strokes agree here
    direction_deg: float  # the mean working direction
    axis_deg: float  # the line they lie on, 0..180 (what a back-and-forth bout goes along)
    median_excursion_cm: float
    median_return_share: float | None
    pattern: str  # "one-direction", "back-and-forth", "circling" or "mixed"


def bout_motion(motions: Sequence[StrokeMotion]) -> BoutMotion | None:
    """How a bout's strokes moved: None without any motion.

    Circling: most strokes never stopped at their ends (kneading circles: however their loaded
    halves agree, no stroke goes one way); one direction: the working directions agree and the
    returns carry under a third of the force; back-and-forth: they lie along one line but go both
    ways, or the returns are loaded."""
    if not motions:
        return None
    a = np.radians([m.direction_deg for m in motions])
    way = np.array([0.0 if m.circling else 1.0 for m in motions])  # a circling stroke goes no one way
    one = complex(np.mean(way * np.exp(1j * a)))
    two = complex(np.mean(way * np.exp(2j * a)))
    shares = [m.return_share for m in motions if m.return_share is not None]
    ret = float(np.median(shares)) if shares else None
    loaded = ret is not None and ret >= LOADED_RETURN
    if 2 * sum(m.circling for m in motions) > len(motions):
        pattern = "circling"
    elif abs(one) >= ONE_WAY_RESULTANT and not loaded:
        pattern = "one-direction"
    elif abs(two) >= ONE_WAY_RESULTANT:
        pattern = "back-and-forth"
    else:
        pattern = "mixed"
    return BoutMotion(
        strokes=len(motions),
        resultant=abs(one),
        axial_resultant=abs(two),
        direction_deg=math.degrees(math.atan2(one.imag, one.real)) % 360.0,
        axis_deg=math.degrees(math.atan2(two.imag, two.real)) / 2.0 % 180.0,
        median_excursion_cm=float(np.median([m.excursion_cm for m in motions])),
        median_return_share=ret,
        pattern=pattern,
    )


__all__ = ["BoutMotion", "ImuColumns", "MotionTracker", "bout_motion", "imu_columns"]
