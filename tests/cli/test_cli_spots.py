"""The spot a session is on: `--spot` wins over a simulated scenario's own first spot, which is
the session's spot without it; ratings, `sessions` and `history` all name the same spots."""

from __future__ import annotations

import json

import pytest

from kneadback import cli
from kneadback.clock import ManualClock
from kneadback.commands import live

TWO_SPOTS = """description = "A bout on each of two spots, rated after each"

[[spots]]
name = "calf"

[[spots]]
name = "shin"

[[phase]]
kind = "strokes"
duration_s = 10
spot = "calf"
rating = true

[[phase]]
kind = "strokes"
duration_s = 10
spot = "shin"
rating = true
"""


@pytest.fixture(autouse=True)
def _manual_clock(monkeypatch):
    """The simulated tool paced by a clock that only moves when the source waits: no wall time."""
    monkeypatch.setattr(live, "MonotonicClock", ManualClock)


def _json_lines(capsys, *argv: str) -> list[dict]:
    capsys.readouterr()
    assert cli.main(list(argv)) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def _json(capsys, *argv: str) -> object:
    capsys.readouterr()
    assert cli.main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def _spots_everywhere(capsys) -> tuple[list[str], list[str]]:
    """The spots `sessions` lists for the one session, and those `history` has."""
    (session,) = _json(capsys, "sessions", "--json")
    history = _json(capsys, "history", "--json")
    return session["spots"], sorted(s["spot"] for s in history["spots"])


@pytest.mark.parametrize(
    ("flags", "spot"), [(["--spot", "left calf"], "left calf"), ([], "upper trapezius (left)")], ids=["--spot", "own"]
)
def test_the_scenario_spot_gives_way_to_spot(flags, spot, capsys):
    run = _json_lines(capsys, "live", "--no-gui", "--jsonl", "--source", "sim:deep-continuous", "--speed", "1000", *flags)
    ratings = [o for o in run if o["type"] == "rating"]
    assert ratings and {r["spot"] for r in ratings} == {spot}
    assert _spots_everywhere(capsys) == ([spot], [spot])


@pytest.mark.parametrize(("flags", "first"), [(["--spot", "neck"], "neck"), ([], "calf")], ids=["--spot", "own"])
def test_spot_names_the_first_spot_of_a_scenario_with_several(flags, first, tmp_path, capsys):
    scenario = tmp_path / "two.toml"
    scenario.write_text(TWO_SPOTS)
    run = _json_lines(capsys, "live", "--no-gui", "--jsonl", "--source", f"sim:{scenario}", "--speed", "1000", *flags)
    # the first spot's rating comes a second after its bout, once the user moved on to the shin
    assert [(o["type"], o["spot"]) for o in run if o["type"] in ("rating", "spot")] == [
        ("spot", "shin"), ("rating", first), ("rating", "shin")
    ]
    assert _spots_everywhere(capsys) == ([first, "shin"], sorted([first, "shin"]))
