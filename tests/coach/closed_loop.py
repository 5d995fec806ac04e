"""A simulated user who follows the coach's cues, closed through the real engine.

The user starts off holding the tool still, then strokes too slowly and too lightly. Each cue
reaches them after a reaction delay and they correct only part of the way; they rate the
discomfort when asked, with the same force → discomfort model the simulator uses
(discomfort = 7 · (F / force_at_7) ** steepness, plus noise, rounded). Between bouts they lift
the tool off and rest. The force they make is turned into ADC counts through the datasheet FSR
model and fed to the engine in 50 ms blocks, as a live session would.

With `imu`, the tool has a motion sensor: the tip slides `excursion_cm` while the stroke presses
(a minimum-jerk profile) and the handle's IMU reads it, held level. A user who `scrubs` goes back
and forth, every stroke the other way and none lifted; told "one direction", they stroke one way
and bring the tip back in the air; told "shorter", they shorten part of the way to `SHORT_CM`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kneadback.coach.coach import Coach
from kneadback.coach.targets import Targets
from kneadback.fsr import default_force_model
from kneadback.model import FORCE_CHANNEL, Bout, Cue, DeviceInfo, Rating, SampleBlock, Stroke, StrokeMotion
from kneadback.simulate.motion import ACCEL_LSB_PER_G, IMU_CHANNELS, G

RATE_HZ = 200.0
BLOCK_S = 0.05  # a live loop hands the engine about this much at a time
SHORT_CM = 3.0  # the stroke length a user told "shorter" heads for


@dataclass
class UserModel:
    rate_hz: float = 0.55  # 33 strokes/min: too slow
    force_n: float = 6.0  # far below 7/10
    hold_s: float = 6.0  # starts with a static hold this long (or until told otherwise)
    hold_n: float = 9.0
    force_at_7: float = 22.0
    steepness: float = 1.5
    rating_noise: float = 0.6
    delay_s: float = 1.2  # reaction time to a cue
    take_up: float = 0.5  # share of the needed change a correction achieves
    rest_s: float = 12.0  # rest between bouts, tool lifted
    jitter: float = 0.05  # stroke-to-stroke variation of period and force
    seed: int = 1
    imu: bool = False  # the tool has a motion sensor
    scrubs: bool = False  # back and forth until told "one direction"
    excursion_cm: float = 3.0
    imu_noise: float = 8.0  # counts

    def discomfort(self, force_n: float) -> float:
        return 7.0 * (force_n / self.force_at_7) ** self.steepness

    def band_n(self, target: float = 7.0, tol: float = 1.0) -> tuple[float, float]:
        """The forces this user would rate target ± tol (what rounds into it: ± tol + 0.5)."""
        inv = lambda d: self.force_at_7 * (d / 7.0) ** (1 / self.steepness)  # noqa: E731
        return inv(target - tol - 0.5), inv(target + tol + 0.5)


@dataclass
class LoopResult:
    strokes: list[Stroke] = field(default_factory=list)
    cues: list[Cue] = field(default_factory=list)
    ratings: list[Rating] = field(default_factory=list)
    bouts: list[Bout] = field(default_factory=list)  # as the session records them
    motions: list[StrokeMotion] = field(default_factory=list)
    converged_at: int | None = None  # strokes done when rate and force were in band for good


class SimulatedUser:
    def __init__(self, model: UserModel, targets: Targets) -> None:
        self.m = model
        self.targets = targets
        self.rng = np.random.default_rng(model.seed)
        self.rate_hz = model.rate_hz
        self.force_n = model.force_n
        self.mode = "hold"  # "hold", "stroke", "rest"
        self.mode_until = model.hold_s
        self.pending: list[tuple[float, Cue]] = []
        self.cycle: tuple[float, float, float] | None = None  # start, period, peak
        self.last_peak = 0.0
        self.ratings: list[Rating] = []
        self.scrubs = model.scrubs
        self.excursion_cm = model.excursion_cm
        self.way = 1.0  # the current stroke's way along the skin
        self.accel = np.zeros(0)  # the tip's acceleration (m/s²) along the stroke line, over the last block

    def hear(self, cue: Cue) -> None:
        self.pending.append((cue.t + self.m.delay_s, cue))

    def _react(self, now: float) -> None:
        due = [c for at, c in self.pending if at <= now]
        self.pending = [(at, c) for at, c in self.pending if at > now]
        goal = self.targets.rate_spm / 60.0
        for cue in due:
            k = cue.kind
            if k == "dont-hold" and self.mode == "hold":
                self.mode = "stroke"
            elif k == "faster":
                self.rate_hz += self.m.take_up * max(goal - self.rate_hz, 0.15)
            elif k == "slower":
                self.rate_hz -= self.m.take_up * max(self.rate_hz - goal, 0.15)
            elif k == "press-harder":  # "a little" gets a small step, a plain "firmer" a big one
                self.force_n *= 1.0 + (0.4 if "little" in cue.text else 1.0) * self.m.take_up
            elif k == "ease-off":
                self.force_n *= 1.0 - (0.3 if "little" in cue.text else 0.6) * self.m.take_up
            elif k == "too-hard":
                self.force_n *= 0.7
            elif k == "one-direction":
                self.scrubs = False
            elif k == "shorter-strokes":  # part of the way to a comfortable few centimetres
                self.excursion_cm -= self.m.take_up * (self.excursion_cm - SHORT_CM)
            elif k == "bout-done":
                self.mode, self.mode_until = "rest", now + self.m.rest_s
            elif k == "rate-discomfort" and self.last_peak > 0:
                felt = self.m.discomfort(self.last_peak) + self.rng.normal(0.0, self.m.rating_noise)
                self.ratings.append(Rating(t=now, value=int(np.clip(np.rint(felt), 0, 10)), spot=""))

    def force(self, t: np.ndarray) -> np.ndarray:
        """The force over one block's sample times; reacts to cues at the block start."""
        now = float(t[0])
        self._react(now)
        if self.mode == "hold" and now >= self.mode_until:
            self.mode = "stroke"
        if self.mode == "rest" and now >= self.mode_until:
            self.mode = "stroke"
        out = np.zeros(len(t))
        self.accel = np.zeros(len(t))
        if self.mode == "hold":
            out[:] = self.m.hold_n
            return out
        if self.mode == "rest":
            self.cycle = None
            return out
        e = self.excursion_cm / 100.0
        for i, ti in enumerate(t):
            if self.cycle is None or ti >= self.cycle[0] + self.cycle[1]:
                period = 1.0 / self.rate_hz * (1.0 + self.rng.normal(0.0, self.m.jitter))
                peak = self.force_n * (1.0 + self.rng.normal(0.0, self.m.jitter))
                self.cycle = (float(ti), period, peak)
                self.last_peak = peak
                self.way = -self.way if self.scrubs else 1.0
            start, period, peak = self.cycle
            on = 0.65 * period  # on the skin for 65 % of the period
            x = (ti - start) / on
            if x < 1.0:
                out[i] = peak * np.sin(np.pi * x) ** 2
                self.accel[i] = self.way * e * _min_jerk_accel(x) / on**2
            elif not self.scrubs:  # back to the start in the air
                self.accel[i] = -e * _min_jerk_accel((ti - start - on) / (period - on)) / (period - on) ** 2
        return out

    def imu(self) -> np.ndarray:
        """What a level IMU on the handle reads over the last block (int16 counts): the tip's
        acceleration along x, gravity along z, and sensor noise."""
        n = len(self.accel)
        a = np.zeros((n, 6))
        a[:, 0] = self.accel / G * ACCEL_LSB_PER_G
        a[:, 2] = ACCEL_LSB_PER_G
        a += self.rng.normal(0.0, self.m.imu_noise, (n, 6))
        return np.rint(a).astype(np.int16)


