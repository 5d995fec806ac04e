"""The soak, short: five minutes of 1 kHz session through source → engine → coach → recorder.

Every sample put on the wire is recorded, exactly; nothing the pipeline holds grows with the
length of the session. (The 8-hour run and its timing and memory figures are the benchmark
`tests/benchmarks/bench_reliability_soak.py`.)
"""

from __future__ import annotations

import collections

import numpy as np

from kneadback.store.db import Store
from kneadback.store.reader import open_session
from kneadback.store.recorder import CHUNK_SAMPLES

from .soak import SoakRun, rss_bytes, run_soak

SECONDS = 300.0
PROBE_S = 60.0
MAX_GROWTH = 10  # items a container may gain over the second half (one a bout: fine; one a stroke or block: not)


def _sizes(obj: object, path: str, out: dict[str, int], seen: set[int], depth: int = 0) -> None:
    """Length of every container reachable from a kneadback object (a few levels deep)."""
    if id(obj) in seen or depth > 4:
        return
    seen.add(id(obj))
    if isinstance(obj, (list, dict, collections.deque, set, bytearray, bytes)):
        bounded = isinstance(obj, collections.deque) and obj.maxlen is not None
        out[path] = obj.maxlen if bounded else len(obj)  # type: ignore[union-attr]
        if not isinstance(obj, (bytes, bytearray)):
            items = list(obj.values() if isinstance(obj, dict) else obj)
            for k, v in enumerate(items[:3]):
                _sizes(v, f"{path}[{k}]", out, seen, depth + 1)
        return
    if isinstance(obj, np.ndarray):
        out[path] = obj.size
        return
    if type(obj).__module__.split(".")[0] != "kneadback" or not hasattr(obj, "__dict__"):
        return
    for k, v in vars(obj).items():
        _sizes(v, f"{path}.{k}", out, seen, depth + 1)


def test_soak_records_every_sample_and_holds_nothing_that_grows() -> None:
    probes: list[tuple[float, dict[str, int], int]] = []
    buffered: list[tuple[int, int]] = []  # the recorder's open chunk and unwritten events at each probe

    def probe(run: SoakRun) -> None:
        sizes: dict[str, int] = {}
        seen: set[int] = set()
        for name in ("engine", "coach", "recorder"):
            _sizes(getattr(run, name), name, sizes, seen)
        _sizes(run.source.stream, "stream", sizes, seen)
        _sizes(run.session, "session", sizes, seen)
        probes.append((run.session.now, sizes, rss_bytes()))
        buffered.append((sum(len(b) for b in run.recorder._chunk), len(run.recorder._events)))

    run = run_soak(SECONDS, probe=probe, probe_every_s=PROBE_S)
    st = run.session.status
    expected = int(SECONDS * 1000)

    # samples in == samples recorded, exactly
    assert run.source.sent == expected == st.samples
    assert st.lost == 0 and st.errors == 0
    with Store.open(readonly=True) as store:
        row = store.session(run.recorder.session_id)
    assert row.samples == expected and row.lost == 0 and row.ended_at is not None
    with open_session(row.id) as rec:
        t, adc, dev = rec.samples()
        index = np.concatenate([b.first_index + np.arange(len(b)) for _i, b in rec.blocks()])
    assert len(adc) == expected and int(adc.sum(dtype=np.int64)) == run.source.adc_sum
    assert np.array_equal(index, np.arange(expected))  # no gap, no duplicate
    assert np.all(np.diff(t) > 0) and t[-1] > SECONDS - 0.01
    assert dev is not None and len(dev) == expected
    # the session's strokes were found and coached all the way through
    strokes = [e for e in rec.events if e.type == "stroke"]
    assert len(strokes) > 0.4 * SECONDS and strokes[-1].t > SECONDS - 60
    assert any(e.type == "cue" for e in rec.events if e.t > SECONDS / 2)

    # nothing held in memory grows with the session's length
    assert len(probes) >= 4
    (_t_a, a, rss_a), (_t_b, b, rss_b) = probes[len(probes) // 2], probes[-1]
    grown = {k: (a.get(k, 0), v) for k, v in b.items() if k != "recorder._chunk" and v - a.get(k, 0) > MAX_GROWTH}
    assert grown == {}
    assert all(samples <= CHUNK_SAMPLES and events < 1000 for samples, events in buffered)
    assert rss_b - rss_a < 32 * 2**20  # generous: a leak of a block or a stroke each time would show
