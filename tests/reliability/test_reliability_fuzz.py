"""Fuzzing the readers of everything a user can hand kneadback, on a fixed budget.

Each reader either parses its input or raises `InputError`/`RecordingError` with a one-line
message; any other exception is a bug. Seeded (derandomized) so CI runs the same examples
every time.
"""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from kneadback.calibration import fit_calibration, read_points_csv
from kneadback.clock import ManualClock
from kneadback.errors import InputError, RecordingError
from kneadback.fsr import Divider
from kneadback.model import SampleBlock
from kneadback.protocol.stream import DeviceStream
from kneadback.protocol.text import Line, TextHeader, TextParser, TextProblem
from kneadback.simulate.scenario import SIGNALS_DIR, load_scenario, parse_scenario
from kneadback.sources.csvfile import CsvSource
from kneadback.sources.replay import ReplaySource
from kneadback.store.reader import open_recording

from .files import make_db

FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
EXPECTED = (InputError, RecordingError)


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="kneadback-fuzz-") as d:
        yield Path(d)


def _one_line(e: Exception) -> None:
    text = str(e)
    assert text and "\n" not in text, repr(text)


# --- the CSV sample reader -------------------------------------------------------------------

_CELL = st.one_of(
    st.integers(-5, 5000).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["", " ", "nan", "inf", "-0", "1e999", "0x10", "1,5", '"3"', "adc", "time_s", "\t7"]),
    st.text(max_size=6),
)
_ROW = st.lists(_CELL, min_size=0, max_size=4).map(",".join)
_META = st.sampled_from(["# rate_hz: 200", "# rate_hz: 0", "# rate_hz=1e308", "# divider_ohms: 4700", "# adc_bits: 64",
                         "# adc_bits: 3", "# vref_mv: x", "#", "", "# rate_hz: 1e-300"])
_HEADER = st.sampled_from(["time_s,adc", "adc,time_s", "time_s,adc,extra", "Time_S , ADC", "time_s", "t,adc", '"time_s","adc"'])


def _csv_text() -> st.SearchStrategy[str]:
    good = st.lists(st.tuples(st.floats(0, 1e6, allow_nan=False), st.integers(0, 1023)), max_size=30).map(
        lambda rows: "".join(f"{t},{a}\n" for t, a in sorted(rows))
    )
    return st.tuples(st.lists(_META, max_size=3), _HEADER, st.one_of(good, st.lists(_ROW, max_size=30).map("\n".join))).map(
        lambda p: "\n".join([*p[0], p[1], p[2]])
    )


def _read_all(source) -> int:
    source.open()
    n = 0
    try:
        while not source.finished:
            for item in source.read(0.0):
                if isinstance(item, SampleBlock):
                    n += len(item)
                    assert np.all(np.isfinite(item.t))
    finally:
        source.close()
    return n


@FUZZ
@given(text=_csv_text())
def test_csv_reader_parses_or_names_the_problem(text: str, scratch: Path) -> None:
    path = scratch / "samples.csv"
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    try:
        n = _read_all(CsvSource(path))
    except EXPECTED as e:
        _one_line(e)
    else:
        assert n > 0


@FUZZ
@given(data=st.binary(max_size=300))
def test_csv_reader_takes_any_bytes(data: bytes, scratch: Path) -> None:
    path = scratch / "bytes.csv"
    path.write_bytes(b"time_s,adc\n" + data)
    try:
        _read_all(CsvSource(path))
    except EXPECTED as e:
        _one_line(e)


# --- scenario TOML -----------------------------------------------------------------------

_SCALAR = st.one_of(
    st.integers(-10**6, 10**12), st.floats(allow_nan=True), st.booleans(), st.text(max_size=8),
    st.lists(st.integers(-3, 3), max_size=3),
)
_KEYS = ["rate_hz", "duration_s", "kind", "spot", "force_n", "repeat", "rating", "hold_n", "ramp_s", "press", "release",
         "divider_ohms", "clock_ppm", "start_us", "lost_frames", "disconnect_at_s", "preload_steps", "name", "bogus"]


def _table() -> st.SearchStrategy[dict]:
    return st.dictionaries(st.sampled_from(_KEYS), st.one_of(_SCALAR, st.sampled_from(["strokes", "hold", "rest"]),
                                                             st.lists(st.lists(st.floats(-1, 100), max_size=3), max_size=3)),
                           max_size=5)


_SCENARIO = st.fixed_dictionaries(
    {},
    optional={
        "description": st.one_of(st.text(max_size=10), _SCALAR),
        "device": st.one_of(_table(), _SCALAR),
        "sensor": _table(),
        "noise": _table(),
        "faults": _table(),
        "user": _table(),
        "spots": st.one_of(st.lists(st.one_of(_table(), _SCALAR), max_size=3), _SCALAR),
        "phase": st.one_of(st.lists(st.one_of(_table(), _SCALAR), max_size=4), _SCALAR),
        "extra": _SCALAR,
    },
)


