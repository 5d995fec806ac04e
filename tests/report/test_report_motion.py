"""The report's summary says how one-directional and how long the strokes were, with a motion
sensor only."""

from __future__ import annotations

import re

import numpy as np
import pytest
from tests.motion.scenarios import ONE_WAY, scenario

from kneadback.cli import main
from kneadback.commands.simulate import write_csv
from kneadback.report.report import render_html
from kneadback.simulate.render import render
from kneadback.store.reader import open_session


@pytest.mark.parametrize("motion", [ONE_WAY, None], ids=["imu", "fsr-only"])
def test_the_summary_names_direction_and_stroke_length_only_with_a_motion_sensor(tmp_path, motion):
    write_csv(render(scenario(motion, seconds=34.0), seed=3), tmp_path / "sim.csv")
    assert main(["import", str(tmp_path / "sim.csv")]) == 0
    with open_session(1) as rec:
        page = render_html(rec)
        lengths = [e.data["excursion_cm"] for e in rec.events if e.type == "stroke-motion"]
    summary = re.search(r'<p class="summary" id="summary">(.*?)</p>', page, re.S)
    assert summary is not None
    text = summary.group(1)
    if motion is None:
        assert not lengths and "same way" not in text and " cm" not in text
        return
    found = re.search(r"strokes (\d+)% same way, median stroke ([\d.]+) cm, (\d+)% of them within 5 cm, no static holds",
                      text)
    assert found is not None, text
    assert int(found.group(1)) >= 90 and found.group(2) == f"{np.median(lengths):.1f}" and found.group(3) == "100"


def test_long_strokes_are_marked_and_lower_the_score(tmp_path, capsys):
    """A median over the routine's short strokes is marked in the report and the history, and the
    share of strokes within it is a part of the score."""
    long_strokes = {**ONE_WAY, "excursion_cm": 8.0}
    write_csv(render(scenario(long_strokes, seconds=34.0), seed=3), tmp_path / "long.csv")
    assert main(["import", "--spot", "calf", str(tmp_path / "long.csv")]) == 0
    with open_session(1) as rec:
        page = render_html(rec)
    summary = re.search(r'<p class="summary" id="summary">(.*?)</p>', page, re.S)
    assert summary is not None and re.search(r"median stroke [\d.]+ cm \(over 5 cm\), 0% of them within 5 cm",
                                               summary.group(1)), summary.group(1)
    assert re.search(r"short strokes 0%\)", page) and "(over 5 cm)</td>" in page and "(one way)</td>" in page
    capsys.readouterr()
    assert main(["history"]) == 0
    text = capsys.readouterr().out
    assert "same way" in text and "cm (over 5 cm)" in text
