"""Plain-text boards: any sketch that prints numbers, one reading a line.

A reading line holds numbers only, separated by commas, semicolons, spaces or tabs, each maybe
with a label (Arduino Serial Plotter pairs ``label:value``); the first is the reading:

- one number: ``512`` (``Serial.println(analogRead(A0))``);
- columns: ``512,3,77``;
- labelled: ``fsr:512 other:3``.

Numbers are integers or decimals (no exponent), rounded half away from zero to whole counts.
A line that is not all numbers (``Booting...``, an ESP32 ROM banner's ``configsip: 0,
SPIWP:0xee``, ``12 apples``) is a `TextProblem`, and so is a line longer than `MAX_LINE` bytes
(dropped, so endless junk costs bounded memory). Lines end with LF, CR or CRLF; blank lines are
skipped, and bytes that are not text (not printable ASCII or tab) make no line: a 0x00 drops
the line under way (it ends a binary frame), and a line with such a byte is skipped. A stream
joined mid-line (a port opened while the board prints, a reconnect) skips its first, partial
line: half a number is not a reading.

A sketch may describe itself in one optional header line (firmware/PROTOCOL.md, "Plain-text
boards"): ``# kneadback rate=200 divider=10000 front=fsr-low bits=10 vref=5000``, every key
optional, unknown keys ignored; a divider without a front end is a low-side FSR divider. It
comes back as a `TextHeader`.

`ArrivalRate` estimates a text board's rate from when its lines arrive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kneadback.protocol.messages import FRONT_ENDS

MAX_LINE = 256
COUNT_LIMIT = 2**31 - 2  # readings are stored as int32

_LINE_END = re.compile(rb"[\r\n\x00]")
_SPLIT = re.compile(r"[,;\s]+")
_LABEL_COLON = re.compile(r"\s*:\s*")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)")
_HEADER = re.compile(r"# kneadback(\s|$)")


@dataclass(frozen=True)
class TextProblem:
    line: int  # 1-based line number in the stream
    detail: str


@dataclass(frozen=True)
class TextHeader:
    """What a ``# kneadback`` line declares (None where it does not say): rate in Hz, divider in
    ohms, front end, ADC bits, reference in mV."""

    rate: float | None = None
    divider: int | None = None
    front: str | None = None
    bits: int | None = None
    vref: int | None = None


@dataclass(frozen=True)
class Line:
    """One line's outcome and the stream offset of the byte that ended it."""

    value: int | TextProblem | TextHeader
    end: int


def is_text_byte(b: int) -> bool:
    """Printable ASCII or a tab."""
    return 32 <= b < 127 or b == 9


def _half_away(value: float) -> int:
    return int(value + 0.5) if value >= 0 else -int(-value + 0.5)


def parse_line(line: str) -> int | None:
    """The reading on one line, or None when it is not a line of numbers."""
    values = []
    for field in (f for f in _SPLIT.split(_LABEL_COLON.sub(":", line.strip())) if f):
        label, colon, number = field.rpartition(":")
        if (colon and not label) or not _NUMBER.fullmatch(number):
            return None
        values.append(float(number))
    if not values or abs(values[0]) > COUNT_LIMIT:
        return None
    return _half_away(values[0])


def parse_header(line: str) -> TextHeader | str:
    """The header a ``# kneadback`` line declares, or what is wrong with it."""
    found: dict[str, float] = {}
    front: str | None = None
    for word in line.split()[2:]:
        key, eq, value = word.partition("=")
        if not eq:
            return f"{word!r} is not key=value"
        if key == "front":
            if value not in FRONT_ENDS:
                return f"front={value} is not one of {', '.join(FRONT_ENDS)}"
            front = value
        elif key in ("rate", "divider", "bits", "vref"):
            if not _NUMBER.fullmatch(value) or value[0] in "+-" or (key == "rate" and float(value) <= 0):
                return f"{key}={value} is not a positive number"
            found[key] = float(value)
        # other keys: room to grow

    def whole(key: str) -> int | None:
        return int(found[key]) if key in found else None

    if front is None and "divider" in found:
        front = "fsr-low"  # a divider resistor means an FSR divider: the firmware's circuit unless told
    return TextHeader(found.get("rate"), whole("divider"), front, whole("bits"), whole("vref"))


