"""Protocol 1.1 on the real firmware: STOP/START cycles at 10 to 1000 Hz, and a reset.

The very .hex that `make -C firmware` builds runs unpaced on the emulated board (simavr). The
test drives it over its pty with pyserial and keeps every byte with its arrival time; the
host's conformance runner (`python3 -m kneadback.protocol.conformance`, the decoding path of
live use) turns the bytes into events. The device's timestamps are the truth: within a run the
samples are exactly one period apart, so the host must report every sample once, none lost,
one pause per STOP/START and one reset per reset, even when the reset's HELLO is lost. The
firmware's own frames are also checked field by field with the vector generator's independent
decoder (`firmware/test/make_vectors.py`). Needs gcc-avr, avr-libc, arduino-core-avr, simavr
and libsimavr-dev (CI installs them).
"""

from __future__ import annotations

import importlib.util
import json
import math
import select
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
import serial

from kneadback.model import Command
from kneadback.protocol.decoder import BadFrame, Decoded, Frame, FrameDecoder
from kneadback.protocol.messages import START, STOP, Ack, Data, Hello, Pong, Status, frame_command
from kneadback.sources.emulated import Harness, firmware_dir, missing_tools

pytestmark = pytest.mark.skipif(
    bool(missing_tools()), reason=f"the AVR toolchain or simavr is not installed: missing {', '.join(missing_tools())}"
)

FAST = math.inf  # run the emulator as fast as it can
WALL_LIMIT_S = 60.0  # a guard against a hung emulator, never reached when things work
RUNNER = [sys.executable, "-m", "kneadback.protocol.conformance"]
CYCLES = 3  # STOP/START cycles at each rate
RUN_FRAMES = 5  # DATA frames of each run before the next STOP
ADC = 321  # the constant count on the emulated A0
STATUS_PERIOD_US = 1_000_000  # the firmware's periodic STATUS
FIRMWARE_INFO = {  # HELLO of the firmware as built by default, on a fresh EEPROM
    "event": "info",
    "major": 1,
    "minor": 1,
    "boot_id": 0,
    "rate_hz": 200,
    "front_end": "fsr-low",
    "front_ohms": 1000,
    "serial": "",
    "channels": ["force-adc"],
    "board": "uno",
}


