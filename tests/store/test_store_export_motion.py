"""Exports carry each stroke's direction and length (a strokes table, EDF+ stroke annotations), an
export of a motion session imports back to the same strokes and stroke motion, and an FSR-only
session exports byte for byte as it did before strokes had any motion."""

from __future__ import annotations

import csv
import hashlib
import math
import time
from typing import Any

import numpy as np
import pytest

from kneadback.cli import main
from kneadback.clock import ManualClock
from kneadback.csvformat import IMU_COLUMNS, META_KEYS
from kneadback.model import (
    FORCE_CHANNEL,
    Bout,
    Cue,
    DeviceInfo,
    HoldEnded,
    Marker,
    Rating,
    SampleBlock,
    SpotChanged,
    Stroke,
    StrokeMotion,
)
from kneadback.simulate.motion import IMU_CHANNELS
from kneadback.store.reader import open_session
from kneadback.store.recorder import Recorder

RATE_HZ = 200.0
SECONDS = 20.0
STROKES = 13  # one a second from 0 s; the last starts after the bout
LOST = (1000, 1020)  # samples the board lost


@pytest.fixture
def utc(monkeypatch):
    """Dates in exports follow the local zone: pin it, so the bytes do not depend on the machine."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def motion_of(k: int) -> StrokeMotion | None:
    """Stroke k's motion: none for the first (the sensor had not settled), none for the ninth."""
    if k in (0, 8):
        return None
    return StrokeMotion(k, k + 0.95, 40.0 + 3.5 * k, 2.5 + 0.125 * k, None if k == 1 else 0.01 * k)


def stroke(k: int) -> Stroke:
    return Stroke(k, k + 0.1, k + 0.5, k + 0.9, k + 0.92, 20.0 + 0.25 * k, 12.5, 600, 8.0, 0.99,
                  None if k == 0 else 1.0, None if k == 0 else 60.0)


def record(imu: bool) -> int:
    """A fixed session, recorded as a live run would be: 20 s at 200 Hz of strokes, then a static
    hold, 20 samples lost, and the events a session emits, each after the block it was found in."""
    n = int(SECONDS * RATE_HZ)
    t = np.arange(n) / RATE_HZ
    rng = np.random.default_rng(7)
    phase = np.clip((t % 1.0 - 0.1) / 0.8, 0.0, 1.0)
    adc = np.where(t < STROKES, 600 * np.sin(np.pi * phase) ** 2, np.where(t < 17.0, 400.0, 0.0))
    adc = np.clip(adc + rng.normal(0, 2, n), 0, 1023).astype(np.int32)
    extra = (rng.normal(0, 2000, (n, 6)) + [0, 0, 16384, 0, 0, 0]).astype(np.int16)
    info = DeviceInfo(1, "1.1.0", "uno", RATE_HZ, protocol_minor=1,
                      channels=(FORCE_CHANNEL, *IMU_CHANNELS) if imu else (FORCE_CHANNEL,))
    events: list[tuple[float, Any]] = [
        (0.5, Cue(0.5, "bout-count", "info", "Bout 1 of today on calf.")),
        (3.2, SpotChanged(3.2, "thigh")),
        (6.0, Rating(6.0, 7, "thigh", 21.5)),
        (7.0, Marker(7.0, "tender")),
        (12.2, Bout(0, 0.1, 11.9, 12.2, 12, 60.0, 21.0, 11.8, 0.0, True)),
        (17.1, HoldEnded(13.0, 17.0, 17.1, 15.2)),
    ]
    for k in range(STROKES):
        events.append((stroke(k).t, stroke(k)))
        m = motion_of(k) if imu else None
        if m is not None:
            events.append((m.t, m))
    events.sort(key=lambda e: e[0])
    clock = ManualClock()
    rec = Recorder(clock=clock, source="sim:test", spot="calf", wall_start=1_760_000_000.0)
    rec.on_info(info)
    for a in range(0, n, 10):
        if LOST[0] <= a < LOST[1]:
            continue
        b = SampleBlock(t[a : a + 10], adc[a : a + 10], a, LOST[1] - LOST[0] if a == LOST[1] else 0,
                        t_device_us=(t[a : a + 10] * 1e6).astype(np.uint32), extra=extra[a : a + 10] if imu else None)
        clock.advance(len(b) / RATE_HZ)
        rec.on_block(b)
        due = [ev for at, ev in events if at <= b.t_end]
        if due:
            rec.on_events(due)
            events = events[len(due) :]
    rec.close()
    assert rec.session_id is not None
    return rec.session_id


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_an_fsr_only_session_exports_byte_for_byte_as_before(tmp_path, utc):
    import edfio

    sid = record(imu=False)
    for fmt in ("csv", "edf"):
        assert main(["export", str(sid), "--out", str(tmp_path / f"s.{fmt}")]) == 0
    # what the exporter wrote for this session before strokes carried their motion
    assert digest(tmp_path / "s.csv") == "7895591b858251b1ef62886707909a4c5425b91bc47fab51e4c61ed68efcb44a"
    assert digest(tmp_path / "s.edf") == "a93e1195e4cecd7c74a4df59c887b22d472dade4c4a61bdb0d6b9cf5f0f15b85"
    assert not any(a.text.startswith("stroke") for a in edfio.read_edf(tmp_path / "s.edf").annotations)


