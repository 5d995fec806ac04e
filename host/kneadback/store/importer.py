"""Import a `time_s,adc` CSV from any logger as a session: it runs through the engine and the
coach like a live session and is recorded in one transaction (all of it, or nothing)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from kneadback.analysis import open_with_progress, session_progress
from kneadback.clock import ManualClock
from kneadback.coach.coach import Coach
from kneadback.coach.targets import Targets
from kneadback.engine.engine import Engine
from kneadback.errors import InputError
from kneadback.session import Session
from kneadback.sources.csvfile import CsvSource
from kneadback.store.db import Store
from kneadback.store.recorder import Recorder
from kneadback.store.spots import SqliteSpotHistory


def import_csv(
    path: Path,
    *,
    spot: str,
    started: dt.datetime | None = None,
    rate_hz: float | None = None,
    divider_ohms: float | None = None,
    targets: Targets | None = None,
    show_progress: bool = False,
) -> int:
    """The new session's id. `started` defaults to the file's modification time; `show_progress`
    draws bars on stderr while the file is read and while it runs through the pipeline."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if started is None:
        started = dt.datetime.fromtimestamp(path.stat().st_mtime).astimezone()
    wall = started.timestamp()
    clock = ManualClock()
    source = CsvSource(path, rate_hz=rate_hz, divider_ohms=divider_ohms)
    # a bad file is refused here, before the database is created or touched
    open_with_progress(source, enabled=show_progress)
    engine = Engine()
    goals = targets or Targets()
    coach = Coach(goals, spot, SqliteSpotHistory(before=wall, bout_s=goals.bout_s), wall)
    with Store.open() as store:
        recorder = Recorder(store, clock=clock, source=str(path), kind="import", spot=spot, targets=coach.targets,
                            wall_start=wall, atomic=True)
        recorder.force_model_of = lambda: engine.force_model
        session = Session(source, clock, analyzer=engine, coach=coach, sinks=[recorder])
        try:
            with session_progress(session, f"importing {path.name}", source.duration, enabled=show_progress):
                session.run()
        except BaseException:
            recorder.abort()
            raise
        if recorder.session_id is None:
            raise InputError(f"{path}: no samples to import")
        return recorder.session_id
