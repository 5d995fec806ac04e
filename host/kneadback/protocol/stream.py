"""From bytes to source items: the one place where a device's byte stream becomes samples.

`DeviceStream.feed(data, t_arrival)` takes bytes in any chunking and returns `SampleBlock`,
`DeviceInfo`, `DeviceStatus` and `LinkEvent` values in stream order. It

- detects binary protocol v1 or plain text by itself (`mode`);
- maps device µs to session seconds (0 at the first sample), unwrapping the u32 and
  correcting clock drift (`timebase.DeviceTimebase`);
- counts lost samples from sequence and time gaps, and tells a device pause (STATUS with
  streaming off) from a loss;
- treats a board reset (a new HELLO with the sequence restarting, or a clock that steps back)
  as a new segment of the same session: a "reset" `LinkEvent`, no lost samples, and session
  time that keeps going forward;
- counts every bad frame and never uses one whose CRC failed; a run of bad frames comes back
  as one `LinkEvent` per kind with its `count` (when a good message follows, or every
  `TROUBLE_BYTES`), so a line full of garbage does not flood the listeners.

Samples, sample times, loss counts and events depend only on the bytes (and, through drift
estimation and resets, on arrival times), never on how the bytes were split into chunks.
Consecutive DATA frames without loss between them that arrive in one `feed` come back as one
`SampleBlock` (split every `MAX_BLOCK_S`, so a backlog read at once still flows in steps).
"""

from __future__ import annotations

import collections

import numpy as np

from kneadback.model import DeviceInfo, DeviceStatus, LinkEvent, SampleBlock, SourceItem
from kneadback.protocol.decoder import BadFrame, FrameDecoder
from kneadback.protocol.messages import Ack, Data, Hello, Pong, Status
from kneadback.protocol.text import TextParser, TextProblem
from kneadback.protocol.timebase import DeviceTimebase

DETECT_LIMIT = 512  # bytes without a decision after which a stream is taken as binary
TEXT_LINE_ENDS = 4  # clean line ends that make a stream text
TEXT_ESTIMATE_S = 1.0  # arrival seconds of text before its rate is estimated
TEXT_REESTIMATE_S = 5.0
TEXT_FALLBACK_RATE = 100.0  # a text stream that ends before its rate could be estimated
TEXT_HOLD_MAX = 20_000  # text samples held at most while waiting for a rate estimate
TROUBLE_BYTES = 4096  # a run of bad frames is reported at least every this many bytes
TROUBLE_LINES = 64  # and of bad text lines, every this many lines
MAX_BLOCK_S = 0.25  # a backlog read at once still comes in blocks of at most this span


def _texty(b: int) -> bool:
    return 32 <= b < 127 or b == 9


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
            elif not _texty(b):
                clean = 0
        if i + 1 >= DETECT_LIMIT:
            return "binary"
    return None


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

    def block(self) -> SampleBlock:
        one = len(self.t) == 1
        return SampleBlock(
            t=self.t[0] if one else np.concatenate(self.t),
            adc=self.adc[0] if one else np.concatenate(self.adc),
            first_index=self.first_index,
            lost=self.lost,
            t_device_us=np.concatenate(self.dev).astype(np.uint32) if self.dev else None,
            t_arrival=self.t_arrival,
        )


