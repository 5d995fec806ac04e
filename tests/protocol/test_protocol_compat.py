"""Protocol 1.0 streams decode as they did before protocol 1.1.

`decoded_1_0.json` holds 1.0 byte streams (with their arrival times) and what the host's 1.0
decoder made of them, captured before the 1.1 receiver replaced it: clean streams, a noisy line
with garbage, cut and lost frames, resets, the u32 wrap, a re-sent HELLO, STOP and START,
SET_RATE, DATA before HELLO, a drifting clock, the simulated wire of the time (with a
disconnect, with frame loss), text at a declared rate, and every stream of the frame vectors
then. Long sample arrays are kept as SHA-256 digests (times rounded to the nanosecond).
The session store keeps no raw bytes, so recorded sessions are covered by their decoded form:
an old row's device info still loads (`test_a_stored_1_0_device_info_still_loads`).

Where 1.1 changed the rules on purpose, the difference is named here and nowhere else.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from kneadback.model import DeviceInfo, DeviceStatus, LinkEvent, SampleBlock
from kneadback.protocol.stream import DeviceStream
from kneadback.store.events import device_info_from_dict

CAPTURED = json.loads((Path(__file__).with_name("decoded_1_0.json")).read_text())["cases"]

# decided by protocol 1.1 (firmware/PROTOCOL.md): a chunk of 254..256 bytes is oversize (the
# largest frame is 253); an over-long chunk is one "oversize" at its delimiter, no "garbage" kind
CHANGED_ERRORS = {
    "vector: 256 bytes is not oversize (bad CRC)": {"crc": 0, "oversize": 1},
    "vector: oversize: 10000 bytes without a delimiter, then a frame": {"garbage": 0},
}
# and a text line of bytes that are no text (b"\xff\xfe") is no line, so not a text-parse error
TEXT_NOT_LINES = {"text junk, --rate 50": 20}

OLD_INFO = ("protocol_version", "firmware_version", "board", "sample_rate_hz", "adc_bits", "vref_mv", "divider_ohms",
            "device_clock", "rate_source", "source", "serial_number")


def _digest(values, dtype) -> str:
    return hashlib.sha256(np.asarray(values, dtype=dtype).tobytes()).hexdigest()[:16]


def decode(case: dict) -> dict:
    """The case decoded now, in the captured form."""
    s = DeviceStream("test", case["declared_rate"], mid_stream=case["mid_stream"])
    items: list = []
    at = 0.0
    for chunk in case["input"]:
        at = chunk["at"]
        items += s.feed(bytes.fromhex(chunk["hex"]), at)
    items += s.flush(at)
    t: list[float] = []
    adc: list[int] = []
    idx: list[int] = []
    dev: list[int | None] = []
    lost, events = [], []
    for it in items:
        if isinstance(it, SampleBlock):
            t += it.t.tolist()
            adc += it.adc.tolist()
            idx += (it.first_index + np.arange(len(it))).tolist()
            dev += it.t_device_us.tolist() if it.t_device_us is not None else [None] * len(it)
            if it.lost:
                lost.append([it.first_index, it.lost])
        elif isinstance(it, DeviceInfo):
            events.append({"at": len(adc), "info": {k: getattr(it, k) for k in OLD_INFO}})
        elif isinstance(it, DeviceStatus):
            events.append({"at": len(adc), "status": [it.t, it.dropped, it.overruns, it.streaming, it.sample_rate_hz]})
        elif isinstance(it, LinkEvent):
            events.append({"at": len(adc), "link": [it.kind, it.count]})
    out = {"lost": lost, "events": events,
           "totals": {"samples": s.samples, "lost": s.lost, "resets": s.resets, "counts": dict(sorted(s.counts.items()))}}
    if len(adc) <= 100:
        return {"t": t, "adc": adc, "index": idx, "t_device_us": dev, **out}
    return {
        "t_ns_sha256": _digest(np.round(np.asarray(t) * 1e9), np.int64),
        "adc_sha256": _digest(adc, np.int64),
        "index_sha256": _digest(idx, np.int64),
        "t_device_us_sha256": _digest([-1 if d is None else d for d in dev], np.int64),
        "n": len(adc),
        "t_first_last": [t[0], t[-1]] if t else [],
        **out,
    }


def _errors_as_now(case: dict, want: dict) -> dict:
    """The captured output with the error counts 1.1 changed on purpose."""
    counts = dict(want["totals"]["counts"])
    for kind, n in CHANGED_ERRORS.get(case["name"], {}).items():
        counts[kind] = n
    counts["text-parse"] = counts.get("text-parse", 0) - TEXT_NOT_LINES.get(case["name"], 0)
    return {k: v for k, v in counts.items() if v}


def _links(events: list) -> list:
    """Link events but "pause", news that 1.1 added (a 1.0 STOP and START now say it)."""
    return [e["link"][0] for e in events if "link" in e and e["link"][0] != "pause"]


@pytest.mark.parametrize("case", CAPTURED, ids=[c["name"] for c in CAPTURED])
def test_1_0_stream_decodes_as_before(case):
    want, got = case["expect"], decode(case)
    for key in ("t", "t_first_last"):
        if key in want:
            np.testing.assert_allclose(got[key], want[key], rtol=0, atol=1e-9)
    same = ("adc", "index", "t_device_us", "t_ns_sha256", "adc_sha256", "index_sha256", "t_device_us_sha256", "n", "lost")
    for key in same:
        if key in want:
            assert got[key] == want[key], key
    assert {k: v for k, v in got["totals"].items() if k != "counts"} == {k: v for k, v in want["totals"].items() if k != "counts"}
    assert got["totals"]["counts"] == _errors_as_now(case, want)
    infos = [(e["at"], e["info"]) for e in got["events"] if "info" in e]
    assert infos == [(e["at"], e["info"]) for e in want["events"] if "info" in e]
    statuses = [e for e in got["events"] if "status" in e]
    assert len(statuses) == len([e for e in want["events"] if "status" in e])
    for g, w in zip(statuses, (e for e in want["events"] if "status" in e)):
        assert g["at"] == w["at"] and g["status"][1:] == w["status"][1:] and g["status"][0] == pytest.approx(w["status"][0], abs=1e-9)
    if case["name"] not in CHANGED_ERRORS and case["name"] not in TEXT_NOT_LINES:
        assert _links(got["events"]) == _links(want["events"])
    assert [e["link"] for e in got["events"] if "link" in e and e["link"][0] == "pause"] == (
        [["pause", 1]] if case["name"] == "STOP then START" else [])


def test_the_captured_streams_cover_what_matters():
    names = " ".join(c["name"] for c in CAPTURED)
    for what in ("reset", "wrap", "GET_INFO", "STOP", "SET_RATE", "before HELLO", "fast clock", "simulated disconnect", "noisy", "text"):
        assert what in names
    assert sum(c["name"].startswith("vector:") for c in CAPTURED) >= 40


def test_a_stored_1_0_device_info_still_loads():
    """A session recorded before 1.1 holds its device info as a dict without the new fields."""
    old = {"type": "info", "protocol_version": 1, "firmware_version": "0.1.0", "board": "uno", "sample_rate_hz": 200.0,
           "adc_bits": 10, "vref_mv": 5000, "divider_ohms": 10000, "device_clock": True, "rate_source": "device",
           "source": "/dev/ttyACM0", "serial_number": "A1"}
    info = device_info_from_dict(old)
    assert info.protocol_minor == 0 and info.boot_id is None and info.front_end == "fsr-low"
    assert [c.kind for c in info.channels] == ["force-adc"] and info.divider_ohms == 10000
    again = device_info_from_dict(json.loads(json.dumps(info.to_dict())))
    assert again == info and hash(again) == hash(info)
