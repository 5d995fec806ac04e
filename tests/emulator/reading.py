"""Reading an emulated board's source in tests: until a condition holds, never for ever."""

from __future__ import annotations

import time

WALL_LIMIT_S = 60.0  # a guard against a hung emulator, never reached when things work


def collect(source, until=lambda items: False, limit_s: float = WALL_LIMIT_S) -> list:
    """Items read from `source` until `until(items)` holds (or the source finished)."""
    items: list = []
    deadline = time.monotonic() + limit_s
    while not until(items) and not source.finished:
        assert time.monotonic() < deadline, f"no progress within {limit_s} s: {items[-5:]}"
        items += source.read(0.05)
    return items
