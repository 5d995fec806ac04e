"""The `time_s,adc` CSV reader: blocks, gaps as lost samples, metadata, one-line errors; a
long file read in pieces means what it meant whole; a CSV played live at the clock's pace."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kneadback.clock import ManualClock
from kneadback.errors import InputError
from kneadback.frontend import Declared
from kneadback.model import DeviceInfo, SampleBlock
from kneadback.session import Session
from kneadback.sink import Sink
from kneadback.sources import open_source
from kneadback.sources.base import SourceOptions
from kneadback.sources.csvfile import CsvSource, from_spec


def write(tmp_path, text, name="rec.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def read_all(source):
    """The device info the source announces on opening, then everything it reads."""
    items = []
    with source:
        while not source.finished:
            items += source.read()
    return [source.info, *items]


def test_reads_blocks_and_estimates_the_rate(tmp_path):
    rows = "\n".join(f"{i / 100:.6f},{i % 1024}" for i in range(1000))
    items = read_all(CsvSource(write(tmp_path, "time_s,adc\n" + rows + "\n"), block_samples=300))
    info, blocks = items[0], items[1:]
    assert isinstance(info, DeviceInfo) and info.sample_rate_hz == pytest.approx(100.0)
    assert info.rate_source == "estimated" and info.divider_ohms == 1000
    assert all(isinstance(b, SampleBlock) for b in blocks)
    assert [len(b) for b in blocks] == [300, 300, 300, 100]
    assert np.array_equal(np.concatenate([b.adc for b in blocks]), np.arange(1000) % 1024)
    assert [b.first_index for b in blocks] == [0, 300, 600, 900]


def test_gaps_are_lost_samples(tmp_path):
    t = np.r_[np.arange(0, 50), np.arange(60, 100)] / 100.0  # 10 samples missing
    text = "adc,time_s,note\n" + "\n".join(f"7,{x:.4f},x" for x in t)
    items = read_all(CsvSource(write(tmp_path, text)))
    blocks = [b for b in items if isinstance(b, SampleBlock)]
    assert [len(b) for b in blocks] == [50, 40]
    assert blocks[1].lost == 10 and blocks[1].first_index == 60
    assert blocks[1].t[0] == pytest.approx(0.6)


def test_metadata_lines_and_flags(tmp_path):
    text = "# kneadback recording\n# rate_hz: 250\n# divider_ohms = 4700\ntime_s,adc\n0,1\n0.004,2\n0.008,3\n"
    p = write(tmp_path, text)
    info = read_all(CsvSource(p))[0]
    assert info.sample_rate_hz == 250 and info.divider_ohms == 4700 and info.rate_source == "declared"
    info = read_all(CsvSource(p, rate_hz=500, front=Declared(divider_ohms=2200)))[0]
    assert info.sample_rate_hz == 500 and info.divider_ohms == 2200
    assert read_all(from_spec(str(p), SourceOptions(rate_hz=125)))[0].sample_rate_hz == 125


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", "line 1: no header row"),
        ("# only a comment\n", "line 2: no header row"),
        ("t,adc\n0,1\n", "line 1: header lacks column time_s"),
        ("time_s,value\n0,1\n", "line 1: header lacks column adc"),
        ("time_s,adc\n", "line 2: no samples"),
        ("time_s,adc\n0,1\n0.01,abc\n", "line 3: adc 'abc' is not a number"),
        ("time_s,adc\n0,1\n\n0.01,2\nx,3\n", "line 5: time_s 'x' is not a number"),
        ("time_s,adc\n0,1\n0.01,2,3\n", "line 3: 3 cells, the header has 2"),
        ("time_s,adc\n0,1\n0.01,2\n0.01,3\n", "line 4: time_s 0.01 does not increase"),
        ("time_s,adc\n0,1\n0.01,1024\n", "line 3: adc 1024 is outside 0..1023"),
        ("time_s,adc\n0,1\n0.01,2.5\n", "line 3: adc 2.5 is not a whole number"),
        ("time_s,adc\n0,1\n0.01,nan\n", "line 3: adc 'nan' is not a finite number"),
        ("# rate_hz: fast\ntime_s,adc\n0,1\n", "line 1: rate_hz 'fast' is not a number"),
    ],
)
def test_bad_files_name_the_line_and_the_problem(tmp_path, text, expected):
    p = write(tmp_path, text)
    with pytest.raises(InputError) as e:
        read_all(CsvSource(p))
    msg = str(e.value)
    assert msg.startswith(str(p)) and expected in msg and "\n" not in msg


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_all(CsvSource(tmp_path / "nope.csv"))
    with pytest.raises(InputError, match="is a directory"):
        read_all(CsvSource(tmp_path))


def test_binary_file(tmp_path):
    p = tmp_path / "x.csv"
    p.write_bytes(b"time_s,adc\n\xff\xfe\x00")
    with pytest.raises(InputError, match="not a text file"):
        read_all(CsvSource(p))


# --- long files: read in pieces, one meaning for every piece size -----------------------------

_VARIED = (
    "\ufeff# rate_hz: 100\r\n# divider_ohms = 2200\r\n\r\nTime_s , ADC,note\r\n"
    + "".join(f"{i / 100:.4f},{i % 1000},n{i}\r\n" for i in range(300))
    + "\r\n# a pause\r\n"
    + "".join(f" {3 + i / 100:.2f} ,\t{i}, x # said\r\n" for i in range(1, 200))
    + "5.5,1_0,y\r\n6e0,+7,z"
)


def _outcome(path, **kw):
    from kneadback.sources.csvfile import read_csv

    try:
        meta, t, adc, _imu = read_csv(path, **kw)
    except InputError as e:
        return str(e)
    return meta, t.tolist(), adc.tolist(), adc.dtype


@pytest.mark.parametrize(
    "text",
    [
        _VARIED,
        _VARIED.replace("\r\n", "\n"),
        _VARIED.replace("\r\n", "\r"),
        _VARIED.replace("n150", "n150\v3.001,5,v"),  # a line break only str.splitlines knows
        _VARIED.replace("2.5000,250", "2.5000,abc"),  # unreadable, late...
        _VARIED.replace("2.5000,250", "2.5000,abc").replace("0.1000,10", "0.0900,10"),  # ...beats an earlier step back
        _VARIED.replace("1.0000,100", "1.0000,100.5"),
        _VARIED.replace("5.5,1_0,y", "5.5,1024,y"),
        _VARIED.replace("5.5,1_0,y", "5.5,1,2,y"),
    ],
    ids=["crlf", "lf", "cr", "vt", "bad-cell", "bad-cell-and-step-back", "fraction", "range", "cells"],
)
def test_the_result_does_not_depend_on_the_piece_size(tmp_path, text):
    p = write(tmp_path, text)
    whole = _outcome(p)
    assert all(_outcome(p, chunk_bytes=n) == whole for n in (1, 7, 64, 1000))


def test_numpy_and_the_line_by_line_parser_agree(tmp_path, monkeypatch):
    from kneadback.sources import csvfile

    rng = np.random.default_rng(3)
    t = np.cumsum(rng.uniform(0.001, 0.01, 5000))
    cells = [f"{float(x)!r},{a}" for x, a in zip(t, rng.integers(0, 1024, 5000))]
    cells[10] = f" {t[10]:.3e} ,\t+12 "
    texts = ["time_s,adc\n" + "\n".join(cells) + "\n", _VARIED, _VARIED.replace("\r\n", "\n")]
    fast = [_outcome(write(tmp_path, x, f"{k}.csv"), chunk_bytes=4096) for k, x in enumerate(texts)]
    monkeypatch.setattr(csvfile, "_parse_fast", lambda *a: None)
    slow = [_outcome(write(tmp_path, x, f"{k}.csv"), chunk_bytes=4096) for k, x in enumerate(texts)]
    assert fast == slow
    assert all(isinstance(r, tuple) for r in fast)


def test_a_bad_line_far_into_a_long_file_is_named(tmp_path):
    rows = [f"{i / 1000:.6f},{i % 1024}" for i in range(200_000)]
    rows[150_000] = "150.000000,x"
    rows[1000] = rows[999]  # a step back, earlier: a line that cannot be read is named first
    p = write(tmp_path, "# rate_hz: 1000\ntime_s,adc\n" + "\n".join(rows) + "\n")
    with pytest.raises(InputError, match=r"line 150003: adc 'x' is not a number"):
        read_all(CsvSource(p))
    rows[150_000] = "150.000000,7"
    p = write(tmp_path, "# rate_hz: 1000\ntime_s,adc\n" + "\n".join(rows) + "\n")
    with pytest.raises(InputError, match=r"line 1003: time_s 0.999 does not increase \(previous 0.999\)"):
        read_all(CsvSource(p))


def test_a_comment_after_a_row_is_a_comment_in_every_file(tmp_path):
    """Once numpy took `7 # note` as 7 while the line-by-line parser refused it: which one ran
    depended on the rest of the file (here, a blank line)."""
    body = "time_s,adc\n0,5 # start\n0.01,6\n"
    for text in (body, body + "\n0.02,7\n"):
        _info, *blocks = read_all(CsvSource(write(tmp_path, text)))
        assert np.concatenate([b.adc for b in blocks]).tolist()[:2] == [5, 6]


class _Seen(Sink):
    def __init__(self, clock):
        self.clock, self.infos, self.blocks = clock, 0, []

    def on_info(self, info):
        self.infos += 1

    def on_block(self, block):
        self.blocks.append((self.clock.now(), block))


def test_the_device_info_is_announced_once(tmp_path):
    rows = "".join(f"{i / 100:.2f},{i % 1024}\n" for i in range(500))
    clock = ManualClock()
    seen = _Seen(clock)
    Session(CsvSource(write(tmp_path, "time_s,adc\n" + rows)), clock, sinks=[seen]).run()
    assert seen.infos == 1


def test_played_live_at_the_clock_pace_and_stopped_at_the_duration(tmp_path):
    """A CSV as a live source (`live --source FILE.csv --speed 4 --duration 20`)."""
    rows = "".join(f"{5 + i / 100:.2f},{i % 1024}\n" for i in range(6000))  # 60 s from t = 5 s
    clock = ManualClock(100.0)
    seen = _Seen(clock)
    source = open_source(str(write(tmp_path, "time_s,adc\n" + rows)), SourceOptions(clock=clock, speed=4.0))
    status = Session(source, clock, sinks=[seen], duration=20.0).run()
    assert seen.infos == 1
    assert status.t == pytest.approx(20.0, abs=0.25)
    assert clock.now() - 100.0 == pytest.approx((20.0 - 5.0) / 4, abs=0.1)
    for now, block in seen.blocks:
        assert block.t_end <= 5.0 + (now - 100.0) * 4 + 1e-6  # never early
    assert len(seen.blocks) > 100  # handed out as it comes due, not in one go


def test_simulate_writes_rows_as_savetxt_did_and_they_read_back(tmp_path):
    from kneadback.commands.simulate import write_csv
    from kneadback.simulate.render import render
    from kneadback.simulate.scenario import load_scenario
    from kneadback.sources.csvfile import read_csv

    r = render(load_scenario("noisy"), seed=5)  # a fast device clock: times off the 1/rate grid
    path = tmp_path / "noisy.csv"
    write_csv(r, path)
    ref = io.BytesIO()
    header = (path.read_text().split("time_s,adc\n")[0] + "time_s,adc").rstrip("\n")
    np.savetxt(ref, np.column_stack([r.t, r.adc]), fmt=("%.6f", "%d"), delimiter=",", header=header, comments="")
    assert path.read_bytes() == ref.getvalue()
    meta, t, adc, _imu = read_csv(path)
    assert meta["rate_hz"] == r.rate_hz and np.array_equal(adc, r.adc) and np.allclose(t, r.t, atol=5e-7, rtol=0)


_LINE = st.one_of(
    st.tuples(st.floats(0, 1e4, allow_nan=False), st.integers(0, 1023)).map(lambda r: f"{r[0]!r},{r[1]}"),
    st.sampled_from(["", "  ", "# note", "1,2 # why", "x,1", "1,2,3", "nan,1", "1e3,+4", " 2 ,\t5", "1_0,3", "\ufeff7,1"]),
    st.text(alphabet=",.0123456789e#\t \v\x1c\x85\u2028x", max_size=8),
)


@settings(max_examples=200, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(_LINE, max_size=40), end=st.sampled_from(["\n", "\r\n", "\r"]), data=st.data())
def test_any_file_reads_the_same_in_any_pieces_and_by_either_parser(tmp_path, monkeypatch, lines, end, data):
    from kneadback.sources import csvfile

    p = write(tmp_path, "time_s,adc" + end + end.join(lines) + data.draw(st.sampled_from(["", end])))
    whole = _outcome(p)
    for n in data.draw(st.lists(st.integers(1, 200), min_size=1, max_size=3)):
        assert _outcome(p, chunk_bytes=n) == whole
    with monkeypatch.context() as m:
        m.setattr(csvfile, "_parse_fast", lambda *a: None)
        assert _outcome(p) == whole
