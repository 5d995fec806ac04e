"""History over the days and the no-progress rule, on made-up sessions."""

from __future__ import annotations

import datetime as dt
import json
import re

import numpy as np
import pytest

from kneadback import calibration as cm
from kneadback.calibration import CalibratedForceModel
from kneadback.cli import main
from kneadback.clock import ManualClock
from kneadback.fsr import Divider, ForceModel, FsrCurve
from kneadback.model import Bout, Rating
from kneadback.report.history import stalled_days
from kneadback.store.recorder import Recorder
from store.fakes import INFO, make_blocks  # tests/ is on sys.path (rootdir-relative packages)

DAY0 = dt.date(2026, 3, 1)


def made_up_session(day: int, spot: str, force_at_7: float, bouts: int = 4, *, short_try_s: float = 10.0,
                    rated: bool = True, force_model: ForceModel | None = None) -> int:
    wall = dt.datetime.combine(DAY0 + dt.timedelta(days=day), dt.time(18, 0)).timestamp()
    clock = ManualClock()
    rec = Recorder(clock=clock, source="made-up", spot=spot, wall_start=wall, force_model=force_model)
    rec.on_info(INFO)
    for b in make_blocks(1.0, seed=day):
        rec.on_block(b)
    for k in range(bouts):
        start = 1.0 + 60 * k
        rec.on_events([Bout(index=k, start=start, end=start + 30, t_confirmed=start + 31, strokes=30,
                            rate_spm=60.0 + k, mean_peak_n=force_at_7)])
    # a short try (under half the bout length) is no bout of the day
    rec.on_events([Bout(index=bouts, start=500.0, end=500.0 + short_try_s, t_confirmed=501.0 + short_try_s,
                        strokes=int(short_try_s) - 1, rate_spm=55.0, mean_peak_n=force_at_7)])
    if rated:
        rec.on_events([Rating(t=200.0, value=7, spot=spot, force_n=force_at_7),
                       Rating(t=210.0, value=5, spot=spot, force_n=force_at_7 * 5 / 7)])
    rec.close()
    assert rec.session_id is not None
    return rec.session_id


def test_report_stalled_days_rule():
    d = [DAY0 + dt.timedelta(days=k) for k in range(12)]
    assert stalled_days([(d[0], 20.0), (d[8], 20.5)], 7) == 8  # 2.5 % is no progress
    assert stalled_days([(d[0], 20.0), (d[8], 21.5)], 7) is None  # 7.5 % is
    assert stalled_days([(d[0], 20.0), (d[3], 25.0), (d[10], 24.0)], 7) == 7  # rose, then stuck for a week
    assert stalled_days([(d[0], 20.0), (d[5], 20.0)], 7) is None  # too soon to tell
    assert stalled_days([(d[0], 20.0)], 1) is None
    assert stalled_days([(d[0], 20.0), (d[2], 20.0)], 2) == 2  # N is configurable


