"""The overview of many tools: what each kneadback tool on LSL is doing, one tile (or line) each.

`Overview` holds one `Tool` per device, built only from the tools' markers streams
(`kneadback.lsl.meta`): the `status` marker each second of session time carries what a tile
shows, and the cue, stroke and spot markers in between keep it fresh. The 1 kHz force streams are
never pulled: their stream info alone names the tool's sample rate. A tool whose markers stop
coming for `LOST_S` is shown greyed out with how long ago it was last heard; a tool that comes
back under the same `source_id` takes its tile again.

`LslWatcher` finds the streams (a continuous resolver, in liblsl's own thread) and pulls what
came without blocking; `OverviewTable` prints the tools as terminal lines in the zone colours of
the status line (`kneadback.ui.statusline`). The window is `kneadback.ui.overview_window`.
"""

from __future__ import annotations

import math
import socket
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from kneadback.clock import Clock
from kneadback.cues import CUES
from kneadback.event_types import EventType
from kneadback.fsr import TRUST_WORDS
from kneadback.lsl.meta import ID_PREFIX, STATUS, parse_marker, read_meta
from kneadback.ui.dashboard import zones
from kneadback.ui.dashboard.zones import CUE_FRESH_S, PEAK_FRESH_S, Zone
from kneadback.ui.force_words import ForceWords
from kneadback.ui.shown_cue import ShownCue, shown
from kneadback.ui.statusline import Field, ansi_line, columns, fit, wants_colour
from kneadback.ui.terminal import PIPE_LINE_S, REDRAW_S
from kneadback.words import mmss

#: no marker for this long (a status comes each second of session time): the tool is lost
LOST_S = 3.0


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _band(value: object) -> tuple[float, float] | None:
    if isinstance(value, (list, tuple)) and len(value) == 2:
        lo, hi = _number(value[0]), _number(value[1])
        if lo is not None and hi is not None:
            return lo, hi
    return None


@dataclass
class Tool:
    """One tool as the overview last heard of it; `seen` is on the overview's clock, `t` and the
    cue's `cue_t` on the tool's session time. The zones are the dashboard's (`zones`)."""

    key: str  # the device id of its streams' `source_id`, and the machine they come from
    name: str
    seen: float
    t: float = 0.0
    spot: str = ""
    rate_spm: float | None = None
    rate_band: tuple[float, float] | None = None
    peak_n: float | None = None  # the last stroke's peak
    peak_t: float | None = None  # and when it was, once a stroke marker said so
    pressure_band: tuple[float, float] | None = None
    force_ceiling: float | None = None
    holding: bool = False
    words: ForceWords = field(default_factory=ForceWords)
    bout_s: float | None = None  # the bout's active time so far
    bout_left_s: float | None = None
    bout_active: bool = False
    bout_phase: str | None = None
    cue_kind: str = ""
    cue_said: str = ""  # the cue's text as given (`cue_text` is what is shown now)
    cue_t: float = 0.0
    sample_rate_hz: float | None = None
    markers: int = 0

    def lost(self, now: float) -> bool:
        """Heard, and then no more for `LOST_S` (a tool found but not heard yet is only waiting)."""
        return self.markers > 0 and now - self.seen > LOST_S

    @property
    def rate_zone(self) -> Zone:
        return zones.zone(self.rate_spm, self.rate_band)

    @property
    def pressure(self) -> float | None:
        """The last stroke's peak while it is recent (as the dashboard's readout), else None."""
        if self.peak_t is None or self.t - self.peak_t > PEAK_FRESH_S:
            return None
        return self.peak_n

    @property
    def pressure_zone(self) -> Zone:
        return zones.pressure_zone(self.pressure, self.pressure_band, self.force_ceiling, self.holding)

    @property
    def bout_zone(self) -> Zone:
        return zones.countdown_zone(self.bout_left_s) if self.bout_active else "none"

    @property
    def _shown(self) -> ShownCue | None:
        """The cue as shown now (`kneadback.ui.shown_cue`), as on the dashboard's banner."""
        return shown(self.cue_kind, self.cue_said, self.bout_phase, self.bout_left_s) if self.cue_kind else None

    @property
    def cue_headline(self) -> str:
        cue = self._shown
        return cue.headline if cue is not None else ""

    @property
    def cue_text(self) -> str:
        cue = self._shown
        return cue.text if cue is not None else ""

    @property
    def cue_zone(self) -> Zone:
        """The cue's severity colour while it is fresh (as on the dashboard's banner)."""
        cue = CUES.get(self.cue_kind)
        if cue is None or self._shown is None or self.t - self.cue_t > CUE_FRESH_S:
            return "none"
        return zones.SEVERITY_ZONE.get(cue.severity, "none")

    def take(self, marker: Mapping[str, Any]) -> None:
        """Absorb one marker (a `parse_marker` object); markers of other types change nothing."""
        kind = marker.get("type")
        self.t = max(self.t, _number(marker.get("t")) or _number(marker.get("t_confirmed")) or 0.0)
        if kind == STATUS:
            self.spot = str(marker.get("spot") or self.spot)
            self.rate_spm = _number(marker.get("rate_spm"))
            self.rate_band = _band(marker.get("rate_band"))
            self.peak_n = _number(marker.get("peak_n"))
            self.pressure_band = _band(marker.get("pressure_band"))
            self.force_ceiling = _number(marker.get("force_ceiling"))
            self.holding = bool(marker.get("holding"))
            trust = marker.get("force_trust")
            if isinstance(trust, str) and trust in TRUST_WORDS:
                self.words = ForceWords(trust, _number(marker.get("relative_ceiling")))
            self.bout_active = bool(marker.get("bout_active"))
            self.bout_s = _number(marker.get("bout_elapsed_s"))
            self.bout_left_s = _number(marker.get("bout_left_s"))
            phase = marker.get("bout_phase")
            self.bout_phase = phase if isinstance(phase, str) else None
            cue = marker.get("cue")
            if isinstance(cue, Mapping):
                self._cue(cue)
        elif kind == EventType.CUE:
            self._cue(marker)
        elif kind == EventType.STROKE:
            self.rate_spm = _number(marker.get("rate_spm")) or self.rate_spm
            self.peak_n, self.peak_t = _number(marker.get("peak_n")), _number(marker.get("t_peak"))
        elif kind == EventType.SPOT:
            self.spot = str(marker.get("spot") or self.spot)

    def _cue(self, cue: Mapping[str, Any]) -> None:
        self.cue_kind = str(cue.get("kind") or "")
        self.cue_said = str(cue.get("text") or "")
        self.cue_t = _number(cue.get("t")) or 0.0