@FUZZ
@given(doc=_SCENARIO)
def test_scenario_parser_validates_any_document(doc: dict) -> None:
    try:
        sc = parse_scenario(doc, "fuzz", Path("fuzz.toml"))
    except InputError as e:
        _one_line(e)
        assert str(e).startswith("fuzz.toml: ")
    else:
        assert sc.phases and all(math.isfinite(p.duration_s) and p.duration_s > 0 for p in sc.phases)


@FUZZ
@given(data=st.data())
def test_scenario_loader_takes_damaged_files(data: st.DataObject, scratch: Path) -> None:
    name = data.draw(st.sampled_from(sorted(p.name for p in SIGNALS_DIR.glob("*.toml"))))
    raw = bytearray((SIGNALS_DIR / name).read_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        op = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        at = data.draw(st.integers(0, max(0, len(raw) - 1)))
        if op == "flip" and raw:
            raw[at] = data.draw(st.integers(0, 255))
        elif op == "cut":
            del raw[at : at + data.draw(st.integers(1, 40))]
        else:
            raw[at:at] = data.draw(st.sampled_from([b"=", b"[", b"]]", b'"', b"\n", b"-1", b"1e9", b"nan", b"\xff", b"[[phase]]\n"]))
    path = scratch / "damaged.toml"
    path.write_bytes(bytes(raw))
    try:
        load_scenario(str(path))
    except InputError as e:
        _one_line(e)


# --- calibration points --------------------------------------------------------------------

_POINT_ROW = st.one_of(
    st.tuples(st.floats(-10, 1100), st.floats(-5, 600)).map(lambda p: f"{p[0]},{p[1]}"),
    st.tuples(st.integers(0, 1023), st.integers(0, 500)).map(lambda p: f"{p[0]},{p[1]}"),
    _ROW,
    st.sampled_from(["adc,newtons", "# note", "", '"1","2"', "1,2,3", "nan,1", "1,inf", ",,"]),
)


@FUZZ
@given(rows=st.lists(_POINT_ROW, max_size=12), divider=st.sampled_from([Divider(1000.0), Divider(10_000.0, 3.3, 12)]))
def test_calibration_points_reader_and_fit(rows: list[str], divider: Divider, scratch: Path) -> None:
    path = scratch / "points.csv"
    path.write_text("\n".join(rows), encoding="utf-8", errors="surrogateescape")
    try:
        points, unloaded = read_points_csv(path)
        cal = fit_calibration(points, divider, unloaded, source=str(path))
    except InputError as e:
        _one_line(e)
    else:
        assert np.all(np.isfinite(cal.point_errors()))


# --- recordings: the database and JSON exports ---------------------------------------------


@pytest.fixture(scope="module")
def good_db(scratch: Path) -> bytes:
    return make_db(scratch / "good" / "kneadback.sqlite3", sessions=2, seconds=10.0).read_bytes()


def _replay_all(spec: str) -> int:
    """Open a recording and run every item of it through a replay source."""
    source = ReplaySource(open_recording(spec), ManualClock(), speed=math.inf)
    return _read_all(source)


@FUZZ
@given(data=st.data())
def test_recording_reader_on_corrupted_database_bytes(data: st.DataObject, good_db: bytes, scratch: Path) -> None:
    raw = bytearray(good_db)
    page = 4096
    for _ in range(data.draw(st.integers(1, 6))):
        # most of a database is sample chunks; aim at headers and b-tree pages, too
        # (the first 16 bytes only say "SQLite format 3": a file without them is refused at once)
        at = data.draw(st.one_of(st.integers(16, 100), st.integers(100, len(raw) - 1),
                                 st.integers(1, len(raw) // page - 1).map(lambda p: p * page + data.draw(st.integers(0, 12)))))
        raw[at] = data.draw(st.integers(0, 255))
    if data.draw(st.integers(0, 3)) == 0:
        raw = raw[: data.draw(st.integers(100, len(raw)))]
    path = scratch / "corrupt.sqlite3"
    for leftover in scratch.glob("corrupt.sqlite3*"):
        leftover.unlink()
    path.write_bytes(bytes(raw))
    try:
        _replay_all(str(path))
    except EXPECTED as e:
        _one_line(e)


def test_a_schema_with_bytes_that_are_not_text_is_a_damaged_database(good_db: bytes, scratch: Path) -> None:
    """SQLite's message then quotes the damaged name, which is not UTF-8: still one line, no traceback."""
    raw = bytearray(good_db)
    name = b"CREATE INDEX events_by_spot ON events"
    at = raw.find(name)
    assert at > 0
    raw[at + len(name) - 4] = 0x80  # "ev\x80nts"
    path = scratch / "not-text.sqlite3"
    path.write_bytes(bytes(raw))
    with pytest.raises(RecordingError, match="damaged database") as e:
        _replay_all(str(path))
    _one_line(e.value)


_JSON_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 2**40), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=5)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=5), inner, max_size=4)),
    max_leaves=12,
)
_EVENT = st.fixed_dictionaries(
    {"after_block": st.one_of(st.integers(-1, 3), _JSON_VALUE), "origin": st.sampled_from(["source", "user", "engine"]),
     "t": st.one_of(st.floats(0, 10), _JSON_VALUE), "type": st.sampled_from(["info", "rating", "marker", "spot", "link", "bogus", "hold"]),
     "data": st.one_of(st.dictionaries(st.sampled_from(["type", "t", "value", "spot", "kind", "label", "sample_rate_hz"]), _JSON_VALUE,
                                       max_size=4), _JSON_VALUE)},
)
_BLOCK = st.one_of(
    st.fixed_dictionaries({"t": st.lists(st.floats(0, 10), max_size=4), "adc": st.lists(st.integers(-2, 2000), max_size=4)},
                          optional={"first_index": _JSON_VALUE, "lost": _JSON_VALUE, "t_device_us": _JSON_VALUE, "t_arrival": _JSON_VALUE}),
    _JSON_VALUE,
)
_EXPORT = st.fixed_dictionaries(
    {"format": st.sampled_from(["kneadback-session"] * 9 + ["other"]), "version": st.sampled_from([1] * 9 + [2, "1"]),
     "session": st.one_of(st.fixed_dictionaries({"started_at": st.text(max_size=5), "wall_start": st.floats(0, 2e9)},
                                                optional={"device": _JSON_VALUE, "duration_s": _JSON_VALUE, "samples": _JSON_VALUE}),
                          st.fixed_dictionaries({"started_at": st.text(max_size=5), "wall_start": st.floats(0, 2e9)}),
                          _JSON_VALUE),
     "events": st.one_of(st.lists(_EVENT, max_size=4), _JSON_VALUE),
     "blocks": st.one_of(st.lists(_BLOCK, max_size=4), _JSON_VALUE)},
)


