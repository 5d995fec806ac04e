"""`kneadback overview` on LSL: tools found from their streams, their tiles filled from the
markers alone, a tool that goes away greyed out; the command's flags."""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable

import numpy as np
import pytest
from tests.lsl.conftest import TIMEOUT_S

from kneadback import cli
from kneadback.clock import ManualClock, MonotonicClock
from kneadback.coach.coach import Coach, CoachState
from kneadback.coach.targets import Targets
from kneadback.lsl import api
from kneadback.lsl.outlet import LslOutlet
from kneadback.model import Cue, DeviceInfo, LinkStatus, SampleBlock, Stroke
from kneadback.ui.overview import LslWatcher, Overview, OverviewTable, Tool


def publisher(device: str, state: Callable[[], CoachState]) -> tuple[LslOutlet, DeviceInfo]:
    info = DeviceInfo(protocol_version=1, firmware_version="test", board="uno", sample_rate_hz=1000.0, board_id=device)
    outlet = LslOutlet(ManualClock(), spot=lambda: "left calf", coach_state=state, force_model=lambda: None)
    outlet.on_info(info)
    return outlet, info


def until(what: str, done: Callable[[], bool], poll: Callable[[], None]) -> None:
    end = time.monotonic() + TIMEOUT_S
    while not done():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        poll()
        time.sleep(0.02)


def test_the_overview_finds_tools_fills_their_tiles_from_markers_and_greys_out_a_lost_one(unique):
    base = Coach(Targets(), "left calf").state
    state = dataclasses.replace(base, rate_spm=61.0, last_peak_n=18.0, pressure_band_n=(15.0, 20.0), bout_active=True,
                                bout_elapsed_s=42.0, bout_left_s=48.0, force_trust="calibrated")
    a, b = unique("tool-a"), unique("tool-b")
    out_a, _ = publisher(a, lambda: state)
    out_b, _ = publisher(b, lambda: dataclasses.replace(state, rate_spm=40.0))
    news: list[str] = []
    overview = Overview(MonotonicClock(), on_news=news.append)
    watcher = LslWatcher(overview)
    try:
        def tools() -> dict[str, Tool]:
            return {tool.name: tool for tool in overview.tools.values()}  # named as the device's streams name it

        until("both tools", lambda: {a, b} <= set(tools()), watcher.poll)
        tool_a, tool_b = tools()[a], tools()[b]
        assert tool_a.sample_rate_hz == 1000.0  # from the force stream's description, never its samples

        def send(t: float) -> None:
            for out in (out_a, out_b):
                out.on_block(SampleBlock(t=t + np.arange(20) / 1000.0, adc=np.full(20, 300)))
                out.on_status(LinkStatus(t=t + 0.019, state="ok"))

        t = 0.0

        def step() -> None:
            nonlocal t
            send(t)
            t += 0.02
            watcher.poll()

        until("a status from each tool", lambda: tool_a.markers > 0 and tool_b.markers > 0, step)
        peak = Stroke(index=0, t_start=t - 0.3, t_peak=t - 0.1, t_end=t, t_confirmed=t, peak_n=18.0, mean_n=9.0,
                      peak_adc=400, impulse_ns=4.0, release=0.9, interval_s=1.0, rate_spm=61.0)
        out_a.on_events([peak, Cue(t=t, kind="good-rhythm", severity="praise", text="Good rhythm.")])
        until("the cue", lambda: tool_a.cue_kind == "good-rhythm", watcher.poll)
        assert (tool_a.spot, tool_a.rate_spm, tool_a.pressure, tool_a.bout_s) == ("left calf", 61.0, 18.0, 42.0)
        assert (tool_a.rate_zone, tool_a.pressure_zone, tool_a.bout_zone, tool_a.cue_zone) == ("on", "on", "on", "on")
        assert tool_b.rate_zone == "off"  # 40/min: far below the 50–70 band, red as on the dashboard
        # the markers streams only: the 1 kHz force streams are never pulled
        assert [inlet.info(TIMEOUT_S).type() for inlet, _ in watcher.inlets.values()] == ["Markers", "Markers"]

        out_b.close()  # tool b's process ends
        until("tool b lost", lambda: f"lost tool {b}" in news, step)
        assert tool_b.lost(overview.clock.now()) and not tool_a.lost(overview.clock.now())
        (line,) = [x for x in OverviewTable(overview).lines() if x.startswith(b)]
        assert line.startswith(f"{b} | lost, last heard ")
    finally:
        watcher.close()
        out_a.close()
        out_b.close()


def test_overview_flags_are_checked_before_anything_opens(capsys, tmp_path):
    assert cli.main(["overview", "--duration", "0"]) == 2
    assert capsys.readouterr().err.strip() == "kneadback: overview: --duration 0.0 must be a positive number of seconds"
    shot = tmp_path / "o.png"
    assert cli.main(["overview", "--no-gui", "--screenshot", str(shot)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("kneadback: overview: --screenshot ") and "--no-gui" in err


def test_overview_without_pylsl_is_one_line(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "pylsl", None)  # `import pylsl` fails, as where it is not installed
    assert cli.main(["overview", "--no-gui", "--duration", "1"]) == 2
    assert capsys.readouterr().err.strip() == f"kneadback: {api.MISSING}"


@pytest.mark.parametrize("gui", [False, True])
def test_an_overview_with_no_tool_says_it_is_looking(capsys, tmp_path, gui):
    shot = tmp_path / "empty.png"
    args = ["overview", "--duration", "0.3"] + (["--screenshot", str(shot)] if gui else ["--no-gui"])
    assert cli.main(args) == 0
    if gui:
        assert shot.read_bytes().startswith(b"\x89PNG")
    else:
        assert capsys.readouterr().out.splitlines()[0] == "looking for kneadback tools on LSL…"
