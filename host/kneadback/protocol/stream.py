"""From bytes to source items: the one place where a device's byte stream becomes samples.

`DeviceStream.feed(data, t_arrival)` takes bytes in any chunking and returns `SampleBlock`,
`DeviceInfo`, `DeviceStatus` and `LinkEvent` values in stream order. It is the receiver of
`firmware/PROTOCOL.md` ("The receiver: stream state", "Plain-text boards"):

- it detects binary protocol 1.x or plain text by itself (`detect_mode`), and a text stream
  turns binary at its `SWITCH_FRAMES`th valid HELLO or DATA frame ("mode" event), so a boot
  banner before the frames does no harm;
- device µs become session seconds (0 at the first sample): the u32 is unwrapped and clock
  drift corrected (`timebase.DeviceTimebase`);
- loss within a run is counted from time alone, at the frame's rate (1.1: the DATA trailer's;
  1.0: HELLO's, updated by STATUS); without a rate the board said, none is counted;
- a pause is a "pause" event, never a loss: 1.1, a new `run`; 1.0, from ACK(STOP) or
  STATUS(streaming off) to the next DATA;
- a board reset (1.1: a new boot id in HELLO or DATA; 1.0: the sequence restarting after HELLO,
  or near 0 while the clock steps back, or a clock that steps back) is a "reset" event and a
  new segment of the same session: no lost samples, and session time that keeps going forward
  (by arrival time);
- a HELLO of another major version is refused (`refusal`: nothing more is decoded); a newer
  minor is used and said once ("newer-protocol");
- every bad frame is counted and never used; a run of bad frames comes back as one `LinkEvent`
  per kind with its `count` (when a good message follows, or every `TROUBLE_BYTES`), so a line
  full of garbage does not flood the listeners;
- a text board's sample times come from its declared rate (``--rate``, its ``# kneadback``
  header) or one estimated from arrival times (`text.ArrivalRate`).

Samples, sample times, loss counts and events depend only on the bytes (and, through drift
estimation, resets and text rates, on arrival times), never on how the bytes were split.
Consecutive DATA frames without loss between them that arrive in one `feed` come back as one
`SampleBlock` (split every `MAX_BLOCK_S`, so a backlog read at once still flows in steps).

With a `trace` list, the stream also appends each of its decisions there as the conformance
suite's events (firmware/test/README.md), at the point it takes it: `kneadback.protocol.
conformance` prints them.
"""

from __future__ import annotations

import collections
import dataclasses
import heapq
from typing import Any

import numpy as np

from kneadback.model import Command, DeviceInfo, DeviceStatus, LinkEvent, SampleBlock, SourceItem
from kneadback.protocol.decoder import BadFrame, Decoded, Frame, FrameDecoder
from kneadback.protocol.messages import (
    CHANNEL_KINDS,
    PROTOCOL_MINOR,
    PROTOCOL_VERSION,
    STOP,
    Ack,
    Data,
    Hello,
    Pong,
    Status,
)
from kneadback.protocol.text import ArrivalRate, Line, TextHeader, TextParser, TextProblem, is_text_byte
from kneadback.protocol.timebase import DeviceTimebase

DETECT_LIMIT = 512  # bytes without a decision after which a stream is taken as binary
TEXT_LINE_ENDS = 4  # clean line ends that make a stream text
SWITCH_FRAMES = 2  # valid HELLO or DATA frames that move a text stream to binary
SWITCH_HOLD = 64  # frame outcomes held at most in text mode while waiting for the next valid frame
SEQ_NEAR_ZERO = 64  # 1.0: a sequence restarting below this while the clock steps back is a reset
FALLBACK_RATE = 100.0  # a stream that never says or shows its rate
TEXT_HOLD_MAX = 20_000  # text samples held at most while waiting for a rate estimate
TROUBLE_BYTES = 4096  # a run of bad frames is reported at least every this many bytes
TROUBLE_LINES = 64  # and of bad text lines, every this many lines
MAX_BLOCK_S = 0.25  # a backlog read at once still comes in blocks of at most this span