class DeviceStream:
    """Bytes from one device (binary protocol v1 or text) in, source items out."""

    def __init__(
        self,
        spec: str,
        declared_rate: float | None = None,
        *,
        serial_number: str | None = None,
        mid_stream: bool = False,
        real_time: bool = True,
    ) -> None:
        """`mid_stream`: the bytes may begin in the middle of what the device sends (a port
        opened while it streams), so a text stream skips its first, partial line.
        `real_time`: the bytes arrive as the device makes them, so arrival times may correct
        the device clock's drift; False for an emulated board run faster or slower than real
        time, whose clock is then taken as exact (and the result does not depend on load)."""
        self.spec = spec
        self.real_time = real_time
        self.declared_rate = declared_rate
        self.serial_number = serial_number
        self.mode: str | None = None
        self.info: DeviceInfo | None = None
        self.counts: collections.Counter[str] = collections.Counter()  # bad frames by kind
        self.bytes_in = 0
        self.samples = 0
        self.lost = 0
        self.resets = 0
        self.last_ack: Ack | None = None
        self.last_pong: Pong | None = None
        self._head = bytearray()
        self._decoder = FrameDecoder()
        self._text = TextParser(mid_line=mid_stream)
        self._out: list[SourceItem] = []
        self._trouble: dict[str, list] = {}  # bad frames in a row: kind -> [count, first detail]
        self._trouble_start: int | None = None
        self._arrival = 0.0
        self._run: _Run | None = None
        self._next_index = 0
        self._t_last: float | None = None  # session time of the last sample delivered
        # binary
        self._tb: DeviceTimebase | None = None
        self._period_us: float | None = None
        self._last_seq: int | None = None
        self._hello_since_data = False
        self._paused = False
        self._held: list[Data] = []  # DATA waiting for a rate (no HELLO yet)
        # text
        self._text_held: list[int] = []
        self._text_rate: float | None = declared_rate
        self._text_first: tuple[float, int] | None = None  # (arrival, samples by then)
        self._text_fit_at = 0.0
        self._text_t_next = 0.0

    # --- public ------------------------------------------------------------------------
    @property
    def needs_info(self) -> bool:
        """True for a binary stream whose DATA came without a HELLO (ask with GET_INFO)."""
        has_data = bool(self._held) or self._tb is not None
        return self.mode == "binary" and has_data and (self.info is None or self.info.rate_source != "device")

    @property
    def t_last(self) -> float:
        return self._t_last if self._t_last is not None else 0.0

    def feed(self, data: bytes, t_arrival: float) -> list[SourceItem]:
        """Items for `data`, in stream order."""
        self._arrival = t_arrival
        self.bytes_in += len(data)
        if self.mode is None:
            self._head += data
            self.mode = detect_mode(self._head)
            if self.mode is None:
                return []
            data = bytes(self._head)
            self._head.clear()
        if self.mode == "binary":
            for item in self._decoder.feed(data):
                if isinstance(item, BadFrame):
                    self._bad(item.kind, f"{item.detail} (byte {item.offset})", item.offset, TROUBLE_BYTES)
                else:
                    self._report_trouble()
                    self._message(item.message)
        else:
            for value in self._text.feed(data):
                if isinstance(value, TextProblem):
                    self._text_release(final=False)  # readings before the problem come first
                    self._bad("text-parse", value.detail, value.line, TROUBLE_LINES)
                else:
                    if self._trouble:
                        self._text_release(final=False)
                        self._report_trouble()
                    self._text_held.append(value)
            self._text_release(final=False)
        return self._take()

    def flush(self, t_arrival: float) -> list[SourceItem]:
        """Deliver whatever is held back (the stream ended): text waiting for its rate
        estimate, DATA waiting for its rate."""
        self._arrival = t_arrival
        if self.mode == "text":
            self._text_release(final=True)
        elif self._held:
            self._release_held(final=True)
        self._report_trouble()
        return self._take()

    def reconnected(self, t_arrival: float) -> list[SourceItem]:
        """The link was cut and is back: an unfinished frame is reported and dropped. The
        device clock (if any) carries on, so lost samples are counted from the time gap."""
        self._arrival = t_arrival
        if self.mode == "binary":
            for item in self._decoder.reset():
                self._bad(item.kind, f"{item.detail} (byte {item.offset})", item.offset, TROUBLE_BYTES)
            self._report_trouble()
        elif self.mode == "text":
            self._text.resync()
        else:
            self._head.clear()
        return self._take()

    def event(self, kind: str, detail: str = "", count: int = 1) -> LinkEvent:
        """A link event stamped with the current session time."""
        return LinkEvent(t=self.t_last, kind=kind, count=count, detail=detail)

    # --- binary ------------------------------------------------------------------------
    def _message(self, msg: object) -> None:
        if isinstance(msg, Data):
            if self._period_us is None:
                self._held.append(msg)
                self._release_held(final=False)
            else:
                self._data(msg)
        elif isinstance(msg, Hello):
            self._hello(msg)
        elif isinstance(msg, Status):
            self._end_run()
            self._paused = not msg.streaming
            self._out.append(DeviceStatus(self.t_last, msg.dropped, msg.overruns, msg.streaming, float(msg.rate_hz)))
        elif isinstance(msg, Ack):
            self.last_ack = msg
        elif isinstance(msg, Pong):
            self.last_pong = msg
        # host→device commands (a loopback echoes ours) are not for us

    def _hello(self, msg: Hello) -> None:
        self._hello_since_data = True
        info = msg.to_device_info(self.spec, self.serial_number)
        if msg.rate_hz > 0:
            self._period_us = 1e6 / msg.rate_hz
        if info != self.info:
            self._end_run()
            self.info = info
            self._out.append(info)
        if self._held:
            self._release_held(final=False)

    def _release_held(self, final: bool) -> None:
        if self._period_us is None:
            diffs = [np.mod(np.diff(d.t_us.astype(np.int64)), 1 << 32) for d in self._held if len(d) > 1]
            if len(self._held) >= 2 and not diffs:
                a, b = self._held[-2], self._held[-1]
                diffs = [np.array([(int(b.t_us[0]) - int(a.t_us[-1])) % (1 << 32)])]
            steps = np.concatenate(diffs) if diffs else np.empty(0)
            steps = steps[steps > 0]
            if not len(steps):
                if not final:
                    return
                steps = np.array([1e6 / TEXT_FALLBACK_RATE])
            self._period_us = float(np.median(steps))
            rate = round(1e6 / self._period_us, 3)
            self.info = DeviceInfo(
                protocol_version=1,
                firmware_version="unknown",
                board="unknown",
                sample_rate_hz=rate,
                device_clock=True,
                rate_source="estimated",
                source=self.spec,
                serial_number=self.serial_number,
            )
            self._end_run()
            self._out.append(self.info)
        held, self._held = self._held, []
        for d in held:
            self._data(d)

    def _data(self, msg: Data) -> None:
        assert self._period_us is not None
        n = len(msg)
        tb = self._tb
        lost = 0
        first = False
        if tb is None:
            self._tb = tb = DeviceTimebase(int(msg.t_us[0]), 0.0)
            first = True
        else:
            seq_step = (msg.seq - self._last_seq) % 65536 if self._last_seq is not None else 1
            restarted = self._hello_since_data and msg.seq == 0 and seq_step != 1
            if restarted or tb.step_back(int(msg.t_us[0])):
                self._new_segment(msg, tb)
                tb = self._tb
                first = True
            else:
                missing = int(round(tb.gap_us(int(msg.t_us[0])) / self._period_us)) - 1
                if self._paused:
                    lost = 0
                elif missing > 0:
                    lost = missing
                elif seq_step > 1:
                    lost = (seq_step - 1) * n
        assert tb is not None
        self._hello_since_data = False
        self._paused = False
        self._last_seq = msg.seq
        _, t = tb.map(msg.t_us, first=first)
        if self.real_time:
            tb.observe(self._arrival)
        if self._t_last is not None and t[0] <= self._t_last:
            t = t + (self._t_last - t[0] + self._period_us * 1e-6)  # never backwards
        self._t_last = float(t[-1])
        self._add(t, msg.adc.astype(np.int32), msg.t_us, lost)

    def _new_segment(self, msg: Data, old: DeviceTimebase) -> None:
        """A board reset: continue session time where the host clock says we are."""
        assert self._period_us is not None
        self._end_run()
        self.resets += 1
        t_next = self.t_last + self._period_us * 1e-6
        floor = old.latency_floor
        if floor is not None:
            t_next = max(t_next, self._arrival - floor - (len(msg) - 1) * self._period_us * 1e-6)
        self._out.append(self.event("reset", "the board restarted: a new segment begins"))
        self._tb = DeviceTimebase(int(msg.t_us[0]), t_next)

    # --- text --------------------------------------------------------------------------
    def _text_release(self, final: bool) -> None:
        held = self._text_held
        arrival = self._arrival
        if self._text_first is None and held:
            self._text_first = (arrival, len(held))
            self._text_fit_at = arrival + TEXT_ESTIMATE_S
        if self._text_rate is None or (self.declared_rate is None and arrival >= self._text_fit_at):
            self._estimate_text_rate(arrival, final or len(held) >= TEXT_HOLD_MAX)
        if self._text_rate is None or not held:
            return
        if self.info is None:
            self.info = DeviceInfo(
                protocol_version=0,
                firmware_version="",
                board="text",
                sample_rate_hz=round(self._text_rate, 3),
                device_clock=False,
                rate_source="declared" if self.declared_rate else "estimated",
                source=self.spec,
                serial_number=self.serial_number,
            )
            self._out.append(self.info)
        n = len(held)
        t = self._text_t_next + np.arange(n, dtype=np.float64) / self._text_rate
        self._text_t_next = float(t[-1]) + 1.0 / self._text_rate
        self._t_last = float(t[-1])
        self._add(t, np.asarray(held, dtype=np.int32), None, 0)
        self._text_held = []

    def _estimate_text_rate(self, arrival: float, final: bool) -> None:
        assert self._text_first is not None or not self._text_held
        if self._text_first is None:
            return
        a0, c0 = self._text_first
        count = self.samples + len(self._text_held) - c0
        span = arrival - a0
        if span >= TEXT_ESTIMATE_S and count >= 2:
            self._text_rate = count / span
            self._text_fit_at = arrival + TEXT_REESTIMATE_S
        elif final and self._text_rate is None:
            self._text_rate = count / span if span > 0 and count >= 2 else TEXT_FALLBACK_RATE

    # --- output ------------------------------------------------------------------------
    def _add(self, t: np.ndarray, adc: np.ndarray, dev: np.ndarray | None, lost: int) -> None:
        if self._run is not None and float(t[-1]) - self._run.t_start > MAX_BLOCK_S:
            self._end_run()
        if self._run is None or lost:
            self._end_run()
            self._run = _Run(self._next_index + lost, lost, self._arrival, float(t[0]))
        self._run.t.append(t)
        self._run.adc.append(adc)
        if dev is not None:
            self._run.dev.append(dev)
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
