"""Progress on long file work: a bar on stderr when it is a terminal, and nothing otherwise or
under --json/--jsonl (simulate, analyze, import, replay --speed max)."""

from __future__ import annotations

import io
import sys

import pytest

from kneadback.cli import main
from kneadback.commands.simulate import write_csv
from kneadback.simulate.render import render
from kneadback.simulate.scenario import load_scenario


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    """A minute at 200 Hz as a CSV that names its rate and divider (so no note is printed)."""
    r = render(load_scenario("steady"), seed=0)
    path = tmp_path_factory.mktemp("rec") / "steady.csv"
    write_csv(r, path)
    return path


def run(monkeypatch, capsys, argv, *, tty: bool) -> tuple[int, str]:
    """Exit code and what went to stderr, with stderr a terminal or not (stdout never is)."""
    err = Terminal() if tty else io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    code = main([str(a) for a in argv])
    capsys.readouterr()
    return code, err.getvalue()


def _bars(text: str) -> list[str]:
    """The bar lines drawn: `what:  NN%|...` between carriage returns."""
    return [part for part in text.split("\r") if "%|" in part]


def test_analyze_shows_reading_then_analysing_on_a_terminal(monkeypatch, capsys, recording):
    code, err = run(monkeypatch, capsys, ["analyze", recording], tty=True)
    bars = _bars(err)
    assert code == 0
    assert bars[0].startswith("reading steady.csv:") and any(b.startswith("analysing steady.csv:") for b in bars)
    assert err.endswith("\r")  # the bars are taken away again: the result stands alone


@pytest.mark.parametrize("argv, tty", [(["analyze"], False), (["analyze", "--json"], True), (["analyze", "--json"], False)])
def test_analyze_is_quiet_off_a_terminal_and_under_json(monkeypatch, capsys, recording, argv, tty):
    code, err = run(monkeypatch, capsys, [*argv, recording], tty=tty)
    assert code == 0 and err == ""


@pytest.mark.parametrize("tty", [True, False])
def test_import_shows_reading_and_importing_only_on_a_terminal(monkeypatch, capsys, recording, tty):
    code, err = run(monkeypatch, capsys, ["import", recording], tty=tty)
    assert code == 0
    if tty:
        names = {b.split(":")[0] for b in _bars(err)}
        assert names == {"reading steady.csv", "importing steady.csv"}
    else:
        assert err == ""


@pytest.mark.parametrize("tty", [True, False])
def test_simulate_shows_the_rows_written_only_on_a_terminal(monkeypatch, capsys, tmp_path, tty):
    code, err = run(monkeypatch, capsys, ["simulate", "steady", "--out", tmp_path], tty=tty)
    assert code == 0
    assert [b.split(":")[0] for b in _bars(err)][:1] == (["writing steady.csv"] if tty else [])
    summary = err.split("\r")[-1]  # after the bar, taken away again: the one line it always printed
    assert summary.startswith("steady: 12000 samples") and summary.count("\n") == 1
    assert ("\r" in err) == tty


@pytest.mark.parametrize("extra, tty, drawn", [([], True, True), ([], False, False), (["--jsonl"], True, False)])
def test_replay_at_max_speed_shows_the_session_time_replayed(monkeypatch, capsys, recording, extra, tty, drawn):
    assert run(monkeypatch, capsys, ["import", recording], tty=False)[0] == 0
    code, err = run(monkeypatch, capsys, ["replay", "last", "--speed", "max", "--no-gui", *extra], tty=tty)
    assert code == 0
    assert bool(_bars(err)) == drawn
    assert all(b.startswith("replaying session 1:") and "/60 " in b for b in _bars(err))
