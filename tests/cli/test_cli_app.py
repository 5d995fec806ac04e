"""One place assembles a session: typed settings built once per command, each part built once,
wall time from the injected clock, and the flags left as they were parsed."""

from __future__ import annotations

import argparse
import copy

import pytest

from kneadback import cli
from kneadback.app import Run, Settings
from kneadback.clock import ManualClock
from kneadback.coach.targets import Targets
from kneadback.errors import InputError
from kneadback.store.db import Store

WALL = 1_767_000_000.0  # a fixed date for the session


def live_args(*argv: str) -> argparse.Namespace:
    return cli.build_parser().parse_args(["live", *argv])


def test_settings_are_typed_and_checked_once():
    s = Settings.from_args("live", live_args("--source", "sim", "--speed", "4", "--spot", " left calf ",
                                             "--bout-seconds", "45", "--metronome", "off", "--no-gui"))
    assert (s.source, s.speed, s.spot, s.gui, s.record) == ("sim", 4.0, "left calf", False, True)
    assert s.targets == Targets(bout_s=45.0)
    assert s.sound.metronome == "off"
    with pytest.raises(InputError, match=r"--speed 0\.0 must be a positive factor"):
        Settings.from_args("live", live_args("--speed", "0"))
    with pytest.raises(InputError, match="--spot needs a name"):
        Settings.from_args("live", live_args("--spot", "  "))


def test_a_run_builds_each_part_once_with_the_wall_time_of_its_clock(tmp_path):
    run = Run(Settings(source="sim", speed=50.0, duration=3.0), ManualClock(wall_start=WALL))
    assert run.source() is run.source()
    assert run.coach() is run.coach()
    assert run.coach().wall_start == WALL
    session = run.session([])
    assert session.coach is run.coach() and session.source is run.source()
    session.run()
    recorder = next(s for s in session.sinks if type(s).__name__ == "Recorder")
    with Store.open() as store:
        row = store.session(recorder.session_id)
    assert row.wall_start == WALL
    assert row.ended_at is not None and WALL <= row.ended_at < WALL + 60


def test_the_spot_given_wins_over_the_scenarios():
    run = Run(Settings(source="sim", spot="neck"), ManualClock())
    assert run.source().spot == "neck" and run.coach().spot == "neck"


def test_a_command_leaves_its_flags_as_parsed(capsys):
    """Nothing is kept on the flags: no coach, no source, no start time, no notices."""
    args = live_args("--source", "sim", "--no-gui", "--jsonl", "--speed", "50", "--duration", "2", "--no-record")
    before = vars(copy.copy(args))
    assert args.func(args) == 0
    assert vars(args) == before