def detect_mode(head: bytes | bytearray) -> str | None:
    """"binary", "text", or None when `head` (the first bytes of a stream) cannot tell yet.

    A 0x00 that ends a chunk of at least 3 bytes means binary (every frame is one). A zero
    after fewer bytes is taken as a glitch (some USB-serial chips send one when the port
    opens) or a sender's leading delimiter. `TEXT_LINE_ENDS` line ends with only printable
    ASCII between them mean text. After `DETECT_LIMIT` bytes it is binary. The decision is made
    at the earliest byte that settles it, so it does not depend on chunking.
    """
    clean = 0
    run = 0  # bytes since the last 0x00
    for i, b in enumerate(head):
        if b == 0:
            if run >= 3:
                return "binary"
            run = clean = 0
        else:
            run += 1
            if b in (10, 13):
                clean += 1
                if clean >= TEXT_LINE_ENDS:
                    return "text"
            elif not is_text_byte(b):
                clean = 0
        if i + 1 >= DETECT_LIMIT:
            return "binary"
    return None


def refusal_text(where: str, major: int) -> str:
    """The one line a user reads for a board of another major protocol version."""
    if major > PROTOCOL_VERSION:
        update = f"update kneadback to a version that reads protocol {major}"
    else:
        update = "update the board's firmware (see firmware/README.md)"
    return f"{where}: the board speaks protocol {major}.x, this kneadback reads {PROTOCOL_VERSION}.x: {update}"


def _position(item: Line | Decoded) -> int:
    """Where an outcome ends in the stream: a line's end byte, a chunk's delimiter."""
    return item.end if isinstance(item, Line) else item.offset + item.size


class _Run:
    """Samples of consecutive DATA frames, gathered into one block at the end of a feed."""

    def __init__(self, first_index: int, lost: int, t_arrival: float, t_start: float) -> None:
        self.first_index = first_index
        self.lost = lost
        self.t_arrival = t_arrival
        self.t_start = t_start
        self.t: list[np.ndarray] = []
        self.adc: list[np.ndarray] = []
        self.dev: list[np.ndarray] = []
        self.extra: list[np.ndarray] = []

    def block(self) -> SampleBlock:
        one = len(self.t) == 1
        return SampleBlock(
            t=self.t[0] if one else np.concatenate(self.t),
            adc=self.adc[0] if one else np.concatenate(self.adc),
            first_index=self.first_index,
            lost=self.lost,
            t_device_us=np.concatenate(self.dev).astype(np.uint32) if self.dev else None,
            t_arrival=self.t_arrival,
            extra=np.concatenate(self.extra) if self.extra and len(self.extra) == len(self.t) else None,
        )


