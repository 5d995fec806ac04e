"""Recordings keep the IMU's channels bit for bit; FSR-only chunks and old recordings are as before."""

from __future__ import annotations

import numpy as np
import pytest

from kneadback.model import SampleBlock, StrokeMotion
from kneadback.simulate.render import render
from kneadback.store import codec
from kneadback.store.reader import open_session

from .scenarios import ONE_WAY, record_blocks, scenario


def blocks_of(r, size: int = 4, imu: bool = True) -> list[SampleBlock]:
    return [
        SampleBlock(r.t[a : a + size], r.adc[a : a + size], first_index=a, t_device_us=r.t_us[a : a + size],
                    extra=r.tool.imu[a : a + size] if imu else None)
        for a in range(0, len(r.t), size)
    ]


def same(a: SampleBlock, b: SampleBlock) -> bool:
    extra_same = (a.extra is None and b.extra is None) or (
        a.extra is not None and b.extra is not None and np.array_equal(a.extra, b.extra) and b.extra.dtype == np.int16)
    return (np.array_equal(a.t, b.t) and np.array_equal(a.adc, b.adc) and a.first_index == b.first_index
            and np.array_equal(a.t_device_us, b.t_device_us) and extra_same)


def test_a_chunk_with_imu_channels_decodes_bit_for_bit():
    r = render(scenario(ONE_WAY, seconds=5.0), seed=1)
    blocks = blocks_of(r)
    blocks[3] = SampleBlock(blocks[3].t, blocks[3].adc, blocks[3].first_index, t_device_us=blocks[3].t_device_us,
                            extra=np.full((4, 6), [-32768, 32767, 0, 1, -1, 12345], np.int16))  # the extremes wrap back
    c = codec.encode(blocks)
    back = codec.decode(c.codec, c.n_blocks, c.n_samples, c.t0, c.blocks, c.t, c.adc, c.t_device_us)
    assert len(back) == len(blocks) and all(same(a, b) for a, b in zip(blocks, back))


def test_an_fsr_only_chunk_is_written_as_it_always_was():
    r = render(scenario(None, seconds=5.0), seed=1)
    blocks = blocks_of(r, imu=False)
    c = codec.encode(blocks)
    adc = np.concatenate([b.adc for b in blocks]).astype(np.int16)
    assert c.codec == codec.CODEC_VERSION  # no flag
    assert c.adc == codec._pack(np.diff(adc, prepend=np.int16(0)))
    back = codec.decode(c.codec, c.n_blocks, c.n_samples, c.t0, c.blocks, c.t, c.adc, c.t_device_us)
    assert all(b.extra is None for b in back) and all(same(a, b) for a, b in zip(blocks, back))


def test_blocks_with_other_channels_or_none_never_share_a_chunk():
    r = render(scenario(ONE_WAY, seconds=2.0), seed=1)
    mixed = blocks_of(r)[:2] + blocks_of(r, imu=False)[2:4]
    with pytest.raises(ValueError, match="other channels"):
        codec.encode(mixed)


def test_a_recorded_imu_session_replays_the_same_blocks_and_motion(tmp_path):
    r = render(scenario(ONE_WAY, seconds=12.0), seed=2)
    blocks = blocks_of(r, size=4)
    blocks[100:110] = [SampleBlock(b.t, b.adc, b.first_index, t_device_us=b.t_device_us) for b in blocks[100:110]]  # frames without IMU values
    stored = open_session(record_blocks(r.info, blocks, r.rate_hz))
    back = [b for _, b in stored.blocks()]
    assert stored.info == r.info
    assert len(back) == len(blocks) and all(same(a, b) for a, b in zip(blocks, back))

    from kneadback.engine.engine import Engine

    def run(bs: list[SampleBlock]) -> list[object]:
        e = Engine()
        e.configure(r.info)
        return [ev for b in bs for ev in e.process(b)]

    events = run(back)
    assert events == run(blocks) and any(isinstance(ev, StrokeMotion) for ev in events)
