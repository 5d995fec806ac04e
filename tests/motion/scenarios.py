"""Short scenarios with a motion sensor, built in memory for the motion tests."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kneadback.clock import ManualClock
from kneadback.model import DeviceInfo, SampleBlock
from kneadback.simulate.scenario import Scenario, parse_scenario
from kneadback.store.recorder import Recorder


def scenario(motion: dict[str, Any] | None, seconds: float = 20.0, user: dict[str, Any] | None = None,
             phases: list[dict[str, Any]] | None = None) -> Scenario:
    """Strokes for `seconds` at 1 per second; `motion` None is an FSR-only board."""
    data: dict[str, Any] = {
        "description": "a test",
        "user": {"rate_hz": 1.0, "force_n": 20.0, **(user or {})},
        "phase": phases or [{"kind": "strokes", "duration_s": seconds}],
    }
    if motion is not None:
        data["motion"] = motion
    return parse_scenario(data, "test", Path("test.toml"))


ONE_WAY = {"pattern": "one-way", "direction_deg": 40.0, "excursion_cm": 3.0}
SCRUB = {"pattern": "back-and-forth", "direction_deg": 300.0, "excursion_cm": 4.0}
CIRCLE = {"pattern": "circle", "direction_deg": 120.0, "excursion_cm": 4.0}
IN_CONTACT = {"contact": 0.35, "dwell": 0.12, "rate_hz": 1.5}
KNEADING = {"contact": 0.3, "dwell": 0.15}


def record_blocks(info: DeviceInfo, blocks: Sequence[SampleBlock], rate_hz: float) -> int:
    """Record `blocks` as a live run would (the clock moving with the data); the session's id."""
    clock = ManualClock()
    rec = Recorder(clock=clock, source="sim:test", spot="calf", wall_start=1_760_000_000.0)
    rec.on_info(info)
    for b in blocks:
        clock.advance(len(b) / rate_hz)
        rec.on_block(b)
    rec.close()
    assert rec.session_id is not None
    return rec.session_id
