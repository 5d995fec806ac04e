"""Fixtures for the dashboard tests: a simulated source on a manual clock, the real engine and
coach, and a window stepped and redrawn by hand (no timers, no waiting)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kneadback.clock import ManualClock
from kneadback.coach.coach import Coach
from kneadback.engine.engine import Engine
from kneadback.session import Session
from kneadback.sources import open_source
from kneadback.sources.base import SourceOptions
from kneadback.store.db import Store
from kneadback.store.recorder import Recorder
from kneadback.ui.dashboard.window import DashboardWindow

STEP_S = 0.02  # clock seconds per pump in the tests

#: two 30 s bouts of strokes 20 s apart: the session the replay tests record
RECORDED_SCENARIO = """description = "two bouts"
[device]
rate_hz = 200
[user]
rate_hz = 1.0
force_n = 20.0
[[spots]]
name = "left calf"
force_at_7 = 20.0
[[phase]]
kind = "rest"
duration_s = 3
[[phase]]
kind = "strokes"
duration_s = 30
[[phase]]
kind = "rest"
duration_s = 20
[[phase]]
kind = "strokes"
duration_s = 30
[[phase]]
kind = "rest"
duration_s = 4
"""


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> str:
    """A database holding one session of the scenario above, recorded through the live pipeline."""
    tmp = tmp_path_factory.mktemp("recorded")
    path = tmp / "two-bouts.toml"
    path.write_text(RECORDED_SCENARIO)
    clock = ManualClock()
    source = open_source(f"sim:{path}", SourceOptions(clock=clock, speed=50.0))
    store = Store.open(tmp / "sessions.sqlite3")
    recorder = Recorder(store, clock=clock, source=source.spec, spot="left calf")
    Session(source, clock, analyzer=Engine(), coach=Coach(spot="left calf"), sinks=[recorder]).run()
    store.close()
    return str(tmp / "sessions.sqlite3")


def write_scenario(path: Path, *, rate_hz: float = 1.0, force_n: float = 20.0, seconds: float = 40.0,
                   device_rate_hz: float = 200.0, kind: str = "strokes") -> Path:
    """A one-phase scenario file for the simulator."""
    path.write_text(
        f'description = "dashboard test: {kind} at {rate_hz} Hz, {force_n} N"\n'
        f"[device]\nrate_hz = {device_rate_hz}\n"
        f"[user]\nrate_hz = {rate_hz}\nforce_n = {force_n}\n"
        f'[[spots]]\nname = "left calf"\nforce_at_7 = 20.0\n'
        f'[[phase]]\nkind = "{kind}"\nduration_s = {seconds}\n'
    )
    return path


class Rig:
    """A window over a session, driven step by step on a manual clock."""

    def __init__(self, window: DashboardWindow, clock: ManualClock) -> None:
        self.window = window
        self.clock = clock

    def run(self, seconds: float, redraw: bool = True) -> None:
        """Advance the clock `seconds` in small steps, stepping the session each time."""
        for _ in range(round(seconds / STEP_S)):
            self.clock.advance(STEP_S)
            self.window.pump()
        if redraw:
            self.window.redraw()


@pytest.fixture
def rig(qtbot, tmp_path) -> Callable[..., Rig]:
    def make(spec: str | None = None, **scenario: float) -> Rig:
        from kneadback.engine.engine import Engine

        clock = ManualClock()
        if spec is None:
            spec = "sim:" + str(write_scenario(tmp_path / "scenario.toml", **scenario))
        source = open_source(spec, SourceOptions(clock=clock))
        coach = Coach(spot="left calf")
        session = Session(source, clock, analyzer=Engine(), coach=coach)
        window = DashboardWindow(session, clock)
        qtbot.addWidget(window)
        window.resize(1600, 1000)
        window.show()
        window.start(timers=False)
        return Rig(window, clock)

    return make
