"""Record → replay gives the same blocks, the same events and the same cues, in the same order."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kneadback.clock import ManualClock
from kneadback.coach.coach import Coach
from kneadback.model import Marker, Rating, Rewind, SpotChanged
from kneadback.session import Session
from kneadback.sources.replay import ReplaySource
from kneadback.store.db import Store
from kneadback.store.reader import open_session
from kneadback.store.recorder import Recorder

from .fakes import Collect, FakeCoach, FakeEngine, FakeSource, make_blocks


def record_live(seconds: float = 20.0, seed: int = 1) -> tuple[int, Collect]:
    clock = ManualClock(1000.0)
    source = FakeSource(make_blocks(seconds, seed), clock)
    live = Collect()
    recorder = Recorder(clock=clock, source="fake:wave", spot="left calf", wall_start=1_700_000_000.0)
    session = Session(source, clock, analyzer=FakeEngine(), coach=FakeCoach(), sinks=[recorder, live])
    session.open()
    steps = 0
    try:
        while not session.done:
            session.step()
            steps += 1
            if steps == 40:
                session.submit(Rating(t=session.now, value=7, spot="left calf", force_n=31.5))
            elif steps == 90:
                session.submit(Marker(t=session.now, label="felt a release"))
            elif steps == 150:
                session.submit(SpotChanged(t=session.now, spot="right trapezius"))
                session.submit(Rating(t=session.now, value=5, spot="right trapezius", force_n=20.0))
    finally:
        session.close()
    return recorder.session_id, live


def replay(session_id: int, speed: float = 1.0, start: float = 0.0) -> Collect:
    clock = ManualClock(5.0)
    out = Collect()
    source = ReplaySource(open_session(session_id), clock, speed=speed, start=start)
    Session(source, clock, analyzer=FakeEngine(), coach=FakeCoach(), sinks=[out]).run()
    return out


def _dicts(events) -> list[dict]:
    return [e.to_dict() for e in events]


@pytest.mark.parametrize("speed", [1.0, 7.5, math.inf])
def test_store_replay_gives_the_same_events_and_cues(speed):
    sid, live = record_live()
    again = replay(sid, speed)
    assert any(e.type == "cue" and e.kind == "ease-off" for e in live.events)  # the ratings reached the coach
    assert _dicts(again.events) == _dicts(live.events)
    assert len(again.blocks) == len(live.blocks)
    for a, b in zip(again.blocks, live.blocks):
        assert np.array_equal(a.t, b.t) and np.array_equal(a.adc, b.adc)
        assert np.array_equal(a.t_device_us, b.t_device_us)
        assert (a.first_index, a.lost, a.t_arrival) == (b.first_index, b.lost, b.t_arrival)
    assert again.infos == live.infos


def test_store_session_row_holds_counts_and_summary():
    sid, live = record_live(10.0)
    with Store.open(readonly=True) as store:
        row = store.session(sid)
    assert row.samples == sum(len(b) for b in live.blocks)
    assert row.lost == sum(b.lost for b in live.blocks)
    assert row.duration_s == live.blocks[-1].t_end
    assert row.ended_at is not None and row.device["board"] == "fake"
    assert row.summary["ratings"] == 2 and row.summary["markers"] == 1
    assert row.summary["spots"] == ["left calf", "right trapezius"]


def test_store_replay_from_a_time_skips_earlier_samples_but_keeps_the_spot():
    sid, live = record_live()
    clock = ManualClock(5.0)
    out = Collect()
    coach = Coach(spot="left calf")
    source = ReplaySource(open_session(sid), clock, speed=math.inf, start=12.0)
    Session(source, clock, analyzer=FakeEngine(), coach=coach, sinks=[out]).run()
    assert out.blocks[0].t[0] > 12.0 and out.blocks[0].t[0] <= 12.0 + 0.2
    assert coach.spot == "right trapezius"  # the spot chosen before 12 s still applies
    assert not any(getattr(e, "t", 12.0) < 12.0 for e in out.events)  # nothing stamped before 12 s


def test_store_seek_hands_over_what_came_before_then_restarts_delivery():
    sid, _live = record_live(10.0)
    clock = ManualClock()
    src = ReplaySource(open_session(sid), clock, speed=1.0)
    src.open()
    got = []
    while not got or not any(hasattr(i, "adc") for i in got):
        got = src.read()
    src.seek(7.0)
    items = src.read()
    assert len(items) == 1 and isinstance(items[0], Rewind) and items[0].t == 7.0 and items[0].announce
    before = list(items[0].before)
    blocks = [i for i in before if hasattr(i, "adc")]
    assert blocks[0].t[0] < 0.1 and blocks[-1].t_end <= 7.0  # from the start, up to 7 s
    items = []
    while not any(hasattr(i, "adc") for i in items):
        clock.advance(0.05)
        items += src.read()
    first_block = next(i for i in items if hasattr(i, "adc"))
    assert first_block.t[0] > 7.0 and first_block.t[0] <= 7.2
    assert first_block.t[0] - blocks[-1].t_end < 0.02  # not a sample left out
    src.close()


def test_store_replay_is_paced_by_the_clock():
    sid, live = record_live(6.0)
    clock = ManualClock()
    src = ReplaySource(open_session(sid), clock, speed=2.0)
    src.open()
    while not src.finished:
        for item in src.read(0.05):
            if hasattr(item, "adc"):
                # a block is handed over once the clock reaches its last sample, not before
                assert item.t_end <= clock.now() * 2.0 + 1e-9
                assert item.t_end >= (clock.now() - 0.06) * 2.0
    assert clock.now() * 2.0 == pytest.approx(live.blocks[-1].t_end, abs=0.15)
    src.close()


def _committed_samples() -> int:
    import sqlite3

    from kneadback.store.db import default_path

    conn = sqlite3.connect(f"file:{default_path()}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT coalesce(sum(samples), 0) FROM sessions").fetchone()[0]
    finally:
        conn.close()


def test_store_commits_by_session_time_and_by_the_clock():
    from .fakes import INFO

    clock = ManualClock()
    rec = Recorder(clock=clock, source="fake:wave")
    rec.on_info(INFO)
    blocks = iter(make_blocks(3.0))
    # by session time: a backlog read at once is committed every 0.5 s of samples, clock or not
    n_at_flush = 0
    n = 0
    for b in blocks:
        rec.on_block(b)
        n += len(b)
        if b.t_end >= 0.5:
            n_at_flush = n
            break
    assert _committed_samples() == n_at_flush
    # by the clock: a trickle of samples is committed once 0.5 s of the clock has passed
    b = next(blocks)
    rec.on_block(b)
    assert _committed_samples() == n_at_flush  # neither 0.5 s of samples nor of clock yet
    clock.advance(0.5)
    rec.on_status(None)
    assert _committed_samples() == n_at_flush + len(b)
    rec.close()


def test_store_a_json_export_replays_like_the_database(tmp_path):
    from kneadback.store.export import export
    from kneadback.store.reader import load_json

    sid, live = record_live(8.0)
    with open_session(sid) as rec:
        export(rec, "json", tmp_path / "s.json")
    clock = ManualClock()
    out = Collect()
    Session(ReplaySource(load_json(tmp_path / "s.json"), clock, speed=math.inf), clock, analyzer=FakeEngine(),
            coach=FakeCoach(), sinks=[out]).run()
    assert _dicts(out.events) == _dicts(live.events)
    assert [len(b) for b in out.blocks] == [len(b) for b in live.blocks]