class TextParser:
    """Splits bytes into lines (any chunking) and parses each into a reading."""

    def __init__(self, mid_line: bool = False) -> None:
        self._buf = bytearray()
        self._overlong = False
        self._skip = mid_line  # the bytes up to the first line end are the tail of a line
        self._pos = 0  # stream offset of the next byte
        self.line_number = 0

    def resync(self) -> None:
        """The byte stream was cut (a reconnect): drop the unfinished line and the next
        line's head, so no reading is glued together from two halves."""
        self._buf.clear()
        self._overlong = False
        self._skip = True

    def feed(self, data: bytes) -> list[Line]:
        """The outcome of every line completed by `data`, in stream order."""
        out: list[Line] = []
        pos = 0
        for m in _LINE_END.finditer(data):
            self._take(data, pos, m.start())
            if data[m.start()]:
                self._end_line(out, self._pos + m.start())
            else:  # a frame's end: its bytes were no text
                self._buf.clear()
                self._overlong = False
            pos = m.end()
        self._take(data, pos, len(data))
        self._pos += len(data)
        return out

    def _take(self, data: bytes, start: int, end: int) -> None:
        if self._overlong:
            return
        if len(self._buf) + end - start > MAX_LINE:
            self._overlong = True
            self._buf.clear()
        else:
            self._buf += data[start:end]

    def _end_line(self, out: list[Line], end: int) -> None:
        raw = bytes(self._buf)
        overlong = self._overlong
        self._buf.clear()
        self._overlong = False
        if self._skip:  # the tail of a line; but a whole header line is never a tail: a board that
            self._skip = False  # resets when the port opens prints its header first
            if not overlong and _HEADER.match(raw.decode("latin-1").strip()):
                self.line_number += 1
                out.append(Line(self._outcome(raw.decode("latin-1").strip()), end))
            return
        if overlong:
            self.line_number += 1
            out.append(Line(TextProblem(self.line_number, f"line {self.line_number} longer than {MAX_LINE} bytes"), end))
            return
        if not raw.strip() or not all(is_text_byte(b) for b in raw):
            return  # blank, or bytes that are no text (a frame's, noise): not a line
        self.line_number += 1
        out.append(Line(self._outcome(raw.decode("ascii").strip()), end))

    def _outcome(self, text: str) -> int | TextProblem | TextHeader:
        n = self.line_number
        shown = repr(text[:40])
        if _HEADER.match(text):
            header = parse_header(text)
            return header if isinstance(header, TextHeader) else TextProblem(n, f"line {n}: header {shown}: {header}")
        value = parse_line(text)
        if value is None:
            return TextProblem(n, f"line {n} is not a reading: {shown}")
        return value


GAP_MIN_S = 0.25  # arrival gaps shorter than this never end a span (a host reads every few tens of ms)
GAP_LINES = 5  # nor those shorter than this many line periods
FIRST_GAP_S = 1.0  # until a span has a period, a gap longer than this ends it
SETTLE_S = 2.0  # seconds of continuous arrival the estimate is made from, then frozen


class ArrivalRate:
    """A text board's rate from the arrival of its lines, robust to gaps, replugs and stalls.

    Arrivals are cut into spans of continuous arrival: a gap longer than `GAP_LINES` line
    periods (and than `GAP_MIN_S`) ends a span, as does a reconnect (`cut`). Within a span the
    lines after its first arrival came in the span's time, so the lines of a backlog read after a
    stall (a span's first arrival) do not count. The rate is lines over seconds, summed over the
    spans, once they hold `SETTLE_S` seconds; then it is final.
    """

    def __init__(self) -> None:
        self._lines = 0  # lines after the first arrival, in the spans before the current one
        self._seconds = 0.0
        self._span: tuple[float, float, int] | None = None  # first arrival, last arrival, lines since first
        self.rate: float | None = None

    def add(self, arrival: float, lines: int) -> None:
        """`lines` more lines arrived at `arrival`."""
        if self.rate is not None or lines <= 0:
            return
        if self._span is not None:
            first, last, count = self._span
            limit = FIRST_GAP_S if not count else max(GAP_MIN_S, GAP_LINES * (last - first) / count)
            if arrival - last > limit:
                self.cut()
        if self._span is None:
            self._span = (arrival, arrival, 0)
            return
        first, _, count = self._span
        self._span = (first, arrival, count + lines)
        seconds = self._seconds + arrival - first
        if seconds >= SETTLE_S:
            self.rate = (self._lines + count + lines) / seconds

    def cut(self) -> None:
        """The current span ends (a gap, a reconnect)."""
        if self._span is not None:
            first, last, count = self._span
            self._lines += count
            self._seconds += last - first
            self._span = None
