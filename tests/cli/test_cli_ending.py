"""`live` and `replay` end with one line: session, length, strokes, bouts, score, and where it is
kept; under --jsonl a `summary` record. Its numbers are the ones `kneadback sessions` lists."""

from __future__ import annotations

import io
import json
import os
import re

import pytest

from kneadback import cli
from kneadback.app import replay_session
from kneadback.clock import ManualClock
from kneadback.commands import live
from kneadback.ending import LiveEnding, ReplayEnding
from kneadback.session import Session
from kneadback.sources import open_source
from kneadback.sources.base import SourceOptions
from kneadback.sources.replay import ReplaySource
from kneadback.store.db import default_path
from kneadback.store.reader import open_recording
from kneadback.store.recorder import Recorder
from kneadback.words import mmss

SIM = ["--source", "sim", "--speed", "40", "--duration", "40"]


@pytest.fixture(autouse=True)
def _manual_clock(monkeypatch):
    """The simulated tool paced by a clock that only moves when the source waits: no wall time."""
    monkeypatch.setattr(live, "MonotonicClock", ManualClock)


def _run(capsys, *argv: str) -> list[str]:
    assert cli.main(list(argv)) == 0
    return capsys.readouterr().out.splitlines()


def _listed(capsys) -> list[dict]:
    return json.loads("".join(_run(capsys, "sessions", "--json")))


def _expected_line(row: dict, where: str) -> str:
    bouts = f"{row['bouts']} bout" + ("" if row["bouts"] == 1 else "s")
    return f"session {row['id']}: {mmss(row['duration_s'])}, {row['strokes']} strokes, {bouts}, " \
           f"score {row['score']:.0f}, {where}"


def test_live_ends_with_the_summary_sessions_lists(capsys):
    out = _run(capsys, "live", "--no-gui", *SIM)
    [row] = _listed(capsys)
    assert row["strokes"] > 10 and row["bouts"] >= 1 and row["score"] is not None
    assert out[-1] == _expected_line(row, f"recorded in {default_path()}")
    assert " s  " in out[-2]  # after the last status line


def test_live_jsonl_ends_with_a_summary_record(capsys):
    rows = [json.loads(line) for line in _run(capsys, "live", "--jsonl", *SIM)]
    [listed] = _listed(capsys)
    assert rows[-2]["type"] == "status"
    assert rows[-1] == {
        "type": "summary", "session": listed["id"], "duration_s": pytest.approx(listed["duration_s"], abs=1e-3),
        "strokes": listed["strokes"], "bouts": listed["bouts"], "score": listed["score"],
        "score_status": listed["score_status"], "recorded_in": str(default_path()), "replayed_from": None,
        "stopped_at_s": None,
    }


def test_an_unrecorded_session_counts_the_same_and_says_it_is_not_recorded(capsys):
    recorded = _run(capsys, "live", "--no-gui", *SIM)[-1]
    unrecorded = _run(capsys, "live", "--no-gui", "--no-record", *SIM)[-1]
    assert len(_listed(capsys)) == 1
    numbers = recorded.split(": ", 1)[1].rsplit(", recorded in ", 1)[0]
    assert unrecorded == f"session: {numbers}, not recorded (--no-record)"


def test_replay_ends_with_the_replayed_sessions_summary(capsys):
    _run(capsys, "live", "--no-gui", *SIM)
    [row] = _listed(capsys)
    out = _run(capsys, "replay", str(row["id"]), "--no-gui", "--speed", "max")
    assert out[-1] == _expected_line(row, f"replayed from {default_path()}")
    rows = [json.loads(line) for line in _run(capsys, "replay", "last", "--jsonl", "--speed", "max")]
    assert rows[-1]["type"] == "summary" and rows[-1]["replayed_from"] == str(default_path())
    assert rows[-1]["recorded_in"] is None and rows[-1]["stopped_at_s"] is None


def test_a_replay_stopped_early_says_where(capsys):
    _run(capsys, "live", "--no-gui", *SIM)
    rec = open_recording("last")
    clock = ManualClock()
    source = ReplaySource(rec, clock, speed=1.0)
    out = io.StringIO()
    session = replay_session(rec, source, clock, [ReplayEnding(rec, source, out, jsonl=False)])
    session.open()
    while source.position < 12.0:
        session.step()
    session.stop()  # as Ctrl-C does
    session.close()
    assert out.getvalue().endswith(f"replayed from {default_path()}, stopped at 0:12\n")


def test_a_silent_device_leaves_no_recording_and_says_so():
    clock = ManualClock()
    session = Session(open_source("loop://", SourceOptions(clock=clock)), clock)
    recorder = Recorder(clock=clock, source="loop://")
    out = io.StringIO()
    session.sinks += [recorder, LiveEnding(session, recorder, out, jsonl=False)]
    session.open()
    for _ in range(20):
        clock.advance(0.25)
        session.step(0.0)
    session.close()
    assert out.getvalue() == "session: 0:00, 0 strokes, 0 bouts, score unavailable, not recorded (no data came)\n"


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP"])
def test_kill_or_closed_terminal_ends_like_ctrl_c(signame, tmp_path):
    """`kill` and a closed terminal close the recording and print the summary, as Ctrl-C does."""
    import signal
    import subprocess
    import sys

    env = {**os.environ, "KNEADBACK_AUDIO": "none", "COLUMNS": "80"}
    child = subprocess.Popen(
        [sys.executable, "-m", "kneadback", "live", "--no-gui", "--source", "sim:steady", "--speed", "4"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
    )
    assert child.stdout is not None
    for line in child.stdout:  # wait until samples are being recorded
        if re.search(r"samples [1-9]", line):
            break
    child.send_signal(getattr(signal, signame))
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    last = out.strip().splitlines()[-1] if out.strip() else ""
    assert last.startswith("session 1: ") and "recorded in" in last, (out[-500:], err)
    assert "Traceback" not in err
