"""`--source lsl:…` and `--lsl-markers`: streams published here by pylsl, read by kneadback's inlet."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from tests.lsl.conftest import TIMEOUT_S

from kneadback import cli
from kneadback.calibration import force_model_for_device
from kneadback.clock import MonotonicClock
from kneadback.errors import InputError, SourceError
from kneadback.lsl import api
from kneadback.lsl.inlet import GAP_PERIODS, Timeline
from kneadback.lsl.markers_in import with_markers
from kneadback.model import LinkEvent, Marker, SampleBlock
from kneadback.sources import open_source
from kneadback.sources.base import Source, SourceOptions

RATE = 100.0
#: two inlets on one machine each measure the clock offset (liblsl's time correction); their
#: measurements differ by microseconds, far below a sample period
CORRECTION_S = 1e-4


def outlet(name: str, *, channels: tuple[tuple[str, str], ...] = (("force", "N"),), rate: float = RATE,
           fmt: str = "float32", source_id: str = "") -> Any:
    pylsl = api.load()
    info = pylsl.StreamInfo(name, "Force", len(channels), rate, getattr(pylsl, f"cf_{fmt}"), source_id or name)
    chans = info.desc().append_child("channels")
    for label, unit in channels:
        ch = chans.append_child("channel")
        ch.append_child_value("label", label)
        ch.append_child_value("unit", unit)
    return pylsl.StreamOutlet(info)


def push(out: Any, values: np.ndarray, stamps: np.ndarray) -> None:
    out.push_chunk(np.asarray(values, dtype=np.float32).reshape(len(stamps), -1).tolist(), stamps.tolist())


def items_until(source: Source, done: Callable[[list[Any]], bool]) -> list[Any]:
    """What the source delivers until `done` holds for it (at most `TIMEOUT_S`)."""
    got: list[Any] = []
    end = time.monotonic() + TIMEOUT_S
    while not done(got):
        assert time.monotonic() < end, f"timed out; got {got}"
        got += source.read(0.05)
    return got


def samples(items: list[Any]) -> int:
    return sum(len(i) for i in items if isinstance(i, SampleBlock))


def blocks(items: list[Any]) -> Iterator[SampleBlock]:
    return (i for i in items if isinstance(i, SampleBlock))


# --- time --------------------------------------------------------------------------------------


def test_session_time_starts_at_the_first_stamp_and_a_gap_counts_its_missing_samples_as_lost():
    line = Timeline(RATE)
    stamps = 5000.0 + np.arange(10) / RATE
    first = line.blocks(stamps, np.arange(10, dtype=np.int32), None, 0.0)
    assert [len(b) for b in first] == [10] and first[0].lost == 0 and first[0].t[0] == 0.0
    # samples 10..12 arrive; 13..19 never do; 20..24 come in the same chunk
    later = np.concatenate((5000.0 + np.arange(10, 13) / RATE, 5000.0 + np.arange(20, 25) / RATE))
    out = line.blocks(later, np.arange(8, dtype=np.int32), None, 0.0)
    assert [(len(b), b.lost, b.first_index) for b in out] == [(3, 0, 10), (5, 7, 20)]
    assert out[1].t[0] == pytest.approx(0.2)


def test_jitter_within_a_few_periods_is_no_gap_and_time_never_runs_back():
    line = Timeline(RATE)
    jitter = np.array([0.0, 0.4, -0.3, 0.2, 0.0]) / RATE
    stamps = 100.0 + np.arange(5) / RATE + jitter
    out = line.blocks(stamps, np.zeros(5, dtype=np.int32), None, 0.0)
    assert [b.lost for b in out] == [0]
    back = line.blocks(np.array([100.0 + 3.5 / RATE, 100.0 + (4 + GAP_PERIODS - 0.5) / RATE]),
                       np.zeros(2, dtype=np.int32), None, 0.0)
    t = np.concatenate([b.t for b in out + back])
    assert (np.diff(t) >= 0).all() and sum(b.lost for b in back) == 0


# --- which stream, and which are refused ------------------------------------------------------------


@pytest.mark.parametrize("spec", ["lsl", "lsl:", "lsl:type=", "lsl:colour=red"])
def test_a_spec_that_names_no_stream_is_one_line(spec):
    with pytest.raises(InputError, match="lsl:NAME, lsl:type=TYPE or lsl:source_id=ID"):
        open_source(spec)


def test_no_such_stream_names_the_spec_and_what_was_found(unique, monkeypatch):
    monkeypatch.setattr("kneadback.lsl.inlet.RESOLVE_S", 0.5)
    other = outlet(unique("other"))
    with pytest.raises(SourceError) as e:
        open_source(f"lsl:{unique('absent')}")
    text = str(e.value)
    assert "\n" not in text and "no LSL stream with name" in text and other.get_info().name() in text


@pytest.mark.parametrize(("kind", "why"), [("strings", "carries strings, not a force signal"),
                                           ("irregular", "has an irregular rate")])
def test_a_stream_that_is_no_force_signal_is_refused_with_one_line_and_exit_2(unique, capsys, kind, why):
    name = unique(kind)
    keep = outlet(name, fmt="string") if kind == "strings" else outlet(name, rate=0.0)  # noqa: F841 (announced while alive)
    code = cli.main(["live", "--source", f"lsl:{name}", "--no-gui", "--no-record", "--duration", "1"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert err.startswith(f"kneadback: lsl:{name}: stream ") and why in err


# --- reading ------------------------------------------------------------------------------------


def test_a_foreign_stream_is_a_linear_front_end_on_its_force_channel_with_a_notice(unique):
    name = unique("plate")
    out = outlet(name, channels=(("Fx", "N"), ("Force", "N")))
    notes: list[str] = []
    source = open_source(f"lsl:{name}", SourceOptions(clock=MonotonicClock(), notice=notes.append))
    with source:
        assert source.info is not None
        assert (source.info.front_end, source.info.adc_bits, source.info.sample_rate_hz) == ("linear", 16, RATE)
        assert len(notes) == 1 and "not a kneadback stream" in notes[0] and "'Force'" in notes[0]
        stamps = 1000.0 + np.arange(50) / RATE
        force = np.linspace(0.0, 12.34, 50)
        push(out, np.column_stack((np.full(50, 99.0), force)), stamps)
        got = items_until(source, lambda got: samples(got) >= 50)
    adc = np.concatenate([b.adc for b in blocks(got)])
    t = np.concatenate([b.t for b in blocks(got)])
    np.testing.assert_array_equal(adc, np.rint(force.astype(np.float32) * 100).astype(np.int32))  # 0.01 N a count
    np.testing.assert_allclose(t, stamps - stamps[0], atol=1e-6)
    model = force_model_for_device(source.info)  # the engine's: in newtons, as the stream says
    assert model.trust == "calibrated" and "the force in newtons" in notes[0]
    np.testing.assert_allclose(model.to_newtons(adc), force, atol=0.005)


def test_a_foreign_stream_without_newtons_is_a_relative_force(unique):
    name = unique("sensor")
    keep = outlet(name, channels=(("pressure", "mV"), ("temp", "C")))  # noqa: F841 (announced while alive)
    notes: list[str] = []
    with open_source(f"lsl:{name}", SourceOptions(clock=MonotonicClock(), notice=notes.append)) as source:
        assert source.info is not None
        assert force_model_for_device(source.info).trust == "unitless"
    assert "its channel 'pressure' is read as a linear front end (0.01 of its unit a count), a relative force" \
        in notes[0]


def test_a_kneadback_stream_gives_the_publishers_device_counts_and_spot(unique):
    from kneadback.lsl.outlet import LslOutlet
    from kneadback.model import Channel, DeviceInfo

    device = DeviceInfo(protocol_version=1, protocol_minor=1, firmware_version="1.1", board="uno", sample_rate_hz=RATE,
                        adc_bits=12, vref_mv=3300, divider_ohms=4700, front_end="fsr-high", board_id=unique("board"),
                        channels=(Channel("force-adc"), Channel("accel-x", "m/s2", 0.004)))
    out = LslOutlet(MonotonicClock(), spot=lambda: "left calf", coach_state=lambda: None, force_model=lambda: None)
    out.on_info(device)
    source = open_source(f"lsl:source_id=kneadback:{device.board_id}:force", SourceOptions(clock=MonotonicClock()))
    assert source.spot == "left calf"
    adc = np.arange(3000, 3100, dtype=np.int32)
    accel = (np.arange(100, dtype=np.int16) - 50).reshape(-1, 1)
    with source:
        info = source.info
        assert info is not None
        assert (info.front_end, info.adc_bits, info.vref_mv, info.divider_ohms, info.sample_rate_hz) == \
            ("fsr-high", 12, 3300, 4700, RATE)
        assert info.channels[1] == Channel("accel-x", "m/s2", 0.004)
        for k in range(0, 100, 25):  # blocks as a board delivers them
            out.on_block(SampleBlock(t=np.arange(k, k + 25) / RATE, adc=adc[k:k + 25], extra=accel[k:k + 25]))
        got = items_until(source, lambda got: samples(got) >= 100)
    out.close()
    np.testing.assert_array_equal(np.concatenate([b.adc for b in blocks(got)]), adc)
    np.testing.assert_array_equal(np.concatenate([b.extra for b in blocks(got) if b.extra is not None]), accel)


def test_a_publisher_that_goes_away_is_a_lost_link_and_its_return_under_the_same_source_id_resumes(unique):
    name, sid = unique("tool"), unique("id")
    first = outlet(name, source_id=sid)
    source = open_source(f"lsl:{name}", SourceOptions(clock=MonotonicClock()))
    t0 = api.load().local_clock()
    with source:
        push(first, np.full(100, 5.0), t0 + np.arange(100) / RATE)
        items_until(source, lambda got: samples(got) >= 100)
        del first  # the publisher's process ends
        gone = items_until(source, lambda got: any(isinstance(i, LinkEvent) for i in got))
        assert [i.kind for i in gone if isinstance(i, LinkEvent)] == ["disconnected"]
        second = outlet(name, source_id=sid)  # restarted: a new stream, the same source_id
        back = items_until(source, lambda got: any(isinstance(i, LinkEvent) for i in got))
        assert [i.kind for i in back if isinstance(i, LinkEvent)] == ["reconnected"]
        push(second, np.full(20, 5.0), t0 + np.arange(150, 170) / RATE)  # 100..149 were never sent
        after = items_until(source, lambda got: samples(got) >= 20)
    resumed = list(blocks(after))
    assert resumed[0].lost == 50 and resumed[0].first_index == 150
    assert resumed[0].t[0] == pytest.approx(1.5, abs=CORRECTION_S)


def test_a_publisher_that_hangs_is_a_silent_device_with_a_hint_naming_the_stream(unique):
    from kneadback.clock import ManualClock
    from kneadback.model import Notice
    from kneadback.session import Session
    from kneadback.sink import Sink

    class Notices(Sink):
        def __init__(self) -> None:
            self.said: list[Notice] = []

        def on_notice(self, notice: Notice) -> None:
            self.said.append(notice)

    name = unique("hung")
    out = outlet(name)
    clock = ManualClock()
    notices = Notices()
    source = open_source(f"lsl:{name}", SourceOptions(clock=MonotonicClock()))  # the network waits in real time
    session = Session(source, clock, sinks=[notices])
    session.open()
    push(out, np.full(20, 1.0), api.load().local_clock() + np.arange(20) / RATE)
    end = time.monotonic() + TIMEOUT_S
    while session.status.samples < 20:
        assert time.monotonic() < end
        session.step()
    clock.advance(4.0)  # and nothing more comes
    session.step()
    session.close()
    assert session.status.state == "silent"
    assert [n.text for n in notices.said] == [f"lsl:{name}: the stream sent nothing for 4 s; its publisher may have "
                                              "paused or hung"]


def test_markers_from_another_stream_are_recorded_at_their_time(unique):
    pylsl = api.load()
    name, button = unique("force"), unique("button")
    force = outlet(name)
    info = pylsl.StreamInfo(button, "Markers", 1, pylsl.IRREGULAR_RATE, pylsl.cf_string, button)
    markers = pylsl.StreamOutlet(info)
    clock = MonotonicClock()
    source = with_markers(open_source(f"lsl:{name}", SourceOptions(clock=clock)), button, clock)
    t0 = pylsl.local_clock()
    with source:
        markers.push_sample(["pain 6"], t0 + 0.42)  # before the samples of its time have come
        push(force, np.full(100, 1.0), t0 + np.arange(100) / RATE)
        got = items_until(source, lambda got: any(isinstance(i, Marker) for i in got))
    said = [i for i in got if isinstance(i, Marker)]
    assert [m.label for m in said] == ["pain 6"] and said[0].t == pytest.approx(0.42, abs=CORRECTION_S)
    t_before = [b.t[-1] for b in blocks(got)]
    assert max(t_before) >= 0.42  # delivered once the session time reached it


def test_markers_beside_another_source_are_placed_by_the_samples_arriving_with_them(unique):
    """A board's session time is its own clock: the marker is put at the session time of the
    samples that arrived when it was stamped. The stub hands over each sample the moment it is
    due, so the only slack is this test's own scheduling."""
    pylsl = api.load()
    button = unique("button")
    markers = pylsl.StreamOutlet(pylsl.StreamInfo(button, "Markers", 1, pylsl.IRREGULAR_RATE, pylsl.cf_string, button))
    base = pylsl.local_clock()

    class Board(Source):
        def _open(self) -> None: ...

        def _close(self) -> None: ...

        def read(self, timeout: float = 0.05) -> list[Any]:
            time.sleep(0.01)
            now = pylsl.local_clock() - base
            return [SampleBlock(t=np.array([now]), adc=np.zeros(1, dtype=np.int32))]

    clock = MonotonicClock()
    source = with_markers(Board("board"), button, clock)
    with source:
        source.read()
        markers.push_sample(["start"], base + 0.3)
        got = items_until(source, lambda got: any(isinstance(i, Marker) for i in got))
    said = [i for i in got if isinstance(i, Marker)]
    assert [m.label for m in said] == ["start"] and said[0].t == pytest.approx(0.3, abs=0.05)


def test_lsl_markers_names_its_stream_in_the_one_line_when_it_is_missing(unique, capsys, monkeypatch):
    monkeypatch.setattr("kneadback.lsl.inlet.RESOLVE_S", 0.3)
    missing = unique("button")
    code = cli.main(["live", "--source", "sim", "--lsl-markers", missing, "--no-gui", "--no-record", "--duration", "1"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and err.startswith(f"kneadback: --lsl-markers {missing}: no LSL")
