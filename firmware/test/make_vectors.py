#!/usr/bin/env python3
"""Generate firmware/test/vectors.json, the one table of wire protocol 1.1 frame test vectors.

A standalone, independent implementation of PROTOCOL.md (COBS, CRC-16/CCITT-FALSE, message
layouts and the receiver's decoding rules). It deliberately imports nothing from the host
package, so the C and Python implementations are both checked against a third one.

    python3 firmware/test/make_vectors.py            # rewrite vectors.json next to this file
    python3 firmware/test/make_vectors.py --check    # exit 1 if vectors.json is out of date

The file's format is described in firmware/test/README.md and in its own "format" field.
"""

from __future__ import annotations

import argparse
import json
import math
import struct
import sys
from pathlib import Path

OUT = Path(__file__).with_name("vectors.json")

MAX_PAYLOAD = 250
MAX_CHUNK = 253  # the longest valid encoded frame: COBS of MAX_PAYLOAD + 2 CRC bytes
MAX_SAMPLES = 32
MAX_BOARD, MAX_SERIAL, MAX_CHANNELS = 32, 20, 8

T_HELLO, T_DATA, T_STATUS, T_PONG, T_ACK = 0x01, 0x02, 0x03, 0x04, 0x05
T_START, T_STOP, T_SET_RATE, T_GET_INFO, T_PING = 0x10, 0x11, 0x12, 0x13, 0x14
TYPE_NAMES = {
    T_HELLO: "HELLO", T_DATA: "DATA", T_STATUS: "STATUS", T_PONG: "PONG", T_ACK: "ACK",
    T_START: "START", T_STOP: "STOP", T_SET_RATE: "SET_RATE", T_GET_INFO: "GET_INFO",
    T_PING: "PING",
}
KINDS = ("ok", "crc", "cobs", "truncated", "oversize", "malformed", "unknown-type")


# --- primitives -------------------------------------------------------------------------------

def crc16(data: bytes) -> int:
    """CRC-16/CCITT-FALSE, bit by bit (the C code uses a different formulation)."""
    crc = 0xFFFF
    for byte in data:
        for bit in range(7, -1, -1):
            top = (crc >> 15) & 1
            crc = (crc << 1) & 0xFFFF
            if top ^ ((byte >> bit) & 1):
                crc ^= 0x1021
    return crc


def cobs_encode(data: bytes) -> bytes:
    """Standard COBS (as in Cheshire & Baker): no trailing empty block after a full one."""
    out = bytearray([0])
    code_pos: int | None = 0
    code = 1
    for i, byte in enumerate(data):
        if byte:
            out.append(byte)
            code += 1
        if not byte or code == 255:
            out[code_pos] = code
            code = 1
            if not byte or i < len(data) - 1:
                code_pos = len(out)
                out.append(0)
            else:
                code_pos = None
    if code_pos is not None:
        out[code_pos] = code
    return bytes(out)


def cobs_decode(chunk: bytes) -> bytes | None:
    """Decode one chunk (no 0x00 inside); None when a code byte points past the end."""
    out = bytearray()
    i = 0
    while i < len(chunk):
        code = chunk[i]
        if code == 0 or i + code > len(chunk):
            return None
        out += chunk[i + 1:i + code]
        i += code
        if code != 255 and i < len(chunk):
            out.append(0)
    return bytes(out)


def frame(payload: bytes) -> bytes:
    return cobs_encode(payload + struct.pack("<H", crc16(payload))) + b"\x00"


# --- messages ---------------------------------------------------------------------------------

def p_hello(proto, major, minor, patch, adc_bits, vref_mv, rate_hz, divider_ohms, t_us, board,
            extra=b""):
    b = board.encode("ascii")
    return (struct.pack("<BBBBBBHHIIB", T_HELLO, proto, major, minor, patch, adc_bits, vref_mv,
                        rate_hz, divider_ohms, t_us, len(b)) + b + extra)


def hello_ext(minor, boot_id, front_end, front_ohms, serial, channels):
    """The HELLO 1.1 extension; channels = [(kind, unit, scale)]."""
    s = serial.encode("ascii")
    return (struct.pack("<BIBIB", minor, boot_id, front_end, front_ohms, len(s)) + s
            + bytes([len(channels)]) + b"".join(struct.pack("<BBf", *c) for c in channels))


FORCE = [(0, 0, 1.0)]  # the firmware's one channel: force ADC in counts
IMU = [(0, 3, 0.01)] + [(k, 1, 9.80665 / 16384) for k in (1, 2, 3)] + [
    (k, 2, 0.00013323124) for k in (4, 5, 6)]  # force in N, accel x/y/z, gyro x/y/z
