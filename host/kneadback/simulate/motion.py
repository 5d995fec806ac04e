"""Tool motion: the tip's path on the skin and the handle's orientation → what a 6-axis IMU reads.

Only scenarios with a `[motion]` table get here; an FSR-only scenario renders as it always did.

Frames: the skin is the earth's horizontal plane (x, y; z up). The IMU (an MPU-6050 on a GY-521)
is glued to the handle with its z axis along the tool, away from the skin, and its x axis along
the handle: a direction "in the skin plane" is an angle from the handle's heading, so it does not
depend on which way the user faces.

- **Path.** Each stroke cycle of the force simulation (`user.py`) is one stroke: the tip slides
  from the middle of the press-in to the middle of the release (the high-force part), with a
  minimum-jerk profile. `one-way`: it then comes back to where it started in the rest of the
  cycle, lifted off the skin (`contact = 0`) or lightly loaded; `back-and-forth`: every other
  stroke goes the opposite way, each loaded, with no return in between; `circle`: kneading
  circles of the excursion's diameter, one a stroke cycle however the rhythm varies, loaded
  hardest on their leading half (a hand presses on the same part of every circle).
- **Hand.** The handle leans by `tilt_deg` with a slow wobble, turns slowly about the skin's
  normal, the tip sinks into the tissue with the force, and physiological tremor (8–12 Hz) moves
  it a fraction of a millimetre.
- **The part** (InvenSense MPU-6000/6050 product specification, rev. 3.4): ±2 g at 16384 LSB/g,
  ±250 °/s at 131 LSB/(°/s), 16-bit; accelerometer noise 400 µg/√Hz, gyroscope noise
  0.005 °/s/√Hz (over the Nyquist band of the sample rate); zero-g offset (`accel_offset_mg`, data
  sheet ±50 mg x, y, ±80 mg z), zero-rate offset (`gyro_bias_dps`, ±20 °/s) and its slow drift.
  The IMU is sampled on the FSR's timestamps; the handle's lever arm is ignored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.interpolate import PchipInterpolator

from kneadback.csvformat import ACCEL_LSB_PER_G, DEFAULT_SCALES, GYRO_LSB_PER_DPS, G, channels_of
from kneadback.engine.motion import angle_deg, extent, loaded_movement, share
from kneadback.simulate.scenario import PathSpec, Scenario
from kneadback.simulate.truth import TrueStroke, TrueStrokeMotion
from kneadback.simulate.user import Motion, _band_noise, _rc, _slow_noise, active_share

ACCEL_NOISE_G = 400e-6  # per √Hz
GYRO_NOISE_DPS = 0.005  # per √Hz
IMU_CHANNELS = channels_of(DEFAULT_SCALES)  # the part at its power-on ranges, as the firmware leaves it
RETURN_MARGIN = 0.1  # share of the gap after a stroke before the return starts, and left after it


@dataclass(frozen=True)
class ToolMotion:
    """The tool's true motion and what its IMU sends."""

    tip_m: np.ndarray  # (n, 3) tip position in the earth frame, metres
    heading: np.ndarray  # (n,) radians: the handle's heading about the skin's normal
    imu: np.ndarray  # (n, 6) int16 counts: accel x, y, z, gyro x, y, z (`IMU_CHANNELS`)


