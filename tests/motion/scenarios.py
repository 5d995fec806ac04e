"""Short scenarios with a motion sensor, built in memory for the motion tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kneadback.simulate.scenario import Scenario, parse_scenario


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
IN_CONTACT = {"contact": 0.35, "dwell": 0.12, "rate_hz": 1.5}