# the firmware's seven channels with an MPU-6050 (PROTOCOL.md, HELLO): force ADC counts, then
# accel x/y/z at +-2 g and gyro x/y/z at +-250 deg/s
MPU6050 = FORCE + [(k, 1, 9.80665 / 16384) for k in (1, 2, 3)] + [
    (k, 2, math.pi / 180 / 131) for k in (4, 5, 6)]


def p_data(seq, samples, n=None, trailer=None, extra=()):
    """DATA; trailer = (boot, run, rate_hz) makes it 1.1, extra = one list of i16 a sample."""
    body = b"".join(struct.pack("<IH", t, a) for t, a in samples)
    if trailer is not None:
        body += struct.pack("<HBH", *trailer)
        body += b"".join(struct.pack(f"<{len(e)}h", *e) for e in extra)
    return struct.pack("<BHB", T_DATA, seq, len(samples) if n is None else n) + body


def p_status(t_us, dropped, overruns, flags, rate_hz):
    return struct.pack("<BIIIBH", T_STATUS, t_us, dropped, overruns, flags, rate_hz)


def p_pong(token, t_us):
    return struct.pack("<BII", T_PONG, token, t_us)


def p_ack(command, result):
    return struct.pack("<BBB", T_ACK, command, result)


def parse(payload: bytes, channels: int = 1) -> tuple[str, dict | None]:
    """(kind, fields) for a payload whose CRC passed: ok, malformed or unknown-type.

    `channels` is n_channels of the board's HELLO, which DATA's extra samples follow."""
    t, body = payload[0], payload[1:]
    fixed = {T_STATUS: 15, T_PONG: 8, T_ACK: 2, T_START: 0, T_STOP: 0, T_SET_RATE: 2,
             T_GET_INFO: 0, T_PING: 4}
    if t not in TYPE_NAMES:
        return "unknown-type", None
    if t == T_HELLO:
        return parse_hello(body)
    if t == T_DATA:
        return parse_data(body, channels)
    if len(body) < fixed[t]:
        return "malformed", None
    if t == T_STATUS:
        t_us, dropped, overruns, flags, rate = struct.unpack_from("<IIIBH", body)
        return "ok", {"t_us": t_us, "dropped": dropped, "overruns": overruns, "flags": flags,
                      "rate_hz": rate}
    if t == T_PONG:
        token, t_us = struct.unpack_from("<II", body)
        return "ok", {"token": token, "t_us": t_us}
    if t == T_ACK:
        return "ok", {"command": body[0], "result": body[1]}
    if t == T_SET_RATE:
        return "ok", {"rate_hz": struct.unpack_from("<H", body)[0]}
    if t == T_PING:
        return "ok", {"token": struct.unpack_from("<I", body)[0]}
    return "ok", {}


def parse_hello(body: bytes) -> tuple[str, dict | None]:
    if len(body) < 18 or body[17] > MAX_BOARD or len(body) < 18 + body[17]:
        return "malformed", None
    (proto, major, minor, patch, bits, vref, rate, div, t_us,
     blen) = struct.unpack_from("<BBBBBHHIIB", body)
    fields = {"protocol_version": proto, "fw_major": major, "fw_minor": minor,
              "fw_patch": patch, "adc_bits": bits, "vref_mv": vref, "rate_hz": rate,
              "divider_ohms": div, "t_us": t_us,
              "board": body[18:18 + blen].decode("ascii", "replace"), "minor": 0}
    at = 18 + blen
    if len(body) <= at or body[at] == 0:  # a 1.0 HELLO (trailing bytes after a 0 ignored)
        return "ok", fields
    if len(body) < at + 11:
        return "malformed", None
    p_minor, boot_id, front, ohms, slen = struct.unpack_from("<BIBIB", body, at)
    at += 11
    if slen > MAX_SERIAL or len(body) < at + slen + 1:
        return "malformed", None
    serial = body[at:at + slen].decode("ascii", "replace")
    nch = body[at + slen]
    at += slen + 1
    if not 1 <= nch <= MAX_CHANNELS or len(body) < at + 6 * nch:
        return "malformed", None
    chans = [struct.unpack_from("<BBf", body, at + 6 * i) for i in range(nch)]
    fields.update(minor=p_minor, boot_id=boot_id, front_end=front, front_ohms=ohms,
                  serial=serial,
                  channels=[{"kind": k, "unit": u, "scale": sc} for k, u, sc in chans])
    return "ok", fields


