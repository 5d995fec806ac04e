"""The event types (`kneadback.event_types.EventType`): each one round-trips through its JSON, the
database and a JSON export, and is written exactly as recordings always held it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from kneadback.clock import ManualClock
from kneadback.event_types import EventType
from kneadback.model import (
    Bout,
    BoutControl,
    BoutPhase,
    BoutStarted,
    ContactChanged,
    Cue,
    DeviceInfo,
    DeviceStatus,
    HoldEnded,
    HoldStarted,
    LinkEvent,
    Marker,
    Rating,
    SampleBlock,
    SignalQuality,
    SpotChanged,
    Stroke,
    StrokeMotion,
)
from kneadback.store.events import from_dict, to_json
from kneadback.store.export import export_json
from kneadback.store.reader import load_json, open_session
from kneadback.store.recorder import Recorder

INFO = DeviceInfo(protocol_version=1, firmware_version="0.1.0", board="uno", sample_rate_hz=200.0, source="sim")

#: an event of each type; a new type fails `test_every_type_has_an_example` until it is added here
EXAMPLES: dict[EventType, list[object]] = {
    EventType.INFO: [INFO],
    EventType.DEVICE_STATUS: [DeviceStatus(t=0.5, dropped=2, overruns=0, streaming=True, sample_rate_hz=200.0)],
    EventType.ERROR: [LinkEvent(t=0.6, kind="crc", count=3, detail="bad checksum")],
    EventType.STROKE: [Stroke(index=0, t_start=1.0, t_peak=1.3, t_end=1.6, t_confirmed=1.7, peak_n=24.5, mean_n=12.0,
                              peak_adc=512, impulse_ns=7.25, release=0.9)],
    EventType.STROKE_MOTION: [StrokeMotion(index=0, t_confirmed=1.9, direction_deg=12.5, excursion_cm=3.2, return_share=0.05),
                              StrokeMotion(index=1, t_confirmed=2.9, direction_deg=350.0, excursion_cm=2.8, return_share=None),
                              StrokeMotion(index=2, t_confirmed=3.9, direction_deg=90.0, excursion_cm=4.1, return_share=0.1,
                                           circling=True)],
    EventType.HOLD: [HoldStarted(start=2.0, t_confirmed=5.0, mean_n=18.0),
                     HoldEnded(start=2.0, end=6.5, t_confirmed=6.6, mean_n=17.5)],
    EventType.CONTACT: [ContactChanged(at=0.9, on=True, t_confirmed=1.0)],
    EventType.BOUT_START: [BoutStarted(index=0, start=1.0, t_confirmed=2.5)],
    EventType.BOUT_PHASE: [BoutPhase(index=0, phase="overtime", at=31.0, t_confirmed=31.0, active_s=30.0)],
    EventType.BOUT: [Bout(index=0, start=1.0, end=31.0, t_confirmed=35.0, strokes=30, rate_spm=60.0, mean_peak_n=22.0)],
    EventType.QUALITY: [SignalQuality(t=5.0, saturated_fraction=0.0, noise_n=0.05, lost_samples=0)],
    EventType.CUE: [Cue(t=7.0, kind="ease-off", severity="correction", text="Ease off a little.")],
    EventType.RATING: [Rating(t=8.0, value=7, spot="left calf", force_n=24.0)],
    EventType.MARKER: [Marker(t=9.0, label="felt a release")],
    EventType.SPOT: [SpotChanged(t=10.0, spot="left calf")],
    EventType.BOUT_CONTROL: [BoutControl(t=11.0, action="stop")],
}
EVENTS = [ev for evs in EXAMPLES.values() for ev in evs]


def test_every_type_has_an_example():
    assert set(EXAMPLES) == set(EventType)
    assert all(type(ev).type is t for t, evs in EXAMPLES.items() for ev in evs)


@pytest.mark.parametrize("ev", EVENTS, ids=lambda ev: type(ev).__name__)
def test_each_event_round_trips_through_its_json(ev):
    text = to_json(ev)
    assert json.loads(text)["type"] == str(ev.type)
    assert from_dict(json.loads(text)) == ev


def test_the_json_is_written_as_recordings_always_held_it():
    """Byte for byte what kneadback wrote before the types were an enum."""
    assert to_json(EXAMPLES[EventType.MARKER][0]) == '{"label": "felt a release", "t": 9.0, "type": "marker"}'
    assert to_json(EXAMPLES[EventType.HOLD][1]) == (
        '{"end": 6.5, "mean_n": 17.5, "phase": "end", "start": 2.0, "t": 6.6, "t_confirmed": 6.6, "type": "hold"}')
    assert to_json(EXAMPLES[EventType.BOUT_CONTROL][0]) == '{"action": "stop", "t": 11.0, "type": "bout-control"}'


def test_stroke_motion_recorded_before_circling_reads_as_not_circling():
    old = {"type": "stroke-motion", "index": 3, "t_confirmed": 4.0, "t": 4.0, "direction_deg": 10.0,
           "excursion_cm": 3.0, "return_share": 0.1}
    assert from_dict(old) == StrokeMotion(3, 4.0, 10.0, 3.0, 0.1, circling=False)


def test_an_unknown_type_is_refused():
    with pytest.raises(ValueError, match="unknown event type 'strokes'"):
        from_dict({"type": "strokes", "t": 1.0})


def test_every_type_round_trips_through_the_database_and_an_export(tmp_path):
    t = np.arange(0.0, 12.0, 0.005)
    recorder = Recorder(clock=ManualClock(), source="sim", spot="left calf", wall_start=1_700_000_000.0)
    recorder.on_info(INFO)
    recorder.on_block(SampleBlock(t=t, adc=np.zeros(len(t), np.int32)))
    recorder.on_events([ev for ev in EVENTS if ev is not INFO])
    recorder.close()
    assert recorder.session_id is not None
    stored = open_session(recorder.session_id)
    path = tmp_path / "s.json"
    export_json(stored, path)
    exported = load_json(path)
    for rec in (stored, exported):
        assert [from_dict(e.data) for e in rec.events] == EVENTS
        assert [e.type for e in rec.events] == [str(ev.type) for ev in EVENTS]  # plain strings, as stored
    with stored.store as store:  # each type is found by its member
        for etype, evs in EXAMPLES.items():
            assert [from_dict(e.data) for e in store.events(recorder.session_id, (etype,))] == evs
