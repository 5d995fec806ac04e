"""Unplug and replug during a recorded session: everything received is in the recording."""

from __future__ import annotations

import numpy as np

from kneadback.clock import ManualClock
from kneadback.session import Session
from kneadback.sources import open_source
from kneadback.sources.base import SourceOptions
from kneadback.store.reader import open_session
from kneadback.store.recorder import Recorder
from protocol.fake_device import FakeBoard

from .ptys import FakePort


def _step_until(session: Session, done, tries: int = 400) -> None:
    for _ in range(tries):
        if done():
            return
        session.step(0.05)
    raise AssertionError("the session did not get there")


def test_twenty_replugs_in_a_recorded_session_lose_nothing_received(tmp_path):
    port = FakePort(tmp_path / "ttyACM0")
    clock = ManualClock()
    source = open_source(str(port.path), SourceOptions(clock=clock))
    recorder = Recorder(clock=clock, source=str(port.path))
    session = Session(source, clock, sinks=[recorder])
    b = FakeBoard()
    received: list[int] = []
    try:
        session.open()
        port.write(b.hello())
        for _cycle in range(20):
            port.write(b.frames(10))
            received += b.sent[-40:]
            _step_until(session, lambda received=received: session.status.samples == len(received))
            port.unplug()
            for _ in range(3):
                b.skip_frame()
            _step_until(session, lambda: session.status.state == "lost")
            port.plug()
            _step_until(session, lambda: session.status.state == "waiting")  # the port is back
    finally:
        session.close()
        port.close()
    with open_session(recorder.session_id) as rec:
        t, adc, dev = rec.samples()
        kinds = [e.data.get("kind") for e in rec.events if e.type == "error"]
    assert adc.tolist() == received
    assert np.all(np.diff(t) > 0)
    assert kinds.count("disconnected") == 20 and kinds.count("reconnected") == 20
    assert session.status.lost == 19 * 12  # each gap is marked