def test_report_history_says_no_progress_on_a_stuck_spot(tmp_path, capsys):
    for day in range(10):
        made_up_session(day, "left calf", 20.0 + 0.1 * (day % 2))  # flat
        made_up_session(day, "neck", 20.0 + 1.5 * day, bouts=2)  # releasing
    assert main(["history", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    spots = {s["spot"]: s for s in doc["spots"]}
    calf, neck = spots["left calf"], spots["neck"]
    assert calf["advice"] == "no progress on left calf for 7 days: consider working another spot"
    assert neck["advice"] is None and neck["no_progress_days"] is None
    assert len(calf["days"]) == 10 and calf["days"][0]["bouts"] == 4 and calf["days"][0]["time_s"] == 120.0
    assert calf["days"][0]["mean_rate_spm"] == pytest.approx(61.5)
    assert [round(d["force_at_target_n"], 1) for d in neck["days"]] == [20.0 + 1.5 * k for k in range(10)]

    assert main(["history", "--spot", "left calf"]) == 0
    text = capsys.readouterr().out
    assert "2026-03-01  4 (3–10 ✓)" in text and "2 (fewer than 3)" not in text
    assert text.rstrip().endswith("no progress on left calf for 7 days: consider working another spot")

    assert main(["history", "--days", "12", "--json"]) == 0  # a longer rule: not enough days yet
    assert all(s["advice"] is None for s in json.loads(capsys.readouterr().out)["spots"])

    out = tmp_path / "h.html"
    assert main(["history", "--out", str(out)]) == 0
    page = out.read_text()
    assert re.findall(r'<svg[^>]*id="([\w-]+)"', page) == ["force-0", "bouts-0", "force-1", "bouts-1"]
    assert "no progress on left calf for 7 days" in page


def test_report_history_says_an_uncalibrated_force_is_approximate(capsys):
    """The 7/10 force is in the words its trust has, as everywhere else: "approx. N" until the
    ratings' sessions were calibrated."""
    made_up_session(0, "calf", 20.0)  # the data-sheet curve: approximate
    calibrated = CalibratedForceModel(cm.fit_calibration(
        cm.simulate_levels(FsrCurve(), Divider(), [3, 8, 15, 30, 60], np.random.default_rng(1)), Divider()))
    made_up_session(0, "neck", 20.0, force_model=calibrated)
    assert main(["history"]) == 0
    lines = capsys.readouterr().out.splitlines()
    calf, neck = (lines[lines.index(spot) + 2] for spot in ("calf", "neck"))
    assert "20.0 approx. N" in calf
    assert "20.0 N" in neck and "approx." not in neck
    made_up_session(1, "neck", 20.0)  # a day with an uncalibrated session among its ratings
    made_up_session(1, "neck", 20.0, force_model=calibrated)
    assert main(["history", "--spot", "neck", "--json"]) == 0
    days = json.loads(capsys.readouterr().out)["spots"][0]["days"]
    assert [d["force_trust"] for d in days] == ["calibrated", "approximate"]


def test_report_history_days_from_config(capsys):
    from kneadback import paths

    (paths.config_dir() / "config.toml").write_text("[history]\nno_progress_days = 3\n")
    for day in range(4):
        made_up_session(day, "hip", 25.0)
    assert main(["history", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["spots"][0]["advice"].startswith("no progress on hip for 3 days")
    (paths.config_dir() / "config.toml").write_text("[history]\nno_progress_days = 0\n")
    assert main(["history"]) == 2
    assert "no_progress_days" in capsys.readouterr().err


def _svg(page: str, chart_id: str) -> str:
    return re.search(rf'<svg[^>]*id="{chart_id}".*?</svg>', page, re.S).group(0)


def test_history_charts_without_data_say_so(tmp_path):
    made_up_session(0, "neck", 20.0, bouts=3, rated=False)  # bouts, but no rating to find the 7/10 force from
    out = tmp_path / "h.html"
    assert main(["history", "--out", str(out)]) == 0
    page = out.read_text()
    assert "no data yet" in _svg(page, "force-0")
    assert "no data yet" not in _svg(page, "bouts-0")


def test_history_draws_days_months_apart_on_a_date_axis(tmp_path):
    days = [DAY0, DAY0 + dt.timedelta(days=1), dt.date(2026, 6, 15), dt.date(2026, 9, 1)]
    for day in days:
        made_up_session((day - DAY0).days, "left calf", 20.0)
    out = tmp_path / "h.html"
    assert main(["history", "--out", str(out)]) == 0
    svg = _svg(out.read_text(), "bouts-0")
    bars = [(float(x) + float(w) / 2, float(w))
            for x, w in re.findall(r'<rect x="(\d+\.\d)" y="[\d.]+" width="([\d.]+)" height="[\d.]+" fill="#2f6db5"/>', svg)]  # not the legend's
    ticks = [(float(x), label) for x, label in re.findall(r'<text x="([\d.]+)" y="\d+" text-anchor="middle">(\w+ \d+)</text>', svg)]
    # ticks on the first of each month, not on the days that have data
    assert [label for _x, label in ticks] == ["Mar 2026", "Apr 2026", "May 2026", "Jun 2026", "Jul 2026", "Aug 2026", "Sep 2026"]
    # one scale for ticks and bars: x is proportional to the date
    tick_days = [dt.date(2026, m, 1).toordinal() for m in range(3, 10)]
    per_day, x0 = np.polyfit(tick_days, [x for x, _label in ticks], 1)
    assert [x for x, _label in ticks] == pytest.approx(x0 + per_day * np.array(tick_days), abs=0.06)  # (0.1 px steps)
    assert [x for x, _w in bars] == pytest.approx([x0 + per_day * d.toordinal() for d in days], abs=0.15)
    # a day alone is a bar to see, not a hairline; neighbouring days stay apart
    assert [w for _x, w in bars[2:]] == [8.0, 8.0]
    assert bars[0][0] + bars[0][1] / 2 < bars[1][0] - bars[1][1] / 2


def test_history_and_the_report_say_one_and_two_rightly(tmp_path, capsys):
    made_up_session(0, "hip", 25.0)
    made_up_session(1, "hip", 25.0)
    assert main(["history", "--days", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["spots"][0]["advice"] == \
        "no progress on hip for 1 day: consider working another spot"
    out = tmp_path / "h.html"
    assert main(["history", "--days", "1", "--out", str(out)]) == 0
    assert "With no rise for 1 day," in out.read_text()
    assert main(["history", "--days", "2", "--out", str(out)]) == 0
    assert "With no rise for 2 days," in out.read_text()


def test_sessions_and_history_count_the_same_bouts(capsys):
    short = made_up_session(0, "left calf", 20.0, bouts=0, short_try_s=4.0, rated=False)  # only a 4 s try
    real = made_up_session(1, "left calf", 20.0, bouts=1, short_try_s=4.0, rated=False)
    assert main(["sessions", "--json"]) == 0
    listed = {s["id"]: s["bouts"] for s in json.loads(capsys.readouterr().out)}
    assert main(["history", "--json"]) == 0
    [spot] = json.loads(capsys.readouterr().out)["spots"]
    by_day = {d["day"]: d["bouts"] for d in spot["days"]}
    assert listed == {short: 0, real: 1}
    assert by_day == {"2026-03-02": 1}  # the day of the 4 s try has no bout (and no rating) to show

    # a summary stored before short tries were told apart counts them again when listed
    from kneadback.store.db import Store

    with Store.open() as store:
        old = {k: v for k, v in store.session(short).summary.items() if k != "short_tries"}
        store.update_session(short, summary={**old, "bouts": 1})
    assert main(["sessions"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[1:] if line.split()[0].isdigit()]
    assert {int(r[0]): int(r[6]) for r in rows} == {short: 0, real: 1}