@FUZZ
@given(doc=_EXPORT)
def test_json_export_reader_and_replay(doc: dict, scratch: Path) -> None:
    path = scratch / "export.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    try:
        _replay_all(str(path))
    except EXPECTED as e:
        _one_line(e)


# --- the text protocol and the byte stream ---------------------------------------------------

_TEXT_LINE = st.one_of(
    st.integers(-10**6, 10**6).map(str), st.floats().map(repr), st.text(max_size=12),
    st.sampled_from(["fsr:512 other:3", "512,3,77", "  7 ; 8", "a:", ":", "nan", "1e400", "-", "\t"]),
)


@FUZZ
@given(lines=st.lists(_TEXT_LINE, max_size=20), ends=st.sampled_from([b"\n", b"\r\n", b"\r"]), cuts=st.lists(st.integers(0, 400), max_size=6))
def test_text_parser_takes_any_lines_in_any_chunking(lines: list[str], ends: bytes, cuts: list[int]) -> None:
    data = ends.join(x.encode("utf-8", "surrogateescape") for x in lines) + ends
    whole = TextParser().feed(data)
    parser = TextParser()
    pieces: list[Line] = []
    prev = 0
    for c in sorted({min(c, len(data)) for c in cuts}) + [len(data)]:
        pieces += parser.feed(data[prev:c])
        prev = c
    assert pieces == whole
    assert all(isinstance(x.value, (int, TextProblem, TextHeader)) for x in whole)


@FUZZ
@given(chunks=st.lists(st.binary(max_size=200), max_size=12))
def test_device_stream_takes_any_bytes(chunks: list[bytes]) -> None:
    stream = DeviceStream("fuzz")
    t = 0.0
    for c in chunks:
        t += 0.01
        for item in stream.feed(c, t):
            if isinstance(item, SampleBlock):
                assert len(item.t) == len(item.adc) and np.all(np.isfinite(item.t))
    stream.flush(t + 1.0)


@FUZZ
@given(lines=st.lists(_TEXT_LINE, min_size=5, max_size=60))
def test_device_stream_in_text_mode_never_raises(lines: list[str]) -> None:
    assume(any(x.strip() for x in lines))
    stream = DeviceStream("fuzz", declared_rate=100.0)
    data = b"\n".join(x.encode("utf-8", "surrogateescape") for x in lines) + b"\n"
    for k in range(0, len(data), 17):
        stream.feed(data[k : k + 17], k / 1000)
    stream.flush(1.0)
