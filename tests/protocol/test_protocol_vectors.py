"""The shared wire protocol 1.1 test vectors (firmware/test/vectors.json), checked in Python.

The C tests check the same file, so the firmware and the host agree byte for byte.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from kneadback.errors import ProtocolError
from kneadback.model import Channel, Command, DeviceInfo
from kneadback.protocol import cobs, messages
from kneadback.protocol.crc import crc16
from kneadback.protocol.decoder import MAX_ENCODED, BadFrame, Frame, FrameDecoder

VECTORS = json.loads((Path(__file__).parents[2] / "firmware" / "test" / "vectors.json").read_text())


def _ids(rows):
    return [r["name"] for r in rows]


def test_vector_file_covers_every_outcome_kind():
    seen = {e["kind"] for s in VECTORS["streams"] for e in s["expect"]}
    assert seen == set(VECTORS["kinds"]) == {"ok", "crc", "cobs", "truncated", "oversize", "malformed", "unknown-type"}


@pytest.mark.parametrize("row", VECTORS["crc"], ids=_ids(VECTORS["crc"]))
def test_crc(row):
    assert crc16(bytes.fromhex(row["data"])) == row["crc"]


@pytest.mark.parametrize("row", VECTORS["cobs"], ids=_ids(VECTORS["cobs"]))
def test_cobs(row):
    decoded, encoded = bytes.fromhex(row["decoded"]), bytes.fromhex(row["encoded"])
    assert cobs.encode(decoded) == encoded
    assert cobs.decode(encoded) == decoded


def _fields(msg, channels: int = 1) -> dict:
    """A parsed message as the vectors write it (`channels`: n_channels of the board's HELLO)."""
    if isinstance(msg, messages.Data):
        out = {"seq": msg.seq, "samples": [[int(t), int(a)] for t, a in zip(msg.t_us, msg.adc)]}
        if msg.boot is not None:
            out |= {"boot": msg.boot, "run": msg.run, "rate_hz": msg.rate_hz}
            extra = msg.extra_channels(channels - 1)
            if extra is not None:
                out["extra"] = extra.tolist()
        return out
    if isinstance(msg, messages.Hello):
        out = {k: v for k, v in vars(msg).items() if k not in ("boot_id", "front_end", "front_ohms", "serial", "channels")}
        if msg.minor:
            out |= {"boot_id": msg.boot_id, "front_end": msg.front_end, "front_ohms": msg.front_ohms, "serial": msg.serial,
                    "channels": [{"kind": c.kind, "unit": c.unit, "scale": c.scale} for c in msg.channels]}
        return out
    if isinstance(msg, Command):
        if msg.name == "set-rate":
            return {"rate_hz": msg.value}
        if msg.name == "ping":
            return {"token": msg.value}
        return {}
    return dict(vars(msg))


@pytest.mark.parametrize("row", VECTORS["frames"], ids=_ids(VECTORS["frames"]))
def test_frame_decodes_to_its_fields(row):
    out = FrameDecoder().feed(bytes.fromhex(row["frame"]))
    assert len(out) == 1 and isinstance(out[0], Frame), out
    assert _fields(out[0].message, row.get("channels", 1)) == row["fields"]
    assert messages.frame(bytes.fromhex(row["payload"])) == bytes.fromhex(row["frame"])


def _build(row) -> bytes:
    """Our builder's frame for a vector's fields."""
    f = row["fields"]
    kind = row["type"]
    if kind == "HELLO":
        info = DeviceInfo(
            protocol_version=f["protocol_version"],
            firmware_version=f"{f['fw_major']}.{f['fw_minor']}.{f['fw_patch']}",
            board=f["board"],
            sample_rate_hz=f["rate_hz"],
            adc_bits=f["adc_bits"],
            vref_mv=f["vref_mv"],
            divider_ohms=f["divider_ohms"],
            protocol_minor=f["minor"],
        )
        if f["minor"]:
            info = dataclasses.replace(
                info,
                boot_id=f["boot_id"],
                front_end=messages.FRONT_ENDS[f["front_end"]],
                board_id=f["serial"],
                channels=tuple(Channel(messages.CHANNEL_KINDS[c["kind"]], messages.UNITS[c["unit"]], c["scale"]) for c in f["channels"]),
            )
        return messages.frame_hello(info, f["t_us"])
    if kind == "DATA":
        t, a = zip(*f["samples"])
        if "boot" not in f:
            return messages.frame_data(f["seq"], t, a)
        extra = np.array(f["extra"]) if "extra" in f else None
        return messages.frame_data(f["seq"], t, a, messages.Trailer(f["boot"], f["run"], f["rate_hz"]), extra)
    if kind == "STATUS":
        assert f["flags"] in (0, 1)
        return messages.frame_status(f["t_us"], f["dropped"], f["overruns"], bool(f["flags"]), f["rate_hz"])
    if kind == "PONG":
        return messages.frame_pong(f["token"], f["t_us"])
    if kind == "ACK":
        return messages.frame_ack(f["command"], f["result"])
    value = f.get("rate_hz", f.get("token", 0))
    return messages.frame_command(Command(kind.lower().replace("_", "-"), value))


def _buildable(row) -> bool:
    """Builders write what this version knows, with reserved bits 0: vectors with trailing bytes
    of a later minor, reserved STATUS flag bits or reserved channel codes are decoded above but
    cannot be rebuilt."""
    f = row["fields"]
    reserved_codes = any(c["kind"] >= len(messages.CHANNEL_KINDS) or c["unit"] >= len(messages.UNITS) for c in f.get("channels", []))
    return "ignored" not in row and f.get("flags", 0) in (0, 1) and not reserved_codes


BUILT_FRAMES = [r for r in VECTORS["frames"] if _buildable(r)]


def test_only_vectors_of_a_later_minor_or_reserved_values_are_not_rebuilt():
    assert len(VECTORS["frames"]) - len(BUILT_FRAMES) == 5


@pytest.mark.parametrize("row", BUILT_FRAMES, ids=_ids(BUILT_FRAMES))
def test_builders_match_vectors(row):
    assert _build(row) == bytes.fromhex(row["frame"])


@pytest.mark.parametrize("row", VECTORS["refused"], ids=_ids(VECTORS["refused"]))
def test_payloads_every_encoder_refuses(row):
    with pytest.raises(ProtocolError):
        messages.frame(bytes.fromhex(row["payload"]))


def _outcomes(out) -> list[dict]:
    return [{"kind": "ok"} if isinstance(o, Frame) else {"kind": o.kind} for o in out]


@pytest.mark.parametrize("row", VECTORS["streams"], ids=_ids(VECTORS["streams"]))
def test_stream_outcomes_in_every_split(row):
    data = bytes.fromhex(row["input"])
    want = [{"kind": e["kind"]} for e in row["expect"]]
    assert _outcomes(FrameDecoder().feed(data)) == want
    # byte by byte
    dec = FrameDecoder()
    out = [o for b in data for o in dec.feed(bytes([b]))]
    assert _outcomes(out) == want
    # every split into two reads (all of them for short streams, a spread for long ones)
    cuts = range(len(data) + 1) if len(data) < 600 else range(0, len(data) + 1, 97)
    for cut in cuts:
        dec = FrameDecoder()
        assert _outcomes(dec.feed(data[:cut]) + dec.feed(data[cut:])) == want, cut


def test_a_long_oversize_chunk_is_one_outcome_at_its_delimiter():
    row = next(r for r in VECTORS["streams"] if r["name"].startswith("oversize: 10000 bytes"))
    out = FrameDecoder().feed(bytes.fromhex(row["input"]))
    assert [(o.kind, o.size) for o in out if isinstance(o, BadFrame)] == [("oversize", 10000)]
    assert VECTORS["max_chunk"] == MAX_ENCODED and VECTORS["max_payload"] == messages.MAX_PAYLOAD


@pytest.mark.parametrize("row", VECTORS["streams"], ids=_ids(VECTORS["streams"]))
def test_stream_ok_payloads_match(row):
    """Where the CRC passed, the decoded message is the vector's payload."""
    out = FrameDecoder().feed(bytes.fromhex(row["input"]))
    for o, e in zip(out, row["expect"]):
        if e["kind"] == "ok":
            assert isinstance(o, Frame)
            payload = bytes.fromhex(e["payload"])
            again = FrameDecoder().feed(messages.frame(payload))
            assert _fields(again[0].message) == _fields(o.message)
        elif e["kind"] in ("malformed", "unknown-type"):
            assert isinstance(o, BadFrame)
            with pytest.raises(messages.MalformedPayload) if e["kind"] == "malformed" else _no_raise():
                msg = messages.parse_payload(bytes.fromhex(e["payload"]))
                assert isinstance(msg, messages.Unknown)


class _no_raise:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_data_samples_are_unpacked_vectorised():
    row = next(r for r in VECTORS["frames"] if r["name"].startswith("DATA 20 samples"))
    msg = FrameDecoder().feed(bytes.fromhex(row["frame"]))[0].message
    assert msg.t_us.dtype == np.uint32 and msg.adc.dtype == np.uint16
    assert len(msg) == 20
