"""A session that ends closes the source and every sink, even when one of them fails."""

from __future__ import annotations

import pytest

from kneadback.clock import ManualClock
from kneadback.session import Session
from kneadback.sink import Sink
from kneadback.store.db import Store
from kneadback.store.recorder import Recorder

from .fakes import Collect, FakeEngine, FakeSource, make_blocks


class Broken(Sink):
    """A sink whose last status or close fails, as a window or a sound device may."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.ending = False  # the session's last status, as it closes

    def on_status(self, status: object) -> None:
        if self.where == "status" and self.ending:
            raise RuntimeError("status failed")

    def close(self) -> None:
        raise OSError(f"{self.where}: close failed")


class ClosingSource(FakeSource):
    closed = False

    def _close(self) -> None:
        self.closed = True


class Closing(Collect):
    closed = False

    def close(self) -> None:
        self.closed = True


@pytest.mark.parametrize("where", ["status", "close"])
def test_every_sink_closes_when_one_fails_and_the_first_failure_is_raised(where):
    clock = ManualClock(wall_start=1_700_000_000.0)
    source = ClosingSource(make_blocks(5.0, 3), clock)
    recorder = Recorder(clock=clock, source="fake:wave", spot="calf")
    after = Closing()
    broken = Broken(where)
    session = Session(source, clock, analyzer=FakeEngine(), sinks=[broken, recorder, after])
    session.open()
    while not session.done:
        session.step()
    broken.ending = True
    with pytest.raises(RuntimeError if where == "status" else OSError):
        session.close()
    assert after.closed
    assert source.closed
    with Store.open() as store:  # the recorder closed too: the session is stored, summary and all
        row = store.session(recorder.session_id)
    assert row.ended_at is not None and row.summary is not None
    assert row.wall_start == 1_700_000_000.0  # from the injected clock