def parse_data(body: bytes, channels: int) -> tuple[str, dict | None]:
    if len(body) < 3:
        return "malformed", None
    seq, n = struct.unpack_from("<HB", body)
    if not 1 <= n <= MAX_SAMPLES or len(body) < 3 + 6 * n:
        return "malformed", None
    fields: dict = {"seq": seq,
                    "samples": [list(struct.unpack_from("<IH", body, 3 + 6 * i))
                                for i in range(n)]}
    at = 3 + 6 * n
    if len(body) == at:  # a 1.0 frame
        return "ok", fields
    if len(body) < at + 5:  # a cut trailer
        return "malformed", None
    boot, run, rate = struct.unpack_from("<HBH", body, at)
    if rate == 0:
        return "malformed", None
    fields.update(boot=boot, run=run, rate_hz=rate)
    at += 5
    per = channels - 1
    if per:
        if len(body) < at + 2 * per * n:
            return "malformed", None
        fields["extra"] = [list(struct.unpack_from(f"<{per}h", body, at + 2 * per * i))
                           for i in range(n)]
    return "ok", fields


def rebuild(t: int, f: dict) -> bytes:
    """The payload a sender writes for parsed fields: the known fields only."""
    if t == T_HELLO:
        ext = b""
        if f["minor"]:
            ext = hello_ext(f["minor"], f["boot_id"], f["front_end"], f["front_ohms"], f["serial"],
                            [(c["kind"], c["unit"], c["scale"]) for c in f["channels"]])
        return p_hello(f["protocol_version"], f["fw_major"], f["fw_minor"], f["fw_patch"],
                       f["adc_bits"], f["vref_mv"], f["rate_hz"], f["divider_ohms"], f["t_us"],
                       f["board"], extra=ext)
    if t == T_DATA:
        trailer = (f["boot"], f["run"], f["rate_hz"]) if "run" in f else None
        return p_data(f["seq"], f["samples"], trailer=trailer, extra=f.get("extra", ()))
    if t == T_STATUS:
        return p_status(f["t_us"], f["dropped"], f["overruns"], f["flags"], f["rate_hz"])
    if t == T_PONG:
        return p_pong(f["token"], f["t_us"])
    if t == T_ACK:
        return p_ack(f["command"], f["result"])
    if t == T_SET_RATE:
        return bytes([t]) + struct.pack("<H", f["rate_hz"])
    if t == T_PING:
        return bytes([t]) + struct.pack("<I", f["token"])
    return bytes([t])


def decode_stream(data: bytes) -> list[dict]:
    """Apply PROTOCOL.md's receiver rules to a whole byte stream; outcomes in order.

    Bytes after the last 0x00 are an unfinished frame and yield nothing.
    """
    outcomes = []
    chunk = bytearray()
    over = False
    for byte in data:
        if byte != 0:
            if len(chunk) < MAX_CHUNK:
                chunk.append(byte)
            else:
                over = True
            continue
        if over:
            outcomes.append({"kind": "oversize"})
        elif chunk:
            outcomes.append(judge(bytes(chunk)))
        chunk.clear()
        over = False
    return outcomes


def judge(chunk: bytes) -> dict:
    raw = cobs_decode(chunk)
    if raw is None:
        return {"kind": "cobs"}
    if len(raw) < 3:
        return {"kind": "truncated"}
    payload = raw[:-2]
    if crc16(payload) != struct.unpack("<H", raw[-2:])[0]:
        return {"kind": "crc"}
    kind, _ = parse(payload)
    return {"kind": kind, "payload": payload.hex()}


# --- the table --------------------------------------------------------------------------------

def crc_vectors() -> list[dict]:
    cases = [("check value", b"123456789"), ("empty", b""), ("one zero", b"\x00"),
             ("0xff", b"\xff"), ("A", b"A"), ("256 bytes 0..255", bytes(range(256)))]
    return [{"name": n, "data": d.hex(), "crc": crc16(d)} for n, d in cases]


