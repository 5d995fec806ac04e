"""Session database size per hour at 200 Hz, and the recorder's cost.

Runs the simulated `demo-session` (6 min at 200 Hz: bouts, rests, a hold, ratings, three
spots) through source → engine → coach → recorder ten times: one hour of recordings in a fresh
database. Prints the file size per hour, split into samples and events, and how fast the
recorder alone writes (blocks and events replayed into it, commits as live: every 0.5 s of
session time, synchronous=FULL).
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="kb-bench-store-"))
    os.environ["KNEADBACK_HOME"] = str(home)
    from kneadback.clock import ManualClock
    from kneadback.coach.coach import Coach
    from kneadback.engine.engine import Engine
    from kneadback.session import Session
    from kneadback.sources import open_source
    from kneadback.sources.base import SourceOptions
    from kneadback.store.db import Store, default_path
    from kneadback.store.recorder import Recorder

    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    t0 = time.perf_counter()
    total_s = 0.0
    samples = 0
    for k in range(runs):
        clock = ManualClock()
        source = open_source("sim:demo-session", SourceOptions(clock=clock, speed=math.inf, seed=k))
        rec = Recorder(clock=clock, source=source.spec, spot="left calf", wall_start=1_760_000_000.0 + 3600 * k)
        session = Session(source, clock, analyzer=Engine(), coach=Coach(spot="left calf"), sinks=[rec])
        session.run()
        total_s += session.status.t
        samples += session.status.samples
    pipeline_s = time.perf_counter() - t0
    with Store.open(readonly=True) as store:
        c = store.conn
        blob = c.execute("SELECT sum(length(blocks) + length(t) + length(adc) + coalesce(length(t_device_us), 0)), "
                         "count(*) FROM chunks").fetchone()
        ev = c.execute("SELECT sum(length(data)), count(*) FROM events").fetchone()
        blocks = c.execute("SELECT sum(blocks) FROM sessions").fetchone()[0]
    with Store.open() as store:  # fold the write-ahead log into the file before measuring it
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        free = store.conn.execute("PRAGMA freelist_count").fetchone()[0] * store.conn.execute("PRAGMA page_size").fetchone()[0]
    size = default_path().stat().st_size
    hours = total_s / 3600
    rate = samples / total_s
    print(f"recorded {total_s / 60:.1f} min in {runs} sessions, {samples} samples at {rate:.0f} Hz, "
          f"{blocks} blocks ({samples / blocks:.1f} samples a block)")
    print(f"database file: {size / 1e6:.2f} MB → {size / 1e6 / hours:.2f} MB per hour at 200 Hz "
          f"({size / samples:.2f} bytes a sample, everything included)")
    print(f"  sample chunks: {blob[0] / 1e6 / hours:.2f} MB/h in {blob[1]} rows ({blob[0] / samples:.2f} bytes a sample: "
          f"time, counts, device time, block table; raw int16 counts alone would be 2.00)")
    print(f"  events: {ev[0] / 1e6 / hours:.2f} MB/h of JSON in {ev[1]} rows; the rest is indexes and pages "
          f"({free / 1e6:.2f} MB free for reuse)")
    print(f"whole pipeline (simulator, decoder, engine, coach, recorder): {total_s / pipeline_s:.0f}× real time")

    # the recorder alone: the same blocks again into a fresh database
    with Store.open(readonly=True) as store:
        from kneadback.store.reader import open_session

        sid = store.resolve("last")
    with open_session(sid) as recording:
        blks = [b for _i, b in recording.blocks()]
        evs = recording.events
    os.environ["KNEADBACK_HOME"] = str(home / "again")
    from kneadback.store.events import from_dict

    evobjs = [(e.after_block, from_dict(e.data)) for e in evs if e.type != "info"]
    clock = ManualClock()
    t1 = time.perf_counter()
    rec = Recorder(clock=clock, source="bench", spot="left calf")
    rec.on_info(recording.info)
    j = 0
    for n, b in enumerate(blks):
        while j < len(evobjs) and evobjs[j][0] <= n:
            rec.on_events([evobjs[j][1]])
            j += 1
        clock.advance(len(b) / 200)
        rec.on_block(b)
    rec.close()
    dt = time.perf_counter() - t1
    secs = blks[-1].t_end
    print(f"recorder alone: {secs:.0f} s of session in {dt:.2f} s = {secs / dt:.0f}× real time "
          f"({len(blks) / dt:.0f} blocks/s, {int(secs / 0.5)} commits)")


if __name__ == "__main__":
    main()