def test_the_strokes_table_has_a_row_per_stroke_with_its_direction_and_length(tmp_path):
    sid = record(imu=True)
    out = tmp_path / "strokes.csv"
    assert main(["export", str(sid), "--what", "strokes", "--out", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert lines[0].startswith(f"# kneadback session {sid}, started ") and lines[1].startswith("# force model: ")
    rows = list(csv.DictReader(lines[2:]))
    assert list(rows[0]) == ["stroke", "bout", "t_start_s", "t_peak_s", "t_end_s", "peak_n", "mean_n", "interval_s",
                             "rate_spm", "direction_deg", "excursion_cm", "return_share"]
    assert [r["stroke"] for r in rows] == [str(k + 1) for k in range(STROKES)]
    assert [r["bout"] for r in rows] == ["1"] * 12 + [""]  # the last started after the bout ended
    assert rows[0]["interval_s"] == "" and rows[0]["direction_deg"] == ""  # no interval, no motion yet
    for k, r in enumerate(rows):
        s, m = stroke(k), motion_of(k)
        assert float(r["t_start_s"]) == pytest.approx(s.t_start) and float(r["t_peak_s"]) == pytest.approx(s.t_peak)
        assert float(r["peak_n"]) == pytest.approx(s.peak_n) and float(r["mean_n"]) == pytest.approx(s.mean_n)
        if m is None:
            assert (r["direction_deg"], r["excursion_cm"], r["return_share"]) == ("", "", "")
            continue
        assert float(r["direction_deg"]) == pytest.approx(m.direction_deg, abs=0.05)
        assert float(r["excursion_cm"]) == pytest.approx(m.excursion_cm, abs=0.005)
        assert r["return_share"] == ("" if m.return_share is None else f"{m.return_share:.3f}")


def test_an_fsr_only_strokes_table_has_no_motion_columns_and_goes_to_stdout_as_csv(capsys):
    sid = record(imu=False)
    capsys.readouterr()
    assert main(["export", str(sid), "--what", "strokes", "--out", "-"]) == 0  # no suffix: the table is CSV
    lines = capsys.readouterr().out.splitlines()
    assert lines[2] == "stroke,bout,t_start_s,t_peak_s,t_end_s,peak_n,mean_n,interval_s,rate_spm"
    assert len(lines) == 3 + STROKES and lines[4] == "2,1,1.100,1.500,1.900,20.25,12.50,1.000,60.0"


@pytest.mark.parametrize("fmt", ["json", "edf"])
def test_a_strokes_table_in_another_format_is_one_line_and_exit_2(tmp_path, capsys, fmt):
    sid = record(imu=True)
    out = tmp_path / f"strokes.{fmt}"
    capsys.readouterr()
    assert main(["export", str(sid), "--what", "strokes", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"kneadback: export: --what strokes is a CSV table, not {fmt}; give --format csv or an --out FILE.csv"]
    assert not out.exists()


def test_edf_annotates_each_measured_stroke_with_its_direction_and_excursion(tmp_path):
    import edfio

    sid = record(imu=True)
    assert main(["export", str(sid), "--out", str(tmp_path / "s.edf")]) == 0
    got = [(a.onset, a.duration, a.text) for a in edfio.read_edf(tmp_path / "s.edf").annotations
           if a.text.startswith("stroke")]
    want = [(s.t_start, s.t_end - s.t_start, f"stroke {k + 1}: {s.peak_n:.1f} N, {m.direction_deg:.0f}° {m.excursion_cm:.1f} cm")
            for k in range(STROKES) if (m := motion_of(k)) is not None and (s := stroke(k))]
    assert len(got) == len(want) == STROKES - 2
    for (on, dur, text), (w_on, w_dur, w_text) in zip(got, want):
        assert text == w_text and on == pytest.approx(w_on, abs=1e-4) and dur == pytest.approx(w_dur, abs=1e-4)
    assert got[0][2] == "stroke 2: 20.2 N, 44° 2.6 cm"


def test_a_csv_export_of_a_motion_session_imports_and_analyses_to_the_same_strokes_and_motion(tmp_path):
    from tests.motion.scenarios import ONE_WAY, scenario

    from kneadback.app import analyze
    from kneadback.commands.simulate import write_csv
    from kneadback.simulate.render import render

    write_csv(render(scenario(ONE_WAY, seconds=15.0), seed=3), tmp_path / "sim.csv")
    assert main(["import", str(tmp_path / "sim.csv")]) == 0
    assert main(["export", "1", "--out", str(tmp_path / "s.csv")]) == 0
    assert main(["import", str(tmp_path / "s.csv")]) == 0

    def found(events: list[Any]) -> list[dict[str, Any]]:
        keep = [e for e in events if isinstance(e, (Stroke, StrokeMotion))]
        return [{k: v for k, v in e.to_dict().items() if k != "t_confirmed" and k != "t"} for e in keep]

    def recorded(sid: int) -> list[dict[str, Any]]:
        with open_session(sid) as rec:
            return [{k: v for k, v in e.data.items() if k not in ("t_confirmed", "t")} for e in rec.events
                    if e.type in ("stroke", "stroke-motion")]

    original = recorded(1)
    assert sum(e["type"] == "stroke-motion" for e in original) >= 10
    for back in [recorded(2), found(analyze(str(tmp_path / "s.csv")).events),
                 found(analyze(str(tmp_path / "s.csv"), chunk=97).events)]:  # any block size
        assert [e["type"] for e in back] == [e["type"] for e in original]
        for a, b in zip(original, back):
            assert a.keys() == b.keys()
            for k in a:  # within the CSV's rounding of time to the microsecond
                same = a[k] == b[k] or (isinstance(a[k], float) and math.isclose(a[k], b[k], rel_tol=1e-6, abs_tol=1e-5))
                assert same, (a["type"], a["index"], k, a[k], b[k])


def test_import_help_says_which_columns_and_lines_it_reads(capsys):
    with pytest.raises(SystemExit):
        main(["import", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "time_s (seconds) and adc (counts)" in text and "other columns ignored" in text
    assert ",".join(IMU_COLUMNS[:3]) + " (m/s²)" in text and ",".join(IMU_COLUMNS[3:]) + " (rad/s)" in text
    assert all(key in text for key in META_KEYS)