def cobs_vectors() -> list[dict]:
    """Raw COBS (no CRC), incl. the classic examples and the 254/255 block boundaries."""
    nz = bytes(range(1, 256))  # 255 non-zero bytes 01..ff
    cases = [
        ("empty", b""),
        ("one zero", b"\x00"),
        ("two zeros", b"\x00\x00"),
        ("zero one zero", b"\x00\x11\x00"),
        ("no zero", b"\x11\x22\x33\x44"),
        ("trailing zero", b"\x11\x22\x00"),
        ("zero heavy", bytes([0, 0, 1, 0, 0, 0, 2, 0])),
        ("253 non-zero", nz[:253]),
        ("254 non-zero (one full block)", nz[:254]),
        ("255 non-zero", nz[:255]),
        ("zero then 254 non-zero", b"\x00" + nz[:254]),
        ("254 non-zero then zero", nz[:254] + b"\x00"),
        ("253 non-zero then zero then one", nz[1:254] + b"\x00\x01"),
        ("508 non-zero (two full blocks)", (nz[:254] * 2)),
        ("all zeros 300", bytes(300)),
    ]
    return [{"name": n, "decoded": d.hex(), "encoded": cobs_encode(d).hex()} for n, d in cases]


def frame_vectors() -> list[dict]:
    samples4 = [(1_000_000 + 5000 * i, a) for i, a in enumerate([0, 511, 1023, 256])]
    zero_samples = [(0, 0), (0x100, 0), (0x10000, 0x100), (0x1000000, 0)]
    max_samples = [(0xFFFFFFFF - 999 * i, 1023 - i) for i in range(20)]
    wrap = [(0xFFFFF000 + 1000 * i & 0xFFFFFFFF, 600 + i) for i in range(8)]
    imu = [[(i * 37 + k * 1000) * (-1) ** k for k in range(6)] for i in range(4)]
    cases: list[tuple[str, bytes] | tuple[str, bytes, int]] = [
        ("HELLO uno", p_hello(1, 0, 1, 0, 10, 5000, 200, 1000, 123456, "uno")),
        ("HELLO empty board", p_hello(1, 2, 3, 4, 10, 5000, 1000, 4700, 0, "")),
        ("HELLO with extra trailing bytes (later minor version)",
         p_hello(1, 1, 0, 0, 10, 3300, 10, 10000, 0xFFFFFFFF, "nano", extra=b"\x00\x07\x00")),
        ("HELLO 1.1 as the firmware sends it",
         p_hello(1, 0, 2, 0, 10, 5000, 200, 1000, 104, "uno",
                 extra=hello_ext(1, 7, 1, 1000, "", FORCE))),
        ("HELLO 1.1 as the firmware sends it with an MPU-6050 (7 channels)",
         p_hello(1, 0, 2, 0, 10, 5000, 200, 1000, 104, "uno",
                 extra=hello_ext(1, 7, 1, 1000, "", MPU6050))),
        ("HELLO 1.1 first boot (boot_id 0), high-side divider, serial number",
         p_hello(1, 0, 2, 0, 12, 3300, 100, 10000, 0, "nano",
                 extra=hello_ext(1, 0, 2, 10000, "KB-000123", FORCE))),
        ("HELLO 1.1 linear front end with IMU channels",
         p_hello(1, 1, 0, 0, 12, 3300, 400, 0, 2_500_000, "esp32-s3",
                 extra=hello_ext(1, 0xFFFFFFFF, 3, 0, "a1b2c3", IMU))),
        ("HELLO 1.1 largest: 32-byte board, 20-byte serial, 8 channels",
         p_hello(1, 255, 255, 255, 16, 65535, 1000, 0xFFFFFFFF, 0xFFFFFFFF, "b" * MAX_BOARD,
                 extra=hello_ext(1, 0x80000000, 0, 0, "s" * MAX_SERIAL,
                                 FORCE + [(k, 0, 1.0) for k in range(1, 7)] + [(200, 9, -2.5)]))),
        ("HELLO 1.3 with extra trailing bytes (a newer minor: known fields used)",
         p_hello(1, 0, 9, 0, 10, 5000, 200, 1000, 5, "uno",
                 extra=hello_ext(3, 12, 1, 1000, "", FORCE) + b"\x01\x02\x00")),
        ("HELLO major 2 (frames alike; a receiver refuses the board)",
         p_hello(2, 0, 1, 0, 10, 5000, 200, 1000, 0, "uno")),
        ("HELLO 1.0 with a 32-byte board name (the longest)",
         p_hello(1, 0, 1, 0, 10, 5000, 200, 1000, 0, "x" * MAX_BOARD)),
        ("DATA 1 sample", p_data(0, [(0, 0)])),
        ("DATA 4 samples (200 Hz)", p_data(17, samples4)),
        ("DATA zero-heavy", p_data(0x0100, zero_samples)),
        ("DATA 20 samples (1000 Hz)", p_data(65535, max_samples)),
        ("DATA timestamps across the u32 wrap", p_data(42, wrap)),
        ("DATA 32 samples (most allowed)", p_data(7, [(i * 100, i * 31) for i in range(32)])),
        ("DATA 1.1 4 samples at 200 Hz as the firmware sends them",
         p_data(17, samples4, trailer=(7, 0, 200))),
        ("DATA 1.1 1 sample at 10 Hz in run 3", p_data(300, [(1_100_000, 512)],
                                                        trailer=(7, 3, 10))),
        ("DATA 1.1 zero-heavy trailer (boot 0, run 0, 256 Hz)",
         p_data(0, zero_samples, trailer=(0, 0, 256))),
        ("DATA 1.1 20 samples at 1000 Hz, run wrapped to 255",
         p_data(65535, max_samples, trailer=(0xFFFF, 255, 1000))),
        ("DATA 1.1 32 samples (most allowed)",
         p_data(8, [(i * 100, i * 31) for i in range(32)], trailer=(1, 1, 10000))),
        ("DATA 32 samples, a trailer and 49 extra bytes (a later minor version): a 250-byte "
         "payload", p_data(9, [(i, 1) for i in range(32)]) + bytes(range(1, 55))),
        ("DATA 1.1 with 6 IMU channels (n_channels 7 in HELLO)",
         p_data(5, samples4, trailer=(3, 1, 200), extra=imu), 7),
        ("DATA 1.1 4 samples at 200 Hz as the firmware sends them with an MPU-6050",
         p_data(18, samples4, trailer=(7, 0, 200),
                extra=[[-120, 85, 16390, 3, -2, 131], [-118, 90, 16384, 0, -1, 262],
                       [-4, -16384, 0, -131, 0, 0], [0, 0, -16384, 32767, -32768, 1]]), 7),
        ("DATA 1.1 IMU channels at their extremes",
         p_data(6, [(1, 2)], trailer=(3, 1, 200), extra=[[-32768, 32767, 0, -1, 1, 256]]), 7),
        ("DATA 1.1 largest: 12 samples of 8 channels, a 249-byte payload",
         p_data(9, [(5000 * i, i) for i in range(12)], trailer=(3, 2, 1000),
                extra=[[i * 7 + k for k in range(7)] for i in range(12)]), 8),
        ("STATUS streaming", p_status(2_000_000, 0, 0, 1, 200)),
        ("STATUS stopped with counts", p_status(0xDEADBEEF, 12, 0x01000000, 0, 1000)),
        ("STATUS with reserved flag bits set (ignored: streaming)",
         p_status(3_000_000, 0, 0, 0xFF, 200)),
        ("PONG", p_pong(0x12345678, 5_000_000)),
        ("PONG zeros", p_pong(0, 0)),
        ("ACK ok", p_ack(T_SET_RATE, 0)),
        ("ACK bad argument", p_ack(T_SET_RATE, 1)),
        ("ACK unknown command", p_ack(0x1F, 2)),
        ("START", bytes([T_START])),
        ("STOP", bytes([T_STOP])),
        ("SET_RATE 10", bytes([T_SET_RATE]) + struct.pack("<H", 10)),
        ("SET_RATE 1000", bytes([T_SET_RATE]) + struct.pack("<H", 1000)),
        ("SET_RATE 256 (zero low byte)", bytes([T_SET_RATE]) + struct.pack("<H", 256)),
        ("GET_INFO", bytes([T_GET_INFO])),
        ("PING", bytes([T_PING]) + struct.pack("<I", 0xCAFEF00D)),
        ("PING zero token", bytes([T_PING]) + struct.pack("<I", 0)),
    ]
    out = []
    for name, payload, *more in cases:
        channels = more[0] if more else 1
        assert 1 <= len(payload) <= MAX_PAYLOAD, (name, len(payload))
        kind, fields = parse(payload, channels)
        assert kind == "ok", (name, kind)
        f = frame(payload)
        assert decode_stream(f) == [{"kind": "ok", "payload": payload.hex()}], name
        row = {"name": name, "type": TYPE_NAMES[payload[0]], "payload": payload.hex(),
               "frame": f.hex(), "fields": fields}
        if more:
            row["channels"] = channels
        known = rebuild(payload[0], fields)
        assert payload.startswith(known), name
        if len(payload) > len(known):
            row["ignored"] = len(payload) - len(known)
        out.append(row)
    return out


