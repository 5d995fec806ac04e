"""Decode throughput of the link: bytes → frames → sample blocks, as the serial source does it.

Run: python tests/benchmarks/bench_link_decoder.py
Prints samples/s and MB/s for the frame decoder alone and for the whole DeviceStream (time
mapping, loss counting, blocks), on a 1 kHz stream (20 samples a frame) read 4 KB at a time,
and on a noisy stream (a garbage burst after every tenth frame). Then the time DeviceStream
takes for DATA without a HELLO whose timestamps never increase (a board that says no rate and
shows none), 500, 1,000 and 2,000 frames fed one at a time: linear, not held until flush().
"""

from __future__ import annotations

import random
import time

import numpy as np

from kneadback.model import DeviceInfo, SampleBlock
from kneadback.protocol.decoder import FrameDecoder
from kneadback.protocol.messages import frame_data, frame_hello
from kneadback.protocol.stream import DeviceStream

RATE = 1000
PER_FRAME = 20
SECONDS = 600
CHUNK = 4096


def make_stream(noisy: bool) -> tuple[bytes, int]:
    rng = random.Random(1)
    info = DeviceInfo(1, "0.1.0", "uno", float(RATE))
    parts = [frame_hello(info, 0)]
    n_frames = SECONDS * RATE // PER_FRAME
    adc = np.random.default_rng(1).integers(0, 1024, n_frames * PER_FRAME)
    for f in range(n_frames):
        idx = np.arange(f * PER_FRAME, (f + 1) * PER_FRAME)
        parts.append(frame_data(f, idx * (1_000_000 // RATE), adc[idx]))
        if noisy and f % 10 == 5:
            parts.append(bytes(rng.randrange(256) for _ in range(30)))
    return b"".join(parts), n_frames * PER_FRAME


def best_of(fn, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def no_hello_frozen_clock(frames: int) -> float:
    """Seconds to decode `frames` DATA frames of 4 samples all stamped 5 s, with no HELLO."""
    wire = [frame_data(i, [5_000_000] * 4, [512] * 4) for i in range(frames)]
    t0 = time.perf_counter()
    s = DeviceStream("bench")
    got = 0
    for i, f in enumerate(wire):
        got += sum(len(b) for b in s.feed(f, i * 0.02) if isinstance(b, SampleBlock))
    got += sum(len(b) for b in s.flush(frames * 0.02) if isinstance(b, SampleBlock))
    assert got == 4 * frames
    return time.perf_counter() - t0


def main() -> None:
    for noisy in (False, True):
        wire, n = make_stream(noisy)
        chunks = [wire[i : i + CHUNK] for i in range(0, len(wire), CHUNK)]

        def frames_only(chunks: list[bytes] = chunks) -> None:
            dec = FrameDecoder()
            for c in chunks:
                dec.feed(c)

        got = [0]

        def whole_stream(chunks: list[bytes] = chunks, got: list[int] = got) -> None:
            s = DeviceStream("bench")
            got[0] = 0
            for i, c in enumerate(chunks):
                for item in s.feed(c, i * 0.01):
                    if isinstance(item, SampleBlock):
                        got[0] += len(item)

        label = "noisy 1 kHz stream" if noisy else "1 kHz stream"
        for name, fn in (("frame decoder", frames_only), ("DeviceStream", whole_stream)):
            dt = best_of(fn)
            print(
                f"{label:20s} {name:14s} {n / dt / 1e6:6.2f} M samples/s  {len(wire) / dt / 1e6:6.2f} MB/s  "
                f"({n / dt / RATE:,.0f}× real time at {RATE} Hz; {len(wire) / 1e6:.1f} MB, {SECONDS} s of data)"
            )
        assert noisy or got[0] == n
    for frames in (500, 1000, 2000):
        print(f"no HELLO, a clock that never moves: {frames:5d} frames in {no_hello_frozen_clock(frames):6.3f} s")


if __name__ == "__main__":
    main()
