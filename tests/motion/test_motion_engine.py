"""The engine's stroke motion: only with an IMU, causal and chunk-invariant, right against the truth."""

from __future__ import annotations

import dataclasses
import sys

import numpy as np
import pytest

from kneadback.engine.engine import Engine
from kneadback.engine.motion import bout_motion, imu_columns
from kneadback.errors import InputError
from kneadback.model import Event, SampleBlock, Stroke, StrokeMotion
from kneadback.simulate.render import Rendering, render

from .scenarios import CIRCLE, IN_CONTACT, KNEADING, ONE_WAY, SCRUB, scenario


def feed(r: Rendering, block: int, imu: bool = True, drop: slice | None = None) -> list[Event]:
    info = r.info if imu else dataclasses.replace(r.info, channels=r.info.channels[:1])
    e = Engine()
    e.configure(info)
    keep = np.ones(len(r.t), bool)
    if drop is not None:
        keep[drop] = False
    out: list[Event] = []
    for a in range(0, len(r.t), block):
        sel = np.flatnonzero(keep[a : a + block]) + a
        if not len(sel):
            continue
        extra = r.tool.imu[sel] if imu and r.tool is not None else None
        out += e.process(SampleBlock(r.t[sel], r.adc[sel], first_index=int(sel[0]), extra=extra))
    return out + e.finish()


def motions(events: list[Event]) -> list[StrokeMotion]:
    return [e for e in events if isinstance(e, StrokeMotion)]


def test_an_fsr_only_board_gets_no_motion_and_the_same_strokes():
    r = render(scenario(ONE_WAY), seed=1)
    with_imu, without = feed(r, 20), feed(r, 20, imu=False)
    assert motions(with_imu) and not motions(without)
    assert [e for e in with_imu if not isinstance(e, StrokeMotion)] == without
    plain = Engine()
    plain.configure(dataclasses.replace(r.info, channels=r.info.channels[:1]))
    assert plain.motion is None and imu_columns(plain.info) is None  # type: ignore[arg-type]


@pytest.mark.parametrize("motion", [SCRUB, CIRCLE])
def test_the_same_stream_in_any_block_size_gives_the_same_motion(motion):
    r = render(scenario(motion, seconds=20.0, user=IN_CONTACT), seed=2)
    runs = [motions(feed(r, k)) for k in (1, 7, 200, len(r.t))]  # the whole stream: more than the history holds
    assert runs[0] and all(run == runs[0] for run in runs[1:])


def test_motion_is_causal_and_comes_after_its_stroke():
    r = render(scenario(ONE_WAY, seconds=12.0), seed=3)
    events = feed(r, 4)
    confirmed = {e.index: e.t_confirmed for e in events if isinstance(e, Stroke)}
    for m in motions(events):
        assert m.t_confirmed >= confirmed[m.index]
        assert m.t_confirmed in r.t  # stamped with the sample that completed it
    # cut the stream just after a motion: the motions before are the same
    last = motions(events)[3].t_confirmed
    cut = dataclasses.replace(r, t=r.t[r.t <= last], adc=r.adc[r.t <= last])
    assert motions(feed(cut, 4)) == motions(events)[:4]


@pytest.mark.parametrize(("motion", "user", "pattern"), [
    (ONE_WAY, None, "one-direction"),
    ({**ONE_WAY, "excursion_cm": 8.0}, None, "one-direction"),
    (SCRUB, IN_CONTACT, "back-and-forth"),
    ({**ONE_WAY, "direction_deg": 200.0}, {"contact": 0.2, "dwell": 0.3}, "one-direction"),
])
def test_direction_and_excursion_against_the_truth(motion, user, pattern):
    r = render(scenario(motion, seconds=30.0, user=user), seed=5)
    events = feed(r, 4)
    truth, true_motion = r.truth.strokes, r.truth.stroke_motion
    found = motions(events)
    peaks = {e.index: e.t_peak for e in events if isinstance(e, Stroke)}
    off, err = [], []
    for m in found:
        j = next(i for i, s in enumerate(truth) if s.t_start - 0.05 <= peaks[m.index] <= s.t_end)
        off.append(abs((m.direction_deg - true_motion[j].direction_deg + 180.0) % 360.0 - 180.0))
        err.append(abs(m.excursion_cm - true_motion[j].excursion_cm))
    assert len(found) >= sum(s.t_start > 3.5 for s in truth) - 1  # all but those while the orientation settles
    assert np.mean(np.array(off) <= 20.0) >= 0.9
    assert np.median(err) <= 0.5
    assert not any(m.circling for m in found)  # strokes that stop are never taken for circles
    summary = bout_motion(found)
    assert summary is not None and summary.pattern == pattern


def test_kneading_circles_never_stop_yet_their_size_and_loaded_direction_are_found():
    """The tool goes round without stopping where a stroke starts: re-zeroing the velocity there
    made 4 cm circles come out about 12 cm long."""
    r = render(scenario(CIRCLE, seconds=30.0, user=KNEADING), seed=8)
    events = feed(r, 4)
    truth, true_motion = r.truth.strokes, r.truth.stroke_motion
    peaks = {e.index: e.t_peak for e in events if isinstance(e, Stroke)}
    found = motions(events)
    off, err = [], []
    for m in found:
        j = next(i for i, s in enumerate(truth) if s.t_start - 0.05 <= peaks[m.index] <= s.t_end)
        off.append(abs((m.direction_deg - true_motion[j].direction_deg + 180.0) % 360.0 - 180.0))
        err.append(abs(m.excursion_cm - true_motion[j].excursion_cm))
    assert len(found) >= sum(s.t_start > 3.5 for s in truth) - 1
    assert np.median(err) <= 0.5 and np.mean(np.array(err) <= 1.0) >= 0.8
    assert np.mean(np.array(off) <= 20.0) >= 0.9
    summary = bout_motion(found)
    assert summary is not None and abs(summary.median_excursion_cm - CIRCLE["excursion_cm"]) <= 1.0
    assert summary.pattern == "circling"  # not one way, however the loaded halves agree
    assert sum(m.circling for m in found) >= len(found) - 2  # all but a stretch's first two