def _min_jerk(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * x * (10.0 - 15.0 * x + 6.0 * x * x)


def _excursion_m(path: PathSpec, share: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each stroke's length: along the phase's ramp, with its variation."""
    end = path.excursion_end_cm if path.excursion_end_cm is not None else path.excursion_cm
    spread = np.exp(np.clip(rng.normal(0.0, path.excursion_cv, len(share)), -2 * path.excursion_cv, 2 * path.excursion_cv))
    return (path.excursion_cm + (end - path.excursion_cm) * share) * spread / 100.0


def simulate_motion(scenario: Scenario, t: np.ndarray, user: Motion, rng: np.random.Generator) -> ToolMotion:
    """The tool's motion for a rendering whose force is `user`; `rng` is motion's own generator."""
    spec = scenario.motion
    assert spec is not None, "a scenario without [motion] has no tool motion"
    heading = rng.uniform(0.0, 2 * math.pi) + math.radians(spec.heading_wander_deg) * _slow_noise(rng, t, 0.02, 0.2)
    tip = _tip_path(scenario, t, user, heading, rng)
    return ToolMotion(tip, heading, _imu_counts(scenario, t, tip, heading, rng))


def _tip_path(scenario: Scenario, t: np.ndarray, user: Motion, heading: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(n, 3) tip positions in the earth frame, metres: the strokes' moves, the tissue giving way
    under the force, and tremor."""
    spec = scenario.motion
    assert spec is not None
    n = len(t)
    moves: list[tuple[float, float, np.ndarray, np.ndarray, float]] = []  # min-jerk: t0, t1, from, to, lift (m)
    circles: list[tuple[int, int, np.ndarray, float, float, float]] = []  # lo, hi, force peaks, period, radius, angle
    pos = np.zeros(2)
    for j, ph in enumerate(scenario.phases):
        sel = user.cycle_phase == j
        if not sel.any():
            continue
        c0, c1 = user.cycle_start[sel], user.cycle_end[sel]
        u, path = ph.user, ph.path
        length = _excursion_m(path, (c0 - user.phase_start[j]) / ph.duration_s, rng)
        on = active_share(u) * (c1 - c0)
        if path.pattern == "circle":
            lo, hi = np.searchsorted(t, [user.phase_start[j], user.phase_end[j]])
            angle = math.radians(path.direction_deg) + float(np.mean(np.interp(c0, t, heading)))
            circles.append((int(lo), int(hi), c0 + on / 2.0, float(np.mean(c1 - c0)), float(np.mean(length)) / 2.0, angle))
            continue
        jitter = rng.normal(0.0, path.direction_jitter_deg, len(c0))
        flip = 180.0 * (np.arange(len(c0)) % 2) if path.pattern == "back-and-forth" else 0.0
        angle = np.radians(path.direction_deg + jitter + flip) + np.interp(c0, t, heading)
        lift = spec.lift_cm / 100.0 if u.contact == 0 else 0.0
        for k in range(len(c0)):
            end = pos + length[k] * np.array([math.cos(angle[k]), math.sin(angle[k])])
            w0, w1 = c0[k] + on[k] * u.press / 2.0, c0[k] + on[k] * (1.0 - u.release / 2.0)
            moves.append((w0, w1, pos, end, 0.0))
            if path.pattern == "one-way":
                gap = c1[k] - c0[k] - on[k]
                moves.append((c0[k] + on[k] + RETURN_MARGIN * gap, c1[k] - RETURN_MARGIN * gap, end, pos, lift))
            else:
                pos = end
    tip = np.zeros((n, 3))
    if moves:
        m0 = np.array([m[0] for m in moves])
        m1 = np.array([m[1] for m in moves])
        a = np.array([m[2] for m in moves])
        b = np.array([m[3] for m in moves])
        up = np.array([m[4] for m in moves])
        g = np.searchsorted(m0, t, side="right") - 1
        before = g < 0
        g = np.maximum(g, 0)
        x = (t - m0[g]) / (m1[g] - m0[g])
        tip[:, :2] = a[g] + (b[g] - a[g]) * _min_jerk(x)[:, None]
        tip[before, :2] = 0.0
        inside = ~before & (x < 1.0)
        tip[:, 2] = np.where(inside, up[g] * np.sin(np.pi * np.clip(x, 0.0, 1.0)) ** 2, 0.0)  # lands at rest
    for lo, hi, peaks, period, radius, angle in circles:  # each starts and ends where the tip was
        tt = t[lo:hi]
        # one turn a stroke cycle, the tip moving along `angle` at each force peak: the hand presses
        # on the same part of every circle, however the rhythm varies
        before, after = min(float(tt[0]), peaks[0]) - period, max(float(tt[-1]), peaks[-1]) + period
        knots = [before, *peaks, after]
        turns = [(before - peaks[0]) / period, *range(len(peaks)), len(peaks) - 1 + (after - peaks[-1]) / period]
        phi = angle - math.pi / 2 + 2 * math.pi * PchipInterpolator(knots, turns)(tt)
        ramp = _rc((tt - tt[0]) / period) * _rc((tt[-1] - tt) / period)
        ring = np.stack([np.cos(phi) - math.cos(phi[0]), np.sin(phi) - math.sin(phi[0])], axis=1)
        tip[lo:hi, :2] += radius * ramp[:, None] * ring
    typical = max(p.user.force_n for p in scenario.phases)
    tip[:, 2] -= spec.sink_cm / 100.0 * user.force_n / typical
    if spec.tremor_mm > 0:
        fs = scenario.device.rate_hz
        tip += spec.tremor_mm / 1000.0 * np.stack([_band_noise(rng, n, fs, 8.0, 12.0) for _ in range(3)], axis=1)
    return tip


def _imu_counts(scenario: Scenario, t: np.ndarray, tip: np.ndarray, heading: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(n, 6) int16 counts the IMU on the handle sends for this motion, the part's flaws included."""
    spec = scenario.motion
    assert spec is not None
    n = len(t)
    # the handle's orientation (sensor → earth): heading, then lean, then roll
    wobble = math.radians(spec.wobble_deg)
    pitch = math.radians(spec.tilt_deg) + wobble * _slow_noise(rng, t, 0.1, 1.0)
    roll = wobble * _slow_noise(rng, t, 0.1, 1.0)
    rot = _rotation(heading, pitch, roll)

    accel = np.gradient(np.gradient(tip, t, axis=0), t, axis=0)
    accel[:, 2] += G  # an accelerometer reads the specific force: gravity as an upward push
    specific = np.einsum("nji,nj->ni", rot, accel)  # Rᵀ · f
    turn = np.einsum("nji,njk->nik", rot[:-1], rot[1:])  # R_kᵀ R_k+1 ≈ I + [ω dt]×
    omega = np.zeros((n, 3))
    if n > 1:
        spin = np.stack([turn[:, 2, 1] - turn[:, 1, 2], turn[:, 0, 2] - turn[:, 2, 0], turn[:, 1, 0] - turn[:, 0, 1]], axis=1)
        omega[:-1] = spin / (2.0 * np.diff(t)[:, None])
        omega[-1] = omega[-2]

    band = math.sqrt(scenario.device.rate_hz / 2.0)
    accel_g = specific / G + rng.normal(0.0, spec.accel_offset_mg / 1000.0, 3) + rng.normal(0.0, ACCEL_NOISE_G * band, (n, 3))
    drift = spec.gyro_drift_dps * np.stack([_slow_noise(rng, t, 0.005, 0.05) for _ in range(3)], axis=1)
    gyro_dps = np.degrees(omega) + rng.normal(0.0, spec.gyro_bias_dps, 3) + drift + rng.normal(0.0, GYRO_NOISE_DPS * band, (n, 3))
    counts = np.concatenate([accel_g * ACCEL_LSB_PER_G, gyro_dps * GYRO_LSB_PER_DPS], axis=1)
    return np.clip(np.rint(counts), -32768, 32767).astype(np.int16)


def measure_stroke_motion(
    scenario: Scenario, t: np.ndarray, strokes: list[TrueStroke], tool: ToolMotion, user: Motion
) -> list[TrueStrokeMotion]:
    """Each stroke's true motion on the tip's true path and the true force, by the engine's
    definitions (`kneadback.engine.motion`) over the stroke's cycle as the user made it: its
    working part runs from the cycle's start to the end of its release, its return from the
    previous cycle's start to its own. The excursion is the spread of the working part's path
    along its direction: for a circle whose working part goes more than half round (a dwell
    under half the cycle), the circle's diameter, its direction (start to end) the way the
    loaded half goes."""
    out: list[TrueStrokeMotion] = []
    if len(t) < 2:
        return out
    dt = float(t[1] - t[0])
    velocity = np.gradient(tool.tip_m[:, :2], t, axis=0)
    force = user.force_n
    starts = user.cycle_start
    for i, s in enumerate(strokes):
        c = int(np.searchsorted(starts, s.t_peak, side="right")) - 1
        phase = scenario.phases[int(user.cycle_phase[c])]
        on = active_share(phase.user) * (user.cycle_end[c] - starts[c])
        a, b = (int(k) for k in np.searchsorted(t, [starts[c], starts[c] + on]))
        b = min(b, len(t) - 1)
        d = tool.tip_m[b, :2] - tool.tip_m[a, :2]
        length = float(np.hypot(*d))
        u = d / length if length > 0 else np.array([1.0, 0.0])
        along, _ = loaded_movement(velocity[a : b + 1], force[a : b + 1], u, dt)
        ret = None
        if i > 0 and strokes[i - 1].bout == s.bout and c > 0:
            p = int(np.searchsorted(t, starts[c - 1]))
            ret = share(loaded_movement(velocity[p : a + 1], force[p : a + 1], u, dt)[1], along)
        loaded = phase.path.pattern == "back-and-forth" or phase.user.contact > 0
        out.append(TrueStrokeMotion(s.index, angle_deg(d, float(tool.heading[(a + b) // 2])), extent(velocity[a : b + 1], u, dt) * 100.0, ret, loaded))
    return out


def _rotation(yaw: np.ndarray, pitch: np.ndarray, roll: np.ndarray) -> np.ndarray:
    """(n, 3, 3) rotation matrices Rz(yaw) · Ry(pitch) · Rx(roll)."""
    cy, sy, cp, sp, cr, sr = np.cos(yaw), np.sin(yaw), np.cos(pitch), np.sin(pitch), np.cos(roll), np.sin(roll)
    return np.stack(
        [
            np.stack([cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr], axis=-1),
            np.stack([sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr], axis=-1),
            np.stack([-sp, cp * sr, cp * cr], axis=-1),
        ],
        axis=-2,
    )


__all__ = ["ACCEL_LSB_PER_G", "GYRO_LSB_PER_DPS", "IMU_CHANNELS", "G", "ToolMotion", "measure_stroke_motion", "simulate_motion"]
