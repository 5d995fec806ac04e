"""Step 1, user → force: the newtons the tool puts on the skin, sample by sample.

A scenario is a list of phases: `strokes`, `hold` (static pressure) and `rest` (tool off the
skin). Each strokes phase is cut into stroke *cycles*; a cycle presses in, slides (a plateau with
ridges and a bowed top), releases, and then either lifts off (`contact = 0`) or dwells at a trough
that keeps `contact` × the peak, with a small tissue rebound. Across all phases the force is then
shaped by physiological tremor, slow leaning and a session-long drift. Everything is vectorised:
per-cycle parameters are drawn once and gathered onto the samples.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy import signal

from kneadback.simulate.scenario import Phase, Scenario, UserSpec

REBOUND_S = 0.08  # time constant of the tissue rebound after a release
RIDGES_PER_STROKE = 3  # most ridges on one plateau


@dataclass(frozen=True)
class Motion:
    """The user's force and the structure it was built from (the truth is measured on it)."""

    force_n: np.ndarray
    cycle_start: np.ndarray  # session time each stroke cycle begins (one per stroke)
    cycle_end: np.ndarray
    cycle_phase: np.ndarray  # index of the phase each cycle belongs to
    phase_start: np.ndarray  # session time each phase begins
    phase_end: np.ndarray
    holds: tuple[tuple[float, float, int], ...]  # (start, end, phase) of each hold's steady part


def active_share(u: UserSpec) -> float:
    """The share of each stroke cycle spent pressing, sliding and releasing: the rest is off the
    skin (`duty`) or, in contact, resting at the trough (`dwell`)."""
    return 1.0 - u.dwell if u.contact > 0 else u.duty


def _rc(x: np.ndarray) -> np.ndarray:
    """Raised-cosine step: 0 at x ≤ 0, 1 at x ≥ 1, smooth in between."""
    return 0.5 - 0.5 * np.cos(np.pi * np.clip(x, 0.0, 1.0))


def _level(p: Phase) -> float | None:
    if p.kind == "rest":
        return 0.0
    if p.kind == "strokes":
        return p.user.contact * p.user.force_n
    return None


def boundary_levels(phases: tuple[Phase, ...]) -> list[float]:
    """Force at each phase boundary (len = phases + 1): 0 at the ends and next to a lift-off."""
    out = [0.0]
    for a, b in itertools.pairwise(phases):
        la, lb = _level(a), _level(b)
        if la == 0.0 or lb == 0.0:
            out.append(0.0)
        elif la is not None:
            out.append(la)
        elif lb is not None:
            out.append(lb)
        else:  # hold → hold
            out.append(b.user.hold_n or b.user.force_n)
    out.append(0.0)
    return out


def _band_noise(rng: np.random.Generator, n: int, fs: float, lo: float, hi: float) -> np.ndarray:
    """Unit-RMS noise band-limited to lo..hi Hz, `n` samples at `fs`."""
    hi = min(hi, 0.45 * fs)
    if n < 16 or lo >= hi:
        return np.zeros(n)
    sos = signal.butter(2, [lo, hi], btype="bandpass", fs=fs, output="sos")
    settle = int(min(n, 4 * fs / lo))
    x = signal.sosfilt(sos, rng.standard_normal(n + settle))[settle:]
    rms = float(np.sqrt(np.mean(x * x)))
    return x / rms if rms > 0 else x