def stream_vectors(frames: list[dict]) -> list[dict]:
    by_name = {f["name"]: f for f in frames}
    good = bytes.fromhex(by_name["DATA 4 samples (200 Hz)"]["frame"])
    good_payload = by_name["DATA 4 samples (200 Hz)"]["payload"]
    hello = bytes.fromhex(by_name["HELLO uno"]["frame"])
    hello11 = p_hello(1, 0, 2, 0, 10, 5000, 200, 1000, 104, "uno")
    ext = hello_ext(1, 7, 1, 1000, "", FORCE)
    data11 = p_data(17, [(1000, 1), (6000, 2)], trailer=(7, 0, 200))
    max_frame = frame(bytes([0x7E]) + bytes(range(1, 250)))  # 250-byte payload, unknown type
    assert len(max_frame) == MAX_CHUNK + 1
    too_long = bytes([0x7E]) + bytes(range(1, 251))  # 251 bytes: no encoder sends it
    too_long_frame = cobs_encode(too_long + struct.pack("<H", crc16(too_long))) + b"\x00"
    assert len(too_long_frame) == MAX_CHUNK + 2

    def bad_crc(payload: bytes) -> bytes:
        return cobs_encode(payload + struct.pack("<H", crc16(payload) ^ 0x0001)) + b"\x00"

    def flip(f: bytes, i: int, mask: int) -> bytes:
        """f with byte i XOR mask; i is moved on to a data byte (not a COBS code byte) that
        stays non-zero, unless i is 0 (the first code byte)."""
        codes, pos = set(), 0
        while pos < len(f) - 1:
            codes.add(pos)
            pos += f[pos]
        while i and (i in codes or f[i] ^ mask == 0):
            i += 1
        b = bytearray(f)
        b[i] ^= mask
        return bytes(b)

    cases: list[tuple[str, bytes, list[str]]] = [
        ("one good frame", good, ["ok"]),
        ("two frames back to back", good + hello, ["ok", "ok"]),
        ("leading and repeated delimiters are ignored", b"\x00\x00" + good + b"\x00\x00",
         ["ok"]),
        ("empty stream", b"", []),
        ("only delimiters", b"\x00" * 5, []),
        ("frame without its delimiter yields nothing yet", good[:-1], []),
        ("crc: one data bit flipped", flip(good, 10, 0x04), ["crc"]),
        ("crc: wrong CRC on a valid payload", bad_crc(bytes.fromhex(good_payload)), ["crc"]),
        ("crc: CRC bytes swapped (big-endian CRC)",
         cobs_encode(bytes.fromhex(good_payload)
                     + struct.pack(">H", crc16(bytes.fromhex(good_payload)))) + b"\x00",
         ["crc"]),
        ("cobs: code byte points past the end", b"\x05\x11\x22\x00", ["cobs"]),
        ("cobs: first code byte corrupted", flip(good, 0, 0x40), ["cobs"]),
        ("truncated: empty decode", b"\x01\x00", ["truncated"]),
        ("truncated: one byte", b"\x02\x05\x00", ["truncated"]),
        ("truncated: two bytes", b"\x03\x05\x06\x00", ["truncated"]),
        ("truncated: two zero bytes", b"\x01\x01\x01\x00", ["truncated"]),
        ("frame cut short swallows the next frame, the one after is ok",
         good[:15] + hello + good, ["crc", "ok"]),
        ("tail of a frame at port open, then a frame", good[7:] + good, ["cobs", "ok"]),
        ("oversize: 300 garbage bytes then a frame", b"\x55" * 300 + b"\x00" + good,
         ["oversize", "ok"]),
        ("oversize: 257 bytes", b"\xff" * 257 + b"\x00", ["oversize"]),
        ("oversize: 254 bytes, one more than the largest frame",
         b"\xff" + b"\x41" * 253 + b"\x00", ["oversize"]),
        ("253 bytes is not oversize (bad CRC)", b"\xfd" + b"\x41" * 252 + b"\x00", ["crc"]),
        ("oversize: a 251-byte payload is a 254-byte chunk", too_long_frame, ["oversize"]),
        ("oversize is counted once, at the delimiter, then a frame",
         b"\x41" * 600 + b"\x00" + good, ["oversize", "ok"]),
        ("oversize: 10000 bytes without a delimiter, then a frame",
         bytes((i * 7) % 255 + 1 for i in range(10000)) + b"\x00" + good, ["oversize", "ok"]),
        ("largest frame (250-byte payload, unknown type)", max_frame, ["unknown-type"]),
        ("unknown type 0x7f is skipped, next frame ok",
         frame(b"\x7f\x01\x02\x03") + good, ["unknown-type", "ok"]),
        ("unknown type 0x00", frame(b"\x00"), ["unknown-type"]),
        ("unknown type 0x06 with no body", frame(b"\x06"), ["unknown-type"]),
        ("unknown type 0xff, zero-heavy body", frame(b"\xff\x00\x00\x00\x00"),
         ["unknown-type"]),
        ("malformed: HELLO too short", frame(p_hello(1, 0, 1, 0, 10, 5000, 200, 1000, 0,
                                                     "")[:-1]), ["malformed"]),
        ("malformed: HELLO board_len past the end",
         frame(p_hello(1, 0, 1, 0, 10, 5000, 200, 1000, 0, "uno")[:-1]), ["malformed"]),
        ("malformed: DATA n=0", frame(p_data(1, [], n=0)), ["malformed"]),
        ("malformed: DATA n=3 with 2 samples", frame(p_data(1, [(1, 2), (3, 4)], n=3)),
         ["malformed"]),
        ("malformed: DATA n=33",
         frame(p_data(1, [(i, i) for i in range(33)])), ["malformed"]),
        ("malformed: DATA header only", frame(b"\x02\x01\x00"), ["malformed"]),
        ("malformed: HELLO board name of 33 bytes",
         frame(p_hello(1, 0, 1, 0, 10, 5000, 200, 1000, 0, "x" * (MAX_BOARD + 1))),
         ["malformed"]),
        ("malformed: HELLO 1.1 extension cut short", frame(hello11 + ext[:10]), ["malformed"]),
        ("malformed: HELLO 1.1 serial of 21 bytes",
         frame(hello11 + hello_ext(1, 7, 1, 1000, "s" * (MAX_SERIAL + 1), FORCE)),
         ["malformed"]),
        ("malformed: HELLO 1.1 without channels",
         frame(hello11 + hello_ext(1, 7, 1, 1000, "", [])), ["malformed"]),
        ("malformed: HELLO 1.1 with 9 channels",
         frame(hello11 + hello_ext(1, 7, 1, 1000, "", FORCE * 9)), ["malformed"]),
        ("malformed: HELLO 1.1 channel list cut short", frame(hello11 + ext[:-1]),
         ["malformed"]),
        ("malformed: DATA 1.1 trailer cut to 1 byte", frame(data11[:-4]), ["malformed"]),
        ("malformed: DATA 1.1 trailer cut to 4 bytes", frame(data11[:-1]), ["malformed"]),
        ("malformed: DATA 1.1 rate 0", frame(p_data(17, [(1, 2)], trailer=(7, 0, 0))),
         ["malformed"]),
        ("HELLO 1.1 then DATA 1.1", frame(hello11 + ext) + frame(data11), ["ok", "ok"]),
        ("malformed: STATUS one byte short", frame(p_status(1, 2, 3, 1, 200)[:-1]),
         ["malformed"]),
        ("malformed: PONG short", frame(p_pong(1, 2)[:-1]), ["malformed"]),
        ("malformed: ACK short", frame(p_ack(T_START, 0)[:-1]), ["malformed"]),
        ("malformed: SET_RATE without a rate", frame(bytes([T_SET_RATE, 0x10])),
         ["malformed"]),
        ("malformed: PING short token", frame(bytes([T_PING, 1, 2, 3])), ["malformed"]),
        ("garbage between frames", good + b"\x13\x37\xbe\xef\x00" + good,
         ["ok", "cobs", "ok"]),
        ("ASCII text line is garbage", b"512\r\n" + b"\x00" + good, ["cobs", "ok"]),
        ("mixed: every kind in one stream",
         good + flip(good, 10, 0x04) + b"\x05\x11\x22\x00" + b"\x02\x05\x00" + b"\x55" * 400
         + b"\x00" + frame(b"\x02\x01\x00") + frame(b"\x7f") + hello,
         ["ok", "crc", "cobs", "truncated", "oversize", "malformed", "unknown-type", "ok"]),
    ]
    out = []
    for name, data, kinds in cases:
        outcomes = decode_stream(data)
        got = [o["kind"] for o in outcomes]
        assert got == kinds, (name, got, kinds)
        out.append({"name": name, "input": data.hex(), "expect": outcomes})
    return out


