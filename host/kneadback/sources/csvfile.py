"""A `time_s,adc` CSV file as a finite source.

The file has a header row naming at least the columns `time_s` (session seconds) and `adc`
(raw counts); other columns are ignored but for a 6-axis IMU's, `ax_m_s2,ay_m_s2,az_m_s2,
gx_rad_s,gy_rad_s,gz_rad_s` (all six or none), which `simulate` and `export` write for a tool
with one: their values become the board's counts again by `# accel_scale` and `# gyro_scale`
(SI units per count; an MPU-6050's power-on ranges if the file does not say). A row whose six IMU
cells are all empty (a frame the board sent without them) is one without the IMU's values. Lines starting with `#` before the header may carry
what the columns do not: `# rate_hz: 200`, `# front_end: fsr-low`, `# divider_ohms: 1000`,
`# adc_bits: 10`, `# vref_mv: 5000` (also `key=value`). Flags (the `rate_hz` and `front`
arguments) win over the file; without either the rate is estimated from the time column, and the
front end is the firmware's (a 1 kΩ low-side FSR divider, 10 bits at 5 V). After the header, `#` starts a
comment that runs to the end of its line, and blank lines are skipped.

A gap in `time_s` (more than 1.5 sample periods) means samples were lost: the blocks split
there and the next block's `lost` says how many. Nothing is invented to fill the gap.

The file is read a megabyte at a time and numpy parses each piece, so an hour at 1 kHz takes
about a second and 12 bytes a sample, never a Python object per line. A piece numpy does not
take whole (blank lines, comments, a cell too many, a number numpy reads differently) is parsed
line by line, which keeps one meaning for every file and finds the bad line. Any problem is an
`InputError` naming the file, the line and what is wrong; the whole file is checked on `open()`,
before a single sample goes out.

Played live (a finite `speed`), samples come out when the injected clock says they are due:
`speed` session seconds per clock second from the first sample. With `speed=inf` (analysis,
import) they come out as fast as they are read.
"""

from __future__ import annotations

import codecs
import io
import math
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from kneadback.clock import Clock, MonotonicClock
from kneadback.csvformat import DEFAULT_SCALES, IMU_COLUMNS, META_KEYS, channels_of
from kneadback.errors import InputError
from kneadback.frontend import FRONT_ENDS, Declared
from kneadback.model import FORCE_CHANNEL, Channel, DeviceInfo, SampleBlock, SourceItem
from kneadback.progress import Progress
from kneadback.sources.base import Source, SourceOptions

