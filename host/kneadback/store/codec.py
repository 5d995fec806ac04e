"""Lossless, compact encoding of sample blocks into the BLOBs of one `chunks` row.

A chunk holds a run of consecutive `SampleBlock`s exactly as the source delivered them (block
boundaries, `first_index`, `lost`, arrival times), so a replay feeds the pipeline the very same
blocks. Each column is a little-endian numpy array, zlib-compressed:

- `blocks`: the block table, column by column: samples (u4), first_index differences (i8),
  lost (i8), t_arrival (f8);
- `t`: session seconds as float64 *differences* from the chunk's `t0` (exact: the encoder checks
  that the running sum gives back every bit, and stores plain float64 when it would not);
- `adc`: counts as int16 differences (int32 when counts do not fit in int16);
- `t_device_us`: device microseconds (u32) as wrapping differences; NULL when the device sent none;
- the other channels of a board that has them (`SampleBlock.extra`, int16, e.g. an IMU's six),
  each as wrapping int16 differences, follow the counts in the `adc` column; the flag `_EXTRA` and
  their number (bits 12–15 of `codec`) say so. Chunks without them read as they always did.

Numeric columns are byte-shuffled before compression (all first bytes, then all second bytes...),
which lets zlib squeeze the slowly changing high bytes of times and counts.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from kneadback.model import SampleBlock

CODEC_VERSION = 1

# flag bits of the `codec` column (the version sits in the low byte)
_T_RAW = 1 << 8  # `t` holds plain float64 values, not differences
_ADC_32 = 1 << 9  # `adc` holds int32 differences
_EXTRA = 1 << 10  # `adc` goes on with the other channels, their number in bits 12..15
_EXTRA_SHIFT = 12
MAX_EXTRA = 15

BLOCK_DTYPE = np.dtype([("n", "<u4"), ("first_index", "<i8"), ("lost", "<i8"), ("t_arrival", "<f8")])


@dataclass(frozen=True)
class EncodedChunk:
    codec: int
    n_blocks: int
    n_samples: int
    first_index: int
    t0: float
    t1: float
    blocks: bytes
    t: bytes
    adc: bytes
    t_device_us: bytes | None


def _shuffle(a: np.ndarray) -> bytes:
    return a.view(np.uint8).reshape(-1, a.dtype.itemsize).T.tobytes() if a.size else b""


def _pack(a: np.ndarray) -> bytes:
    return zlib.compress(_shuffle(np.ascontiguousarray(a)), 6)


def _unpack(blob: bytes, dtype: npt.DTypeLike, n: int) -> np.ndarray:
    return _columns(blob, [dtype], n)[0]


def _columns(blob: bytes, dtypes: Sequence[npt.DTypeLike], n: int) -> list[np.ndarray]:
    """Byte-shuffled columns of `n` values each, one after another in one compressed blob."""
    dts = [np.dtype(d) for d in dtypes]
    data = np.frombuffer(zlib.decompress(blob), np.uint8)
    if len(data) != n * sum(d.itemsize for d in dts):
        raise ValueError(f"chunk column holds {len(data)} bytes, expected {n * sum(d.itemsize for d in dts)}")
    out, pos = [], 0
    for dt in dts:
        out.append(data[pos : pos + n * dt.itemsize].reshape(dt.itemsize, n).T.copy().view(dt).reshape(n))
        pos += n * dt.itemsize
    return out


def extra_columns(block: SampleBlock) -> int:
    """How many other channels a block carries."""
    return 0 if block.extra is None else int(np.asarray(block.extra).shape[1])


def _pack_table(meta: np.ndarray) -> bytes:
    """The block table column by column, first_index as differences, each byte-shuffled."""
    cols = [meta["n"], np.diff(meta["first_index"], prepend=0), meta["lost"], meta["t_arrival"]]
    return zlib.compress(b"".join(_shuffle(np.ascontiguousarray(c)) for c in cols), 6)


def _unpack_table(blob: bytes, n: int) -> np.ndarray:
    data = zlib.decompress(blob)
    if len(data) != n * BLOCK_DTYPE.itemsize:
        raise ValueError("block table has the wrong size")
    meta = np.empty(n, BLOCK_DTYPE)
    pos = 0
    for name in BLOCK_DTYPE.names or ():
        dt = BLOCK_DTYPE[name]
        size = n * dt.itemsize
        col = np.frombuffer(data[pos:pos + size], np.uint8).reshape(dt.itemsize, n).T.copy().view(dt).reshape(n)
        meta[name] = np.cumsum(col) if name == "first_index" else col
        pos += size
    return meta


def encode(blocks: list[SampleBlock]) -> EncodedChunk:
    """Encode non-empty blocks; either all or none of them carry device timestamps, and all the
    same number of other channels."""
    if not blocks:
        raise ValueError("nothing to encode")
    with_dev = [b.t_device_us is not None for b in blocks]
    if any(with_dev) and not all(with_dev):
        raise ValueError("blocks with and without device timestamps cannot share a chunk")
    columns = {extra_columns(b) for b in blocks}
    if len(columns) > 1:
        raise ValueError("blocks with different other channels cannot share a chunk")
    n_extra = columns.pop()
    if n_extra > MAX_EXTRA:
        raise ValueError(f"at most {MAX_EXTRA} other channels, not {n_extra}")
    meta = np.empty(len(blocks), BLOCK_DTYPE)
    meta["n"] = [len(b) for b in blocks]
    meta["first_index"] = [b.first_index for b in blocks]
    meta["lost"] = [b.lost for b in blocks]
    meta["t_arrival"] = [b.t_arrival for b in blocks]
    t = np.concatenate([np.asarray(b.t, dtype=np.float64) for b in blocks])
    adc = np.concatenate([np.asarray(b.adc, dtype=np.int64) for b in blocks])
    codec = CODEC_VERSION

    t0 = float(t[0])
    dt = np.diff(t, prepend=t0)
    if np.array_equal(np.cumsum(np.concatenate(([t0], dt[1:]))), t):
        t_blob = _pack(dt)
    else:
        codec |= _T_RAW
        t_blob = _pack(t)

    if adc.min() >= -32768 and adc.max() <= 32767:
        d_adc = np.diff(adc.astype(np.int16), prepend=np.int16(0))
    else:
        codec |= _ADC_32
        d_adc = np.diff(adc.astype(np.int32), prepend=np.int32(0))

    adc_blob = _shuffle(np.ascontiguousarray(d_adc))
    if n_extra:
        codec |= _EXTRA | n_extra << _EXTRA_SHIFT
        extra = np.concatenate([np.asarray(b.extra, dtype=np.int16) for b in blocks if b.extra is not None])
        d_extra = np.diff(extra, axis=0, prepend=np.zeros((1, n_extra), np.int16))  # wraps, exactly undone by cumsum
        adc_blob += b"".join(_shuffle(np.ascontiguousarray(d_extra[:, c])) for c in range(n_extra))

    dev_blob = None
    if all(with_dev):
        dev = np.concatenate([np.asarray(b.t_device_us).astype(np.uint32) for b in blocks])
        dev_blob = _pack(np.diff(dev, prepend=np.uint32(0)))

    return EncodedChunk(
        codec=codec,
        n_blocks=len(blocks),
        n_samples=int(t.shape[0]),
        first_index=int(blocks[0].first_index),
        t0=t0,
        t1=float(t[-1]),
        blocks=_pack_table(meta),
        t=t_blob,
        adc=zlib.compress(adc_blob, 6),
        t_device_us=dev_blob,
    )


def decode(codec: int, n_blocks: int, n_samples: int, t0: float, blocks: bytes, t: bytes, adc: bytes,
           t_device_us: bytes | None) -> list[SampleBlock]:
    """The blocks of one chunk row, bit for bit as they were recorded. Raises ValueError if damaged."""
    if codec & 0xFF != CODEC_VERSION:
        raise ValueError(f"unknown sample codec {codec & 0xFF}")
    try:
        meta = _unpack_table(blocks, n_blocks)
        if int(meta["n"].sum()) != n_samples:
            raise ValueError("block sizes do not add up to the chunk's samples")
        if codec & _T_RAW:
            tt = _unpack(t, np.float64, n_samples)
        else:
            d = _unpack(t, np.float64, n_samples)
            d[0] = t0
            tt = np.cumsum(d)
        n_extra = (codec >> _EXTRA_SHIFT) & MAX_EXTRA if codec & _EXTRA else 0
        counts, *others = _columns(adc, [np.int32 if codec & _ADC_32 else np.int16] + [np.int16] * n_extra, n_samples)
        aa = np.cumsum(counts, dtype=counts.dtype).astype(np.int32)
        extra = np.cumsum(np.stack(others, axis=1), axis=0, dtype=np.int16) if others else None
        dev = None
        if t_device_us is not None:
            dev = np.cumsum(_unpack(t_device_us, np.uint32, n_samples), dtype=np.uint32)
    except zlib.error as e:
        raise ValueError(f"compressed samples are damaged ({e})") from None
    out: list[SampleBlock] = []
    pos = 0
    for rec in meta:
        n = int(rec["n"])
        sl = slice(pos, pos + n)
        out.append(
            SampleBlock(
                t=tt[sl],
                adc=aa[sl],
                first_index=int(rec["first_index"]),
                lost=int(rec["lost"]),
                t_device_us=None if dev is None else dev[sl],
                t_arrival=float(rec["t_arrival"]),
                extra=None if extra is None else extra[sl],
            )
        )
        pos += n
    return out
