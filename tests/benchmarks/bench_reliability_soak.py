"""Soak: an 8-hour 1 kHz session at full speed through source → engine → coach → recorder.

The source streams the `soak` scenario's two-minute pieces (a new seed each) as one unbroken
protocol v1 byte stream into the real decoder; the real `Session` runs the engine, the coach and
the SQLite recorder on a `ManualClock`. Printed: samples in and recorded, memory (RSS) over the
hours, the per-step processing time in the first and the last hour, and the database size
against what was written into it.

    python tests/benchmarks/bench_reliability_soak.py            # 8 hours of session (~15 min)
    python tests/benchmarks/bench_reliability_soak.py --hours 1
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

WARM_UP_S = 600.0  # memory is compared from here on


def _mb(n: float) -> str:
    return f"{n / 2**20:.1f} MiB"


def _step_stats(run, t0: float, t1: float) -> tuple[float, float, float, int]:
    """median and p99 µs per step, µs per sample, steps, for steps in [t0, t1) of session time."""
    sel = (run.step_t >= t0) & (run.step_t < t1)
    ns = run.step_ns[sel].astype(np.float64)
    samples = int(run.step_samples[sel].sum())
    return float(np.median(ns) / 1e3), float(np.percentile(ns, 99) / 1e3), float(ns.sum() / 1e3 / max(samples, 1)), int(sel.sum())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=8.0, help="session length in hours (default 8)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    seconds = args.hours * 3600.0
    home = tempfile.mkdtemp(prefix="kneadback-soak-")
    os.environ["KNEADBACK_HOME"] = home

    from reliability.soak import run_soak

    print(f"soak: {args.hours:g} h of session at 1000 Hz (seed {args.seed}), source → engine → coach → recorder", flush=True)
    began = time.perf_counter()
    last_print = [0.0]

    def progress(run) -> None:
        if run.session.now - last_print[0] >= 3600.0:
            last_print[0] = run.session.now
            print(f"  {run.session.now / 3600:4.1f} h  RSS {_mb(run.rss[-1][1])}  wall {time.perf_counter() - began:6.0f} s", flush=True)

    try:
        run = run_soak(seconds, seed=args.seed, probe=progress)
        report(run, args, seconds, began)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return 0


def report(run, args: argparse.Namespace, seconds: float, began: float) -> None:
    from kneadback.store.db import default_path

    wall = time.perf_counter() - began
    st = run.session.status
    db = default_path()
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        (recorded, n_chunks, chunk_bytes) = conn.execute(
            "SELECT sum(n_samples), count(*), sum(length(blocks) + length(t) + length(adc) + coalesce(length(t_device_us), 0)) FROM chunks"
        ).fetchone()
        (n_events, event_bytes) = conn.execute("SELECT count(*), sum(length(data) + length(type) + length(origin)) FROM events").fetchone()
        early = min(WARM_UP_S, seconds / 4)
        (early_samples, early_chunk_bytes) = conn.execute(
            "SELECT sum(n_samples), sum(length(blocks) + length(t) + length(adc) + coalesce(length(t_device_us), 0)) "
            "FROM chunks WHERE t1 < ?", (early,)
        ).fetchone()
        early_event_bytes = conn.execute(
            "SELECT sum(length(data) + length(type) + length(origin)) FROM events WHERE t < ?", (early,)
        ).fetchone()[0]
        page = conn.execute("PRAGMA page_size").fetchone()[0]
        freelist = conn.execute("PRAGMA freelist_count").fetchone()[0]
    files = [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]
    size = sum(p.stat().st_size for p in files if p.exists())
    payload = chunk_bytes + event_bytes

    print()
    print(f"samples: {run.source.sent} sent, {st.samples} through the session, {recorded} recorded; "
          f"lost {st.lost}, link errors {st.errors}")
    print(f"session {run.session.now:.1f} s in {wall:.0f} s wall ({run.session.now / wall:.0f}× real time), "
          f"{len(run.step_ns)} steps; rendering the scenario took {run.source.harness_ns / 1e9:.0f} s of that (excluded below)")
    print(f"events recorded: {n_events} ({run.engine.state.strokes} strokes)")

    rss = np.array(run.rss, dtype=np.float64)
    after = rss[rss[:, 0] >= WARM_UP_S]
    print()
    print("memory (RSS) while the session runs:")
    for h in range(int(args.hours) + 1):
        k = min(int(np.searchsorted(rss[:, 0], h * 3600.0)), len(rss) - 1)
        print(f"  {rss[k, 0] / 3600:5.2f} h  {_mb(rss[k, 1])}")
    if len(after):
        print(f"  after the {WARM_UP_S / 60:.0f}-minute warm-up: min {_mb(after[:, 1].min())}, max {_mb(after[:, 1].max())}, "
              f"spread {_mb(after[:, 1].max() - after[:, 1].min())}; last − first {_mb(after[-1, 1] - after[0, 1])}")
    print(f"  after closing (the recorder's end-of-session summary): {_mb(run.rss_closed)}")

    print()
    print("processing time per step (one step ≈ one 20-sample frame: decode → engine → coach → recorder):")
    span = min(3600.0, seconds / 2)
    first = _step_stats(run, 0.0, span)
    last = _step_stats(run, seconds - span, seconds + 1.0)
    for label, (med, p99, per_sample, n) in (("first", first), ("last", last)):
        print(f"  {label} {span / 60:.0f} min: median {med:.0f} µs, p99 {p99:.0f} µs, {per_sample:.2f} µs/sample ({n} steps)")
    print(f"  last/first: median {last[0] / first[0]:.2f}, p99 {last[1] / first[1]:.2f}")
    print("  hour by hour (median / p99 µs):", ", ".join(
        f"{h + 1}: {m:.0f}/{p:.0f}" for h in range(int(np.ceil(seconds / 3600)))
        for m, p, _s, n in [_step_stats(run, h * 3600.0, (h + 1) * 3600.0)] if n))

    print()
    print("database:")
    print(f"  file {_mb(size)} (with its WAL, closed) for {recorded} samples: {size / max(recorded, 1):.2f} B/sample "
          f"(raw t/adc/device µs would be 14 B/sample)")
    print(f"  written into it: {_mb(payload)} ({n_chunks} sample chunks {_mb(chunk_bytes)}, {n_events} events {_mb(event_bytes)}); "
          f"file/payload {size / payload:.3f}; page {page} B, {freelist} free pages")
    expected = (early_chunk_bytes + early_event_bytes) / early_samples * recorded
    print(f"  expected from the first {early / 60:.0f} min ({(early_chunk_bytes + early_event_bytes) / early_samples:.2f} B/sample): "
          f"{_mb(expected)} of payload; written/expected {payload / expected:.3f}")


if __name__ == "__main__":
    sys.exit(main())
