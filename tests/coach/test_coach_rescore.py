"""A recorded session is scored again (sessions, history, the report) as live scored it: with the
force model it was recorded with, so a calibrated session's band is capped at the force ceiling."""

from __future__ import annotations

import numpy as np
import pytest

from kneadback import calibration as cm
from kneadback.calibration import CalibratedForceModel
from kneadback.coach.coach import Coach
from kneadback.coach.spots import MemorySpotHistory
from kneadback.coach.targets import Targets
from kneadback.fsr import Divider, FsrCurve, default_force_model
from kneadback.model import Event, Rating
from kneadback.store.calibration import force_model_to_dict
from kneadback.store.db import EventRow, SessionRow
from kneadback.store.events import origin_of
from kneadback.store.scoring import session_scores

from .helpers import bout, run

CALIBRATED = CalibratedForceModel(cm.fit_calibration(
    cm.simulate_levels(FsrCurve(), Divider(), [3, 8, 15, 30, 60], np.random.default_rng(1)), Divider()))


def _live(model, peak_n: float) -> tuple[list[Event], dict]:
    """A bout of strokes at `peak_n` after ratings that put the 7/10 band far above the 90 N
    ceiling; the events the session records and the scores the live coach gave."""
    coach = Coach(Targets(), "calf", MemorySpotHistory(), 0.0)
    coach.force_model_of = lambda: model
    events = [Rating(0.2, 2, "calf", 50.0), Rating(0.3, 4, "calf", 100.0), *bout(1.0, 30, 60, peak_n=peak_n)]
    out: list[Event] = []
    run(coach, events, out=out, end=True)
    bouts, session = coach.scores()
    return out, {"bouts": [b.to_dict() for b in bouts], "session": session.to_dict()}


def _row(model) -> SessionRow:
    return SessionRow(id=1, started_at="", wall_start=0.0, kind="live", source="sim", spot="calf", device=None,
                      calibration=force_model_to_dict(model), targets=None, software="", duration_s=40.0,
                      samples=0, lost=0, blocks=0, ended_at=40.0, summary=None)


@pytest.mark.parametrize("model", [CALIBRATED, default_force_model()], ids=["calibrated", "approximate"])
def test_rescoring_a_recording_gives_the_scores_live_gave(model):
    """Today: rescoring had no force model, so a calibrated session's band was not capped at
    90 N: strokes at 80 N, in the capped band live, scored as out of it."""
    events, live = _live(model, 80.0)
    rows = [EventRow(0, origin_of(e), e.t, e.type, "calf", e.to_dict()) for e in events]
    assert session_scores(_row(model), rows) == live
    pressure = live["session"]["parts"]["pressure"]
    assert pressure == (1.0 if model is CALIBRATED else 0.0)  # the cap is what tells the two apart
