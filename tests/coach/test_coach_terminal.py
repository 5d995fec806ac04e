"""The coaching terminal view, its keys, and `kneadback live` with coaching flags."""

from __future__ import annotations

import io
import json
import os
import pty

import pytest

from kneadback import cli, paths
from kneadback.clock import ManualClock
from kneadback.coach.coach import Coach
from kneadback.coach.keys import KeyPress, KeyReader, decode
from kneadback.coach.spots import MemorySpotHistory
from kneadback.coach.targets import Targets
from kneadback.coach.terminal import CoachTerminalView, coach_line
from kneadback.model import Cue, HoldStarted
from kneadback.session import LinkStatus

from .helpers import bout, run


class FakeSession:
    def __init__(self) -> None:
        self.now = 12.5
        self.got: list = []

    def submit(self, event) -> None:
        self.got.append(event)


def test_the_line_shows_rate_pressure_bout_today_and_cue():
    h = MemorySpotHistory()
    h.add_rating("left calf", 0.0, 3, 10.0)
    h.add_rating("left calf", 0.0, 7, 24.0)
    c = Coach(Targets(), "left calf", h, 1000.0)
    run(c, bout(1.0, 12, 40, peak_n=12.0), until=13.0)
    line = coach_line(c.state)
    assert "rate 40/min SLOW (50-70)" in line
    assert "pressure 12.0 N LIGHT (" in line
    assert "bout 0:12, 0:18 left" in line
    assert "done today 0 of 3-10 on left calf" in line
    assert "» " + c.state.cue.text in line


def test_the_line_before_ratings_and_while_holding():
    c = Coach(Targets(), "calf", MemorySpotHistory(), 0.0)
    run(c, [HoldStarted(start=1.0, t_confirmed=3.0, mean_n=20.0)], until=3.5)
    line = coach_line(c.state)
    assert "rate --/min" in line and "rate it: 0-9, t=10" in line and "HOLDING" in line
    assert "Keep moving" in line


def test_cues_print_on_their_own_lines_and_keys_rate_and_mute():
    out = io.StringIO()
    c = Coach(Targets(), "calf", MemorySpotHistory(), 0.0)

    class Keys:
        def __init__(self):
            self.queue = [KeyPress(rating=7), KeyPress(mute=True), KeyPress(rating=10)]

        def poll(self):
            q, self.queue = self.queue, []
            return q

        def close(self):
            pass

    view = CoachTerminalView(ManualClock(), out, c, Keys(), tty=False)
    session = FakeSession()
    view.attach(session)
    view.on_events([Cue(t=3.0, kind="faster", severity="correction", text="A little faster.")])
    view.on_status(LinkStatus(t=12.5, samples=10))
    assert "[    3.00 s] faster: A little faster." in out.getvalue()
    assert [(r.value, r.spot, r.t) for r in session.got] == [(7, "calf", 12.5), (10, "calf", 12.5)]
    assert c.mute and "sound muted" in out.getvalue()
    assert view.line(LinkStatus(t=12.5)).startswith("rate --/min")
    view.close()
    assert "12.50 s  rate --/min" in out.getvalue()  # the coaching leads the status line


def test_key_decoding():
    assert decode("0") == KeyPress(rating=0) and decode("9") == KeyPress(rating=9)
    assert decode("t") == KeyPress(rating=10) and decode("T") == KeyPress(rating=10)
    assert decode("m") == KeyPress(mute=True)
    assert decode("x") is None and decode("\n") is None


def test_key_reader_is_inert_without_a_tty():
    r = KeyReader(io.StringIO("123"))
    assert not r.active and r.poll() == []
    r.close()


def test_key_reader_reads_a_tty_without_blocking_and_restores_it():
    import termios

    master, slave = pty.openpty()
    with os.fdopen(slave, "r", closefd=False) as stream:
        before = termios.tcgetattr(slave)
        r = KeyReader(stream)
        assert r.active and r.poll() == []  # nothing typed: returns at once
        os.write(master, b"7tmq")
        assert r.poll() == [KeyPress(rating=7), KeyPress(rating=10), KeyPress(mute=True)]
        r.close()
        assert termios.tcgetattr(slave) == before
    os.close(master)
    os.close(slave)


def test_live_jsonl_carries_strokes_holds_bouts_and_cues(capsys):
    code = cli.main(["live", "--source", "sim:static-hold", "--jsonl", "--duration", "26", "--speed", "40",
                     "--spot", "left calf", "--rate-target", "55"])
    assert code == 0
    objs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    by = {}
    for o in objs:
        by.setdefault(o["type"], []).append(o)
    for kind in ("stroke", "hold", "bout", "cue"):
        assert by.get(kind), kind
        assert all(isinstance(o["t"], float) for o in by[kind])
    cues = by["cue"]
    assert all({"kind", "severity", "text"} <= set(o) for o in cues)
    assert cues[0]["text"] == "Bout 1 of today on left calf."
    assert any(o["kind"] == "dont-hold" for o in cues)


def test_live_refuses_bad_target_flags_and_config(capsys):
    assert cli.main(["live", "--source", "sim", "--jsonl", "--rate-target", "0"]) == 2
    assert "rate_spm" in capsys.readouterr().err
    (paths.config_dir() / "config.toml").write_text("[sound]\nmetronome = 'loud'\n")
    assert cli.main(["live", "--source", "sim", "--jsonl", "--duration", "1", "--speed", "50"]) == 2
    err = capsys.readouterr().err
    assert "config.toml" in err and "metronome" in err and err.count("\n") == 1


@pytest.mark.parametrize("flag", ["--metronome", "--spot"])
def test_live_help_lists_the_coaching_flags(flag, capsys):
    with pytest.raises(SystemExit):
        cli.main(["live", "--help"])
    assert flag in capsys.readouterr().out