BLOCK_SAMPLES = 4096  # samples per block handed out
MAX_BLOCKS_PER_READ = 64  # a fast read still hands over in slices, so a session stays responsive
MAX_BATCH_S = 0.25  # played live: session seconds one read delivers at most beyond its own wait
CHUNK_BYTES = 1 << 20  # the file is read and parsed this much at a time
DEFAULT_DIVIDER_OHMS = 1000.0  # the wiring guide's resistor, when neither the file nor a flag says
GAP_PERIODS = 1.5  # a step in time_s longer than this many periods means lost samples
_EPSILON_S = 1e-6  # clock rounding: a sample this close to due is due
# line breaks `str.splitlines` knows besides \n and \r: a piece with one goes line by line
_ODD_BREAKS = re.compile("[\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_NOT_PLAIN = "#\v\f\x1c\x1d\x1e"  # a comment or an odd break in ASCII: that piece goes line by line


class CsvSource(Source):
    """Delivers the file at the pace of the clock, or as fast as it is read (`speed=inf`)."""

    def __init__(
        self,
        path: str | Path,
        *,
        rate_hz: float | None = None,
        front: Declared | None = None,
        block_samples: int = BLOCK_SAMPLES,
        clock: Clock | None = None,
        speed: float = math.inf,
        progress: Progress | None = None,
    ) -> None:
        super().__init__(str(path))
        if not speed > 0:
            raise InputError(f"--speed {speed}: must be a positive number")
        self.path = Path(path)
        self.declared_rate = rate_hz
        self.front = front or Declared()
        self.block_samples = max(1, int(block_samples))
        self.clock = clock or MonotonicClock()
        self.speed = speed
        self.progress = progress  # advanced by the bytes read while the file is opened
        self.t = np.empty(0)
        self.adc = np.empty(0, dtype=np.int32)
        self.extra: np.ndarray | None = None  # the IMU's counts (n, 6), for a file with its columns
        self._imu_cuts = np.empty(0, dtype=np.int64)  # rows where the IMU's values start or stop
        self._imu_ok = np.empty(0, dtype=bool)  # rows that have them
        self.divider_known = self.front.divider_ohms is not None
        self._pos = 0
        self._gap_at = np.empty(0, dtype=np.int64)  # sample indices that follow a gap...
        self._lost_before = np.zeros(1, dtype=np.int64)  # ...and samples lost before the k-th gap
        self._clock_origin = 0.0
        self._horizon = 0.0  # played live: session time delivered up to

    def _open(self) -> None:
        meta, t, adc, imu = read_csv(self.path, progress=self.progress)
        said = meta.get("rate_hz")
        rate = self.declared_rate or (float(said) if said is not None else None) or _estimate_rate(t)
        if rate is None:
            raise InputError(f"{self.path}: too few samples to tell the sample rate; give --rate")
        bits = int(meta.get("adc_bits", 10))
        divider = meta.get("divider_ohms") or DEFAULT_DIVIDER_OHMS
        front = str(meta.get("front_end", "fsr-low"))
        channels: tuple[Channel, ...] = (FORCE_CHANNEL,)
        if imu is not None:
            channels = (FORCE_CHANNEL, *channels_of({k: float(meta.get(k, v)) for k, v in DEFAULT_SCALES.items()}))
            self._imu_ok = ~np.isnan(imu).any(axis=1)
            self._imu_cuts = np.flatnonzero(np.diff(self._imu_ok)) + 1
            counts = np.rint(np.nan_to_num(imu) / np.array([c.scale for c in channels[1:]]))
            self.extra = np.clip(counts, -(1 << 15), (1 << 15) - 1).astype(np.int16)
        self.divider_known = self.front.divider_ohms is not None or "divider_ohms" in meta
        self.info = self.front.apply(DeviceInfo(
            protocol_version=1,
            firmware_version="",
            board="file",
            sample_rate_hz=float(rate),
            adc_bits=bits,
            vref_mv=int(meta.get("vref_mv", 5000)),
            divider_ohms=round(float(divider)),
            device_clock=True,
            rate_source="declared" if (self.declared_rate or "rate_hz" in meta) else "estimated",
            source=str(self.path),
            front_end=front,
            channels=channels,
        ))
        self.t, self.adc = t, adc
        long = GAP_PERIODS / rate  # looked for a block at a time: no second copy of the time column
        step = BLOCK_SAMPLES
        gaps = np.concatenate([a + np.flatnonzero(np.diff(t[a : a + step + 1]) > long) for a in range(0, len(t), step)])
        self._gap_at = gaps + 1
        lost = np.rint((t[gaps + 1] - t[gaps]) * rate).astype(np.int64) - 1
        self._lost_before = np.concatenate([[0], np.cumsum(lost)])
        self._pos = 0
        self._clock_origin = self.clock.now()
        self._horizon = float(t[0])

    def _close(self) -> None:
        pass

    @property
    def duration(self) -> float:
        """Session seconds from the first sample to the last (0 before `open()`)."""
        return float(self.t[-1] - self.t[0]) if len(self.t) else 0.0

    def read(self, timeout: float = 0.05) -> list[SourceItem]:
        """The samples due by now (the info came with `open()`, for the session to announce once)."""
        if not self._opened or self.finished:
            return []
        end = len(self.t)
        if math.isfinite(self.speed):
            wait = (self.t[self._pos] - self._played()) / self.speed
            if wait > 0:
                self.clock.sleep(min(timeout, wait))
            # a host that fell behind catches up in slices, so the session checks its duration
            self._horizon = min(self._played(), self._horizon + max(MAX_BATCH_S, timeout * self.speed))
            end = int(np.searchsorted(self.t, self._horizon + _EPSILON_S, side="right"))
        out: list[SourceItem] = []
        while self._pos < end and len(out) < MAX_BLOCKS_PER_READ:
            out.append(self._block(end))
        if self._pos >= len(self.t):
            self.finished = True
        return out

    def _played(self) -> float:
        """Session time the clock has reached: the first sample at `open()`, then `speed` × clock."""
        return float(self.t[0]) + (self.clock.now() - self._clock_origin) * self.speed

    def _block(self, end: int) -> SampleBlock:
        """The next block: at most `block_samples`, up to `end`, never across a gap."""
        a = self._pos
        g = int(np.searchsorted(self._gap_at, a, side="right"))  # gaps at or before a
        b = min(a + self.block_samples, end)
        if g < len(self._gap_at):
            b = min(b, int(self._gap_at[g]))
        cut = int(np.searchsorted(self._imu_cuts, a, side="right"))
        if cut < len(self._imu_cuts):  # a block has the IMU's values in every row or in none
            b = min(b, int(self._imu_cuts[cut]))
        lost = int(self._lost_before[g] - self._lost_before[g - 1]) if g and self._gap_at[g - 1] == a else 0
        self._pos = b
        extra = None if self.extra is None or not self._imu_ok[a] else self.extra[a:b]
        return SampleBlock(self.t[a:b], self.adc[a:b], a + int(self._lost_before[g]), lost, extra=extra)


def read_csv(
    path: Path, *, chunk_bytes: int = CHUNK_BYTES, progress: Progress | None = None
) -> tuple[dict[str, float | str], np.ndarray, np.ndarray, np.ndarray | None]:
    """(metadata, time_s, adc as int32, the IMU's columns (n, 6) or None) from a CSV file;
    InputError naming file, line and problem.

    The result does not depend on `chunk_bytes`; `progress` is advanced by the bytes read.
    """
    pieces = _pieces(path, max(1, int(chunk_bytes)), progress)
    try:
        return _parse(path, pieces)
    except InputError:
        for _ in pieces:  # a file that is not text says so first, wherever its bad byte is
            pass
        raise


def _pieces(path: Path, chunk_bytes: int, progress: Progress | None) -> Iterator[str]:
    """The file's text in pieces of about `chunk_bytes`, each ending at a line break (but the last)."""
    try:
        fh = path.open("rb")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a CSV file") from None
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror}") from None
    with fh:
        offset, rest = 0, b""
        while True:
            try:
                data = fh.read(chunk_bytes)
            except OSError as e:
                raise InputError(f"{path}: cannot read: {e.strerror}") from None
            buf = rest + data
            cut = buf.rfind(b"\n") + 1 if data else len(buf)
            piece, rest = buf[:cut], buf[cut:]
            if piece:
                skip = len(codecs.BOM_UTF8) if offset == 0 and piece.startswith(codecs.BOM_UTF8) else 0
                try:
                    text = piece[skip:].decode("utf-8")
                except UnicodeDecodeError as e:
                    raise InputError(f"{path}: not a text file (byte {offset + skip + e.start} is not UTF-8)") from None
                offset += len(piece)
                if progress is not None:
                    progress.update(len(piece))
                yield text
            if not data:
                return


