"""render(scenario, seed) → Rendering: the samples a real board would produce, and their truth.

Deterministic under a seed: each stage draws from its own child generator, so changing e.g. the
noise of a scenario does not move its strokes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from kneadback import __version__
from kneadback.fsr import FSR_PARTS, FsrCurve
from kneadback.model import FORCE_CHANNEL, DeviceInfo
from kneadback.simulate.motion import IMU_CHANNELS, ToolMotion, measure_stroke_motion, simulate_motion
from kneadback.simulate.physics import adc_counts
from kneadback.simulate.scenario import Scenario
from kneadback.simulate.truth import LostRun, Truth, measure_truth
from kneadback.simulate.user import simulate_user
from kneadback.simulate.wire import WirePlan, board_rate_hz, device_timestamps, plan_wire, wire_chunks


@dataclass(eq=False)
class Rendering:
    """A rendered scenario. Times are real seconds since the first sample (session time)."""

    scenario: Scenario
    seed: int
    rate_hz: float
    divider_ohms: float
    t: np.ndarray  # float64 sample times: i / rate_hz, stretched by the device clock's error
    t_us: np.ndarray  # uint32 sample times the firmware sends (timer periods, wraps, restarts on reset)
    adc: np.ndarray  # int32 counts
    force_n: np.ndarray  # the true force on the skin
    truth: Truth
    part: FsrCurve  # the simulated FSR part
    lost: np.ndarray  # bool per sample: never reaches the host (lost frames, disconnect)
    plan: WirePlan
    tool: ToolMotion | None = None  # with [motion]: the tool's path and its IMU's counts (`tool.imu`)

    @property
    def info(self) -> DeviceInfo:
        """What the board says in its HELLO."""
        d = self.scenario.device
        return DeviceInfo(
            protocol_version=1,
            firmware_version=__version__,
            board=d.board,
            sample_rate_hz=float(d.rate_hz),
            adc_bits=d.adc_bits,
            vref_mv=d.vref_mv,
            divider_ohms=round(d.divider_ohms),
            source=f"sim:{self.scenario.name}",
            front_end=d.front_end,
            channels=(FORCE_CHANNEL, *IMU_CHANNELS) if self.tool is not None else (FORCE_CHANNEL,),
        )

    @property
    def duration_s(self) -> float:
        return self.scenario.duration_s

    def wire_chunks(self, faults: bool = True) -> Iterator[tuple[float, bytes]]:
        """(arrival time, bytes) pairs: the line as the host reads it, in order.

        Arrival times are session seconds, a little after the frame's last sample. Each chunk holds one frame and whatever precedes it (garbage);
        a STATUS follows the DATA frame it came after. With `faults=False` no frame is lost.
        """
        rng = np.random.default_rng([self.seed, 7])
        extra = self.tool.imu if self.tool is not None else None
        return wire_chunks(self.info, self.plan, self.t, self.t_us, self.adc, faults, rng, extra)

    def wire_bytes(self, faults: bool = True) -> bytes:
        return b"".join(data for _, data in self.wire_chunks(faults))


def render(scenario: Scenario, seed: int = 0) -> Rendering:
    """Render `scenario`; the same seed gives the same samples, truth and bytes. A board with an
    IMU runs at most at the firmware's cap for it (`rate_cap_note` says so to the user)."""
    if board_rate_hz(scenario) != scenario.device.rate_hz:
        scenario = scenario.with_device(rate_hz=board_rate_hz(scenario))
    rngs = [np.random.default_rng([seed, k]) for k in range(5)]
    rate = float(scenario.device.rate_hz)
    n = round(scenario.duration_s * rate)
    t = np.arange(n) / (rate * (1.0 + scenario.device.clock_ppm * 1e-6))
    motion = simulate_user(scenario, t, rngs[0])
    truth = measure_truth(scenario, t, motion, rngs[1])
    part = FSR_PARTS[scenario.sensor.part].sample_part(rngs[2], scenario.sensor.part_spread)

    def at(when: float) -> int:
        return int(np.searchsorted(t, when))

    releases = [(at(s.t_peak), at(s.t_end)) for s in truth.strokes]
    adc = adc_counts(scenario, part, t, motion.force_n, releases, rngs[3])
    plan = plan_wire(scenario, t, rngs[4])
    tool = None
    if scenario.motion is not None:  # its own generator: an FSR-only rendering draws nothing more
        tool = simulate_motion(scenario, t, motion, np.random.default_rng([seed, 5]))
        truth.stroke_motion = measure_stroke_motion(scenario, t, truth.strokes, tool, motion)
    t_us = device_timestamps(plan, rate, n)
    lost = plan.lost_mask(n)
    truth.lost = _lost_runs(t, lost, plan)
    if lost.any():
        gone = np.concatenate([[0], np.cumsum(lost)])
        truth.strokes = [
            dataclasses.replace(s, lost_samples=int(gone[at(s.t_end) + 1] - gone[at(s.t_start)])) for s in truth.strokes
        ]
    truth.meta = {
        "scenario": scenario.name,
        "description": scenario.description,
        "seed": seed,
        "rate_hz": rate,
        "front_end": scenario.device.front_end,
        "divider_ohms": scenario.device.divider_ohms,
        "fsr_part_kind": scenario.sensor.part,
        "duration_s": scenario.duration_s,
        "samples": n,
        "fsr_part": {"r_1n": part.r_1n, "exponent": part.exponent, "r_floor": part.r_floor},
        "disconnect": list(plan.disconnect) if plan.disconnect else None,
        "garbage_bursts": len(plan.garbage),
    }
    return Rendering(scenario, seed, rate, float(scenario.device.divider_ohms), t, t_us, adc, motion.force_n, truth, part, lost, plan, tool)


def _lost_runs(t: np.ndarray, lost: np.ndarray, plan: WirePlan) -> list[LostRun]:
    edges = np.flatnonzero(np.diff(np.concatenate([[0], lost.astype(np.int8), [0]])))
    runs = []
    for a, b in zip(edges[::2], edges[1::2]):
        in_gap = plan.disconnect is not None and plan.disconnect[0] - 0.1 <= t[a] <= plan.disconnect[1]
        runs.append(LostRun(float(t[a]), float(t[b - 1]), int(b - a), "disconnect" if in_gap else "frame"))
    return runs


__all__ = ["Rendering", "render"]
