"""A port that opens but whose device says nothing, or goes away: the status keeps coming on the
clock, `connected` is true only while valid data flows, and a silent device gets one hint."""

from __future__ import annotations

import io
import itertools
import json

import pytest

from kneadback.clock import ManualClock
from kneadback.model import LinkStatus, Notice
from kneadback.session import SILENT_AFTER_S, Session
from kneadback.sink import Sink
from kneadback.sources import open_source
from kneadback.sources.base import SourceOptions
from kneadback.ui.terminal import JsonLinesSink, TerminalView
from protocol.fake_device import FakeBoard

from .ptys import FakePort
from .test_sources_link_faults import board_bytes, uart_at_wrong_baud

STEP_S = 0.25  # clock seconds per session step


class Watch(Sink):
    """What reaches the sinks, with the clock time it came at."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.statuses: list[tuple[float, str, bool]] = []  # (clock, state, connected)
        self.notices: list[Notice] = []

    def on_status(self, status: LinkStatus) -> None:
        self.statuses.append((self.clock.now(), status.state, status.connected))

    def on_notice(self, notice: Notice) -> None:
        self.notices.append(notice)


def _session(spec: str, *sinks: Sink) -> tuple[Session, ManualClock, Watch]:
    clock = ManualClock()
    watch = Watch(clock)
    session = Session(open_source(spec, SourceOptions(clock=clock)), clock, sinks=[watch, *sinks])
    return session, clock, watch


def _steps(session: Session, clock: ManualClock, seconds: float) -> None:
    """Let `seconds` of the clock pass, a step at a time (reads never wait: the clock is manual)."""
    for _ in range(round(seconds / STEP_S)):
        clock.advance(STEP_S)
        session.step(0.0)


def _gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(times)]


@pytest.fixture
def port(tmp_path):
    p = FakePort(tmp_path / "ttyACM0")
    yield p
    p.close()


def test_a_silent_loop_port_keeps_reporting_is_not_connected_and_gets_one_hint():
    out = io.StringIO()
    session, clock, watch = _session("loop://", JsonLinesSink(out))
    session.open()
    try:
        _steps(session, clock, 10.0)
    finally:
        session.close()
    times = [t for t, _, _ in watch.statuses]
    assert times[-1] >= 10.0 and max(_gaps(times)) <= 1.0  # status at least once a second, data or not
    assert not any(connected for _, _, connected in watch.statuses)
    states = [s for _, s, _ in watch.statuses]
    assert states[0] == "waiting" and states[-1] == "silent"
    assert next(t for t, s, _ in watch.statuses if s == "silent") == pytest.approx(SILENT_AFTER_S)
    [hint] = watch.notices  # said once, not every second
    assert hint.kind == "silent" and hint.text.startswith("loop://: no valid data in 3 s (nothing came)")
    for cause in ("wrong port", "baud rate", "115200", "kneadback sketch"):
        assert cause in hint.text
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["text"] for r in rows if r["type"] == "notice"] == [hint.text]
    status = [r for r in rows if r["type"] == "status"]
    assert not any(r["connected"] for r in status) and status[-1]["state"] == "silent"
    assert status[-1]["quiet_s"] == pytest.approx(10.0)


def test_a_silent_port_on_a_pipe_prints_a_status_line_every_second_and_the_hint():
    out = io.StringIO()
    session, clock, _ = _session("loop://")
    session.sinks.append(TerminalView(clock, out, tty=False))
    session.open()
    _steps(session, clock, 6.0)
    lines = out.getvalue().splitlines()
    hint = [n for n, line in enumerate(lines) if line.startswith("loop://: no valid data")]
    assert len(hint) == 1
    assert len(lines[: hint[0]]) >= 3 and all("samples 0" in line for line in lines[: hint[0]])
    after = lines[hint[0] + 1 :]
    assert len(after) >= 2 and all(line.rstrip().endswith("s") and "| no data for" in line for line in after)
    session.close()


def test_garbled_bytes_put_the_baud_rate_first(port):
    wire, _ = board_bytes(4)
    garbled = uart_at_wrong_baud(wire, 115200, 57600)  # a board at 115200 read at 57600
    session, clock, watch = _session(str(port.path))
    session.open()
    try:
        for k in range(4):
            port.write(garbled[k * len(garbled) // 4 : (k + 1) * len(garbled) // 4])
            _steps(session, clock, 1.0)
    finally:
        session.close()
    [hint] = watch.notices
    assert "(only garbled bytes came); likely a baud rate other than the board's" in hint.text
    assert not any(connected for _, _, connected in watch.statuses)


def test_connected_only_while_data_flows_and_a_board_that_goes_quiet_gets_its_own_hint(port):
    session, clock, watch = _session(str(port.path))
    b = FakeBoard()
    session.open()
    try:
        _steps(session, clock, 1.0)
        assert session.status.state == "waiting" and not session.status.connected  # open, nothing heard
        port.write(b.hello() + b.frames(50))
        _steps(session, clock, 1.0)
        assert session.status.state == "streaming" and session.status.connected
        assert session.status.rate_hz is not None
        _steps(session, clock, 5.0)  # the board stops sending
    finally:
        session.close()
    assert session.status.state == "silent" and not session.status.connected
    assert session.status.rate_hz is None  # no rate made up across the silence
    [hint] = watch.notices
    assert "the board stopped sending 3 s ago" in hint.text and "reset button" in hint.text


def test_unplugged_device_is_reported_lost_while_it_is_gone(port):
    out = io.StringIO()
    session, clock, watch = _session(str(port.path))
    session.sinks.append(TerminalView(clock, out, tty=False))
    b = FakeBoard()
    session.open()
    try:
        port.write(b.hello() + b.frames(50))
        _steps(session, clock, 1.0)
        port.unplug()
        _steps(session, clock, 5.0)
        gone = out.getvalue().splitlines()
        port.plug()
        _steps(session, clock, 1.0)
        assert session.status.state == "waiting"  # the port is back, the board has yet to talk
        port.write(b.frames(50))
        _steps(session, clock, 1.0)
    finally:
        session.close()
    news = [n for n, line in enumerate(gone) if "device disconnected, waiting… (" in line]
    assert len(news) == 1
    during = gone[news[0] + 1 :]  # status lines while the board is away, before it is back
    assert len(during) >= 4 and all(line.rstrip().endswith("| device disconnected, waiting…") for line in during)
    lost = [t for t, s, connected in watch.statuses if s == "lost"]
    assert lost[-1] - lost[0] >= 4.0 and max(_gaps(lost)) <= 1.0
    assert not watch.notices  # a lost port is news of its own, not a silent device
    assert session.status.state == "streaming"
