"""Plain-text boards: any sketch that prints numbers, one reading a line.

Accepted lines (the first number on a line is the reading; other columns are ignored):

- one number: ``512`` (``Serial.println(analogRead(A0))``);
- several numbers separated by commas, semicolons, spaces or tabs: ``512,3,77``;
- Arduino Serial Plotter pairs ``label:value``: ``fsr:512 other:3`` (the first pair's value).

Numbers may be integers or decimals and are rounded to whole counts. Lines end with LF, CR
or CRLF; blank lines are skipped. A line that holds no number (a banner, junk at a wrong baud
rate) comes back as a `TextProblem`, not an exception. Lines longer than `MAX_LINE` bytes are
dropped and reported, so endless junk costs bounded memory. A stream joined mid-line (a port
opened while the board prints, a reconnect) skips its first, partial line: half a number is
not a reading.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

MAX_LINE = 256
COUNT_LIMIT = 2**31 - 2  # readings are stored as int32

_LINE_END = re.compile(rb"[\r\n]")
_SPLIT = re.compile(r"[,;\s]+")
_LABEL_COLON = re.compile(r"\s*:\s*")


@dataclass(frozen=True)
class TextProblem:
    line: int  # 1-based line number in the stream
    detail: str


def parse_line(line: str) -> float | None:
    """The reading on one line, or None when it holds no number."""
    line = _LABEL_COLON.sub(":", line.strip())
    if not line:
        return None
    first = _SPLIT.split(line, maxsplit=1)[0]
    if ":" in first:
        first = first.rsplit(":", 1)[1]
    try:
        value = float(first)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


class TextParser:
    """Splits bytes into lines (any chunking) and parses each into a reading."""

    def __init__(self, mid_line: bool = False) -> None:
        self._buf = bytearray()
        self._overlong = False
        self._skip = mid_line  # the bytes up to the first line end are the tail of a line
        self.line_number = 0

    def resync(self) -> None:
        """The byte stream was cut (a reconnect): drop the unfinished line and the next
        line's head, so no reading is glued together from two halves."""
        self._buf.clear()
        self._overlong = False
        self._skip = True

    def feed(self, data: bytes) -> list[int | TextProblem]:
        """Readings (ints) and problems, in stream order, for every line completed by `data`."""
        out: list[int | TextProblem] = []
        pos = 0
        for m in _LINE_END.finditer(data):
            self._take(data, pos, m.start())
            self._end_line(out)
            pos = m.end()
        self._take(data, pos, len(data))
        return out

    def _take(self, data: bytes, start: int, end: int) -> None:
        if self._overlong:
            return
        if len(self._buf) + end - start > MAX_LINE:
            self._overlong = True
            self._buf.clear()
        else:
            self._buf += data[start:end]

    def _end_line(self, out: list[int | TextProblem]) -> None:
        raw = bytes(self._buf)
        self._buf.clear()
        if self._skip:
            self._skip = self._overlong = False
            return
        if self._overlong:
            self._overlong = False
            self.line_number += 1
            out.append(TextProblem(self.line_number, f"line {self.line_number} longer than {MAX_LINE} bytes"))
            return
        text = raw.decode("latin-1")
        if not text.strip():
            return  # blank line, or the LF of a CRLF
        self.line_number += 1
        value = parse_line(text) if text.isprintable() or "\t" in text else None
        shown = text.strip()[:40].encode("ascii", "backslashreplace").decode()
        if value is None:
            out.append(TextProblem(self.line_number, f"line {self.line_number} holds no number: {shown!r}"))
        elif not -COUNT_LIMIT <= value <= COUNT_LIMIT:
            out.append(TextProblem(self.line_number, f"line {self.line_number}: {shown!r} is out of range for a reading"))
        else:
            out.append(int(round(value)))
