"""Bout and session scores of a recorded session, placeholder until wired to the coach."""

from __future__ import annotations

from typing import Any

from kneadback.store.db import EventRow, SessionRow


def session_scores(row: SessionRow, events: list[EventRow]) -> dict[str, Any]:
    return {}
