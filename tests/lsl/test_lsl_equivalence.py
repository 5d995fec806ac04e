"""Equivalence: a recorded session replayed onto LSL (`replay --lsl`) and read back by another
process (`live --source lsl:…`) gives the strokes and cues of the replay itself.

The tolerance, and why: both sessions run the same engine and coach on the same counts, so the
strokes, their peaks and the cues are the same ones, in the same order. Their times differ only by
how the outlet maps the replay's session time onto the LSL clock (a line fitted to the blocks'
arrivals, `kneadback.lsl.outlet.ClockMap`), whose small corrections shift the samples' times by
far less than a sample period; so every time may differ by at most one sample period.
"""

from __future__ import annotations

import io
import json
import select
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.lsl.conftest import TIMEOUT_S

from kneadback import cli
from kneadback.app import Run, Settings
from kneadback.clock import MonotonicClock
from kneadback.lsl import meta
from kneadback.model import Cue, Event, Stroke
from kneadback.sink import Sink
from kneadback.sources.replay import ReplaySource
from kneadback.store.reader import open_recording

RATE_HZ = 200.0
#: strokes faster than the target rate, so the coach corrects them: 6 s of session
SCENARIO = f"""description = "equivalence over LSL"
[device]
rate_hz = {RATE_HZ:g}
[user]
rate_hz = 1.6
force_n = 20.0
[[spots]]
name = "left calf"
force_at_7 = 20.0
[[phase]]
kind = "rest"
duration_s = 1
[[phase]]
kind = "strokes"
duration_s = 4.5
[[phase]]
kind = "rest"
duration_s = 0.5
"""


class StartLater(MonotonicClock):
    """The real clock, standing still until `go()`: the replay starts once the other side listens,
    as a user starts `replay --lsl` after the receiving side is up."""

    def __init__(self) -> None:
        self._held = super().now()
        self._since: float | None = None

    def go(self) -> None:
        self._since = super().now()

    def now(self) -> float:
        return self._held if self._since is None else self._held + super().now() - self._since


class Events(Sink):
    def __init__(self) -> None:
        self.events: list[Event] = []

    def on_events(self, events: Sequence[Event]) -> None:
        self.events += events


def next_line(proc: subprocess.Popen[str]) -> dict[str, Any]:
    """The next JSON line the process prints, waiting at most `TIMEOUT_S`."""
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], TIMEOUT_S)
    assert ready, "the receiving side printed nothing"
    line = proc.stdout.readline()
    assert line, f"the receiving side ended: {proc.stderr.read() if proc.stderr else ''}"
    return dict(json.loads(line))


def test_replay_onto_lsl_read_back_live_gives_the_replays_strokes_and_cues(tmp_path: Path, capsys: Any) -> None:
    scenario = tmp_path / "lsl.toml"
    scenario.write_text(SCENARIO)
    assert cli.main(["live", "--source", f"sim:{scenario}", "--speed", "100", "--no-gui", "--jsonl"]) == 0
    capsys.readouterr()
    rec = open_recording("last")

    clock = StartLater()
    run = Run(Settings(lsl=True, jsonl=True, gui=False, record=False), clock, recording=rec)
    replayed = Events()
    source = ReplaySource(rec, clock)
    session = run.session([replayed], source, out=io.StringIO())
    session.open()  # the outlet is up
    assert source.info is not None
    stream = meta.source_id(source.info, "force")
    live = subprocess.Popen(
        [sys.executable, "-m", "kneadback", "live", "--source", f"lsl:source_id={stream}", "--jsonl", "--no-record"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        received = [next_line(live)]
        assert received[0]["type"] == "info" and received[0]["sample_rate_hz"] == RATE_HZ  # connected: go
        clock.go()
        end = time.monotonic() + rec.duration_s + TIMEOUT_S
        while not session.done:
            assert time.monotonic() < end, "the replay did not end"
            session.step()
        session.close()
        sent = session.status.samples
        while not (received[-1]["type"] == "status" and received[-1]["samples"] >= sent):  # all arrived
            received.append(next_line(live))
        live.send_signal(signal.SIGINT)  # it stops as on Ctrl-C: the engine's last events come out
        out, err = live.communicate(timeout=TIMEOUT_S)
    finally:
        live.kill()
    assert live.returncode == 0, err
    received += [json.loads(line) for line in out.splitlines()]
    period = 1.0 / RATE_HZ

    strokes = [e for e in replayed.events if isinstance(e, Stroke)]
    read = [e for e in received if e["type"] == "stroke"]
    assert len(strokes) >= 5 and len(read) == len(strokes)
    for s, r in zip(strokes, read, strict=True):
        assert r["peak_adc"] == s.peak_adc
        assert abs(r["t_peak"] - s.t_peak) <= period and abs(r["t_start"] - s.t_start) <= period

    cues = [e for e in replayed.events if isinstance(e, Cue)]
    said = [e for e in received if e["type"] == "cue"]
    assert cues and [c["kind"] for c in said] == [c.kind for c in cues]
    assert all(abs(c["t"] - e.t) <= period for c, e in zip(said, cues, strict=True))
    assert all(e["lost_samples"] == 0 for e in received if e["type"] == "quality")
