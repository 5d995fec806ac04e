"""Sessions of the simulated tool recorded as `kneadback live` records them, on a manual clock."""

from __future__ import annotations

import io

from kneadback.app import Run, Settings
from kneadback.clock import ManualClock


def record_a_session(scenario: str, seconds: float) -> None:
    """A live session of the simulated tool playing `scenario` for `seconds`, recorded."""
    run = Run(Settings(source=f"sim:{scenario}", duration=seconds, jsonl=True, gui=False), ManualClock())
    run.session(run.terminal_sinks(io.StringIO()), out=io.StringIO()).run()