def test_strokes_that_stop_after_circles_are_measured_as_stopping_again():
    s = scenario(CIRCLE, user=KNEADING, phases=[
        {"kind": "strokes", "duration_s": 15.0},
        {"kind": "rest", "duration_s": 3.0},
        {"kind": "strokes", "duration_s": 15.0, "pattern": "one-way", "direction_deg": 90.0},
    ])
    r = render(s, seed=9)
    events = feed(r, 4)
    strokes = {e.index: e for e in events if isinstance(e, Stroke)}
    truth, true_motion = r.truth.strokes, r.truth.stroke_motion
    err: dict[bool, list[float]] = {True: [], False: []}
    went_on = []  # the one-way strokes after the first of their stretch: cycles before them
    for m in motions(events):
        s = strokes[m.index]
        j = next(i for i, x in enumerate(truth) if x.t_start - 0.05 <= s.t_peak <= x.t_end)
        err[truth[j].t_start < 15.0].append(abs(m.excursion_cm - true_motion[j].excursion_cm))
        if truth[j].t_start > 15.0 and s.interval_s is not None:
            went_on.append(err[False][-1])
    for circling in (True, False):
        assert len(err[circling]) >= 8 and np.median(err[circling]) <= 0.5
    assert max(went_on) <= 1.0  # not one of them taken for a circle


def test_lost_samples_leave_out_only_the_strokes_they_touch():
    r = render(scenario(ONE_WAY, seconds=20.0), seed=6)
    whole = {m.index: m for m in motions(feed(r, 4))}
    gap = slice(int(10.3 * r.rate_hz), int(10.5 * r.rate_hz))  # under a second: no restart
    holed = motions(feed(r, 4, drop=gap))
    assert holed and len(holed) < len(whole)
    t = r.t[gap]
    strokes = {e.index: e for e in feed(r, 4) if isinstance(e, Stroke)}
    for m in holed:
        s = strokes[m.index]
        assert not (s.t_start <= t[-1] and t[0] <= s.t_end + 0.5)  # none measured across the hole
        assert m.direction_deg == pytest.approx(whole[m.index].direction_deg) or s.t_start > t[-1]


def test_samples_without_their_imu_values_are_not_guessed():
    r = render(scenario(ONE_WAY, seconds=12.0), seed=7)
    e = Engine()
    e.configure(r.info)
    out = []
    for a in range(0, len(r.t), 20):
        out += e.process(SampleBlock(r.t[a : a + 20], r.adc[a : a + 20], first_index=a))
    assert any(isinstance(x, Stroke) for x in out) and not motions(out)


def test_without_the_orientation_library_the_user_is_told_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "imufusion", None)
    r = render(scenario(ONE_WAY, seconds=2.0), seed=1)
    with pytest.raises(InputError, match=r"install kneadback\[imu\]"):
        Engine().configure(r.info)


def _m(direction: float, share: float | None = 0.0, length: float = 3.0, circling: bool = False) -> StrokeMotion:
    return StrokeMotion(0, 0.0, direction, length, share, circling)


def test_bout_patterns():
    assert bout_motion([]) is None
    one = bout_motion([_m(d) for d in (350.0, 5.0, 10.0, 0.0, 355.0)])
    assert one is not None and one.pattern == "one-direction" and one.resultant > 0.95
    assert min(one.direction_deg, 360.0 - one.direction_deg) < 5.0
    both = bout_motion([_m(d, 0.5) for d in (30.0, 210.0, 32.0, 208.0)])
    assert both is not None and both.pattern == "back-and-forth" and both.resultant < 0.1 < 0.9 < both.axial_resultant
    loaded = bout_motion([_m(d, 0.45) for d in (30.0, 32.0, 28.0)])  # one way, but pressing on the way back too
    assert loaded is not None and loaded.pattern == "back-and-forth"
    mixed = bout_motion([_m(d) for d in (0.0, 60.0, 120.0, 180.0, 240.0, 300.0)])
    assert mixed is not None and mixed.pattern == "mixed"
    circles = [_m(d, circling=True) for d in (88.0, 92.0, 90.0)]
    circling = bout_motion([_m(90.0), *circles])  # loaded halves one way, but the tool never stopped
    assert circling is not None and circling.pattern == "circling" and circling.resultant == pytest.approx(0.25)
    some = bout_motion([_m(90.0), _m(91.0), _m(89.0), *circles[:2]])  # circling takes most of the strokes
    assert some is not None and some.pattern == "mixed" and some.resultant == pytest.approx(0.6, abs=0.01)
    lengths = bout_motion([_m(0.0, None, x) for x in (2.0, 3.0, 9.0)])
    assert lengths is not None and lengths.median_excursion_cm == 3.0 and lengths.median_return_share is None
