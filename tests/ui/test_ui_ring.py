"""The numpy ring and the min/max decimation behind the force trace."""

from __future__ import annotations

import numpy as np
import pytest

from kneadback.ui.dashboard.feed import peak_decimate
from kneadback.ui.dashboard.ring import Ring


def test_ring_keeps_the_newest_in_order():
    r = Ring(5)
    r.append(np.arange(3.0), np.arange(3.0) * 10)
    r.append(np.arange(3.0, 8.0), np.arange(3.0, 8.0) * 10)
    t, v = r.latest()
    assert t.tolist() == [3, 4, 5, 6, 7]
    assert v.tolist() == [30, 40, 50, 60, 70]
    assert r.total == 8 and len(r) == 5
    assert r.last == (7.0, 70.0)
    assert r.since(5.5)[0].tolist() == [6, 7]


@pytest.mark.parametrize("chunk", [1, 3, 7, 64, 1000])
def test_ring_content_does_not_depend_on_chunking(chunk):
    t = np.arange(1000.0)
    r = Ring(300)
    for i in range(0, len(t), chunk):
        r.append(t[i : i + chunk], -t[i : i + chunk])
    assert r.latest()[0].tolist() == t[-300:].tolist()
    assert r.latest()[1].tolist() == (-t[-300:]).tolist()


def test_ring_clear_and_empty():
    r = Ring(4)
    assert r.last is None
    r.append(1.0, 2.0)
    r.clear()
    assert len(r) == 0 and r.latest()[0].size == 0


def test_peak_decimate_keeps_every_peak():
    rng = np.random.default_rng(1)
    t = np.arange(10_000) / 1000.0
    v = rng.normal(0.0, 1.0, t.size)
    v[1234], v[8765] = 50.0, -40.0  # single-sample spikes
    td, vd = peak_decimate(t, v, 400)
    assert len(td) <= 4 * 400
    assert vd.max() == 50.0 and vd.min() == -40.0
    assert np.all(np.diff(td) > 0)
    assert td[-1] == t[-1]  # the trace reaches the newest sample


def test_peak_decimate_leaves_short_traces_alone():
    t = np.arange(10.0)
    assert peak_decimate(t, t, 400)[0] is t
