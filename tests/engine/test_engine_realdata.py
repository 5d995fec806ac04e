"""A few real recordings kept at their floor (benchmarks/bench_engine_realdata.py runs them all):
the series that showed each failure, in both signal forms, and the CPR manikin's two bouts.
The data lies beside the project and is never copied into it."""

from __future__ import annotations

import numpy as np
import pytest

from engine.realdata import FORMS, available, cprdummy, detect, gaitndd, run, score
from kneadback.engine.engine import Engine
from kneadback.model import Bout, Stroke

pytestmark = pytest.mark.skipif(not available(), reason="no real recordings in ../shared/realdata/ beside the project")

FLOOR_F1 = 0.98
SERIES = {
    "park6": "a push-off bump after a press",
    "park14": "a heel-and-toe double hump inside one press",
    "hunt18": "a small rise just before a press, and bumps between presses",
}


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("name", SERIES)
def test_real_presses_at_their_floor(name, form):
    s = gaitndd(name)
    strokes = detect(s, form, Engine())
    r = score(s, np.array([k.t_peak for k in strokes]))
    assert r.f1 >= FLOOR_F1, (SERIES[name], r)
    intervals = [k.interval_s for k in strokes if k.interval_s is not None]
    assert abs(60.0 / float(np.median(intervals)) - s.cadence_spm) <= 1.0


@pytest.mark.parametrize("form", FORMS)
def test_cpr_pause_wiggles_are_no_strokes_and_the_bouts_stay_apart(form):
    s = cprdummy()
    events = run(s, form, Engine())
    r = score(s, np.array([e.t_peak for e in events if isinstance(e, Stroke)]))
    assert (r.tp, r.fp, r.fn) == (len(s.contacts), 0, 0)
    bouts = [e for e in events if isinstance(e, Bout)]
    pause = (s.contacts[1:, 0] - s.contacts[:-1, 1]).argmax()  # the ventilation pause
    assert len(bouts) == 2
    assert bouts[0].end < s.contacts[pause + 1, 0] and bouts[1].start > s.contacts[pause, 1]
