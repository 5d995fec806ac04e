"""The truth is measured on the rendered force, exactly; rendering is deterministic under a seed."""

import numpy as np
import pytest

from kneadback.simulate.render import render
from kneadback.simulate.scenario import list_scenarios, load_scenario

ALL = [name for name, _ in list_scenarios()]


def _i(r, t):
    i = int(np.searchsorted(r.t, t))
    assert r.t[i] == t  # truth times are sample times
    return i


@pytest.mark.parametrize("name", ALL)
def test_truth_matches_the_rendered_force(name):
    r = render(load_scenario(name), seed=5)
    f = r.force_n
    tr = r.truth
    prev_end = -1.0
    for s in tr.strokes:
        a, p, b = _i(r, s.t_start), _i(r, s.t_peak), _i(r, s.t_end)
        assert a < p < b and s.t_start >= prev_end
        assert f[p] == s.peak_n == f[a : b + 1].max()
        assert f[a] == f[a : p + 1].min() and f[b] == f[p : b + 1].min()  # troughs either side
        assert f[p] > f[a] and f[p] > f[b]
        prev_end = s.t_end
    for o in tr.off_contact:
        a, b = _i(r, o.start), _i(r, o.end)
        assert np.all(f[a : b + 1] == 0)
        assert (a == 0 or f[a - 1] > 0) and (b == len(f) - 1 or f[b + 1] > 0)
    assert sum(np.count_nonzero(f[_i(r, o.start) : _i(r, o.end) + 1] == 0) for o in tr.off_contact) == np.count_nonzero(f == 0)
    for h in tr.holds:
        seg = f[(r.t >= h.start) & (r.t <= h.end)]
        assert seg.min() > 0 and abs(seg.mean() - h.mean_n) < 1e-6 * h.mean_n + 0.05
        assert not any(h.start < s.t_peak < h.end for s in tr.strokes)
    for b in tr.bouts:
        inside = [s for s in tr.strokes if b.start <= s.t_peak <= b.end]
        assert len(inside) == b.strokes and inside[0].t_start == b.start and inside[-1].t_end == b.end
    assert sum(b.strokes for b in tr.bouts) == len(tr.strokes)
    assert tr.spots[0].start == 0 and tr.spots[-1].end == pytest.approx(r.scenario.duration_s)
    for x in tr.ratings:
        assert 0 <= x.value <= 10 and x.spot in r.scenario.spots and x.force_n > 0


def test_truth_to_dict_is_plain_json():
    import json

    d = render(load_scenario("demo-session"), seed=0).truth.to_dict()
    back = json.loads(json.dumps(d))
    assert set(back) >= {"strokes", "holds", "off_contact", "bouts", "ratings", "spots", "lost", "rate_hz", "seed"}
    assert set(back["strokes"][0]) >= {"t_start", "t_peak", "t_end", "peak_n"}
    assert set(back["ratings"][0]) == {"t", "value", "spot", "force_n"}


def test_same_seed_same_rendering_and_other_seed_differs():
    s = load_scenario("frame-loss")
    a, b, c = render(s, seed=3), render(s, seed=3), render(s, seed=4)
    assert np.array_equal(a.adc, b.adc) and np.array_equal(a.t_us, b.t_us) and np.array_equal(a.force_n, b.force_n)
    assert a.truth.to_dict() == b.truth.to_dict()
    assert a.wire_bytes() == b.wire_bytes()
    assert not np.array_equal(a.adc, c.adc)
    assert a.truth.to_dict() != c.truth.to_dict()


def test_truth_does_not_depend_on_the_sensor_or_the_link():
    import dataclasses

    s = load_scenario("steady")
    noisy = dataclasses.replace(s, noise=dataclasses.replace(s.noise, adc_lsb=5.0, spikes_per_min=30))
    assert render(s, seed=1).truth.strokes == render(noisy, seed=1).truth.strokes
