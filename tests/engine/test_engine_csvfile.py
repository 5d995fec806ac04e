"""The `time_s,adc` CSV reader: blocks, gaps as lost samples, metadata, and one-line errors."""

from __future__ import annotations

import numpy as np
import pytest
from kneadback.errors import InputError
from kneadback.model import DeviceInfo, SampleBlock
from kneadback.sources.base import SourceOptions
from kneadback.sources.csvfile import CsvSource, from_spec


def write(tmp_path, text, name="rec.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def read_all(source):
    items = []
    with source:
        while not source.finished:
            items += source.read()
    return items


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
    info = read_all(CsvSource(p, rate_hz=500, divider_ohms=2200))[0]
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
