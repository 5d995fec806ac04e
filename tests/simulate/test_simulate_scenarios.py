"""The scenario library and the TOML reader: every scenario renders, bad files get one-line errors."""

from pathlib import Path

import numpy as np
import pytest

from kneadback.errors import InputError
from kneadback.simulate.render import render
from kneadback.simulate.scenario import SIGNALS_DIR, list_scenarios, load_scenario

REQUIRED = [
    "steady", "too-slow", "too-fast", "ramp", "irregular", "light-contact", "deep-continuous",
    "static-hold", "bouts", "noisy", "saturated", "fs100", "fs1000", "frame-loss", "demo-session",
]  # fmt: skip
ALL = [name for name, _ in list_scenarios()]


def test_the_library_has_every_required_scenario_with_a_one_line_description():
    listed = dict(list_scenarios())
    for name in REQUIRED:
        assert name in listed
        assert listed[name] and "\n" not in listed[name]


@pytest.mark.parametrize("name", ALL)
def test_every_scenario_renders(name):
    r = render(load_scenario(name), seed=0)
    n = len(r.t)
    assert n == round(r.scenario.duration_s * r.rate_hz)
    assert r.adc.dtype == np.int32 and r.t_us.dtype == np.uint32 and r.force_n.shape == (n,)
    assert r.adc.min() >= 0 and r.adc.max() <= 1023
    assert np.all(np.diff(r.t) > 0)
    assert r.truth.strokes or r.truth.holds
    assert r.truth.to_dict()["scenario"] == name


def _rate(name):
    s = render(load_scenario(name), seed=2).truth.strokes
    return (len(s) - 1) / (s[-1].t_peak - s[0].t_peak)


def test_rates_of_the_rate_scenarios():
    assert _rate("steady") == pytest.approx(1.0, abs=0.05)
    assert _rate("too-slow") == pytest.approx(0.5, abs=0.05)
    assert _rate("too-fast") == pytest.approx(2.0, abs=0.1)
    s = render(load_scenario("ramp"), seed=2).truth.strokes
    first = 1 / np.mean(np.diff([x.t_peak for x in s[:6]]))
    last = 1 / np.mean(np.diff([x.t_peak for x in s[-8:]]))
    assert 0.4 < first < 0.7 and 1.7 < last < 2.2


def test_demo_session_covers_spots_bouts_rests_holds_and_ratings():
    r = render(load_scenario("demo-session"), seed=0)
    tr = r.truth
    assert r.scenario.duration_s >= 300
    assert len({s.spot for s in tr.spots}) == 3
    assert len(tr.bouts) >= 6 and all(25 <= b.end - b.start <= 31 for b in tr.bouts)
    assert len(tr.holds) == 1 and tr.holds[0].end - tr.holds[0].start >= 10
    assert len(tr.ratings) >= 5 and {x.spot for x in tr.ratings} == {s.spot for s in tr.spots}
    assert all(0 <= x.value <= 10 for x in tr.ratings)
    assert max(i.end - i.start for i in tr.off_contact) >= 19  # rests off the skin


def test_light_contact_never_lifts_off_and_modulates_by_about_ten_percent():
    r = render(load_scenario("light-contact"), seed=0)
    s = r.truth.strokes[1:-1]
    dips = [1 - r.force_n[np.searchsorted(r.t, x.t_end)] / x.peak_n for x in s]
    assert 0.05 < np.median(dips) < 0.25
    assert r.force_n[np.searchsorted(r.t, s[0].t_start) : np.searchsorted(r.t, s[-1].t_end)].min() > 0


def test_deep_continuous_never_releases_fully():
    r = render(load_scenario("deep-continuous"), seed=0)
    s = r.truth.strokes[1:-1]
    assert np.median([x.peak_n for x in s]) > 35
    assert all(r.force_n[np.searchsorted(r.t, x.t_end)] > 0.4 * x.peak_n for x in s)


def test_irregular_varies_amplitude_and_rhythm():
    s = render(load_scenario("irregular"), seed=0).truth.strokes
    peaks = np.array([x.peak_n for x in s])
    assert np.percentile(peaks, 95) / np.percentile(peaks, 5) > 1.6
    assert 2.2 < peaks.max() / peaks.min() < 4.0  # "up to 3:1"
    assert np.std(np.diff([x.t_peak for x in s])) > 0.15


