"""The coaching terminal view, its keys, and `kneadback live` with coaching flags."""

from __future__ import annotations

import io
import json
import os
import pty
import re

import pytest

from kneadback import cli, paths
from kneadback.app import Run, Settings
from kneadback.clock import ManualClock
from kneadback.coach.coach import Coach
from kneadback.coach.spots import MemorySpotHistory
from kneadback.coach.targets import Targets
from kneadback.model import Cue, HoldStarted, LinkStatus
from kneadback.ui.audio import AudioSink
from kneadback.ui.coach_view import CoachTerminalView, coach_fields
from kneadback.ui.statusline import ANSI, ANSI_RESET
from kneadback.ui.terminal_keys import KeyPress, KeyReader, decode

from .helpers import bout, run, with_trust
from .test_coach_audio import FakeOutput

LONG_SPOT = "upper trapezius (left), just above the shoulder blade"
STREAMING = LinkStatus(t=13.0, samples=2600, rate_hz=200.0, last_adc=512, state="streaming")


class FakeSession:
    def __init__(self, sinks: list | None = None) -> None:
        self.now = 12.5
        self.got: list = []
        self.sinks = sinks or []

    def submit(self, event) -> None:
        self.got.append(event)


def _coached(spot: str = "left calf", trust: str = "calibrated") -> Coach:
    """12 s into a bout at 40/min (slow), peaks of 12 N, two ratings made: a cue is showing."""
    h = MemorySpotHistory()
    h.add_rating(spot, 0.0, 3, 10.0)
    h.add_rating(spot, 0.0, 7, 24.0)
    c = with_trust(Coach(Targets(), spot, h, 1000.0), trust)
    run(c, bout(1.0, 12, 40, peak_n=12.0), until=13.0)
    return c


def _line(c: Coach) -> str:
    return " | ".join(f.text for f in coach_fields(c.state))


def _shown(out: io.StringIO) -> str:
    """What the terminal shows: the last redraw of the line, its colours taken out."""
    return re.sub(r"\x1b\[[0-9;]*m", "", out.getvalue().rsplit("\r", 1)[-1]).rstrip()


def test_the_line_shows_cue_bout_rate_pressure_today_in_that_order():
    c = _coached()
    line = _line(c)
    assert line.startswith("» " + c.state.cue.text + " | bout 0:12, 0:18 left | rate 40/min SLOW (50-70) | ")
    assert "| pressure 12.0 N LIGHT (" in line
    assert line.endswith("| done today 0 of 3-10 on left calf")


def test_the_line_before_ratings_and_while_holding():
    c = Coach(Targets(), "calf", MemorySpotHistory(), 0.0)
    run(c, [HoldStarted(start=1.0, t_confirmed=3.0, mean_n=20.0)], until=3.5)
    line = _line(c)
    assert "rate --/min" in line and "rate it: 0-9, t=10" in line and "HOLDING" in line
    assert "Keep moving" in line


@pytest.mark.parametrize("width", [40, 80, 120, 200])
def test_the_status_line_fits_the_terminal_in_whole_fields_cue_first(width):
    out = io.StringIO()
    view = CoachTerminalView(ManualClock(), out, _coached(LONG_SPOT), tty=True, colour=False, width=lambda: width)
    view.attach(FakeSession())
    view.on_status(STREAMING)
    shown = _shown(out).split(" | ")
    fields = view.fields(STREAMING)
    assert len(" | ".join(shown)) < width  # the last column stays free: a full line would wrap
    assert all(any(p in (f.text, f.short) for f in fields) for p in shown)  # never a field cut short
    cue, bout_left, rate, pressure = fields[:4]
    assert shown[0] in (cue.text, cue.short) and shown[0].startswith("» ")
    assert shown[1] in (bout_left.text, bout_left.short) and "0:18 left" in shown[1]
    if width >= 80:  # the four that matter most, in order
        assert shown[2] in (rate.text, rate.short) and shown[3] in (pressure.text, pressure.short)


def test_the_status_line_follows_the_terminal_width_at_each_draw():
    columns = [200]
    clock = ManualClock()
    out = io.StringIO()
    view = CoachTerminalView(clock, out, _coached(LONG_SPOT), tty=True, colour=False, width=lambda: columns[0])
    view.attach(FakeSession())
    view.on_status(STREAMING)
    wide = _shown(out)
    columns[0] = 60  # the window was made narrower
    clock.advance(1.0)
    view.on_status(STREAMING)
    assert len(wide) >= 120 and len(_shown(out)) < 60


def test_colour_on_a_terminal_by_zone_never_with_no_color_nor_in_a_pipe(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    c = _coached()

    def drawn(tty: bool) -> str:
        out = io.StringIO()
        view = CoachTerminalView(ManualClock(), out, c, tty=tty, width=lambda: 200)
        view.attach(FakeSession())
        view.on_status(STREAMING)
        view.close()
        return out.getvalue()

    text = drawn(tty=True)
    assert ANSI["off"] + "rate 40/min SLOW (50-70)" + ANSI_RESET in text  # 40/min against 50-70: red
    assert ANSI["on"] + "bout 0:12, 0:18 left" + ANSI_RESET in text  # a running bout: green
    assert "\x1b[" not in drawn(tty=False)  # a pipe
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in drawn(tty=True)


def test_the_line_says_no_sound_unless_an_output_plays():
    c = _coached()
    view = CoachTerminalView(ManualClock(), io.StringIO(), c, tty=False)
    at_speed_2 = Run(Settings(speed=2.0), ManualClock()).sound_sinks()
    no_device = AudioSink(lambda: False, 60.0, output=None, notice_to=io.StringIO())
    device = AudioSink(lambda: False, 60.0, output=FakeOutput(), notice_to=io.StringIO())
    for sinks, heard in ((at_speed_2, False), ([no_device], False), ([device], True)):
        view.attach(FakeSession(sinks))
        assert ("no sound" in view.line(STREAMING)) is not heard
    c.mute = True
    assert "muted" in view.line(STREAMING)
    device.close()
    assert "no sound" in view.line(STREAMING)  # the device went away


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
    assert view.line(LinkStatus(t=12.5)).startswith("bout --")
    view.close()
    assert "12.50 s  bout -- | rate --/min" in out.getvalue()  # the coaching leads the status line


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
