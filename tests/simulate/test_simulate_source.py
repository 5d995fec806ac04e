"""`sim:NAME`: real-time pacing under an injected clock, the device decoder, the CLI."""

import itertools
import json

import numpy as np
import pytest

from kneadback.cli import main
from kneadback.clock import ManualClock
from kneadback.errors import InputError
from kneadback.model import DeviceInfo, LinkEvent, SampleBlock
from kneadback.session import Session
from kneadback.simulate.render import render
from kneadback.simulate.scenario import load_scenario
from kneadback.sources import open_source
from kneadback.sources.base import SourceOptions


def _drain(source, clock, step=0.05):
    blocks, others = [], []
    while not source.finished:
        before = clock.now()
        for item in source.read(step):
            (blocks if isinstance(item, SampleBlock) else others).append((clock.now(), item))
        assert clock.now() - before <= step + 1e-9  # read never waits longer than its timeout
    return blocks, others


def test_samples_come_in_real_time_under_a_manual_clock():
    clock = ManualClock(100.0)
    src = open_source("sim:steady", SourceOptions(clock=clock, speed=1.0, seed=2))
    src.open()
    blocks, _ = _drain(src, clock)
    for now, block in blocks:
        lag = (now - 100.0) - block.t_end
        assert 0 <= lag < 0.08  # never early; late by at most a frame's latency and one read
    assert clock.now() - 100.0 == pytest.approx(60.0, abs=0.1)


def test_speed_and_session_duration():
    clock = ManualClock()
    src = open_source("sim:demo-session", SourceOptions(clock=clock, speed=10.0, seed=0))
    status = Session(src, clock, duration=60.0).run()
    assert status.t == pytest.approx(60.0, abs=0.1)
    assert clock.now() == pytest.approx(6.0, abs=0.05)


def test_the_source_delivers_the_rendering_through_the_device_decoder():
    clock = ManualClock()
    src = open_source("sim:frame-loss", SourceOptions(clock=clock, speed=50.0, seed=7))
    src.open()
    blocks, others = _drain(src, clock)
    r = render(load_scenario("frame-loss"), seed=7)
    adc = np.concatenate([b.adc for _, b in blocks])
    t_us = np.concatenate([b.t_device_us for _, b in blocks])
    assert np.array_equal(adc, r.adc[~r.lost]) and np.array_equal(t_us, r.t_us[~r.lost])
    assert src.info is not None and src.info.source == "sim:frame-loss"
    assert any(isinstance(i, LinkEvent) for _, i in others)
    assert isinstance(others[0][1], DeviceInfo)


def test_a_disconnect_is_reported_like_a_serial_port_does():
    clock = ManualClock()
    src = open_source("sim:disconnect", SourceOptions(clock=clock, speed=20.0))
    src.open()
    _, others = _drain(src, clock)
    kinds = [i.kind for _, i in others if isinstance(i, LinkEvent)]
    assert kinds.index("disconnected") < kinds.index("reconnected") < kinds.index("reset")
    when = {i.kind: now for now, i in others if isinstance(i, LinkEvent)}
    assert when["reconnected"] - when["disconnected"] == pytest.approx(4.0 / 20.0, abs=0.01)


def test_sim_alone_is_the_demo_session_and_bad_names_are_input_errors():
    src = open_source("sim", SourceOptions(clock=ManualClock()))
    assert src.scenario.name == "demo-session"
    with pytest.raises(InputError, match="unknown scenario"):
        open_source("sim:nope", SourceOptions(clock=ManualClock()))


def test_simulate_command_writes_csv_and_truth(tmp_path, capsys):
    assert main(["simulate", "static-hold", "--out", str(tmp_path), "--seed", "3"]) == 0
    rows = (tmp_path / "static-hold.csv").read_text().splitlines()
    assert rows[:7] == ["# scenario: static-hold (seed 3)", "# rate_hz: 200", "# front_end: fsr-low",
                        "# divider_ohms: 1000", "# adc_bits: 10", "# vref_mv: 5000", "time_s,adc"]
    r = render(load_scenario("static-hold"), seed=3)
    assert len(rows) == len(r.t) + 7
    data = np.loadtxt(tmp_path / "static-hold.csv", delimiter=",", skiprows=7)
    assert np.array_equal(data[:, 1].astype(int), r.adc) and np.allclose(data[:, 0], r.t, atol=1e-6)
    truth = json.loads((tmp_path / "static-hold.truth.json").read_text())
    assert truth == json.loads(json.dumps(r.truth.to_dict()))
    assert len(truth["holds"]) == 1


def test_simulate_list_and_errors(tmp_path, capsys):
    assert main(["simulate", "--list"]) == 0
    out = capsys.readouterr().out
    assert "demo-session" in out and "steady" in out
    bad = tmp_path / "bad.toml"
    bad.write_text('description = "x"\n[[phase]]\nkind = "strokes"\nduration_s = -1\n')
    assert main(["simulate", str(bad), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "phase #1.duration_s" in err and str(bad) in err
    assert main(["simulate"]) == 2


def test_the_simulated_user_rates_and_moves_at_the_truth_times():
    from kneadback.model import Rating, SpotChanged

    clock = ManualClock()
    src = open_source("sim:demo-session", SourceOptions(clock=clock, speed=100.0, seed=1))
    src.open()
    _, others = _drain(src, clock)
    truth = src.rendering.truth
    ratings = [i for _, i in others if isinstance(i, Rating)]
    moves = [i for _, i in others if isinstance(i, SpotChanged)]
    assert [(r.t, r.value, r.spot) for r in ratings] == [(r.t, r.value, r.spot) for r in truth.ratings]
    assert all(r.force_n is None for r in ratings)  # the coach pairs it with the strokes
    assert [(m.t, m.spot) for m in moves] == [(s.start, s.spot) for s in truth.spots[1:]]
    for now, item in others:
        if isinstance(item, (Rating, SpotChanged)):
            assert now * 100.0 >= item.t - 1e-6  # not before its time


def test_a_host_that_fell_behind_catches_up_in_slices():
    clock = ManualClock()
    src = open_source("sim:steady", SourceOptions(clock=clock))
    src.open()
    clock.advance(10.0)  # the host stalled for 10 s
    ends = []
    for _ in range(6):
        blocks = [i for i in src.read(0.05) if isinstance(i, SampleBlock)]
        ends.append(max(b.t_end for b in blocks))
    assert ends[0] < 0.3 and all(0.2 < b - a < 0.3 for a, b in itertools.pairwise(ends))
    assert clock.now() == 10.0  # no waiting while behind


def test_a_simulated_csv_is_analysed_with_its_own_divider(tmp_path, capsys):
    """`saturated` uses a 10 kΩ divider: its CSV says so, and analyze needs no flag."""
    assert main(["simulate", "saturated", "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    assert main(["analyze", str(tmp_path / "saturated.csv"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    truth = json.loads((tmp_path / "saturated.truth.json").read_text())
    true_peak = np.median([s["peak_n"] for s in truth["strokes"]])
    ours = np.median([s["peak_n"] for s in out["strokes"]])
    assert 0.6 * true_peak < ours < 1.6 * true_peak  # the part's spread, not a wrong divider