class DeviceStream:
    """Bytes from one device (binary protocol 1.x or text) in, source items out."""

    def __init__(
        self,
        spec: str,
        declared_rate: float | None = None,
        *,
        serial_number: str | None = None,
        mid_stream: bool = False,
        real_time: bool = True,
        trace: list[dict[str, Any]] | None = None,
    ) -> None:
        """`mid_stream`: the bytes may begin in the middle of what the device sends (a port
        opened while it streams), so a text stream skips its first, partial line.
        `real_time`: the bytes arrive as the device makes them, so arrival times may correct
        the device clock's drift; False for an emulated board run faster or slower than real
        time, whose clock is then taken as exact (and the result does not depend on load).
        `trace`: a list the stream's decisions are appended to, as conformance events."""
        self.spec = spec
        self.real_time = real_time
        self.declared_rate = declared_rate
        self.serial_number = serial_number
        self.trace = trace
        self.mode: str | None = None
        self.info: DeviceInfo | None = None
        self.counts: collections.Counter[str] = collections.Counter()  # bad frames by kind
        self.bytes_in = 0
        self.samples = 0
        self.lost = 0
        self.resets = 0
        self.last_ack: Ack | None = None
        self.last_pong: Pong | None = None
        self.refused_major: int | None = None  # a HELLO of another major version: nothing more is decoded
        self._head = bytearray()
        self._decoder = FrameDecoder()
        self._out: list[SourceItem] = []
        self._trouble: dict[str, list] = {}  # bad frames in a row: kind -> [count, first detail]
        self._trouble_start: int | None = None
        self._arrival = 0.0
        self._run: _Run | None = None
        self._next_index = 0
        self._t_last: float | None = None  # session time of the last sample delivered
        # binary
        self._tb: DeviceTimebase | None = None
        self._new_boot = False  # a reset was seen: the next DATA starts a new segment
        self._said_rate: int | None = None  # 1.0: the rate HELLO or STATUS said
        self._shown_rate: float | None = None  # 1.0 before any said one: the rate the timestamps show
        self._noted_rate: float | None = None  # the rate of the last DATA frame, as reported
        self._v11 = False  # the board sends the 1.1 trailer (or said minor 1 in HELLO)
        self._hello_seen = False
        self._hello_since_data = False
        self._channels: int | None = None  # n_channels from a 1.1 HELLO
        self._boot16: int | None = None  # low 16 bits of the current boot id
        self._boot_id: int | None = None  # all of it, when a HELLO of this boot said it
        self._boot_run: int | None = None  # the run of the last 1.1 DATA frame
        self._paused = False  # 1.0: ACK(STOP) or STATUS(off) came, no DATA yet
        self._active = False  # 1.0: DATA came since the last pause or reset
        self._last_seq: int | None = None
        self._told_newer = False
        # text
        self._text = TextParser(mid_line=mid_stream)
        self._held_frames: list[Decoded] = []  # text mode: outcomes from the first valid frame on
        self._header: TextHeader | None = None
        self._text_rate = ArrivalRate()
        self._text_noted_rate: float | None = None
        self._text_held: list[int] = []
        self._text_t_next = 0.0
        self._text_lag: float | None = None  # smallest arrival − session time of a text sample
        self._text_catch_up = False  # after a reconnect: session time moves on to the arrivals

    # --- public ------------------------------------------------------------------------
    @property
    def needs_info(self) -> bool:
        """True for a binary stream whose DATA came without a HELLO (ask with GET_INFO)."""
        return self.mode == "binary" and self._tb is not None and not self._hello_seen

    @property
    def refusal(self) -> str | None:
        """The one line to tell the user when the board speaks another major version."""
        return None if self.refused_major is None else refusal_text(self.spec, self.refused_major)

    @property
    def t_last(self) -> float:
        return self._t_last if self._t_last is not None else 0.0

    def feed(self, data: bytes, t_arrival: float) -> list[SourceItem]:
        """Items for `data`, in stream order."""
        self._arrival = t_arrival
        self.bytes_in += len(data)
        if self.refused_major is not None:
            return []
        if self.mode is None:
            self._head += data
            mode = detect_mode(self._head)
            if mode is None:
                return []
            self._set_mode(mode)
            data = bytes(self._head)
            self._head.clear()
        lines = self._text.feed(data) if self.mode == "text" else []
        readings = 0
        for item in heapq.merge(lines, self._decoder.feed(data), key=_position):
            if self.refused_major is not None:
                break
            if isinstance(item, Line):
                if self.mode == "text":
                    readings += self._text_line(item.value)
            elif self.mode == "text":
                self._text_chunk(item)
            else:
                self._chunk(item)
        if self.mode == "text":
            self._text_arrived(readings)
        return self._take()

    def flush(self, t_arrival: float) -> list[SourceItem]:
        """Deliver whatever is held back (the stream ended): text waiting for its rate estimate."""
        self._arrival = t_arrival
        if self.mode == "text":
            self._text_release(final=True)
        self._report_trouble()
        return self._take()

    def reconnected(self, t_arrival: float) -> list[SourceItem]:
        """The link was cut and is back: an unfinished frame is reported and dropped. The
        device clock (if any) carries on, so lost samples are counted from the time gap; a text
        board's session time moves on to the arrivals, and its rate is kept."""
        self._arrival = t_arrival
        cut = self._decoder.reset()
        if self.mode == "text":
            self._text.resync()
            self._text_rate.cut()
            self._text_catch_up = True
        elif self.mode is None:
            self._head.clear()
        else:
            for item in cut:
                self._bad(item.kind, f"{item.detail} (byte {item.offset})", item.offset, TROUBLE_BYTES)
            self._report_trouble()
        return self._take()

    def event(self, kind: str, detail: str = "", count: int = 1) -> LinkEvent:
        """A link event stamped with the current session time."""
        return LinkEvent(t=self.t_last, kind=kind, count=count, detail=detail)

    # --- binary ------------------------------------------------------------------------
    def _chunk(self, item: Decoded) -> None:
        """A frame outcome of a binary stream."""
        if isinstance(item, BadFrame):
            self._bad(item.kind, f"{item.detail} (byte {item.offset})", item.offset, TROUBLE_BYTES)
            return
        msg = item.message
        if isinstance(msg, Command):
            return  # host→device commands (a loopback echoes ours) are not for us
        self._report_trouble()
        if isinstance(msg, Data):
            self._data(msg)
        elif isinstance(msg, Hello):
            self._hello(msg)
        elif isinstance(msg, Status):
            self._status(msg)
        elif isinstance(msg, Ack):
            self.last_ack = msg
            self._note("ack", command=msg.command, result=msg.result)
            if msg.command == STOP and not self._v11:
                self._pause_1_0()
        elif isinstance(msg, Pong):
            self.last_pong = msg
            self._note("pong", token=msg.token)

    def _hello(self, msg: Hello) -> None:
        if msg.protocol_version != PROTOCOL_VERSION:
            self._end_run()
            self.refused_major = msg.protocol_version
            self._note("refused", major=msg.protocol_version)
            return
        self._hello_seen = True
        if msg.boot_id is not None:
            whole = self._boot_id is not None
            known, new = (self._boot_id, msg.boot_id) if whole else (self._boot16, msg.boot_id & 0xFFFF)
            if known is not None and new != known:
                self._reset()
            self._boot_id, self._boot16 = msg.boot_id, msg.boot_id & 0xFFFF
        else:
            self._boot_id = self._boot16 = None
            self._hello_since_data = True
        self._v11 = msg.minor >= 1
        self._channels = len(msg.channels)
        self._said_rate = msg.rate_hz
        if msg.minor > PROTOCOL_MINOR and not self._told_newer:
            self._told_newer = True
            self._out.append(self.event(
                "newer-protocol",
                f"the board speaks protocol {PROTOCOL_VERSION}.{msg.minor}, this kneadback reads "
                f"{PROTOCOL_VERSION}.{PROTOCOL_MINOR}: its newer fields are ignored",
            ))
        self._note(
            "info",
            major=msg.protocol_version,
            minor=msg.minor,
            boot_id=msg.boot_id,
            rate_hz=msg.rate_hz,
            front_end=msg.front_end_name,
            front_ohms=msg.front_ohms if msg.minor else msg.divider_ohms,
            serial=msg.serial,
            channels=msg.channel_kinds,
            board=msg.board,
        )
        self._set_info(msg.to_device_info(self.spec, self.serial_number))

    def _status(self, msg: Status) -> None:
        self._note("status", dropped=msg.dropped, overruns=msg.overruns, streaming=msg.streaming, rate_hz=msg.rate_hz)
        self._end_run()
        self._out.append(DeviceStatus(self.t_last, msg.dropped, msg.overruns, msg.streaming, float(msg.rate_hz)))
        if self._v11:
            return  # a 1.1 board's DATA says its rate and its runs
        if msg.rate_hz:
            self._said_rate = msg.rate_hz
            self._set_rate(msg.rate_hz)
        if not msg.streaming:
            self._pause_1_0()

    def _pause_1_0(self) -> None:
        """1.0: ACK(STOP) or STATUS(off) after DATA: the board pauses until its next DATA."""
        if self._active:
            self._active = False
            self._paused = True
            self._pause()

    def _pause(self) -> None:
        self._end_run()
        self._note("pause")
        self._out.append(self.event("pause", "the board paused streaming: no sample was lost"))

    def _reset(self) -> None:
        """A new boot: the next DATA starts a new segment, and nothing between is lost."""
        self._end_run()
        self.resets += 1
        self._new_boot = True
        self._boot_run = None
        self._paused = self._active = False
        self._note("reset")
        self._out.append(self.event("reset", "the board restarted: a new segment begins"))

    def _set_info(self, info: DeviceInfo) -> None:
        if info != self.info:
            self._end_run()
            self.info = info
            self._out.append(info)

    def _set_rate(self, rate: float) -> None:
        """The board said its rate (STATUS, a DATA trailer): a HELLO lost after SET_RATE is made good."""
        if self.info is not None and self.info.sample_rate_hz != rate:
            self._set_info(dataclasses.replace(self.info, sample_rate_hz=float(rate), rate_source="device"))

    def _data(self, msg: Data) -> None:
        extra = None
        if msg.boot is not None:
            count = self._channels if self._v11 else None
            if count is not None and count > 1:
                extra = msg.extra_channels(count - 1)
                if extra is None:
                    detail = f"DATA without the values of its {count - 1} other channels"
                    self._bad("malformed", detail, self._decoder.position, TROUBLE_BYTES)
                    return
            self._v11 = True
            if self._boot16 is not None and msg.boot != self._boot16:
                self._reset()  # its HELLO was lost
                self._boot_id = None
            self._boot16 = msg.boot
            new_run = self._boot_run is not None and msg.run != self._boot_run
            if new_run:
                self._pause()
            self._boot_run = msg.run
            said: float | None = msg.rate_hz
            counted = not new_run
        else:
            self._v11 = False
            said = self._said_rate or None
            if self._tb is not None and not self._new_boot and self._restarted(msg, self._tb):
                self._reset()
            counted = not self._paused
        if said is not None and said != self._noted_rate:
            self._noted_rate = said
            self._note("rate", rate_hz=said)
        self._describe(msg, said)
        rate = said or self._shown_rate
        self._map(msg, rate, counted and rate is not None and not self._new_boot, extra)
        self._last_seq = msg.seq
        self._paused = self._hello_since_data = self._new_boot = False
        self._active = True

    def _describe(self, msg: Data, rate: float | None) -> None:
        """The info of a board heard before its HELLO; a said rate updates it. With no rate
        said, the first frame's timestamps show it (several samples a frame, timer-paced), and
        then it counts lost samples too (else `FALLBACK_RATE` is only the info's, until one is)."""
        if self.info is not None and self.info.device_clock:  # (not a text board's, before the switch)
            if rate is not None:
                self._set_rate(rate)
            return
        if rate is None:
            steps = np.mod(np.diff(msg.t_us.astype(np.int64)), 1 << 32)
            steps = steps[steps > 0]
            self._shown_rate = round(1e6 / float(np.median(steps)), 3) if len(steps) else None
            estimate = self._shown_rate or FALLBACK_RATE
        self._set_info(DeviceInfo(
            protocol_version=PROTOCOL_VERSION,
            firmware_version="unknown",
            board="unknown",
            sample_rate_hz=float(rate if rate is not None else estimate),
            rate_source="device" if rate is not None else "estimated",
            source=self.spec,
            serial_number=self.serial_number,
            protocol_minor=PROTOCOL_MINOR if msg.boot is not None else 0,
        ))

    def _restarted(self, msg: Data, tb: DeviceTimebase) -> bool:
        """1.0: is this DATA the first of a new boot? (PROTOCOL.md, "1.0 boards")"""
        raw = int(msg.t_us[0])
        follows = self._last_seq is not None and msg.seq == (self._last_seq + 1) % 65536
        if tb.step_back(raw):
            return True
        if follows:
            return False
        # after 35.8 min a fresh clock seems to jump forward modulo 2^32: seq near 0 and the
        # clock smaller as plain numbers say it restarted
        return (self._hello_since_data and msg.seq == 0) or (msg.seq < SEQ_NEAR_ZERO and raw < tb.last_raw)

    def _map(self, msg: Data, rate: float | None, counted: bool, extra: np.ndarray | None) -> None:
        """Device times to session times, the samples lost before this frame; the samples go out."""
        assert self.info is not None  # (`_describe` came first)
        period = 1.0 / (rate or self.info.sample_rate_hz)
        raw0 = int(msg.t_us[0])
        tb = self._tb
        first = tb is None or self._new_boot
        lost = 0
        if tb is None:
            self._tb = tb = DeviceTimebase(raw0, self.t_last + period if self._t_last is not None else 0.0)
        elif self._new_boot:
            t_next = self.t_last + period  # by the host clock, never before the last sample
            floor = tb.latency_floor
            if floor is not None:
                t_next = max(t_next, self._arrival - floor - (len(msg) - 1) * period)
            self._tb = tb = DeviceTimebase(raw0, t_next)
        elif counted and rate is not None:
            gap = tb.gap_us(raw0)
            lost = max(0, (2 * gap * int(rate) + 1_000_000) // 2_000_000 - 1)
        d, t = tb.map(msg.t_us, first=first)
        if self.real_time:
            tb.observe(self._arrival)
        if self._t_last is not None and t[0] <= self._t_last:
            t = t + (self._t_last - t[0] + period)  # never backwards
        self._t_last = float(t[-1])
        if extra is None:
            self._note_samples(t_us=d.tolist(), adc=msg.adc.tolist(), lost=lost)
        else:
            self._note_samples(t_us=d.tolist(), adc=msg.adc.tolist(), lost=lost, extra=extra.T.tolist())
        self._add(t, msg.adc.astype(np.int32), msg.t_us, lost, extra)

    # --- text --------------------------------------------------------------------------
    def _text_line(self, value: int | TextProblem | TextHeader) -> int:
        """One line of a text stream; 1 for a reading."""
        if isinstance(value, TextProblem):
            self._text_release(final=False)  # readings before the problem come first
            self._bad("text-parse", value.detail, value.line, TROUBLE_LINES)
            return 0
        if isinstance(value, TextHeader):
            self._text_release(final=False)  # readings before the header come first
            self._header = value
            rate = int(value.rate) if value.rate is not None and value.rate.is_integer() else value.rate
            self._note(
                "info", major=None, minor=None, boot_id=None, rate_hz=rate, front_end=value.front or "unknown",
                front_ohms=value.divider or 0, serial=None, channels=[CHANNEL_KINDS[0]], board=None,
            )
            return 0
        declared = self._declared_text_rate()
        if declared is not None and declared != self._text_noted_rate:
            self._text_noted_rate = declared
            self._note("rate", rate_hz=int(declared) if declared.is_integer() else declared)
        if self._trouble:
            self._text_release(final=False)
            self._report_trouble()
        self._text_held.append(value)
        self._note_samples(adc=[value], lost=0)
        return 1

    def _text_chunk(self, item: Decoded) -> None:
        """A frame outcome in text mode: from the first valid HELLO or DATA on they are held,
        and at the `SWITCH_FRAMES`th the stream is binary: the held outcomes are used."""
        valid = isinstance(item, Frame) and isinstance(item.message, (Hello, Data))
        if not valid and not self._held_frames:
            return
        self._held_frames.append(item)
        frames = sum(isinstance(f, Frame) and isinstance(f.message, (Hello, Data)) for f in self._held_frames)
        if frames < SWITCH_FRAMES:
            if len(self._held_frames) > SWITCH_HOLD:
                self._held_frames = []  # a lone frame long ago: text after all
            return
        self._text_release(final=True)
        held, self._held_frames = self._held_frames, []
        self._set_mode("binary")
        for f in held:
            self._chunk(f)

    def _declared_text_rate(self) -> float | None:
        """The rate a text board was declared at: --rate, else its header."""
        if self.declared_rate:
            return float(self.declared_rate)
        return self._header.rate if self._header is not None else None

    def _text_arrived(self, readings: int) -> None:
        """`readings` came at this arrival: the rate estimate, and the samples out."""
        if self._declared_text_rate() is None and self._text_rate.rate is None:
            self._text_rate.add(self._arrival, readings)
            if self._text_rate.rate is not None:
                self._note("rate", rate_hz=round(self._text_rate.rate, 3), estimated=True)
        self._text_release(final=False)

    def _text_info(self, rate: float, how: str) -> DeviceInfo:
        """A text board as it describes itself in its header (the defaults without one)."""
        info = DeviceInfo(
            protocol_version=0,
            firmware_version="",
            board="text",
            sample_rate_hz=round(rate, 3),
            device_clock=False,
            rate_source=how,
            source=self.spec,
            serial_number=self.serial_number,
        )
        h = self._header
        if h is None:
            return info
        return dataclasses.replace(
            info,
            adc_bits=h.bits or info.adc_bits,
            vref_mv=h.vref or info.vref_mv,
            divider_ohms=h.divider or info.divider_ohms,
            front_end=h.front or "unknown",
        )

    def _text_release(self, final: bool) -> None:
        """Text readings out, timed at the rate: declared, estimated, or (at the end, or when too
        many wait) `FALLBACK_RATE`."""
        held = self._text_held
        rate = self._declared_text_rate()
        how = "declared"
        if rate is None:
            rate, how = self._text_rate.rate, "estimated"
            if rate is None and (final or len(held) >= TEXT_HOLD_MAX):
                rate = FALLBACK_RATE
        if rate is None or not (held or self.info is not None or self._header is not None):
            return
        self._set_info(self._text_info(rate, how))
        if not held:
            return
        n = len(held)
        start = self._text_t_next
        if self._text_catch_up and self._text_lag is not None:
            start = max(start, self._arrival - self._text_lag - (n - 1) / rate)
        self._text_catch_up = False
        t = start + np.arange(n, dtype=np.float64) / rate
        self._text_t_next = float(t[-1]) + 1.0 / rate
        lag = self._arrival - float(t[-1])
        self._text_lag = lag if self._text_lag is None else min(self._text_lag, lag)
        self._t_last = float(t[-1])
        self._add(t, np.asarray(held, dtype=np.int32), None, 0)
        self._text_held = []

    # --- output ------------------------------------------------------------------------
    def _note(self, event: str, **fields: Any) -> None:
        if self.trace is not None:
            self.trace.append({"event": event, **fields})

    def _note_samples(self, **fields: Any) -> None:
        """A samples event; text readings in a row make one."""
        trace = self.trace
        if trace is None:
            return
        if "t_us" not in fields and trace and trace[-1]["event"] == "samples" and "t_us" not in trace[-1]:
            trace[-1]["adc"] += fields["adc"]
        else:
            self._note("samples", **fields)

    def _set_mode(self, mode: str) -> None:
        """The stream's text-or-binary decision; a switch from text is news to the user too."""
        if self.mode is not None:
            self._report_trouble()
            self._end_run()
            self._out.append(self.event("mode", "valid frames after text lines: read as binary protocol from here"))
        self.mode = mode
        self._note("mode", mode=mode)

    def _add(self, t: np.ndarray, adc: np.ndarray, dev: np.ndarray | None, lost: int, extra: np.ndarray | None = None) -> None:
        if self._run is not None and float(t[-1]) - self._run.t_start > MAX_BLOCK_S:
            self._end_run()
        if self._run is None or lost:
            self._end_run()
            self._run = _Run(self._next_index + lost, lost, self._arrival, float(t[0]))
        self._run.t.append(t)
        self._run.adc.append(adc)
        if dev is not None:
            self._run.dev.append(dev)
        if extra is not None:
            self._run.extra.append(extra)
        self._next_index += lost + len(adc)
        self.samples += len(adc)
        self.lost += lost

    def _end_run(self) -> None:
        if self._run is not None:
            self._out.append(self._run.block())
            self._run = None

    def _bad(self, kind: str, detail: str, position: int, span: int) -> None:
        """Count a bad frame (or text line) at `position` (byte or line); a run of them is
        reported when a good message follows, or every `span` bytes or lines."""
        self.counts[kind] += 1
        self._note("error", kind=kind, count=self.counts[kind])
        if self._trouble_start is None:
            self._trouble_start = position
        entry = self._trouble.setdefault(kind, [0, detail])
        entry[0] += 1
        if position - self._trouble_start >= span:
            self._report_trouble()

    def _report_trouble(self) -> None:
        if not self._trouble:
            return
        self._end_run()
        for kind, (n, first) in self._trouble.items():
            detail = first if n == 1 else f"{n} in a row; the first: {first}"
            self._out.append(self.event(kind, detail, count=int(n)))
        self._trouble.clear()
        self._trouble_start = None

    def _take(self) -> list[SourceItem]:
        self._end_run()
        out, self._out = self._out, []
        return out

