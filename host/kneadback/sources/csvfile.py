"""A `time_s,adc` CSV file as a finite source.

The file has a header row naming at least the columns `time_s` (session seconds) and `adc`
(raw counts); other columns are ignored. Lines starting with `#` before the header may carry
what the columns do not: `# rate_hz: 200`, `# divider_ohms: 1000`, `# adc_bits: 10`,
`# vref_mv: 5000` (also `key=value`). Flags (`rate_hz`, `divider_ohms` arguments) win over the
file; without either the rate is estimated from the time column.

A gap in `time_s` (more than 1.5 sample periods) means samples were lost: the blocks split
there and the next block's `lost` says how many. Nothing is invented to fill the gap.

Any problem is an `InputError` naming the file, the line and what is wrong.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np

from kneadback.errors import InputError
from kneadback.model import DeviceInfo, SampleBlock
from kneadback.sources.base import Source, SourceItem, SourceOptions

BLOCK_SAMPLES = 4096  # samples per block handed out
DEFAULT_DIVIDER_OHMS = 1000.0  # the wiring guide's resistor, when neither the file nor a flag says
GAP_PERIODS = 1.5  # a step in time_s longer than this many periods means lost samples
_META_KEYS = {"rate_hz": float, "divider_ohms": float, "adc_bits": int, "vref_mv": int}


class CsvSource(Source):
    """Delivers the whole file as fast as it is read (a file has no pace of its own)."""

    def __init__(
        self,
        path: str | Path,
        *,
        rate_hz: float | None = None,
        divider_ohms: float | None = None,
        block_samples: int = BLOCK_SAMPLES,
    ) -> None:
        super().__init__(str(path))
        self.path = Path(path)
        self.declared_rate = rate_hz
        self.declared_divider = divider_ohms
        self.block_samples = max(1, int(block_samples))
        self.t = np.empty(0)
        self.adc = np.empty(0, dtype=np.int32)
        self._pos = 0
        self._sent_info = False
        self.divider_known = divider_ohms is not None

    def _open(self) -> None:
        meta, t, adc = read_csv(self.path)
        rate = self.declared_rate or meta.get("rate_hz") or _estimate_rate(t)
        if rate is None:
            raise InputError(f"{self.path}: too few samples to tell the sample rate; give --rate")
        bits = int(meta.get("adc_bits", 10))
        divider = self.declared_divider or meta.get("divider_ohms") or DEFAULT_DIVIDER_OHMS
        self.divider_known = bool(self.declared_divider or "divider_ohms" in meta)
        self.info = DeviceInfo(
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
        )
        self.t, self.adc = t, adc.astype(np.int32)
        step = np.diff(t)
        missing = np.zeros(len(t), dtype=np.int64)
        if len(t) > 1:
            missing[1:] = np.where(step > GAP_PERIODS / rate, np.rint(step * rate).astype(np.int64) - 1, 0)
        self._missing = missing
        self._index = np.arange(len(t)) + np.cumsum(missing)
        self._pos = 0
        self._sent_info = False

    def _close(self) -> None:
        pass

    def read(self, timeout: float = 0.05) -> list[SourceItem]:
        if not self._opened or self.finished:
            return []
        out: list[SourceItem] = []
        if not self._sent_info and self.info is not None:
            out.append(self.info)
            self._sent_info = True
        n = len(self.t)
        while self._pos < n and len(out) < 64:
            a = self._pos
            b = min(a + self.block_samples, n)
            gaps = np.flatnonzero(self._missing[a + 1 : b])
            if len(gaps):
                b = a + 1 + int(gaps[0])
            out.append(SampleBlock(self.t[a:b], self.adc[a:b], int(self._index[a]), int(self._missing[a])))
            self._pos = b
        if self._pos >= n:
            self.finished = True
        return out


def read_csv(path: Path) -> tuple[dict[str, float], np.ndarray, np.ndarray]:
    """(metadata, time_s, adc) from a CSV file; InputError naming file, line and problem."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a CSV file") from None
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: not a text file (byte {e.start} is not UTF-8)") from None
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror}") from None
    lines = text.splitlines()
    meta: dict[str, float] = {}
    k = 0
    while k < len(lines) and (not lines[k].strip() or lines[k].lstrip().startswith("#")):
        _parse_meta(path, k + 1, lines[k], meta)
        k += 1
    if k >= len(lines):
        raise InputError(f"{path}: line {k + 1}: no header row (expected columns time_s,adc)")
    names = [c.strip().strip('"').lower() for c in lines[k].split(",")]
    missing = [c for c in ("time_s", "adc") if c not in names]
    if missing:
        raise InputError(f"{path}: line {k + 1}: header lacks column {' and '.join(missing)} (found: {lines[k].strip()[:80]})")
    it, ia = names.index("time_s"), names.index("adc")
    body = lines[k + 1 :]
    first_line = k + 2
    t, adc = _parse_fast(body, len(names), it, ia)
    if t is None:
        t, adc = _parse_slow(path, body, first_line, len(names), it, ia)
    assert adc is not None
    if not len(t):
        raise InputError(f"{path}: line {first_line}: no samples after the header")
    if not np.all(np.isfinite(t)):
        i = int(np.flatnonzero(~np.isfinite(t))[0])
        raise InputError(f"{path}: line {_line_of(body, i, first_line)}: time_s is not a finite number")
    back = np.flatnonzero(np.diff(t) <= 0)
    if len(back):
        i = int(back[0]) + 1
        raise InputError(f"{path}: line {_line_of(body, i, first_line)}: time_s {t[i]:g} does not increase (previous {t[i - 1]:g})")
    frac = np.flatnonzero(adc != np.floor(adc))
    if len(frac):
        i = int(frac[0])
        raise InputError(f"{path}: line {_line_of(body, i, first_line)}: adc {adc[i]:g} is not a whole number")
    bits = int(meta.get("adc_bits", 10))
    full = (1 << bits) - 1
    out = np.flatnonzero((adc < 0) | (adc > full))
    if len(out):
        i = int(out[0])
        raise InputError(f"{path}: line {_line_of(body, i, first_line)}: adc {adc[i]:g} is outside 0..{full}")
    return meta, t, adc.astype(np.int32)


