"""The plain-text fallback: one reading a line, in the formats number-printing sketches use."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kneadback.protocol.text import MAX_LINE, ArrivalRate, TextHeader, TextParser, TextProblem, parse_header, parse_line

FAST = settings(max_examples=200, deadline=None, derandomize=True)


def values(lines) -> list:
    return [line.value for line in lines]


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
        ("Force_N:12.6", 13),
        ("511.5", 512),  # half away from zero, as the conformance streams say
        ("-2.5", -3),
        (".5", 1),
    ],
)
def test_formats(line, value):
    assert parse_line(line) == value


@pytest.mark.parametrize(
    "line",
    ["", "hello", "fsr:", ":5", "nan", "inf", "1e999", "2.5e2", "A0=512", "12 apples", "configsip: 0, SPIWP:0xee"],
)
def test_lines_that_are_not_all_numbers(line):
    """An ESP32 ROM banner's `configsip: 0, SPIWP:0xee` gave a bogus reading of 0 before."""
    assert parse_line(line) is None


def test_numbers_too_large_for_a_reading_are_reported():
    out = values(TextParser().feed(b"2147483648.0\n-1e12\n-2147483646\n2147483000\n"))
    assert [type(o) for o in out] == [TextProblem, TextProblem, int, int]
    assert "not a reading" in out[0].detail


def test_line_ends_and_partial_lines():
    p = TextParser()
    assert p.feed(b"51") == []
    assert values(p.feed(b"2\r")) == [512]
    assert values(p.feed(b"\n513\n514\r515")) == [513, 514]
    assert values(p.feed(b"\r\n")) == [515]


def test_lines_end_where_they_end_in_the_stream():
    assert [line.end for line in TextParser().feed(b"1\r\n22\n333\r")] == [1, 5, 9]


def test_junk_is_reported_with_its_line_number_and_bytes_that_are_no_text_make_no_line():
    p = TextParser()
    out = values(p.feed(b"Starting up\r\n1\r\n\xff\xfe\r\n" + b"9" * (MAX_LINE + 1) + b"\r\n2\r\n"))
    assert out[1] == 1 and out[-1] == 2
    problems = [o for o in out if isinstance(o, TextProblem)]
    assert [p.line for p in problems] == [1, 3]
    assert "Starting up" in problems[0].detail and "longer than" in problems[1].detail


def test_a_zero_byte_drops_the_line_under_way():
    """A binary frame's bytes before its 0x00 are no reading, and the line after it is whole."""
    assert values(TextParser().feed(b"12\r\n34\x0256\x00789\r\n")) == [12, 789]


@pytest.mark.parametrize(
    "line, header",
    [
        ("# kneadback rate=200 divider=10000 front=fsr-low bits=10 vref=5000", TextHeader(200.0, 10000, "fsr-low", 10, 5000)),
        ("# kneadback", TextHeader()),
        ("# kneadback divider=4700 front=fsr-high extra=1", TextHeader(None, 4700, "fsr-high")),
        ("# kneadback rate=12.5", TextHeader(12.5)),
        ("# kneadback divider=2200", TextHeader(None, 2200, "fsr-low")),  # a divider is an FSR divider
        ("# kneadback divider=2200 front=linear", TextHeader(None, 2200, "linear")),  # unless told otherwise
    ],
)
def test_the_header_line(line, header):
    assert parse_header(line) == header
    assert values(TextParser().feed(line.encode() + b"\n")) == [header]


@pytest.mark.parametrize("line", ["# kneadback rate=0", "# kneadback rate=-5", "# kneadback front=piezo", "# kneadback rate"])
def test_a_bad_header_is_a_problem_line(line):
    assert isinstance(parse_header(line), str)
    (out,) = values(TextParser().feed(line.encode() + b"\n"))
    assert isinstance(out, TextProblem) and "header" in out.detail


def test_arrival_rate_uses_continuous_spans_only():
    """200 lines a second read every 20 ms; a 3 s replug and a 0.6 s stall whose backlog comes at
    once do not enter the estimate, which is then frozen."""
    r = ArrivalRate()
    at = 0.0
    for _ in range(40):  # 0.8 s
        at += 0.02
        r.add(at, 4)
    at += 3.0  # unplugged: nothing came
    r.cut()
    for _ in range(25):  # 0.5 s
        at += 0.02
        r.add(at, 4)
    at += 0.6  # the host stalled; 120 lines wait, then come at once
    r.add(at, 120)
    assert r.rate is None
    for _ in range(60):
        at += 0.02
        r.add(at, 4)
    assert r.rate == pytest.approx(200, rel=0.01)
    settled = r.rate
    r.add(at + 10.0, 1)
    r.add(at + 10.5, 1000)
    assert r.rate == settled


@FAST
@given(st.binary(max_size=2000), st.integers(1, 100))
def test_any_bytes_any_chunking(data, step):
    whole = TextParser().feed(data)
    p = TextParser()
    parts = [o for i in range(0, len(data), step) for o in p.feed(data[i : i + step])]
    assert parts == whole
    assert len(p._buf) <= MAX_LINE


def test_a_port_opened_mid_line_skips_the_first_line_but_not_a_header():
    """An Uno resets when its port opens and prints its header first: that line is whole."""
    assert values(TextParser(mid_line=True).feed(b"12\r\n34\r\n")) == [34]
    header = TextParser(mid_line=True).feed(b"# kneadback rate=200\r\n512\r\n")
    assert values(header) == [TextHeader(200.0), 512]
