"""Strokes that peak at the top of the ADC range: which resistor to use instead, said once."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from kneadback import cli
from kneadback.clock import ManualClock
from kneadback.coach.targets import Targets
from kneadback.fsr import DatasheetForceModel, Divider
from kneadback.model import DeviceInfo, Notice, SampleBlock, Stroke
from kneadback.sink import Sink
from kneadback.ui import range_advice
from kneadback.ui.dashboard.feed import DashboardFeed
from kneadback.ui.dashboard.view import ADVICE_SHOWN_S, build_view
from kneadback.ui.range_advice import RangeAdvice, advice

PRESS_N = 44.0  # a firm massage stroke


def _info(ohms: float = 10000, front_end: str = "fsr-low") -> DeviceInfo:
    return DeviceInfo(1, "0.1.0", "uno", 200.0, divider_ohms=round(ohms), front_end=front_end)


def _counts(ohms: float, force_n: float = PRESS_N, front_end: str = "fsr-low") -> int:
    return int(DatasheetForceModel(Divider(ohms, front_end=front_end)).to_counts(force_n))


def _named_ohms(text: str) -> float:
    value = text.split("Use a ", 1)[1].split(" resistor", 1)[0]
    number, unit = value.split(" ")
    return float(number) * (1000 if unit == "kΩ" else 1)


@pytest.mark.parametrize("ohms", [10000, 47000])
def test_a_resistor_too_large_for_the_force_gets_one_that_measures_it(ohms):
    text = advice(_info(ohms), [_counts(ohms)] * range_advice.STROKES)
    assert text is not None and "kneadback hardware divider" in text
    better = _named_ohms(text)
    assert better < ohms
    share = _counts(better) / _info(ohms).adc_full_scale  # the same stroke over the advised resistor
    assert 0.5 < share < 1.0 - range_advice.RAIL_SHARE


def test_a_high_side_divider_is_judged_by_how_far_it_is_pressed():
    low = advice(_info(10000), [_counts(10000)] * range_advice.STROKES)
    high = advice(_info(10000, "fsr-high"), [_counts(10000, front_end="fsr-high")] * range_advice.STROKES)
    assert high is not None and low is not None and _named_ohms(high) == _named_ohms(low)


def test_no_advice_with_room_to_spare_too_few_strokes_or_only_some_at_the_rail():
    assert advice(_info(2200), [_counts(2200)] * range_advice.STROKES) is None  # 44 N is about 85 % of the range
    assert advice(_info(10000), [_counts(10000)] * (range_advice.STROKES - 1)) is None
    some = [_counts(10000)] * 5 + [_counts(10000, 10.0)] * (range_advice.STROKES - 5)
    assert advice(_info(10000), some) is None


def test_an_unknown_front_end_is_told_to_lower_its_gain():
    text = advice(_info(front_end="unknown"), [1015] * range_advice.STROKES)
    assert text is not None and "gain" in range_advice.action(text) and "Use a" not in text


class Heard(Sink):
    def __init__(self) -> None:
        self.notices: list[Notice] = []

    def on_notice(self, notice: Notice) -> None:
        self.notices.append(notice)


def _stroke(i: int, adc: int) -> Stroke:
    t = 1.0 + i
    return Stroke(i, t - 0.3, t, t + 0.3, t + 0.15, 60.0, 30.0, adc, 20.0, 0.9)


def test_the_advice_is_said_once_to_every_sink():
    heard = Heard()
    sinks: list[Sink] = [heard]
    watch = RangeAdvice(sinks)
    sinks.append(watch)
    watch.on_info(_info(10000))
    for i in range(3 * range_advice.STROKES):
        watch.on_events([_stroke(i, _counts(10000))])
    assert [n.kind for n in heard.notices] == [range_advice.KIND]
    assert heard.notices[0].t == pytest.approx(_stroke(range_advice.STROKES - 1, 0).t)


def test_live_says_it_once_in_json_lines(capsys, tmp_path):
    path = tmp_path / "rail.toml"
    path.write_text('description = "44 N over a 10 kΩ divider"\n[device]\ndivider_ohms = 10000\n'
                    '[user]\nrate_hz = 1.0\nforce_n = 44.0\n[[spots]]\nname = "calf"\nforce_at_7 = 44.0\n'
                    '[[phase]]\nkind = "strokes"\nduration_s = 40\n')
    assert cli.main(["live", "--source", f"sim:{path}", "--jsonl", "--duration", "40", "--speed", "50",
                     "--no-record"]) == 0
    objs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    notices = [o for o in objs if o["type"] == "notice"]
    assert [o["kind"] for o in notices] == [range_advice.KIND]
    peaks = np.array([o["peak_adc"] for o in objs if o["type"] == "stroke"])
    assert np.mean(peaks >= 1023 * (1 - range_advice.RAIL_SHARE)) > range_advice.MOST
    assert not [o for o in objs if o["type"] == "cue" and o["kind"] == "too-hard"]


def test_the_dashboard_shows_the_advice_in_the_cue_banner_for_a_while():
    feed = DashboardFeed(ManualClock())
    text = advice(_info(10000), [_counts(10000)] * range_advice.STROKES)
    assert text is not None
    feed.on_notice(Notice(10.0, range_advice.KIND, text))

    def banner(t: float) -> str:
        feed.on_block(SampleBlock(t=np.array([t]), adc=np.array([500], dtype=np.int32)))
        v = build_view(feed, None, None, Targets(), "calf")
        return f"{v.cue_headline}: {v.cue_text}" if v.cue_headline else ""

    assert banner(11.0) == f"SENSOR RANGE: {range_advice.action(text)}" and len(range_advice.action(text)) < 80
    assert banner(10.0 + ADVICE_SHOWN_S + 1.0) == ""


def _told(info: DeviceInfo, *, remember: bool = True) -> int:
    """One session of strokes at the rail for this board: how often the advice was given."""
    heard = Heard()
    sinks: list[Sink] = [heard]
    watch = RangeAdvice(sinks, remember=remember)
    sinks.append(watch)
    watch.on_info(info)
    for i in range(2 * range_advice.STROKES):
        watch.on_events([_stroke(i, _counts(info.divider_ohms))])
    return len(heard.notices)


def test_a_board_is_told_once_then_again_only_when_its_front_end_changes_or_after_some_sessions():
    """Today: every session of a board at the rail was told the same thing again."""
    from kneadback import frontend
    from kneadback.frontend import Declared

    board = dataclasses.replace(_info(10000), serial_number="85036313530351D0E1A2")
    frontend.remember(board.serial_number, Declared(divider_ohms=10000.0))
    quiet = range_advice.REMIND_SESSIONS - 1
    assert [_told(board) for _ in range(1 + quiet)] == [1] + [0] * quiet
    assert [_told(board) for _ in range(1 + quiet)] == [1] + [0] * quiet  # reminded, then quiet again
    assert _told(dataclasses.replace(board, divider_ohms=22000)) == 1  # another resistor declared: judged afresh
    assert _told(board) == 1  # and back
    assert frontend.remembered(board.serial_number) == Declared(divider_ohms=10000.0)  # kept beside the front end
    other = dataclasses.replace(board, serial_number="OTHER")
    assert _told(other) == 1  # each board for itself
    assert [_told(_info(10000)) for _ in range(3)] == [1, 1, 1]  # no serial number: no memory
    assert _told(board, remember=False) == 1  # a replay always tells


def test_a_memory_that_cannot_be_written_does_not_stop_the_session():
    from kneadback import frontend, paths

    (paths.config_dir() / frontend.DEVICES_FILE).mkdir(parents=True)
    board = dataclasses.replace(_info(10000), serial_number="85036313530351D0E1A2")
    assert [_told(board) for _ in range(2)] == [1, 1]  # told, as a board without a memory is


def test_a_live_run_remembers_what_it_told_each_board():
    from kneadback.app import Run, Settings

    live = Run(Settings(source="sim:steady", record=False, jsonl=True), ManualClock()).session([])
    (watch,) = [s for s in live.sinks if isinstance(s, RangeAdvice)]
    assert watch.remember