def test_saturated_peaks_sit_at_the_ceiling():
    r = render(load_scenario("saturated"), seed=0)
    ceiling = 1024 * r.divider_ohms / (r.divider_ohms + r.part.r_floor)
    at_peaks = r.adc[[np.searchsorted(r.t, s.t_peak) for s in r.truth.strokes]]
    assert np.median(at_peaks) > 0.95 * ceiling


def test_static_hold_has_tremor_in_the_physiological_band():
    r = render(load_scenario("static-hold"), seed=0)
    h = r.truth.holds[0]
    f = r.force_n[(r.t >= h.start) & (r.t <= h.end)]
    fast = (f - np.convolve(f, np.ones(41) / 41, mode="same"))[50:-50]
    spec = np.abs(np.fft.rfft(fast)) ** 2
    freq = np.fft.rfftfreq(len(fast), 1 / r.rate_hz)
    band = (freq >= 7) & (freq <= 13)
    assert spec[band].sum() > 0.5 * spec[(freq > 2) & (freq < 40)].sum()
    assert np.std(f) / np.mean(f) < 0.1  # small


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ('description = "x"\n[[phase]]\nkind = "strokes"\nduration_s = 5\n[user]\nforce_n = "hard"\n', "user.force_n", "must be a number"),
        ('description = "x"\n[[phase]]\nkind = "strokes"\nduration_s = 5\nfoo = 1\n', "phase #1.foo", "unknown key"),
        ('description = "x"\n[[phase]]\nkind = "wiggle"\nduration_s = 5\n', "phase #1.kind", "'wiggle' is not one of"),
        ('description = "x"\n[[phase]]\nkind = "strokes"\n', "phase #1.duration_s", "missing"),
        ('description = "x"\n[device]\nrate_hz = 5000\n[[phase]]\nkind = "rest"\nduration_s = 5\n', "device.rate_hz", "above the maximum"),
        ('[[phase]]\nkind = "rest"\nduration_s = 5\n', "description", "missing"),
        ('description = "x"\n', "phase", "missing"),
        ('description = "x"\n[[spots]]\nname = "a"\n[[phase]]\nkind = "rest"\nduration_s = 5\nspot = "b"\n', "phase #1.spot", "not a spot"),
        ('description = "x"\nphase = 3\n', "phase", "missing"),
        ('description = "x"\n[[phase]]\nkind = "hold"\nduration_s = 1\n', "phase #1.duration_s", "at least"),
        ('description = "x"\n[sensor]\npreload_steps = [[1.0]]\n[[phase]]\nkind = "rest"\nduration_s = 5\n', "sensor.preload_steps #1", "[time_s, preload_n]"),
        ('description = "x"\nrate = 1\n', "rate", "unknown key"),
        ('description = "x\n', "", "not valid TOML"),
    ],
)
def test_bad_scenario_files_get_one_line_errors(tmp_path, text, key, problem):
    path = tmp_path / "mine.toml"
    path.write_text(text)
    with pytest.raises(InputError) as e:
        load_scenario(str(path))
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith(str(path)) and problem in msg
    assert f": {key}:" in msg or not key


def test_unknown_names_and_missing_files():
    with pytest.raises(InputError, match=r"unknown scenario 'nope'.*steady"):
        load_scenario("nope")
    with pytest.raises(InputError, match="no such scenario file"):
        load_scenario("/nonexistent/x.toml")


def test_a_user_file_renders(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('description = "mine"\n[device]\nrate_hz = 500\n[[phase]]\nkind = "strokes"\nduration_s = 10\nrepeat = 2\n')
    s = load_scenario(str(path))
    assert s.name == "mine" and s.duration_s == 20 and len(render(s).t) == 10000


def test_signals_readme_documents_every_key():
    readme = (SIGNALS_DIR / "README.md").read_text()
    from kneadback.simulate import scenario as sc

    for table in (sc._DEVICE, sc._SENSOR, sc._NOISE, sc._FAULTS, sc._USER, sc._SPOT, sc._PHASE_OWN):
        for key in table:
            assert f"`{key}`" in readme, key
    assert Path(SIGNALS_DIR / "scenarios.png").is_file()