def _min_jerk_accel(x: float) -> float:
    """The second derivative of the minimum-jerk profile 10x³ − 15x⁴ + 6x⁵."""
    return 60.0 * x - 180.0 * x**2 + 120.0 * x**3


def run_loop(model: UserModel | None = None, targets: Targets | None = None, seconds: float = 150.0) -> LoopResult:
    from kneadback.engine.engine import Engine

    model = model or UserModel()
    targets = targets or Targets()
    fm = default_force_model(1000.0)
    engine = Engine(fm)
    channels = (FORCE_CHANNEL, *IMU_CHANNELS) if model.imu else (FORCE_CHANNEL,)
    engine.configure(DeviceInfo(protocol_version=1, firmware_version="sim", board="sim", sample_rate_hz=RATE_HZ,
                                channels=channels))
    coach = Coach(targets, "left calf", None, 1_772_000_000.0)
    bouts = coach.bout_machine()
    user = SimulatedUser(model, targets)
    rng = np.random.default_rng(model.seed + 100)
    res = LoopResult()
    n_block = int(RATE_HZ * BLOCK_S)
    index = 0
    while index / RATE_HZ < seconds:
        t = (index + np.arange(n_block)) / RATE_HZ
        counts = fm.to_counts(user.force(t)).astype(float) + rng.normal(0.0, 0.5, n_block)
        block = SampleBlock(t=t, adc=np.clip(np.rint(counts), 0, 1023).astype(np.int32), first_index=index,
                            extra=user.imu() if model.imu else None)
        index += n_block
        events = list(engine.process(block))
        while user.ratings:
            r = coach.prepare_input(user.ratings.pop(0))
            res.ratings.append(r)  # type: ignore[arg-type]
            events.append(r)
        res.strokes += [e for e in events if isinstance(e, Stroke)]
        res.motions += [e for e in events if isinstance(e, StrokeMotion)]
        events = bouts.apply(events, float(t[-1]))
        res.bouts += [e for e in events if isinstance(e, Bout)]
        for cue in coach.on_events(events, float(t[-1])):
            assert isinstance(cue, Cue)
            res.cues.append(cue)
            user.hear(cue)
    for ev in bouts.finish(seconds):  # the session ends
        if isinstance(ev, Bout):
            res.bouts.append(ev)
    res.converged_at = converged(res.strokes, targets, model)
    return res


def converged(strokes: list[Stroke], targets: Targets, model: UserModel, run: int = 10) -> int | None:
    """Strokes done before the rate and the peak force were both in band for `run` in a row."""
    lo_r, hi_r = targets.rate_band
    lo_f, hi_f = model.band_n(targets.discomfort, targets.discomfort_tolerance)
    ok = 0
    for i in range(1, len(strokes)):
        rate = 60.0 / (strokes[i].t_peak - strokes[i - 1].t_peak)
        ok = ok + 1 if lo_r <= rate <= hi_r and lo_f <= strokes[i].peak_n <= hi_f else 0
        if ok == run:
            return i + 1 - run
    return None