@dataclass
class Overview:
    """Every tool found so far, in the order they were found."""

    clock: Clock
    tools: dict[str, Tool] = field(default_factory=dict)
    #: news for the terminal: a tool found, lost or back
    on_news: Callable[[str], None] | None = None
    _lost: set[str] = field(default_factory=set)

    def found(self, key: str, name: str) -> Tool:
        """The tool of device `key`, added (and announced) when new."""
        tool = self.tools.get(key)
        if tool is None:
            tool = self.tools[key] = Tool(key, name, self.clock.now())
            self._say(f"found tool {name}")
        return tool

    def take(self, key: str, name: str, marker: Mapping[str, Any]) -> None:
        """A marker from the tool of device `key`: it is alive now."""
        tool = self.found(key, name)
        tool.take(marker)
        tool.markers += 1
        tool.seen = self.clock.now()
        if key in self._lost:
            self._lost.discard(key)
            self._say(f"tool {tool.name} is back")

    def check(self) -> None:
        """Note the tools that went quiet (once each)."""
        now = self.clock.now()
        for key, tool in self.tools.items():
            if key not in self._lost and tool.lost(now):
                self._lost.add(key)
                self._say(f"lost tool {tool.name}")

    def _say(self, text: str) -> None:
        if self.on_news is not None:
            self.on_news(text)


# --- what a tile or a line says -------------------------------------------------------------------


WAITING = "found, waiting for its first status"


def ago_text(seconds: float) -> str:
    """How long ago a lost tool was heard: "12 s ago", "3 min ago"."""
    if seconds < 120:
        return f"{seconds:.0f} s ago"
    return f"{seconds / 60:.0f} min ago"


def rate_text(tool: Tool) -> str:
    return "–" if tool.rate_spm is None else f"{tool.rate_spm:.0f}/min"


def pressure_text(tool: Tool) -> str:
    if tool.holding:
        return "HOLD"
    return "–" if tool.pressure is None else tool.words.force(tool.pressure).strip()


def bout_text(tool: Tool) -> str:
    return "–" if tool.bout_s is None else mmss(tool.bout_s)


def tool_fields(tool: Tool, now: float) -> list[Field]:
    """One tool as status-line fields, most important first; a lost tool is all plain."""
    name = tool.name
    if not tool.markers:
        return [Field(name, core=True), Field(WAITING, core=True)]
    if tool.lost(now):
        return [Field(name, core=True), Field(f"lost, last heard {ago_text(now - tool.seen)}", "lost", "off", core=True),
                Field(f"spot {tool.spot or '–'}")]
    cue = f"{tool.cue_headline}: {tool.cue_text}" if tool.cue_text else tool.cue_headline
    return [
        Field(name, core=True),
        Field(f"rate {rate_text(tool)}", rate_text(tool), tool.rate_zone, core=True),
        Field(f"pressure {pressure_text(tool)}", pressure_text(tool), tool.pressure_zone, core=True),
        Field(f"spot {tool.spot or '–'}", tool.spot or None),
        *([Field(f"{tool.sample_rate_hz:g} Hz")] if tool.sample_rate_hz else []),
        Field(f"bout {bout_text(tool)}", bout_text(tool), tool.bout_zone),
        *([Field(cue, tool.cue_headline, tool.cue_zone)] if cue else []),
    ]