def _slow_noise(rng: np.random.Generator, t: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Unit-RMS slow noise (lo..hi Hz) at times `t`, made on a coarse grid and interpolated."""
    fs = max(20.0, 10 * hi)
    duration = float(t[-1]) if len(t) else 0.0
    grid = np.arange(0.0, duration + 2.0 / fs, 1.0 / fs)
    return np.interp(t, grid, _band_noise(rng, len(grid), fs, lo, hi))


def _cycles(phase: Phase, start: float, rng: np.random.Generator) -> np.ndarray:
    """Boundaries (len = strokes + 1) of the stroke cycles filling one strokes phase."""
    u = phase.user
    d = phase.duration_s
    end_rate = u.rate_end_hz if u.rate_end_hz is not None else u.rate_hz
    periods: list[float] = []
    tau = 0.0
    while tau < d:
        rate = u.rate_hz + (end_rate - u.rate_hz) * min(1.0, tau / d)
        jitter = float(np.clip(rng.normal(0.0, u.rate_jitter), -3 * u.rate_jitter, 3 * u.rate_jitter))
        periods.append(np.exp(jitter) / rate)
        tau += periods[-1]
    p = np.array(periods)
    total = np.cumsum(p)
    m = len(p) if len(p) == 1 or abs(total[-1] - d) < abs(total[-2] - d) else len(p) - 1
    p = p[:m] * (d / total[m - 1])
    return start + np.concatenate([[0.0], np.cumsum(p)])


def simulate_user(scenario: Scenario, t: np.ndarray, rng: np.random.Generator) -> Motion:
    """The force on the skin at each sample time `t` (session seconds)."""
    phases = scenario.phases
    durations = np.array([p.duration_s for p in phases])
    p_end = np.cumsum(durations)
    p_start = p_end - durations
    levels = boundary_levels(phases)
    force = np.zeros(len(t))
    pidx = np.clip(np.searchsorted(p_start, t, side="right") - 1, 0, len(phases) - 1)

    cyc_start: list[np.ndarray] = []
    cyc_end: list[np.ndarray] = []
    cyc_phase: list[np.ndarray] = []
    holds: list[tuple[float, float, int]] = []
    bout_start = 0.0
    for j, ph in enumerate(phases):
        if ph.kind != "strokes" or j == 0 or phases[j - 1].kind != "strokes":
            bout_start = p_start[j]
        lo, hi = np.searchsorted(t, [p_start[j], p_end[j]], side="left")
        if hi <= lo:
            continue
        tt = t[lo:hi]
        if ph.kind == "rest":
            continue
        if ph.kind == "hold":
            force[lo:hi] = _hold(ph, tt, p_start[j], p_end[j], levels[j], levels[j + 1], rng)
            holds.append((p_start[j] + ph.user.ramp_s, p_end[j] - ph.user.ramp_s, j))
            continue
        bounds = _cycles(ph, p_start[j], rng)
        force[lo:hi] = _strokes(ph, tt, bounds, bout_start, levels[j], levels[j + 1], rng)
        cyc_start.append(bounds[:-1])
        cyc_end.append(bounds[1:])
        cyc_phase.append(np.full(len(bounds) - 1, j))

    force = _modulate(scenario, force, t, pidx, rng)
    empty = np.zeros(0)
    return Motion(
        force_n=force,
        cycle_start=np.concatenate(cyc_start) if cyc_start else empty,
        cycle_end=np.concatenate(cyc_end) if cyc_end else empty,
        cycle_phase=np.concatenate(cyc_phase).astype(int) if cyc_phase else empty.astype(int),
        phase_start=p_start,
        phase_end=p_end,
        holds=tuple(holds),
    )


def _hold(ph: Phase, tt: np.ndarray, start: float, end: float, l_in: float, l_out: float, rng: np.random.Generator) -> np.ndarray:
    u = ph.user
    h = (u.hold_n or u.force_n) * (1.0 + u.wander * _slow_noise(rng, tt - start, 0.08, 0.7))
    h = np.maximum(h, 0.2 * (u.hold_n or u.force_n))
    up = _rc((tt - start) / u.ramp_s)
    down = _rc((end - tt) / u.ramp_s)
    f = l_in + (h - l_in) * up
    return l_out + (f - l_out) * down


def _strokes(
    ph: Phase,
    tt: np.ndarray,
    bounds: np.ndarray,
    bout_start: float,
    l_in: float,
    l_out: float,
    rng: np.random.Generator,
) -> np.ndarray:
    u = ph.user
    m = len(bounds) - 1
    c0, c1 = bounds[:-1], bounds[1:]
    period = c1 - c0

    minutes = (c0 - bout_start) / 60.0
    level = u.force_n * np.maximum(0.3, 1.0 - u.fatigue_per_min * minutes)
    if u.contact > 0:
        inner = u.contact * level[1:] * np.exp(np.clip(rng.normal(0.0, 0.03, m - 1), -0.1, 0.1))
        trough = np.concatenate([[l_in], inner, [l_out]])
    else:
        trough = np.zeros(m + 1)
    active = active_share(u)
    # the stroke's height above the higher of its two troughs varies, so that even a 10 %
    # modulation stays a clear stroke: the peak is never below its troughs
    spread = np.exp(np.clip(rng.normal(0.0, u.force_cv, m), -3 * u.force_cv, 3 * u.force_cv))
    base = np.maximum(trough[:-1], trough[1:])
    height = (1.0 - u.contact) * level * spread
    peak = base + height
    sag = height * np.clip(rng.normal(0.0, u.sag, m), -2 * u.sag, 2 * u.sag)
    n_ridge = np.minimum(rng.poisson(1.5, m), RIDGES_PER_STROKE)
    ridge_amp = height[:, None] * u.ridges * rng.uniform(0.3, 1.0, (m, RIDGES_PER_STROKE))
    ridge_amp[np.arange(RIDGES_PER_STROKE)[None, :] >= n_ridge[:, None]] = 0.0
    ridge_pos = rng.uniform(0.1, 0.9, (m, RIDGES_PER_STROKE))
    ridge_w = rng.uniform(0.02, 0.05, (m, RIDGES_PER_STROKE))  # seconds (1 sigma)

    k = np.clip(np.searchsorted(bounds, tt, side="right") - 1, 0, m - 1)
    on_s = active * period[k]  # seconds on the skin (or above the trough) this cycle
    x = (tt - c0[k]) / on_s  # 0..1 over the active part
    a, r = u.press, u.release
    p = 1.0 - a - r
    v_in, v_out, pk = trough[k], trough[k + 1], peak[k]

    f = np.where(x < a, v_in + (pk - v_in) * _rc(x / a), 0.0)
    y = np.clip((x - a) / p, 0.0, 1.0)  # position along the plateau (the slide)
    window = np.sin(np.pi * y)
    plateau = pk + sag[k] * window
    for col in range(RIDGES_PER_STROKE):
        d = (y - ridge_pos[k, col]) * p * on_s
        plateau += ridge_amp[k, col] * np.exp(-0.5 * (d / ridge_w[k, col]) ** 2) * window
    f = np.where((x >= a) & (x < a + p), plateau, f)
    f = np.where((x >= a + p) & (x < 1.0), v_out + (pk - v_out) * _rc((1.0 - x) / r), f)
    after = (tt - c0[k]) - on_s  # seconds since the release ended
    if u.contact > 0 and u.rebound > 0:
        w = np.minimum(REBOUND_S, np.maximum((1.0 - active) * period[k] / 2.0, 1e-3))
        z = np.clip(after / w, 0.0, 2.0)
        bump = u.rebound * (pk - v_out) * np.sin(np.pi * z) * np.exp(-z) * (v_out > 0)  # none after a lift-off
        f = np.where(x >= 1.0, v_out + bump, f)
    else:
        f = np.where(x >= 1.0, v_out, f)
    return np.maximum(f, 0.0)


def _modulate(scenario: Scenario, force: np.ndarray, t: np.ndarray, pidx: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Tremor, leaning and session drift: multiplicative, so no force appears off the skin."""
    if not len(force):
        return force
    users = [p.user for p in scenario.phases]
    tremor = np.array([u.tremor for u in users])[pidx]
    lean = np.array([u.lean for u in users])[pidx]
    drift = np.array([u.drift_per_min for u in users])[pidx]
    base = scenario.phases[0].user
    fs = scenario.device.rate_hz
    band = _band_noise(rng, len(t), fs, base.tremor_hz - 2.0, base.tremor_hz + 2.0)
    slow = _slow_noise(rng, t, 0.02, 0.1)
    gain = (1.0 + lean * slow) * np.maximum(0.2, 1.0 + drift * t / 60.0) + tremor * band
    return np.maximum(force * gain, 0.0)
