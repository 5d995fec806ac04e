"""The session report: one self-contained HTML file with its plots, summary, cues and scores."""

from __future__ import annotations

import re

from kneadback.cli import main
from kneadback.clock import ManualClock
from kneadback.model import Bout, BoutStarted, Cue, HoldEnded, HoldStarted, Rating, Stroke
from kneadback.store.recorder import Recorder
from store.fakes import INFO, make_blocks  # tests/ is on sys.path (rootdir-relative packages)


def record_with_events(spot: str = "left calf", wall: float = 1_760_000_000.0) -> int:
    clock = ManualClock()
    rec = Recorder(clock=clock, source="fake:wave", spot=spot, wall_start=wall)
    rec.on_info(INFO)
    blocks = make_blocks(40.0, seed=4)
    stroke_i = 0
    bout_started = False
    rated: list[float] = []
    for b in blocks:
        clock.advance(len(b) / 200)
        rec.on_block(b)
        t = b.t_end
        if not bout_started and t > 2.0:
            rec.on_events([BoutStarted(index=0, start=2.0, t_confirmed=t)])
            bout_started = True
        if 2.0 < t < 32.0 and t >= 2.0 + stroke_i * 1.0 + 1.0:
            peak = 20.0 + (stroke_i % 5)
            rec.on_events([Stroke(index=stroke_i, t_start=t - 0.5, t_peak=t - 0.25, t_end=t, t_confirmed=t, peak_n=peak,
                                  mean_n=peak / 2, peak_adc=600, impulse_ns=5.0, release=0.9)])
            if stroke_i % 10 == 4:
                rec.on_events([Cue(t=t, kind="faster", severity="correction", text="A little faster.")])
            stroke_i += 1
        if not rated and t > 20.0:
            rec.on_events([Rating(t=t, value=7, spot=spot, force_n=22.0)])
            rated.append(t)
        if len(rated) == 1 and t > 26.0:
            rec.on_events([Rating(t=t, value=5, spot=spot, force_n=17.0)])
            rated.append(t)
    rec.on_events([HoldStarted(start=33.0, t_confirmed=35.0, mean_n=15.0),
                   HoldEnded(start=33.0, end=37.0, t_confirmed=37.1, mean_n=15.0),
                   Bout(index=0, start=2.0, end=32.0, t_confirmed=33.0, strokes=stroke_i, rate_spm=60.0, mean_peak_n=22.0)])
    rec.close()
    record_with_events.strokes = stroke_i  # type: ignore[attr-defined]
    return rec.session_id


def test_report_html_holds_its_plots_and_nothing_external(tmp_path, capsys):
    sid = record_with_events()
    out = tmp_path / "r.html"
    assert main(["report", str(sid), "--out", str(out)]) == 0
    page = out.read_text()
    svgs = re.findall(r"<svg[^>]*id=\"(\w+)\"", page)
    assert svgs == ["force", "rate", "pressure"]
    force_svg = re.search(r'<svg[^>]*id="force".*?</svg>', page, re.S).group(0)
    assert record_with_events.strokes > 20
    assert force_svg.count("<circle") == record_with_events.strokes  # every stroke marked at its peak
    assert "<polygon" in force_svg or "<polyline" in force_svg  # the trace itself
    assert 'fill-opacity="0.25"' in force_svg  # the hold
    pressure_svg = re.search(r'<svg[^>]*id="pressure".*?</svg>', page, re.S).group(0)
    assert "6–8/10 band" in pressure_svg  # the rating gave a band
    summary = re.search(r'<p class="summary" id="summary">(.*?)</p>', page, re.S).group(1)
    assert summary.startswith("1 bout on left calf") and "1 static hold" in summary and "session score" in summary
    assert "A little faster." in page and 'id="bouts"' in page and 'id="cues"' in page
    # self-contained: no scripts, stylesheets or images fetched from anywhere
    assert not re.search(r"(src|href)=", page) and "<script" not in page
    assert re.findall(r"https?://[^\"]+", page) == ["http://www.w3.org/2000/svg"] * 3


def test_report_writes_force_in_the_units_it_has(tmp_path):
    """An uncalibrated board's force is approximate: the axes, the table and the ratings say so."""
    sid = record_with_events()
    out = tmp_path / "r.html"
    assert main(["report", str(sid), "--out", str(out)]) == 0
    page = out.read_text()
    assert "force (approx. N)" in page and "peak force (approx. N)" in page and "mean peak approx. N" in page
    assert "at 22.0 approx. N" in page and "force (N)" not in page


def test_report_of_an_unknown_session_is_one_line(tmp_path, capsys):
    record_with_events()
    assert main(["report", "99", "--out", str(tmp_path / "x.html")]) == 2
    assert not (tmp_path / "x.html").exists()
    assert capsys.readouterr().err.strip() == "kneadback: no session 99 (see `kneadback sessions`)"


def test_report_summary_counts_in_words_and_leaves_short_tries_out(tmp_path):
    rec = Recorder(clock=ManualClock(), source="fake:wave", spot="neck", wall_start=1_760_000_000.0)
    rec.on_info(INFO)
    for b in make_blocks(20.0, seed=1):
        rec.on_block(b)
    rec.on_events([BoutStarted(index=0, start=2.0, t_confirmed=3.0),
                   Stroke(index=0, t_start=2.0, t_peak=2.3, t_end=2.6, t_confirmed=2.6, peak_n=20.0, mean_n=10.0,
                          peak_adc=600, impulse_ns=5.0, release=0.9),
                   Bout(index=0, start=2.0, end=6.0, t_confirmed=7.0, strokes=1, rate_spm=None, mean_peak_n=20.0)])
    for k in range(2):
        rec.on_events([HoldStarted(start=8.0 + 5 * k, t_confirmed=10.0 + 5 * k, mean_n=15.0),
                       HoldEnded(start=8.0 + 5 * k, end=12.0 + 5 * k, t_confirmed=12.1 + 5 * k, mean_n=15.0)])
    rec.close()
    out = tmp_path / "r.html"
    assert main(["report", str(rec.session_id), "--out", str(out)]) == 0
    summary = re.search(r'<p class="summary" id="summary">(.*?)</p>', out.read_text(), re.S).group(1)
    assert summary.startswith("No complete bout (1 stroke), 1 short try, ")
    assert ", 2 static holds," in summary