def frame_samples(rate_hz: int) -> int:
    """Samples in a full DATA frame: a frame about every 20 ms (see firmware/PROTOCOL.md)."""
    return max(1, min(20, rate_hz // 50))


class Board:
    """The emulated board on its pty: commands out; every byte in, kept with its arrival time
    (seconds from the start), and decoded into frames as it comes."""

    def __init__(self) -> None:
        self.harness = Harness(value=ADC, speed=FAST)
        self.port = serial.Serial(self.harness.pty, timeout=0)
        self.chunks: list[tuple[float, bytes]] = []
        self.decoded: list[Decoded] = []
        self._decoder = FrameDecoder()
        self._t0 = time.monotonic()

    def close(self) -> None:
        self.port.close()
        self.harness.close()

    def send(self, name: str, value: int = 0) -> None:
        self.port.write(frame_command(Command(name, value)))

    def until(self, done: Callable[[list], bool]) -> list:
        """Reads until `done(messages since the call)` holds; returns those messages."""
        start = len(self.decoded)
        deadline = time.monotonic() + WALL_LIMIT_S
        while not done(self.messages(start)):
            assert time.monotonic() < deadline, f"no progress within {WALL_LIMIT_S} s: {self.messages(start)[-5:]}"
            select.select([self.port.fileno()], [], [], 0.05)
            data = self.port.read(4096)
            if data:
                self.chunks.append((time.monotonic() - self._t0, data))
                self.decoded += self._decoder.feed(data)
        return self.messages(start)

    def messages(self, start: int = 0) -> list:
        return [d.message for d in self.decoded[start:] if isinstance(d, Frame)]

    def stop(self) -> None:
        """STOP, until its ACK and the STATUS (streaming off) that follows it."""
        self.send("stop")
        self.until(lambda m: any(isinstance(x, Ack) and x.command == STOP for x in m) and _stopped(m))

    def start_before_status(self, window_us: int) -> None:
        """START timed to come just before the next periodic STATUS, `window_us` (the time
        from START to the first DATA) ahead of it: a firmware that kept its STATUS schedule
        across START would send STATUS(streaming) between ACK(START) and the first DATA,
        which a 1.0 receiver took as the end of the pause."""
        status = next(x for x in reversed(self.until(_stopped)) if isinstance(x, Status))
        token = 0
        while True:
            token += 1
            self.send("ping", token)
            pong = next(x for x in self.until(partial(_pong, token=token)) if isinstance(x, Pong) and x.token == token)
            if (pong.t_us - status.t_us) % 2**32 >= STATUS_PERIOD_US - window_us * 4 // 5:
                break
        self.send("start")

    def data_frames(self, n: int) -> list:
        return self.until(lambda m: sum(isinstance(x, Data) for x in m) >= n)

    def case(self, path: Path, cut: Frame | None = None) -> Path:
        """The bytes as a conformance case file, without the frame `cut` (a lost frame)."""
        drop = range(cut.offset, cut.offset + cut.size + 1) if cut else range(0)
        pos = 0
        rows = []
        for at, data in self.chunks:
            kept = bytes(b for i, b in enumerate(data, pos) if i not in drop)
            pos += len(data)
            if kept:
                rows.append({"at": round(at, 6), "hex": kept.hex()})
        path.write_text(json.dumps({"name": path.stem, "description": "the emulated firmware", "input": rows}))
        return path


def _stopped(messages: list) -> bool:
    return any(isinstance(x, Status) and not x.streaming for x in messages)


def _pong(messages: list, token: int) -> bool:
    return any(isinstance(x, Pong) and x.token == token for x in messages)


def _data_after_hello(messages: list) -> bool:
    """RUN_FRAMES DATA frames have come after a HELLO."""
    at = next((k for k, x in enumerate(messages) if isinstance(x, Hello)), None)
    return at is not None and sum(isinstance(x, Data) for x in messages[at:]) >= RUN_FRAMES


@pytest.fixture
def board():
    b = Board()
    yield b
    b.close()


def run_host(case: Path) -> list[dict]:
    """The host's events for a case file, one JSON object a line."""
    done = subprocess.run(RUNNER + ["--case", str(case)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def split(messages: list, at: Callable[[object], bool]) -> list[list[Data]]:
    """DATA frames in groups, a new group at every message for which `at` holds."""
    groups: list[list[Data]] = [[]]
    for m in messages:
        if at(m):
            groups.append([])
        elif isinstance(m, Data):
            groups[-1].append(m)
    return [g for g in groups if g]


def expected_samples(boots: list[list[Data]]) -> list[tuple[list[int], list[int], int]]:
    """(t_us, adc, lost) of each DATA frame: device times from the first sample of the boot."""
    out = []
    for frames in boots:
        first = int(frames[0].t_us[0])
        out += [([int(t) - first for t in d.t_us], d.adc.tolist(), 0) for d in frames]
    return out


def shape(events: list[dict]) -> str:
    """The stream's outline: s for samples, p for a pause, r for a reset."""
    marks = {"samples": "s", "pause": "p", "reset": "r"}
    return "".join(marks[e["event"]] for e in events if e["event"] in marks)


def errors(events: list[dict]) -> Counter[str]:
    """Bad frames by kind: each error event carries the running count of its kind."""
    return Counter({e["kind"]: e["count"] for e in events if e["event"] == "error"})


@pytest.mark.parametrize("rate", [10, 50, 200, 1000])
def test_emulator_stop_start_cycles_lose_nothing(board, tmp_path, rate):
    period_us = 1_000_000 // rate
    n = frame_samples(rate)
    board.data_frames(RUN_FRAMES)
    for cycle in range(CYCLES):
        board.stop()
        if cycle == 0 and rate != 200:
            board.send("set-rate", rate)
            board.until(lambda m: any(isinstance(x, Hello) for x in m))
        board.start_before_status(window_us=n * period_us)
        board.data_frames(RUN_FRAMES)
    messages = board.messages()

    # the firmware: every run exactly one period from sample to sample, full frames but the
    # one STOP flushes, seq continuing across STOP/START, no STATUS between ACK(START) and
    # the first DATA, nothing dropped, no bad frame
    runs = split(messages, lambda m: isinstance(m, Ack) and m.command == START)
    assert len(runs) == CYCLES + 1
    for k, run in enumerate(runs):
        t = [int(x) for d in run for x in d.t_us]
        assert {b - a for a, b in zip(t, t[1:])} == {period_us if k else 5000}  # run 0: 200 Hz
        full = n if k else 4
        assert all(len(d) == full for d in run[:-1]) and 1 <= len(run[-1]) <= full
        assert {int(a) for d in run for a in d.adc} == {ADC}
    seqs = [m.seq for m in messages if isinstance(m, Data)]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    after_start = False
    for m in messages:
        if isinstance(m, Ack) and m.command == START:
            after_start = True
        elif isinstance(m, Data):
            after_start = False
        assert not (after_start and isinstance(m, Status)), "STATUS between ACK(START) and the first DATA"
    assert all(m.dropped == 0 and m.overruns == 0 for m in messages if isinstance(m, Status))
    assert not [d for d in board.decoded if isinstance(d, BadFrame)]

    # the host: each sample once with its device time, nothing lost, a pause between runs
    events = run_host(board.case(tmp_path / f"stop-start-{rate}hz.json"))
    got = [(e["t_us"], e["adc"], e["lost"]) for e in events if e["event"] == "samples"]
    assert got == expected_samples([[d for run in runs for d in run]])
    assert shape(events) == "p".join("s" * len(run) for run in runs)
    infos = [e for e in events if e["event"] == "info"]
    assert infos[0] == FIRMWARE_INFO
    assert [i["rate_hz"] for i in infos] == ([200] if rate == 200 else [200, rate])
    assert not errors(events) and not [e for e in events if e["event"] in ("refused", "reset")]


def test_emulator_reset_is_a_new_boot_even_without_its_hello(board, tmp_path):
    board.data_frames(2 * RUN_FRAMES)
    board.harness.reset()
    board.until(_data_after_hello)
    messages = board.messages()
    boots = split(messages, lambda m: isinstance(m, Hello))
    assert len(boots) == 2 and {int(a) for b in boots for d in b for a in d.adc} == {ADC}
    bad = Counter(d.kind for d in board.decoded if isinstance(d, BadFrame))  # a frame the reset cut
    assert sum(bad.values()) <= 1

    events = run_host(board.case(tmp_path / "reset.json"))
    assert [(i["boot_id"], i["minor"]) for i in events if i["event"] == "info"] == [(0, 1), (1, 1)]
    got = [(e["t_us"], e["adc"], e["lost"]) for e in events if e["event"] == "samples"]
    assert got == expected_samples(boots)
    assert shape(events) == "s" * len(boots[0]) + "r" + "s" * len(boots[1])
    assert errors(events) == bad

    # the HELLO after the reset lost: DATA still tells the new boot
    hello = [d for d in board.decoded if isinstance(d, Frame) and isinstance(d.message, Hello)][1]
    events = run_host(board.case(tmp_path / "reset-hello-lost.json", cut=hello))
    assert [i["boot_id"] for i in events if i["event"] == "info"] == [0]
    assert [(e["t_us"], e["adc"], e["lost"]) for e in events if e["event"] == "samples"] == got
    assert shape(events) == "s" * len(boots[0]) + "r" + "s" * len(boots[1])


def _vector_decoder():
    """firmware/test/make_vectors.py: the standalone implementation of PROTOCOL.md."""
    spec = importlib.util.spec_from_file_location("make_vectors", firmware_dir() / "test" / "make_vectors.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_emulator_firmware_sends_1_1_frames(board):
    """HELLO's extension and DATA's trailer through SET_RATE, STOP/START and a reset."""
    board.data_frames(RUN_FRAMES)
    board.send("set-rate", 500)  # while streaming: the 200 Hz samples go out first
    board.until(_data_after_hello)
    board.stop()
    board.send("start")
    board.data_frames(RUN_FRAMES)
    board.harness.reset()
    board.until(_data_after_hello)
    mv = _vector_decoder()
    outcomes = mv.decode_stream(b"".join(c for _, c in board.chunks))
    assert len([o for o in outcomes if o["kind"] != "ok"]) <= 1  # a frame the reset cut short
    parsed = [mv.parse(bytes.fromhex(o["payload"])) + (o["payload"][:2],) for o in outcomes if o["kind"] == "ok"]
    assert all(kind == "ok" for kind, _, _ in parsed)
    hellos = [f for _, f, t in parsed if t == "01"]
    channel = [{"kind": 0, "unit": 0, "scale": 1.0}]
    expect = {
        "minor": 1,
        "front_end": 1,
        "front_ohms": 1000,
        "divider_ohms": 1000,
        "serial": "",
        "channels": channel,
        "board": "uno",
    }
    assert [{k: h[k] for k in expect} for h in hellos] == [expect] * 3
    assert [(h["boot_id"], h["rate_hz"]) for h in hellos] == [(0, 200), (0, 500), (1, 200)]

    data = [f for _, f, t in parsed if t == "02"]
    # each frame's rate is the spacing of its samples and of the previous frame's last sample,
    # within a run; seq carries on across STOP/START and restarts at the reset
    runs = [(d["boot"], d["run"]) for d in data]
    assert sorted(set(runs)) == [(0, 0), (0, 1), (1, 0)] and runs == sorted(runs)
    rates = {run: [d["rate_hz"] for d in data if (d["boot"], d["run"]) == run] for run in set(runs)}
    assert rates[0, 0][0] == 200 and rates[0, 0][-1] == 500 and rates[0, 0] == sorted(rates[0, 0])
    assert set(rates[0, 1]) == {500} and set(rates[1, 0]) == {200}
    for prev, d in zip(data, data[1:]):
        t = [prev["samples"][-1][0]] + [s[0] for s in d["samples"]]
        if (prev["boot"], prev["run"]) == (d["boot"], d["run"]):
            assert {b - a for a, b in zip(t, t[1:])} == {1_000_000 // d["rate_hz"]}
            assert d["seq"] == prev["seq"] + 1
        elif prev["boot"] == d["boot"]:  # STOP/START: a pause, seq goes on
            assert d["seq"] == prev["seq"] + 1 and t[1] - t[0] > 1_000_000 // d["rate_hz"]
        else:
            assert d["seq"] == 0
    assert all(f["flags"] in (0, 1) for _, f, t in parsed if t == "03")