FORMAT = (
    "kneadback wire protocol 1.1 frame test vectors; see firmware/test/README.md and "
    "firmware/PROTOCOL.md. All byte strings are lowercase hex. crc: CRC-16/CCITT-FALSE of "
    "data. cobs: raw COBS, decoded<->encoded (no CRC, no delimiter). frames: valid messages; "
    "frame = COBS(payload + crc16_le) + 00; fields = the parsed message (HELLO: the 1.0 "
    "fields and minor, 0 for a 1.0 HELLO; with minor >= 1 also boot_id, front_end, "
    "front_ohms, serial and channels [{kind, unit, scale}]. DATA: seq and samples [[t_us, "
    "adc]]; with the 1.1 trailer also boot, run and rate_hz, and extra [[i16, ...] a sample] "
    "when the row gives channels, the n_channels of the board's HELLO (1 when absent)); "
    "ignored: trailing payload bytes the fields do not describe (a later minor version's), "
    "given when not 0: a sender of the fields writes the payload without them. "
    "refused: payloads every encoder must refuse (empty, longer than max_payload). streams: "
    "a byte stream fed to a receiver (in any chunking) that has seen no HELLO with extra "
    "channels, and the outcomes it must report, one per non-empty 0x00-delimited chunk, in "
    "order; kind is one of ok, crc, cobs, truncated, oversize, malformed, unknown-type; "
    "payload (hex) is given when the CRC passed (ok, malformed, unknown-type). Bytes after "
    "the last 00 are an unfinished frame and yield no outcome. max_chunk: the longest valid "
    "encoded frame without its 00; a longer chunk is oversize."
)


