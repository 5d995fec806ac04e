"""Any valid scenario renders, and its truth holds on its force: property-based."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kneadback.simulate.render import render
from kneadback.simulate.scenario import parse_scenario

phase = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["strokes", "strokes", "hold", "rest"]),
        "duration_s": st.floats(2.0, 12.0),
    },
    optional={
        "rate_hz": st.floats(0.3, 3.0),
        "rate_end_hz": st.floats(0.3, 3.0),
        "rate_jitter": st.floats(0.0, 0.4),
        "force_n": st.floats(1.0, 80.0),
        "force_cv": st.floats(0.0, 0.5),
        "contact": st.floats(0.0, 0.95),
        "dwell": st.floats(0.0, 0.5),
        "duty": st.floats(0.3, 0.9),
        "ridges": st.floats(0.0, 0.3),
        "rebound": st.floats(0.0, 0.3),
        "sag": st.floats(0.0, 0.3),
        "ramp_s": st.floats(0.1, 0.6),
        "rating": st.booleans(),
    },
)
scenario_data = st.fixed_dictionaries(
    {
        "description": st.just("generated"),
        "device": st.fixed_dictionaries({"rate_hz": st.sampled_from([10, 50, 100, 200, 500, 1000])}),
        "phase": st.lists(phase, min_size=1, max_size=5),
    }
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario_data, st.integers(0, 2**16))
def test_any_valid_scenario_renders_with_consistent_truth(tmp_path_factory, data, seed):
    s = parse_scenario(data, "generated", tmp_path_factory.mktemp("s") / "generated.toml")
    r = render(s, seed=seed)
    f, t = r.force_n, r.t
    assert len(t) == round(s.duration_s * r.rate_hz) and np.all(f >= 0) and np.all(np.isfinite(f))
    assert r.adc.min() >= 0 and r.adc.max() <= 1023
    prev_end = -1.0
    for x in r.truth.strokes:
        a, p, b = np.searchsorted(t, [x.t_start, x.t_peak, x.t_end])
        assert a <= p <= b and x.t_start >= prev_end
        assert f[p] == x.peak_n == f[a : b + 1].max()
        prev_end = x.t_end
    zero = sum(np.count_nonzero(f[np.searchsorted(t, o.start) : np.searchsorted(t, o.end) + 1] == 0) for o in r.truth.off_contact)
    assert zero == np.count_nonzero(f == 0)
    assert sum(b.strokes for b in r.truth.bouts) == len(r.truth.strokes)
    assert all(0 <= x.value <= 10 for x in r.truth.ratings)
