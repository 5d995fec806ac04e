"""The plain-text fallback: one reading a line, in the formats number-printing sketches use."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kneadback.protocol.text import MAX_LINE, TextParser, TextProblem, parse_line

FAST = settings(max_examples=200, deadline=None, derandomize=True)


@pytest.mark.parametrize(
    "line, value",
    [
        ("512", 512),
        ("  512  ", 512),
        ("-3", -3),
        ("1023,17,4", 1023),
        ("1023 17 4", 1023),
        ("1023\t17\t4", 1023),
        ("1023;17", 1023),
        ("fsr:300", 300),
        ("fsr:300,ref:512", 300),
        ("fsr:300 ref:512", 300),
        ("fsr: 300\tref: 512", 300),
        ("Force_N:12.6", 12.6),
        ("2.5e2", 250),
    ],
)
def test_formats(line, value):
    assert parse_line(line) == pytest.approx(value)


@pytest.mark.parametrize("line", ["", "hello", "fsr:", "nan", "inf", "1e999", "A0=512"])
def test_lines_without_a_number(line):
    assert parse_line(line) is None


def test_numbers_too_large_for_a_reading_are_reported():
    out = TextParser().feed(b"2147483648.0\n-1e12\n2147483000\n")
    assert [type(o) for o in out] == [TextProblem, TextProblem, int]
    assert "out of range" in out[0].detail


def test_line_ends_and_partial_lines():
    p = TextParser()
    assert p.feed(b"51") == []
    assert p.feed(b"2\r") == [512]
    assert p.feed(b"\n513\n514\r515") == [513, 514]
    assert p.feed(b"\r\n") == [515]


def test_junk_is_reported_with_its_line_number():
    p = TextParser()
    out = p.feed(b"Starting up\r\n1\r\n\xff\xfe\r\n" + b"9" * (MAX_LINE + 1) + b"\r\n2\r\n")
    assert out[1] == 1 and out[-1] == 2
    problems = [o for o in out if isinstance(o, TextProblem)]
    assert [p.line for p in problems] == [1, 3, 4]
    assert "Starting up" in problems[0].detail and "longer than" in problems[2].detail


@FAST
@given(st.binary(max_size=2000), st.integers(1, 100))
def test_any_bytes_any_chunking(data, step):
    whole = TextParser().feed(data)
    p = TextParser()
    parts = [o for i in range(0, len(data), step) for o in p.feed(data[i : i + step])]
    assert parts == whole
    assert len(p._buf) <= MAX_LINE