def _parse(path: Path, pieces: Iterator[str]) -> tuple[dict[str, float | str], np.ndarray, np.ndarray, np.ndarray | None]:
    meta: dict[str, float | str] = {}
    line = 1  # file line number of the next line
    for text in pieces:
        lines = text.splitlines(keepends=True)
        k = next((k for k, ln in enumerate(lines) if ln.strip() and not ln.lstrip().startswith("#")), len(lines))
        for n in range(k):
            _parse_meta(path, line + n, lines[n], meta)
        line += k
        if k < len(lines):
            break
    else:
        raise InputError(f"{path}: line {line}: no header row (expected columns time_s,adc)")
    header = lines[k].strip()
    names = [c.strip().strip('"').lower() for c in header.split(",")]
    missing = [c for c in ("time_s", "adc") if c not in names]
    if missing:
        raise InputError(f"{path}: line {line}: header lacks column {' and '.join(missing)} (found: {header[:80]})")
    imu = [c for c in IMU_COLUMNS if c in names]
    if imu and len(imu) < len(IMU_COLUMNS):
        lacks = ", ".join(c for c in IMU_COLUMNS if c not in names)
        raise InputError(f"{path}: line {line}: header has motion sensor column {imu[0]} but lacks {lacks}")
    cols = (names.index("time_s"), names.index("adc"), *(names.index(c) for c in imu))
    rows = _Rows(path, len(names), cols, (1 << int(meta.get("adc_bits", 10))) - 1)
    first_line = line = line + 1
    line += rows.add("".join(lines[k + 1 :]), line)
    for text in pieces:
        line += rows.add(text, line)
    return meta, *rows.result(first_line)


