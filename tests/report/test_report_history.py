"""History over the days and the no-progress rule, on made-up sessions."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from kneadback.cli import main
from kneadback.clock import ManualClock
from kneadback.model import Bout, Rating
from kneadback.report.history import stalled_days
from kneadback.store.recorder import Recorder
from store.fakes import INFO, make_blocks  # tests/ is on sys.path (rootdir-relative packages)

DAY0 = dt.date(2026, 3, 1)


def made_up_session(day: int, spot: str, force_at_7: float, bouts: int = 4) -> None:
    wall = dt.datetime.combine(DAY0 + dt.timedelta(days=day), dt.time(18, 0)).timestamp()
    clock = ManualClock()
    rec = Recorder(clock=clock, source="made-up", spot=spot, wall_start=wall)
    rec.on_info(INFO)
    for b in make_blocks(1.0, seed=day):
        rec.on_block(b)
    for k in range(bouts):
        start = 1.0 + 60 * k
        rec.on_events([Bout(index=k, start=start, end=start + 30, t_confirmed=start + 31, strokes=30,
                            rate_spm=60.0 + k, mean_peak_n=force_at_7)])
    # a short try (under half the bout length) is no bout of the day
    rec.on_events([Bout(index=bouts, start=500.0, end=510.0, t_confirmed=511.0, strokes=9,
                        rate_spm=55.0, mean_peak_n=force_at_7)])
    rec.on_events([Rating(t=200.0, value=7, spot=spot, force_n=force_at_7),
                   Rating(t=210.0, value=5, spot=spot, force_n=force_at_7 * 5 / 7)])
    rec.close()


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
