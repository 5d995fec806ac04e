"""`live --lsl` and `replay --lsl`: the force and the events on the Lab Streaming Layer, read back
by an inlet in the test; the device-time → LSL-time map under clock drift; the liblsl config;
pylsl missing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pylsl
import pytest

from kneadback import __version__, paths
from kneadback.clock import ManualClock
from kneadback.commands import live, replay
from kneadback.errors import InputError
from kneadback.lsl import api, meta
from kneadback.lsl.outlet import BUCKET_S, ClockMap, LslOutlet
from kneadback.model import Channel, DeviceInfo, Marker, Rating, SampleBlock, SpotChanged
from kneadback.session import STATUS_INTERVAL_S
from kneadback.store.reader import open_recording
from reliability.cli import run_cli

from .conftest import TIMEOUT_S

LSL_EPOCH = 5000.0  # the test's LSL clock: the run's manual clock, this far on


# --- the map from device time to LSL time ------------------------------------------------------


def _drifting_arrivals(ppm: float, seed: int, minutes: float = 10, rate_hz: float = 1000, block: int = 20
                       ) -> Iterator[tuple[float, float, float]]:
    """(device time of a block's last sample, when it arrived, the true host time it was taken)
    for a device whose crystal runs `ppm` off, its blocks late by a jittery transport delay."""
    rng = np.random.default_rng(seed)
    start = 123.456
    for k in range(1, int(minutes * 60 * rate_hz / block) + 1):
        t = k * block / rate_hz
        truth = start + t * (1 + ppm * 1e-6)
        yield t, truth + rng.exponential(0.002) + (0.02 if rng.random() < 0.01 else 0.0), truth


@pytest.mark.parametrize(("ppm", "seed"), [(120.0, 1), (-80.0, 2), (0.0, 3)])
def test_the_clock_map_follows_the_drift_within_a_millisecond(ppm: float, seed: int) -> None:
    cmap = ClockMap()
    worst = 0.0
    for t, arrival, truth in _drifting_arrivals(ppm, seed):
        cmap.observe(t, arrival)
        if t > 2 * BUCKET_S:  # once it has the lowest arrival of a whole bucket
            worst = max(worst, abs(cmap(t) - truth), abs(cmap(t - 0.019) - (truth - 0.019 * (1 + ppm * 1e-6))))
    assert worst < 0.001


def test_the_clock_map_starts_over_after_a_pause() -> None:
    cmap = ClockMap()
    for k in range(1, 300):
        cmap.observe(k * 0.02, 10 + k * 0.02 + 0.001)
    assert cmap(6.0) == pytest.approx(16.0, abs=0.001)
    # a replay paused for 30 s: everything after arrives 30 s later than before
    for k in range(300, 600):
        cmap.observe(k * 0.02, 40 + k * 0.02 + 0.001)
    assert cmap(11.0) == pytest.approx(51.0, abs=0.001)


def test_the_clock_map_runs_at_a_replays_pace() -> None:
    cmap = ClockMap(slope=1 / 4)  # a replay at 4× real time: 4 session seconds per LSL second
    for k in range(1, 2000):
        cmap.observe(k * 0.02, 7 + k * 0.005 + 0.0005)
    assert cmap(40.0) == pytest.approx(17.0, abs=0.001)


# --- liblsl's config and pylsl missing ------------------------------------------------------


def test_the_config_is_written_at_the_users_scope(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(api.ENV)
    path = api.configure()
    assert path is not None and path.parent == paths.config_dir()
    assert os.environ[api.ENV] == str(path)
    text = path.read_text()
    assert "ResolveScope = machine" in text and "ListenAddress = 127.0.0.1" in text
    assert "KnownPeers = {127.0.0.1}" in text
    # a wider scope from config.toml
    monkeypatch.delenv(api.ENV)
    (paths.config_dir() / "config.toml").write_text('[lsl]\nscope = "site"\n')
    text = Path(str(api.configure())).read_text()
    assert "ResolveScope = site" in text and "ListenAddress" not in text


_PUBLISH = """
import sys, time, pylsl
outlets = [pylsl.StreamOutlet(pylsl.StreamInfo(f"{sys.argv[1]}-{i}", "Force", 1, 100.0, pylsl.cf_float32,
                                               f"{sys.argv[1]}-{i}")) for i in range(2)]
print("up", flush=True)
sys.stdin.read()  # until the test is done
"""
_RESOLVE = """
import sys, pylsl
found = pylsl.resolve_byprop("type", "Force", minimum=int(sys.argv[2]), timeout=float(sys.argv[3]))
print(sorted(i.name() for i in found if i.name().startswith(sys.argv[1])))
"""


def test_on_kneadbacks_own_config_every_programs_streams_are_found(tmp_path: Path, unique: Any) -> None:
    """Three programs of two streams each, and a fourth that looks for them, all on the config
    `--lsl` writes: each stream is found (a query to the loopback alone reaches one program's)."""
    stem = unique("tool")
    config = tmp_path / "lsl.cfg"
    config.write_text(api.config_text(api.LslSettings()).replace("[lab]\n", f"[lab]\nSessionID = {stem}\n"))
    env = {**os.environ, api.ENV: str(config)}
    publishers = [subprocess.Popen([sys.executable, "-c", _PUBLISH, f"{stem}-{p}"], env=env, stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, text=True) for p in "abc"]
    try:
        for p in publishers:
            assert p.stdout is not None and p.stdout.readline() == "up\n"
        found = subprocess.run([sys.executable, "-c", _RESOLVE, stem, "6", str(TIMEOUT_S)], env=env,
                               capture_output=True, text=True, timeout=2 * TIMEOUT_S)
    finally:
        for p in publishers:
            p.communicate(timeout=TIMEOUT_S)
    assert found.stdout.strip() == str(sorted(f"{stem}-{p}-{i}" for p in "abc" for i in range(2)))


def test_a_users_own_liblsl_config_is_kept(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    own = tmp_path / "mine.cfg"
    monkeypatch.setenv(api.ENV, str(own))
    assert api.configure() is None
    assert os.environ[api.ENV] == str(own) and not own.exists()


def test_a_wrong_scope_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(api.ENV)
    config = paths.config_dir() / "config.toml"
    config.write_text('[lsl]\nscope = "everywhere"\n')
    with pytest.raises(InputError) as e:
        api.configure()
    assert str(e.value) == (f"{config}: [lsl] scope 'everywhere' is not one of machine, link, site, organization, global")


def test_without_pylsl_lsl_is_one_line_and_exit_2(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "pylsl", None)  # `import pylsl` fails
    code, out, err = run_cli(capsys, ["live", "--source", "sim:steady", "--no-gui", "--lsl", "--duration", "2"])
    assert (code, out) == (2, "")
    assert err == "kneadback: LSL needs pylsl: pip install 'kneadback[lsl]'\n"


def test_replay_as_fast_as_it_goes_cannot_be_stamped(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run_cli(capsys, ["replay", "last", "--lsl", "--speed", "max"])
    assert code == 2
    assert err == "kneadback: replay: --lsl needs a finite --speed (LSL stamps follow the replay's pace)\n"


# --- the streams, read back -----------------------------------------------------------------------


def _inlet(source_id: str) -> Any:
    found = pylsl.resolve_byprop("source_id", source_id, timeout=TIMEOUT_S)
    assert len(found) == 1, f"{source_id}: {found}"
    inlet = pylsl.StreamInlet(found[0], recover=False)
    inlet.open_stream(timeout=TIMEOUT_S)
    return inlet


@dataclass
class Received:
    """What the inlets of one run took: the force samples and their stamps, the markers and
    their stamps, both streams' metadata."""

    force: list[list[float]] = field(default_factory=list)
    force_ts: list[float] = field(default_factory=list)
    markers: list[dict[str, Any]] = field(default_factory=list)
    markers_ts: list[float] = field(default_factory=list)
    force_meta: meta.StreamMeta | None = None
    markers_meta: meta.StreamMeta | None = None
    samples: int = -1  # the session's own count, from the last status

    def pull(self, force: Any, markers: Any) -> None:
        data, ts = force.pull_chunk(timeout=0.05, max_samples=100_000)
        self.force += data
        self.force_ts += ts
        data, ts = markers.pull_chunk(timeout=0.0)
        self.markers += [meta.parse_marker(d[0]) for d in data]
        self.markers_ts += ts

    def of(self, *types: str) -> list[dict[str, Any]]:
        return [m for m in self.markers if m["type"] in types]


def run_read(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: Any, argv: list[str],
             device: str) -> tuple[int, str, Received]:
    """`kneadback *argv` (a command whose clock is a manual one, as the LSL clock too) with inlets
    on its two streams from the first sample to the last: the run waits for the inlets once its
    streams are up, and before it takes them down until the inlets have everything."""
    clocks: list[ManualClock] = []

    def manual() -> ManualClock:
        clocks.append(ManualClock())
        return clocks[-1]

    monkeypatch.setattr(command, "MonotonicClock", manual)
    monkeypatch.setattr(pylsl, "local_clock", lambda: clocks[0].now() + LSL_EPOCH)
    up, go, closing, drained = (threading.Event() for _ in range(4))
    final: list[int] = []
    on_info, close = LslOutlet.on_info, LslOutlet._close

    def on_info_then_wait(self: LslOutlet, info: DeviceInfo) -> None:
        on_info(self, info)
        up.set()
        assert go.wait(TIMEOUT_S)

    def wait_then_close(self: LslOutlet) -> None:
        if self._force is not None and self._status is not None:
            final.append(self._status.samples)
            closing.set()
            drained.wait(TIMEOUT_S)
        close(self)

    monkeypatch.setattr(LslOutlet, "on_info", on_info_then_wait)
    monkeypatch.setattr(LslOutlet, "_close", wait_then_close)
    got = Received()
    failed: list[BaseException] = []

    def read() -> None:
        try:
            assert up.wait(TIMEOUT_S), "the streams did not come up"
            force, markers = _inlet(f"kneadback:{device}:force"), _inlet(f"kneadback:{device}:markers")
            go.set()
            got.force_meta, got.markers_meta = meta.read_meta(force.info()), meta.read_meta(markers.info())
            while not closing.is_set():
                got.pull(force, markers)
            for _ in range(int(TIMEOUT_S / 0.05)):
                got.pull(force, markers)
                status = got.of(meta.STATUS)
                if len(got.force) == final[0] and status and status[-1]["samples"] == final[0]:
                    break
            got.samples = final[0]
        except BaseException as e:  # raised in the test's thread below
            failed.append(e)
        finally:
            go.set()
            drained.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    code, out, err = run_cli(capsys, argv)  # in the main thread: it handles Ctrl-C
    reader.join(TIMEOUT_S)
    if failed:
        raise failed[0]
    assert code == 0, err
    return code, out, got


def check_streams(got: Received, jsonl: list[dict[str, Any]], t: np.ndarray, adc: np.ndarray, model: Any,
                  rate_hz: float, speed: float = 1.0, settle_ms: float = 1.0) -> None:
    """The samples, their stamps and the markers are what the session had. `settle_ms`: how far
    the session's time may move against the host's (the board's clock runs off, and its link
    learns by how much, `kneadback.protocol.timebase`); else it is 1 ms, the map's own error."""
    force = np.array(got.force, dtype=np.float64)
    stamps = np.array(got.force_ts)
    assert len(force) == len(adc) == got.samples  # not a sample lost
    assert np.array_equal(force[:, 0], adc)
    assert np.allclose(force[:, 1], model.to_newtons(adc).astype(np.float32), rtol=1e-6)
    # stamped by device time (each sample its own, 1/rate apart), not by when its block arrived
    offset = stamps - t / speed
    assert np.ptp(offset) < settle_ms / 1000
    assert np.abs(np.diff(offset)).max() < 0.001  # no step of a block's length from block to block
    assert np.median(np.diff(stamps)) == pytest.approx(1 / rate_hz / speed, rel=1e-3)
    # one marker per event of the published types, as `--jsonl` prints it, at the event's time
    published = [e for e in jsonl if e["type"] in meta.MARKER_TYPES]
    events = [m for m in got.markers if m["type"] != meta.STATUS]
    assert events == published
    event_ts = np.array([s for m, s in zip(got.markers, got.markers_ts) if m["type"] != meta.STATUS])
    event_t = np.array([e["t"] for e in events])
    assert np.allclose(event_ts, np.interp(event_t, t, stamps), atol=0.001)
    # a status a second of session time (and a last one with the totals)
    status = got.of(meta.STATUS)
    gaps = np.diff([s["t"] for s in status])
    assert len(status) >= t[-1] - 1 and gaps.max() <= meta.STATUS_EVERY_S + STATUS_INTERVAL_S + 1e-9
    assert status[-1]["samples"] == len(adc) and status[-1]["lost"] == 0


def check_meta(m: meta.StreamMeta | None, kind: str, device: str, spot: str) -> None:
    assert m is not None
    assert (m.kind, m.device_id, m.version, m.spot, m.calibration) == (kind, device, __version__, spot, "approximate")
    assert (m.front_end, m.divider_ohms, m.adc_bits, m.vref_mv) == ("fsr-low", "1000", "10", "5000")


#: a short session with every kind of event: strokes, bouts, cues, ratings, a hold, a move to
#: another spot; on a board whose clock runs 300 ppm fast
TOUR = """
description = "Every kind of event in 45 s."
[device]
rate_hz = 200
clock_ppm = 300
[user]
rate_hz = 1.0
force_n = 20.0
hold_n = 21.0
[[spots]]
name = "left calf"
[[spots]]
name = "right calf"
[[phase]]
kind = "strokes"
duration_s = 18
spot = "left calf"
rating = true
[[phase]]
kind = "hold"
duration_s = 6
rating = true
[[phase]]
kind = "rest"
duration_s = 6
[[phase]]
kind = "strokes"
duration_s = 15
spot = "right calf"
"""


def test_live_lsl_publishes_the_force_and_every_event(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                                      tmp_path: Path) -> None:
    tour = tmp_path / "tour.toml"
    tour.write_text(TOUR)
    device = f"sim:{tour}"
    argv = ["live", "--source", device, "--no-gui", "--jsonl", "--duration", "45", "--lsl"]
    _code, out, got = run_read(monkeypatch, capsys, live, argv, device)
    jsonl = [json.loads(line) for line in out.splitlines()]
    types = {e["type"] for e in jsonl}
    assert {"stroke", "hold", "bout-start", "bout", "cue", "rating", "spot"} <= types
    with open_recording("last") as rec:
        t, adc, _dev = rec.samples()
        check_streams(got, jsonl, t, adc, rec.force_model, rate_hz=200, settle_ms=5.0)  # a clock 300 ppm off
    check_meta(got.force_meta, "force", device, "left calf")
    check_meta(got.markers_meta, "markers", device, "left calf")
    assert got.force_meta is not None and got.markers_meta is not None
    assert [(c.label, c.unit) for c in got.force_meta.channels] == [("adc", "counts"), ("force_n", "N")]
    assert (got.force_meta.type, got.force_meta.sample_rate_hz, got.force_meta.name) == ("Force", 200.0, f"kneadback {device}")
    assert (got.markers_meta.type, got.markers_meta.sample_rate_hz) == ("Markers", 0.0)
    status = got.of(meta.STATUS)[-1]
    assert (status["spot"], status["link"], status["force_trust"]) == ("right calf", "streaming", "approximate")


def test_replay_lsl_publishes_the_recording(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(live, "MonotonicClock", ManualClock)
    code, _out, err = run_cli(capsys, ["live", "--source", "sim:bouts", "--no-gui", "--duration", "20"])
    assert code == 0, err
    argv = ["replay", "last", "--no-gui", "--jsonl", "--speed", "2", "--lsl"]
    _code, out, got = run_read(monkeypatch, capsys, replay, argv, "sim:bouts")
    jsonl = [json.loads(line) for line in out.splitlines()]
    assert {"stroke", "bout", "cue"} <= {e["type"] for e in jsonl}
    with open_recording("last") as rec:
        t, adc, _dev = rec.samples()
        check_streams(got, jsonl, t, adc, rec.force_model, rate_hz=rec.info.sample_rate_hz, speed=2.0)


def test_user_input_and_further_channels(unique: Any) -> None:
    """Markers, ratings and spot changes are markers too; a board's further channels follow the
    force, in their units."""
    board = unique("board")
    info = DeviceInfo(1, "1.2", "uno", 100.0, board_id=board,
                      channels=(Channel("force-adc"), Channel("accel-x", "m/s2", 0.01)))
    clock = ManualClock()
    outlet = LslOutlet(clock, spot=lambda: "calf", coach_state=lambda: None, force_model=lambda: None,
                       lsl_now=lambda: LSL_EPOCH + clock.now())
    outlet.on_info(info)
    force, markers = _inlet(f"kneadback:{board}:force"), _inlet(f"kneadback:{board}:markers")
    m = meta.read_meta(force.info())
    assert [(c.label, c.unit) for c in m.channels] == [("adc", "counts"), ("force_n", "N"), ("accel-x", "m/s2")]
    t = np.arange(1, 101) / 100.0
    clock.advance(1.0)
    outlet.on_block(SampleBlock(t, np.arange(100, dtype=np.int32), extra=np.arange(100, dtype=np.int16).reshape(-1, 1)))
    sent = [Marker(0.5, "knot"), Rating(0.6, 7, "calf", 20.0), SpotChanged(0.7, "shin")]
    outlet.on_events(sent)
    got = Received()
    for _ in range(int(TIMEOUT_S / 0.05)):
        got.pull(force, markers)
        if len(got.force) == 100 and len(got.markers) == 3:
            break
    outlet.close()
    assert [row[2] for row in got.force] == pytest.approx(np.arange(100) * 0.01)
    assert got.markers == [json.loads(meta.marker_json(e)) for e in sent]
    assert got.markers_ts == pytest.approx([LSL_EPOCH + e.t for e in sent], abs=0.001)


def test_a_marker_that_is_not_ours_is_refused() -> None:
    assert meta.parse_marker('{"type": "cue", "t": 1.0}') == {"type": "cue", "t": 1.0}
    for text in ("button pressed", "[1, 2]", '{"t": 1.0}'):
        with pytest.raises(ValueError):
            meta.parse_marker(text)
