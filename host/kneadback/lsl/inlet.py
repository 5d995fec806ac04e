"""`lsl:NAME`, `lsl:type=TYPE`, `lsl:source_id=ID`: a force stream from the Lab Streaming Layer.

A kneadback stream (another machine's `live --lsl`, or `replay --lsl`) carries its device's
description (`kneadback.lsl.meta`): the session gets the publisher's front end, rate and channels
and the same counts, so the engine sees what the publisher's engine sees. Any other stream of
numbers at a regular rate is read as a linear front end on its force channel (the one labelled
force, else the first): in newtons when its unit says N, else a relative force; a notice says so. A stream of strings, or at an irregular rate,
is no force signal: refused with one line.

Time: each sample's LSL timestamp with the inlet's clock correction applied (`proc_clocksync`:
liblsl measures the publisher's clock offset in the background and adds it to every sample, so a
stream from another machine lands on this machine's clock and no read waits for a clock probe).
No dejitter: a kneadback publisher stamps samples with their device time already, and liblsl's
dejitter fits the times to the sample count, which would smear a gap over the samples after it.
Session time is the timestamp less the first one; a step of more than `GAP_PERIODS` sample periods
counts the samples missing in it as lost, as a board's clock gap does.

A publisher that goes away (its process ends, the network drops) is a "disconnected" link event;
the source looks for the stream again (by its `source_id`, else as the spec names it) and says
"reconnected" once it is back, so the session handles it as a board's lost link. A publisher that
hangs just stops sending: the session calls that silent, with this source's hint.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from kneadback.clock import Clock
from kneadback.errors import InputError, SourceError
from kneadback.lsl import api
from kneadback.lsl.meta import StreamMeta, read_meta
from kneadback.model import Channel, DeviceInfo, LinkEvent, SampleBlock, SourceItem
from kneadback.sources.base import Source, SourceOptions

RESOLVE_S = 5.0  # seconds to find the stream a spec names
OPEN_S = 2.0  # seconds for an inlet to connect and fetch the stream's description
POLL_S = 0.05  # seconds between looks for a stream
RECONNECT_INTERVAL_S = 0.5  # clock seconds between attempts to reopen a lost stream
FORGET_S = 5.0  # a lost stream's own announcement may linger this long; only a newer one is it again
GAP_PERIODS = 3.0  # a timestamp step beyond this many sample periods is a gap: samples were lost
MAX_PULL = 4096  # samples one read takes at most
FOREIGN_STEP = 0.01  # a foreign stream's value per count: in N, 10 mN a count and 655 N full scale (16 bits)
FOREIGN_BITS = 16
BOARD = "LSL stream"  # what a stream is called where a board's name would be
KEYS = ("name", "type", "source_id")
USAGE = "lsl:NAME, lsl:type=TYPE or lsl:source_id=ID"


@dataclass(frozen=True)
class Query:
    """Which stream a spec names: by `name`, `type` or `source_id`."""

    key: str
    value: str

    @property
    def spec(self) -> str:
        return f"lsl:{self.value}" if self.key == "name" else f"lsl:{self.key}={self.value}"


def parse_query(rest: str, flag: str = "--source") -> Query:
    """`NAME`, `type=TYPE` or `source_id=ID` (what follows `lsl:`); InputError when empty."""
    key, eq, value = rest.partition("=")
    if not eq:
        key, value = "name", rest
    key, value = key.strip(), value.strip()
    if key not in KEYS:
        raise InputError(f"{flag} lsl:{rest}: name the stream by name, type or source_id ({USAGE})")
    if not value:
        raise InputError(f"{flag} lsl:{rest}: name the stream ({USAGE})")
    return Query(key, value)


def describe(info: Any) -> str:
    return f"{info.name()!r} ({info.type() or 'no type'}, {info.hostname()})"


class Finder:
    """Looks for a stream in the background (liblsl's continuous resolver), without blocking: it
    is waited for with the run's clock, and a lost stream is looked for while the session goes on.
    (liblsl's one-shot resolve may overrun its timeout by seconds when nothing answers.)"""

    def __init__(self, pylsl: Any, query: Query) -> None:
        self._resolver = pylsl.ContinuousResolver(prop=query.key, value=query.value, forget_after=FORGET_S)

    def found(self) -> list[Any]:
        return list(self._resolver.results())


def resolve(query: Query, clock: Clock, what: str = "", timeout: float | None = None) -> Any:
    """The stream `query` names, waiting up to `timeout` seconds of `clock` (real time, live: this
    is network I/O); it answers as soon as the stream does. SourceError (one line) when none
    answers, naming what did; or when several do (which one is meant is unclear). `what` names
    the spec in that line (default: the query as a source spec)."""
    what = what or query.spec
    timeout = RESOLVE_S if timeout is None else timeout
    pylsl = api.load()
    finder = Finder(pylsl, query)
    everything = pylsl.ContinuousResolver(forget_after=FORGET_S)  # what to list when it is not found
    end = clock.now() + timeout
    while not (found := finder.found()) and clock.now() < end:
        clock.sleep(POLL_S)
    if not found:
        seen = ", ".join(describe(i) for i in everything.results()) or "none"
        raise SourceError(f"{what}: no LSL stream with {query.key} {query.value!r} found in {timeout:g} s "
                          f"(streams seen: {seen}); check the name, and that the publisher runs within "
                          "the resolve scope (lsl.scope in config.toml)")
    ids = {i.source_id() or i.uid() for i in found}
    if len(ids) > 1:
        listed = ", ".join(f"{describe(i)} source_id {i.source_id()!r}" for i in found)
        raise SourceError(f"{what}: {len(ids)} streams match ({listed}); name one with lsl:source_id=ID")
    return found[0]


def check_force(meta: StreamMeta, spec: str, pylsl: Any) -> None:
    """A force signal is numbers at a regular rate: one line refuses anything else."""
    if meta.channel_format == pylsl.cf_string:
        raise SourceError(f"{spec}: stream {meta.name!r} carries strings, not a force signal "
                          "(for markers use --lsl-markers)")
    if not meta.sample_rate_hz > 0:
        raise SourceError(f"{spec}: stream {meta.name!r} has an irregular rate; a force signal needs a regular one")


@dataclass(frozen=True)
class Layout:
    """How a stream's columns become a `SampleBlock`: the force column, counts per value, and the
    further channels' columns."""

    info: DeviceInfo
    force_column: int
    per_value: float  # counts per stream value
    extra_columns: tuple[int, ...]
    extra_scales: np.ndarray | None = None  # unit per count of each further channel (published in its unit)
    note: str | None = None  # what the user should know about how the stream is read


def layout(meta: StreamMeta, channel_count: int, spec: str) -> Layout:
    """A kneadback stream gives its device as published; any other stream a linear front end."""
    if meta.is_kneadback and meta.kind == "force":
        return _kneadback_layout(meta, channel_count, spec)
    return _foreign_layout(meta, channel_count, spec)


def _number(text: str, default: float) -> float:
    try:
        return float(text)
    except ValueError:
        return default


def _kneadback_layout(meta: StreamMeta, channel_count: int, spec: str) -> Layout:
    major, _, minor = meta.protocol.partition(".")
    extras = meta.channels[2:channel_count]
    base = DeviceInfo(protocol_version=1, firmware_version="", board=BOARD, sample_rate_hz=meta.sample_rate_hz)
    info = DeviceInfo(
        protocol_version=int(_number(major, base.protocol_version)),
        protocol_minor=int(_number(minor, base.protocol_minor)),
        firmware_version="",
        board=meta.model or base.board,
        sample_rate_hz=meta.sample_rate_hz,
        adc_bits=int(_number(meta.adc_bits, base.adc_bits)),
        vref_mv=int(_number(meta.vref_mv, base.vref_mv)),
        divider_ohms=int(_number(meta.divider_ohms, base.divider_ohms)),
        front_end=meta.front_end or base.front_end,
        source=spec,
        serial_number=meta.serial_number or None,
        board_id=meta.device_id,
        channels=(base.channels[0], *(Channel(c.label, c.unit or "counts", c.scale) for c in extras)),
    )
    return Layout(info, 0, 1.0, tuple(range(2, 2 + len(extras))), np.array([c.scale for c in extras]))


def _foreign_layout(meta: StreamMeta, channel_count: int, spec: str) -> Layout:
    labels = [c.label.lower() for c in meta.channels[:channel_count]]
    column = next((i for i, label in enumerate(labels) if "force" in label), 0)
    channel = meta.channels[column] if column < len(meta.channels) else None
    newtons = channel is not None and channel.unit == "N"
    name = repr(channel.label) if channel is not None and channel.label else f"{column + 1}"
    info = DeviceInfo(
        protocol_version=1, firmware_version="", board=BOARD, sample_rate_hz=meta.sample_rate_hz,
        adc_bits=FOREIGN_BITS, front_end="linear", source=spec, board_id=meta.source_id,
        channels=(Channel("force-adc", "N" if newtons else "counts", FOREIGN_STEP),),
    )
    force = "the force in newtons, as the stream states" if newtons else "a relative force without a unit"
    note = (f"{spec}: {meta.name!r} is not a kneadback stream; its channel {name} is read as a linear "
            f"front end ({FOREIGN_STEP:g} {'N' if newtons else 'of its unit'} a count), {force}")
    return Layout(info, column, 1.0 / FOREIGN_STEP, (), note=note)


#: the numpy type liblsl writes each numeric channel format as (pylsl's cf_* codes)
_DTYPES = {1: np.float32, 2: np.float64, 4: np.int32, 5: np.int16, 6: np.int8, 7: np.int64}


class Timeline:
    """LSL timestamps to session time (0 at the first sample), with the samples missing in a gap
    counted as lost."""

    def __init__(self, rate_hz: float) -> None:
        self.period = 1.0 / rate_hz
        self.t0: float | None = None
        self.last: float | None = None  # session time of the latest sample
        self.next_index = 0

    def session_time(self, stamp: float) -> float | None:
        return None if self.t0 is None else stamp - self.t0

    def blocks(self, stamps: np.ndarray, adc: np.ndarray, extra: np.ndarray | None, arrival: float) -> list[SampleBlock]:
        """The samples as blocks, one more after each gap (a block's `lost` is its gap's)."""
        if not len(stamps):
            return []
        if self.t0 is None:
            self.t0 = float(stamps[0])
        t = np.asarray(stamps, dtype=np.float64) - self.t0
        if self.last is not None:  # a publisher stamped at arrival may jitter back: time never runs back
            t = np.maximum(t, self.last)
        t = np.maximum.accumulate(t)
        prev = np.concatenate(([t[0] if self.last is None else self.last], t[:-1]))
        missing = np.rint((t - prev) / self.period).astype(np.int64) - 1
        cuts = np.flatnonzero((t - prev) > GAP_PERIODS * self.period)
        out: list[SampleBlock] = []
        bounds = [0, *cuts.tolist(), len(t)]
        for start, end in zip(bounds[:-1], bounds[1:], strict=True):
            if end <= start:
                continue
            lost = int(missing[start]) if start in cuts else 0
            self.next_index += lost
            out.append(SampleBlock(t=t[start:end], adc=adc[start:end], first_index=self.next_index, lost=lost,
                                   t_arrival=arrival, extra=None if extra is None else extra[start:end]))
            self.next_index += end - start
        self.last = float(t[-1])
        return out


class LslSource(Source):
    """A force stream read from an LSL inlet."""

    def __init__(self, query: Query, stream: Any, options: SourceOptions) -> None:
        super().__init__(query.spec)
        self.query = query
        self.options = options
        self.clock = options.clock
        self._pylsl = api.load()
        self._stream = stream  # the resolved StreamInfo (no description yet)
        self._source_id: str = stream.source_id()
        self._inlet: Any = None
        self._layout: Layout | None = None
        self._timeline: Timeline | None = None
        self._buf = np.zeros((0, 0), dtype=np.float64)
        self._finder: Finder | None = None
        self._lost_uid: str | None = None
        self._lost_at = 0.0
        self._next_attempt = 0.0

    def session_time(self, stamp: float) -> float | None:
        """The session time of an LSL timestamp (this machine's clock), once a sample came."""
        return None if self._timeline is None else self._timeline.session_time(stamp)

    # --- Source ------------------------------------------------------------------------
    def _open(self) -> None:
        self._connect(self._stream)
        if self._layout is not None and self._layout.note and self.options.notice is not None:
            self.options.notice(self._layout.note)

    def _close(self) -> None:
        self._drop()
        self._finder = None

    def read(self, timeout: float = 0.05) -> list[SourceItem]:
        if self._inlet is None:
            return self._reconnect(timeout)
        try:
            _, stamps = self._inlet.pull_chunk(timeout=timeout, max_samples=MAX_PULL, dest_obj=self._buf,
                                               min_samples=1)
        except self._pylsl.util.LostError:
            return self._lost()
        n = len(stamps)
        if not n:
            return []
        assert self._layout is not None and self._timeline is not None
        values = self._buf[:n]
        lay = self._layout
        counts = np.nan_to_num(values[:, lay.force_column] * lay.per_value)  # a missing value (NaN) reads 0
        adc = np.rint(np.clip(counts, 0, lay.info.adc_full_scale)).astype(np.int32)  # as an ADC would clip
        extra = None
        if lay.extra_columns and lay.extra_scales is not None:  # back to the device's counts
            extra = np.rint(np.clip(values[:, list(lay.extra_columns)] / lay.extra_scales, -32768, 32767)).astype(np.int16)
        return list(self._timeline.blocks(np.asarray(stamps), adc, extra, self.clock.now()))

    def silence_hint(self, quiet_s: float, talked: bool) -> str:
        if talked:
            return f"{self.spec}: the stream sent nothing for {quiet_s:.0f} s; its publisher may have paused or hung"
        return (f"{self.spec}: the stream is there but sent nothing in {quiet_s:.0f} s; is its publisher "
                "streaming (a board that has not started, a paused replay)?")

    # --- internals ---------------------------------------------------------------------
    def _connect(self, stream: Any) -> None:
        """Open an inlet on `stream` and take its layout; SourceError when it cannot be read."""
        pylsl = self._pylsl
        inlet, meta = connect(stream, self.spec)
        try:
            check_force(meta, self.spec, pylsl)
        except SourceError:
            inlet.close_stream()
            raise
        lay = layout(meta, stream.channel_count(), self.spec)
        if self.options.front:
            lay = dataclasses.replace(lay, info=self.options.front.apply(lay.info))
        if self._timeline is None:
            self._timeline = Timeline(lay.info.sample_rate_hz)
        else:  # back after a gap: session time and the sample count go on; at the stream's rate now
            self._timeline.period = 1.0 / lay.info.sample_rate_hz
        self._inlet = inlet
        self._layout = lay
        self.info = lay.info
        self._buf = np.zeros((MAX_PULL, stream.channel_count()), dtype=_DTYPES[meta.channel_format])
        self._source_id = meta.source_id

    def _drop(self) -> None:
        inlet, self._inlet = self._inlet, None
        if inlet is not None:
            inlet.close_stream()

    def _event(self, kind: str, detail: str) -> LinkEvent:
        t = self._timeline.last if self._timeline is not None and self._timeline.last is not None else 0.0
        return LinkEvent(t=t, kind=kind, detail=detail)

    def _lost(self) -> list[SourceItem]:
        self._lost_uid = self._stream.uid()
        self._drop()
        now = self.clock.now()
        self._lost_at = now
        self._next_attempt = now
        query = Query("source_id", self._source_id) if self._source_id else self.query
        self._finder = Finder(self._pylsl, query)
        return [self._event("disconnected", f"{self.spec}: the stream went away, waiting for it…")]

    def _reconnect(self, timeout: float) -> list[SourceItem]:
        now = self.clock.now()
        if self._finder is None:  # closed
            return []
        if now < self._next_attempt:
            self.clock.sleep(min(timeout, self._next_attempt - now))
            return []
        self._next_attempt = now + RECONNECT_INTERVAL_S
        stale = now - self._lost_at < FORGET_S
        found = [i for i in self._finder.found() if not (stale and i.uid() == self._lost_uid)]
        if not found:
            self.clock.sleep(min(timeout, RECONNECT_INTERVAL_S))
            return []
        old = self.info
        try:
            self._connect(found[0])
        except SourceError:
            return []
        self._stream, self._finder = found[0], None
        items: list[SourceItem] = [self._event("reconnected", f"{self.spec}: the stream is back")]
        if self.info is not None and self.info != old:
            items.append(self.info)
        return items


def connect(stream: Any, spec: str, *, recover: bool = False) -> tuple[Any, StreamMeta]:
    """An inlet on `stream`, connected, and the stream's full description; SourceError (one line)
    when the publisher does not answer. `recover`: liblsl reconnects a lost stream by itself,
    silently (a force source reconnects itself instead, to report the gap)."""
    pylsl = api.load()
    inlet = pylsl.StreamInlet(stream, max_buflen=60, recover=recover, processing_flags=pylsl.proc_clocksync)
    try:
        inlet.open_stream(timeout=OPEN_S)
        return inlet, read_meta(inlet.info(timeout=OPEN_S))
    except (pylsl.util.LostError, pylsl.util.TimeoutError):
        inlet.close_stream()
        raise SourceError(f"{spec}: stream {describe(stream)} did not answer within {OPEN_S:g} s") from None


def from_spec(rest: str, options: SourceOptions) -> LslSource:
    """The source for `lsl:…`. The stream is looked up and checked now, so a wrong name or a stream
    that is no force signal is the only line; its description gives the spot it is on."""
    query = parse_query(rest)
    stream = resolve(query, options.clock)
    inlet, meta = connect(stream, query.spec)
    inlet.close_stream()
    check_force(meta, query.spec, api.load())
    source = LslSource(query, stream, options)
    source.spot = meta.spot or None
    return source