class _Rows:
    """The data rows, piece by piece: their samples, and the first line that breaks each rule.

    A line that cannot be read at all is refused at once; the rules between rows (time goes up,
    counts are whole and in range) are judged over the whole file, in that order.
    """

    def __init__(self, path: Path, ncols: int, cols: tuple[int, ...], full: int) -> None:
        self.path, self.ncols, self.cols, self.full = path, ncols, cols, full
        try:
            self.size = path.stat().st_size  # to size the arrays for the whole file at once
        except OSError:
            self.size = 0
        self.seen = 0  # characters parsed so far
        self.t = np.empty(0)
        self.adc = np.empty(0, dtype=np.int32)
        self.imu = np.empty((0, len(cols) - 2)) if len(cols) > 2 else None  # the IMU's columns, if it has them
        self.rows = 0
        self.last_t = -math.inf
        self.broken: dict[int, str] = {}  # rule rank → what the first line breaking it says

    def add(self, text: str, line: int) -> int:
        """Parse a piece whose first line is file line `line`; how many lines it has."""
        self.seen += len(text)
        fast = _parse_fast(text, self.ncols, self.cols)
        if fast is not None:
            table = fast
            at: np.ndarray | None = None  # plain rows: row k is on line `line + k`
            count = len(table)
        else:
            table, at, count = _parse_slow(self.path, text, line, self.ncols, self.cols)
        t, adc = table[:, 0], table[:, 1]
        if len(t):
            self._judge(t, adc, lambda k: line + k if at is None else int(at[k]))
            if not self.broken:  # once a rule is broken no samples are wanted, only the first bad line
                self._keep(t, adc, table[:, 2:])
            self.rows += len(t)
            self.last_t = float(t[-1])
        return count

    def _keep(self, t: np.ndarray, adc: np.ndarray, imu: np.ndarray) -> None:
        a, b = self.rows, self.rows + len(t)
        if b > len(self.t):  # room for the rest of the file, as far as the part read tells
            room = max(int(b * 1.02 * self.size / max(self.seen, 1)), int(b * 1.25))
            self.t = _grown(self.t[:a], room)
            self.adc = _grown(self.adc[:a], room)
            if self.imu is not None:
                self.imu = _grown(self.imu[:a], room)
        self.t[a:b] = t
        self.adc[a:b] = adc
        if self.imu is not None:
            self.imu[a:b] = imu

    def _judge(self, t: np.ndarray, adc: np.ndarray, line_of: Callable[[int], int]) -> None:
        back = np.flatnonzero(np.diff(t, prepend=self.last_t) <= 0)
        if len(back) and 0 not in self.broken:
            i = int(back[0])
            before = t[i - 1] if i else self.last_t
            self.broken[0] = f"line {line_of(i)}: time_s {t[i]:g} does not increase (previous {before:g})"
        frac = np.flatnonzero(adc != np.floor(adc))
        if len(frac) and 1 not in self.broken:
            i = int(frac[0])
            self.broken[1] = f"line {line_of(i)}: adc {adc[i]:g} is not a whole number"
        out = np.flatnonzero((adc < 0) | (adc > self.full))
        if len(out) and 2 not in self.broken:
            i = int(out[0])
            self.broken[2] = f"line {line_of(i)}: adc {adc[i]:g} is outside 0..{self.full}"

    def result(self, first_line: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        if not self.rows:
            raise InputError(f"{self.path}: line {first_line}: no samples after the header")
        if self.broken:
            raise InputError(f"{self.path}: {self.broken[min(self.broken)]}")
        return self.t[: self.rows], self.adc[: self.rows], None if self.imu is None else self.imu[: self.rows]


def _grown(kept: np.ndarray, room: int) -> np.ndarray:
    """`kept` at the start of a new array of `room` elements."""
    out = np.empty((room, *kept.shape[1:]), dtype=kept.dtype)
    out[: len(kept)] = kept
    return out


def _parse_meta(path: Path, line: int, text: str, meta: dict[str, float | str]) -> None:
    body = text.strip().lstrip("#").strip()
    for sep in (":", "="):
        key, found, value = body.partition(sep)
        key = key.strip().lower()
        if found and key in META_KEYS and META_KEYS[key] is str:
            if value.strip() not in FRONT_ENDS:
                raise InputError(f"{path}: line {line}: {key} {value.strip()!r} is none of {', '.join(FRONT_ENDS)}")
            meta[key] = value.strip()
            return
        if found and key in META_KEYS:
            try:
                v = META_KEYS[key](value.strip())
            except ValueError:
                raise InputError(f"{path}: line {line}: {key} {value.strip()!r} is not a number") from None
            if not (math.isfinite(v) and v > 0):
                raise InputError(f"{path}: line {line}: {key} must be positive")
            meta[key] = v
            return


def _parse_fast(text: str, ncols: int, cols: tuple[int, ...]) -> np.ndarray | None:
    """numpy's parser, for a piece of plain rows (`\\n` or `\\r\\n` line ends, `ncols` cells each,
    no blank line, no comment); None for anything else, which the line-by-line parser then reads."""
    if not text or any(c in text for c in _NOT_PLAIN) or (not text.isascii() and _ODD_BREAKS.search(text)):
        return None
    raw = np.frombuffer(text.encode(), dtype=np.uint8)
    cr = np.flatnonzero(raw == ord("\r"))
    if len(cr) and (cr[-1] + 1 == len(raw) or np.any(raw[cr + 1] != ord("\n"))):
        return None  # a line ending in \r alone
    ends = np.flatnonzero(raw == ord("\n"))
    if raw[-1] != ord("\n"):
        ends = np.append(ends, len(raw))
    commas = np.flatnonzero(raw == ord(","))
    if len(commas) != len(ends) * (ncols - 1):
        return None
    rows = commas.reshape(len(ends), ncols - 1)  # so many commas in all: is each row's share on its line?
    if np.any(rows[:, -1] > ends) or np.any(rows[1:, 0] < ends[:-1]):
        return None
    try:
        table = np.loadtxt(io.StringIO(text), delimiter=",", comments=None, usecols=cols, ndmin=2, dtype=float)
    except ValueError:
        return None
    if len(table) != len(ends) or not np.all(np.isfinite(table)):
        return None
    return table


def _parse_slow(
    path: Path, text: str, first_line: int, ncols: int, cols: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray, int]:
    """Line by line: (the columns `cols` (time_s, adc, ...) row by row, the line of each row, how
    many lines); InputError at the first bad line."""
    rows: list[list[float]] = []
    at: list[int] = []
    lines = text.splitlines()
    for n, ln in enumerate(lines):
        line = first_line + n
        ln = ln.partition("#")[0]
        if not ln.strip():
            continue
        cells = ln.split(",")
        if len(cells) != ncols:
            raise InputError(f"{path}: line {line}: {len(cells)} cells, the header has {ncols}")
        row = []
        no_imu = len(cols) > 2 and not any(cells[c].strip() for c in cols[2:])  # a frame without them
        for k, col in enumerate(cols):
            cell = cells[col].strip()
            name = ("time_s", "adc", *IMU_COLUMNS)[k]
            if k >= 2 and no_imu:
                row.append(math.nan)
                continue
            try:
                v = float(cell)
            except ValueError:
                raise InputError(f"{path}: line {line}: {name} {cell[:20]!r} is not a number") from None
            if not math.isfinite(v):
                raise InputError(f"{path}: line {line}: {name} {cell[:20]!r} is not a finite number")
            row.append(v)
        rows.append(row)
        at.append(line)
    return np.array(rows, dtype=float).reshape(-1, len(cols)), np.array(at, dtype=np.int64), len(lines)


def _estimate_rate(t: np.ndarray) -> float | None:
    if len(t) < 2:
        return None
    return float(1.0 / np.median(np.diff(t), overwrite_input=True))


def from_spec(spec: str, options: SourceOptions) -> CsvSource:
    """`open_source` entry for a `.csv` path: played at `options.speed` on `options.clock`;
    `options.rate_hz` is a declared rate (--rate)."""
    return CsvSource(spec, rate_hz=options.rate_hz, front=options.front, clock=options.clock, speed=options.speed)