class OverviewTable:
    """The tools as terminal lines: redrawn in place on a terminal, printed again every
    `PIPE_LINE_S` on a pipe or file; news on lines of their own above (as `TerminalView`)."""

    def __init__(self, overview: Overview, out: IO[str] | None = None, *, tty: bool | None = None,
                 colour: bool | None = None, width: Callable[[], int] | None = None) -> None:
        self.overview = overview
        self.out = out if out is not None else sys.stdout
        self.tty = self.out.isatty() if tty is None else tty
        self.colour = wants_colour(self.tty) if colour is None else colour
        self.width = width if width is not None else lambda: columns(self.out)
        self._drawn = 0  # lines drawn in place
        self._last: float | None = None

    def lines(self, colour: bool = False, width: int | None = None) -> list[str]:
        now = self.overview.clock.now()
        tools = list(self.overview.tools.values())
        if not tools:
            return ["looking for kneadback tools on LSL…"]
        rows = [tool_fields(t, now) for t in tools]
        if width is None:
            return [ansi_line([(f, f.text) for f in row], colour) for row in rows]
        return [ansi_line(fit(row, width - 1), colour) for row in rows]

    def news(self, text: str) -> None:
        self._clear()
        self.out.write(text + "\n")
        self.out.flush()
        self._last = None

    def draw(self, final: bool = False) -> None:
        now = self.overview.clock.now()
        wait = REDRAW_S if self.tty else PIPE_LINE_S
        if not final and self._last is not None and now - self._last < wait:
            return
        self._last = now
        if self.tty:
            self._clear()
            lines = self.lines(self.colour, self.width())
            self.out.write("\n".join(lines) + "\n")
            self._drawn = len(lines)
        else:
            self.out.write("".join(line + "\n" for line in self.lines()) + ("\n" if len(self.overview.tools) > 1 else ""))
        self.out.flush()

    def _clear(self) -> None:
        if self.tty and self._drawn:
            self.out.write(f"\x1b[{self._drawn}F\x1b[J")  # up to the first line drawn, erase to the end
            self._drawn = 0


# --- finding the tools on LSL -------------------------------------------------------------------


class LslWatcher:
    """Finds kneadback's streams on LSL and pulls the markers that came, without blocking."""

    #: kneadback's streams: their `source_id` starts so (`kneadback.lsl.meta`)
    PREDICATE = f"starts-with(source_id,'{ID_PREFIX}:')"
    RESOLVE_S = 1.0  # how often the resolver's list of streams is read

    def __init__(self, overview: Overview) -> None:
        from kneadback.lsl import api

        self.overview = overview
        self.lsl = api.load()
        self.resolver = self.lsl.ContinuousResolver(pred=self.PREDICATE)
        self.inlets: dict[str, tuple[Any, str]] = {}  # tool → (its markers inlet, its name)
        self._resolved: float | None = None

    def poll(self) -> None:
        """Open an inlet for each new markers stream, and hand the overview what came."""
        now = self.overview.clock.now()
        if self._resolved is None or now - self._resolved >= self.RESOLVE_S:
            self._resolved = now
            self._resolve()
        for key, (inlet, name) in self.inlets.items():
            samples, _ = inlet.pull_chunk(timeout=0.0)
            for sample in samples:
                try:
                    marker = parse_marker(sample[0])
                except ValueError:
                    continue  # not one of kneadback's markers: nothing a tile shows
                self.overview.take(key, name, marker)
        self.overview.check()

    def _resolve(self) -> None:
        here = socket.gethostname()
        for info in self.resolver.results():
            meta = read_meta(info)
            key = f"{meta.device_id}@{meta.hostname}"  # a port's name (a board without an id) recurs on other machines
            name = meta.tool_name if meta.hostname in ("", here) else f"{meta.tool_name} on {meta.hostname}"
            if meta.kind == "force":
                self.overview.found(key, name).sample_rate_hz = meta.sample_rate_hz
            elif meta.kind == "markers" and key not in self.inlets:
                self.overview.found(key, name)
                self.inlets[key] = (self.lsl.StreamInlet(info, recover=True), name)

    def close(self) -> None:
        for inlet, _ in self.inlets.values():
            inlet.close_stream()
        self.inlets.clear()