def device_lines(info: DeviceInfo) -> list[str]:
    """The `# key: value` lines, before the header, that this reader takes back."""
    return [
        f"# rate_hz: {info.sample_rate_hz:g}",
        f"# divider_ohms: {info.divider_ohms}",
        f"# adc_bits: {info.adc_bits}",
        f"# vref_mv: {info.vref_mv}",
    ]


def _parse_meta(path: Path, line: int, text: str, meta: dict[str, float]) -> None:
    body = text.strip().lstrip("#").strip()
    for sep in (":", "="):
        key, found, value = body.partition(sep)
        key = key.strip().lower()
        if found and key in _META_KEYS:
            try:
                v = _META_KEYS[key](value.strip())
            except ValueError:
                raise InputError(f"{path}: line {line}: {key} {value.strip()!r} is not a number") from None
            if not (math.isfinite(v) and v > 0):
                raise InputError(f"{path}: line {line}: {key} must be positive")
            meta[key] = v
            return


def _data_rows(body: list[str]) -> list[str]:
    return [ln for ln in body if ln.strip() and not ln.lstrip().startswith("#")]


def _parse_fast(body: list[str], ncols: int, it: int, ia: int) -> tuple[np.ndarray | None, np.ndarray | None]:
    """numpy's parser; None when anything is off (the slow path then finds the line)."""
    rows = _data_rows(body)
    if not rows:
        return np.empty(0), np.empty(0)
    try:
        table = np.loadtxt(io.StringIO("\n".join(rows)), delimiter=",", ndmin=2, dtype=float)
    except ValueError:
        return None, None
    if table.shape != (len(rows), ncols) or not np.all(np.isfinite(table[:, [it, ia]])):
        return None, None
    return table[:, it].copy(), table[:, ia].copy()


def _parse_slow(path: Path, body: list[str], first_line: int, ncols: int, it: int, ia: int) -> tuple[np.ndarray, np.ndarray]:
    t: list[float] = []
    a: list[float] = []
    for n, ln in enumerate(body):
        line = first_line + n
        if not ln.strip() or ln.lstrip().startswith("#"):
            continue
        cells = ln.split(",")
        if len(cells) != ncols:
            raise InputError(f"{path}: line {line}: {len(cells)} cells, the header has {ncols}")
        for col, name, dest in ((it, "time_s", t), (ia, "adc", a)):
            cell = cells[col].strip()
            try:
                v = float(cell)
            except ValueError:
                raise InputError(f"{path}: line {line}: {name} {cell[:20]!r} is not a number") from None
            if not math.isfinite(v):
                raise InputError(f"{path}: line {line}: {name} {cell[:20]!r} is not a finite number")
            dest.append(v)
    return np.array(t, dtype=float), np.array(a, dtype=float)


def _line_of(body: list[str], row: int, first_line: int) -> int:
    """File line number of data row `row` (skipping blank and comment lines)."""
    k = -1
    for n, ln in enumerate(body):
        if ln.strip() and not ln.lstrip().startswith("#"):
            k += 1
            if k == row:
                return first_line + n
    return first_line + len(body)


def _estimate_rate(t: np.ndarray) -> float | None:
    if len(t) < 2:
        return None
    return float(1.0 / np.median(np.diff(t)))


def from_spec(spec: str, options: SourceOptions) -> CsvSource:
    """`open_source` entry for a `.csv` path; `options.rate_hz` is a declared rate (--rate)."""
    return CsvSource(spec, rate_hz=options.rate_hz)
