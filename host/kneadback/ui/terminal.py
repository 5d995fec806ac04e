"""Terminal sinks: the live status line and the JSON-lines printer.

`TerminalView` keeps one status line up to date: redrawn in place on a terminal (at most
`REDRAW_S` apart on the clock), or printed as a new line every `PIPE_LINE_S` of session time
or of the clock, whichever comes first (so it keeps coming while nothing arrives), when the
output is a pipe or a file. News (device info, a disconnect, a reconnect, a board reset, a
silent device's hint) is printed on lines of its own above it. The line is built from *parts*,
callables that turn the latest `LinkStatus` into a `Field` (a plain text is a detail) or None, in
order of importance; other views add their own parts with `add_part` (e.g. the stroke rate and
the coaching cue). On a terminal the line is fitted to its width, in colour (`statusline`).

`JsonLinesSink` prints one JSON object a line: ``info``, ``status``, ``error`` (link trouble),
``notice`` (the session's own news, e.g. a silent device) and every other event with its own
``type``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import IO, Any

from kneadback.clock import Clock
from kneadback.model import DeviceInfo, Event, LinkEvent, LinkStatus, Notice, to_json
from kneadback.sink import Sink
from kneadback.ui.statusline import Field, ansi_line, columns, fit, wants_colour

REDRAW_S = 0.2
PIPE_LINE_S = 1.0

#: a part of the status line: plain text (a detail), a `Field`, or None (nothing to show now)
StatusPart = Callable[[LinkStatus], "str | Field | None"]

#: link events worth a line of their own
NEWS_KINDS = frozenset({"disconnected", "reconnected", "reset", "pause", "mode", "newer-protocol"})


def describe_info(info: DeviceInfo) -> str:
    """One line about the device."""
    if not info.device_clock:
        how = "declared by --rate or its header line" if info.rate_source == "declared" else "estimated from arrival times"
        return f"text board on {info.source}: {info.sample_rate_hz:g} Hz ({how}), no device clock"
    version = f" firmware {info.firmware_version}" if info.firmware_version not in ("", "unknown") else ""
    rate = f"{info.sample_rate_hz:g} Hz" + (" (estimated)" if info.rate_source == "estimated" else "")
    where = f" on {info.source}" if info.source else ""
    return (
        f"{info.board}{version}{where}: {rate}, {info.adc_bits}-bit ADC at {info.vref_mv / 1000:g} V, "
        f"divider {info.divider_ohms} Ω"
    )


def _rate_part(st: LinkStatus) -> str:
    return "-- Hz" if st.rate_hz is None else f"{st.rate_hz:6.1f} Hz"


def _value_part(st: LinkStatus) -> str:
    return f"last {st.last_adc if st.last_adc is not None else '--':>4}"


def _counts_part(st: LinkStatus) -> str:
    return f"samples {st.samples}  lost {st.lost}  errors {st.errors}"


def link_part(st: LinkStatus) -> Field | None:
    """Link trouble, in red when nothing is measured (it outranks everything then)."""
    if st.state == "lost":
        return Field("device disconnected, waiting…", "disconnected", "off", core=True)
    if st.state == "silent":
        return Field(f"no data for {st.quiet_s:.0f} s", "no data", "off", core=True)
    if st.noisy:
        return Field("noisy connection", "noisy", "near")
    return None


class TerminalView(Sink):
    """The compact live status line."""

    def __init__(self, clock: Clock, out: IO[str] | None = None, *, tty: bool | None = None,
                 colour: bool | None = None, width: Callable[[], int] | None = None) -> None:
        """`tty`, `colour` and `width` (the terminal's columns) are found from `out` unless given."""
        self.clock = clock
        self.out = out if out is not None else sys.stdout
        self.tty = self.out.isatty() if tty is None else tty
        self.colour = wants_colour(self.tty) if colour is None else colour
        self.width = width if width is not None else lambda: columns(self.out)
        self.parts: list[StatusPart] = [_rate_part, _value_part, _counts_part, link_part]
        self.status: LinkStatus | None = None
        self._last_draw: float | None = None
        self._next_pipe_t = 0.0
        self._next_pipe_clock = 0.0
        self._width = 0  # of the line currently drawn in place

    def add_part(self, part: StatusPart, index: int | None = None) -> None:
        """Add a part to the status line (at the end, or before `index`)."""
        self.parts.insert(len(self.parts) if index is None else index, part)

    def fields(self, status: LinkStatus) -> list[Field]:
        """The status line's fields, most important first."""
        shown = (part(status) for part in self.parts)
        return [Field(f) if isinstance(f, str) else f for f in shown if f]

    def line(self, status: LinkStatus) -> str:
        """The whole status line, unfitted and plain (what a pipe gets)."""
        return ansi_line([(f, f.text) for f in self.fields(status)], colour=False)

    def print_news(self, text: str) -> None:
        """A line of its own above the status line."""
        self._clear()
        self.out.write(text + "\n")
        self.out.flush()
        self._redraw(force=True)

    # --- Sink --------------------------------------------------------------------------
    def on_info(self, info: DeviceInfo) -> None:
        self.print_news(describe_info(info))

    def on_events(self, events: Sequence[Event]) -> None:
        for ev in events:
            if isinstance(ev, LinkEvent) and ev.kind in NEWS_KINDS:
                self.print_news(f"[{ev.t:8.2f} s] {ev.detail or ev.kind}")

    def on_status(self, status: LinkStatus) -> None:
        self.status = status
        self._redraw()

    def on_notice(self, notice: Notice) -> None:
        self.print_news(notice.text)

    def close(self) -> None:
        if self.status is not None:
            self._redraw(force=True, final=True)
        if self.tty and self._width:
            self.out.write("\n")
            self.out.flush()
            self._width = 0

    # --- drawing -----------------------------------------------------------------------
    def _clear(self) -> None:
        if self.tty and self._width:
            self.out.write("\r" + " " * self._width + "\r")
            self._width = 0

    def _redraw(self, force: bool = False, final: bool = False) -> None:
        st = self.status
        if st is None:
            return
        if self.tty:
            now = self.clock.now()
            if not force and self._last_draw is not None and now - self._last_draw < REDRAW_S:
                return
            self._last_draw = now
            shown = fit(self.fields(st), self.width() - 1)  # a wrapped line cannot redraw in place
            visible = len(ansi_line(shown, colour=False))
            self.out.write("\r" + ansi_line(shown, self.colour) + " " * max(0, self._width - visible))
            self._width = visible
        else:
            now = self.clock.now()
            due = st.t >= self._next_pipe_t or now >= self._next_pipe_clock
            if not final and (force or not due):
                return
            self._next_pipe_t = st.t + PIPE_LINE_S
            self._next_pipe_clock = now + PIPE_LINE_S
            self.out.write(f"{st.t:8.2f} s  {self.line(st)}\n")
        self.out.flush()


class JsonLinesSink(Sink):
    """One JSON object a line, each with a "type"."""

    def __init__(self, out: IO[str] | None = None) -> None:
        self.out = out if out is not None else sys.stdout

    def write(self, obj: dict[str, Any]) -> None:
        self.out.write(to_json(obj) + "\n")
        self.out.flush()

    def on_info(self, info: DeviceInfo) -> None:
        self.write(info.to_dict())

    def on_events(self, events: Sequence[Event]) -> None:
        for ev in events:
            self.write(ev.to_dict())

    def on_status(self, status: LinkStatus) -> None:
        self.write(status.to_dict())

    def on_notice(self, notice: Notice) -> None:
        self.write(notice.to_dict())