def refused_vectors() -> list[dict]:
    cases = [("empty payload", b""),
             ("251 bytes, one more than max_payload", bytes([0x7E]) + bytes(range(1, 251))),
             ("DATA 1.1 of 13 samples of 8 channels: 269 bytes",
              p_data(1, [(i, i) for i in range(13)], trailer=(1, 1, 200),
                     extra=[[k] * 7 for k in range(13)]))]
    for name, payload in cases:
        assert not 1 <= len(payload) <= MAX_PAYLOAD, name
    return [{"name": n, "payload": p.hex()} for n, p in cases]


def table() -> dict:
    frames = frame_vectors()
    return {
        "format": FORMAT,
        "protocol_version": 1,
        "protocol_minor": 1,
        "max_chunk": MAX_CHUNK,
        "max_payload": MAX_PAYLOAD,
        "kinds": list(KINDS),
        "crc": crc_vectors(),
        "cobs": cobs_vectors(),
        "frames": frames,
        "refused": refused_vectors(),
        "streams": stream_vectors(frames),
    }


def render() -> str:
    return json.dumps(table(), indent=1) + "\n"


def self_check() -> None:
    assert crc16(b"123456789") == 0x29B1
    for case in cobs_vectors():
        d, e = bytes.fromhex(case["decoded"]), bytes.fromhex(case["encoded"])
        assert 0 not in e and cobs_decode(e) == d, case["name"]
    # the classic examples (Cheshire & Baker; as listed on Wikipedia)
    nz = bytes(range(1, 256))
    assert cobs_encode(b"") == b"\x01"
    assert cobs_encode(b"\x00") == b"\x01\x01"
    assert cobs_encode(b"\x00\x00") == b"\x01\x01\x01"
    assert cobs_encode(b"\x00\x11\x00") == b"\x01\x02\x11\x01"
    assert cobs_encode(b"\x11\x22\x00\x33") == b"\x03\x11\x22\x02\x33"
    assert cobs_encode(nz[:254]) == b"\xff" + nz[:254]
    assert cobs_encode(b"\x00" + nz[:254]) == b"\x01\xff" + nz[:254]
    assert cobs_encode(nz[:255]) == b"\xff" + nz[:254] + b"\x02\xff"
    assert cobs_encode(nz[1:255] + b"\x00") == b"\xff" + nz[1:255] + b"\x01\x01"
    assert cobs_encode(nz[2:255] + b"\x00\x01") == b"\xfe" + nz[2:255] + b"\x02\x01"
    # decoders also take the form with an empty block after a full one at the end
    assert cobs_decode(b"\xff" + nz[:254] + b"\x01") == nz[:254]
    # a frame never holds a full 254-byte block: its COBS input is at most 252 bytes, so
    # COBS adds exactly one byte and the largest frame is 253 bytes before its delimiter
    assert len(cobs_encode(nz[:MAX_PAYLOAD + 2])) == MAX_CHUNK


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="fail if vectors.json is stale")
    args = ap.parse_args()
    self_check()
    text = render()
    if args.check:
        if not OUT.exists() or OUT.read_text() != text:
            print(f"{OUT.name} is out of date: run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
