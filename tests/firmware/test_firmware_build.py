"""The firmware builds for the Uno, fits the ATmega328P, and its C tests pass on the host.

Needs the Debian packages gcc-avr, avr-libc and arduino-core-avr (CI installs them).
"""

from __future__ import annotations

import ast
import fcntl
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FW = Path(__file__).resolve().parents[2] / "firmware"
FLASH_BYTES = 32768 - 512  # the Uno's optiboot bootloader takes 512 bytes
RAM_BYTES = 2048
STACK_RESERVE = 512  # RAM left for the stack (ISRs, loop() with a 120-byte sample array)
KINDS = ["ok", "crc", "cobs", "truncated", "oversize", "malformed", "unknown-type"]

needs_avr = pytest.mark.skipif(
    shutil.which("avr-gcc") is None or not Path("/usr/share/arduino/hardware/arduino/avr").is_dir(),
    reason="avr-gcc or arduino-core-avr is not installed (apt-get install gcc-avr avr-libc arduino-core-avr)",
)
needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None or shutil.which("make") is None, reason="gcc/make missing")


def make(*targets: str) -> subprocess.CompletedProcess[str]:
    (FW / "build").mkdir(exist_ok=True)
    with open(FW / "build" / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return subprocess.run(["make", "-C", str(FW), *targets], capture_output=True, text=True)


@needs_gcc
def test_firmware_c_tests_pass_on_the_shared_vectors():
    done = make("test")
    assert done.returncode == 0, done.stdout + done.stderr
    m = re.search(r"vectors: (\d+) crc, (\d+) cobs, (\d+) frames, (\d+) streams; (\d+) checks, (\d+) failed", done.stdout)
    assert m, done.stdout
    crc, cobs, frames, streams, checks, failed = map(int, m.groups())
    assert failed == 0 and frames >= 20 and streams >= 30 and checks > 1000


@needs_avr
def test_firmware_hex_builds_warning_free_and_fits_the_atmega328p():
    done = make("firmware")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "warning:" not in done.stderr
    flash = int(re.search(r"Program:\s+(\d+) bytes", done.stdout).group(1))
    ram = int(re.search(r"Data:\s+(\d+) bytes", done.stdout).group(1))
    assert 1000 < flash <= FLASH_BYTES
    assert 0 < ram <= RAM_BYTES - STACK_RESERVE
    hex_lines = (FW / "build" / "kneadback.hex").read_text().splitlines()
    assert hex_lines[0].startswith(":") and hex_lines[-1] == ":00000001FF"
    program = hex_bytes(FW / "build" / "kneadback.hex")
    assert len(program) == flash  # the .hex holds exactly the program avr-size counted
    assert b"uno" in program


def hex_bytes(path: Path) -> bytes:
    """The program bytes of an Intel HEX file."""
    return b"".join(bytes.fromhex(line[9:-2]) for line in path.read_text().splitlines() if line[7:9] == "00")


@needs_avr
def test_firmware_builds_for_the_nano_with_other_constants(tmp_path):
    done = subprocess.run(
        ["make", "-C", str(FW), f"BUILD={tmp_path}", "BOARD=ARDUINO_AVR_NANO"]
        + ["KB_BAUD=250000", "KB_DIVIDER_OHMS=4700", "firmware"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "-DKB_BAUD=250000" in done.stdout and "-DKB_DIVIDER_OHMS=4700" in done.stdout
    program = hex_bytes(tmp_path / "kneadback.hex")
    assert b"nano" in program and b"uno" not in program  # the board name HELLO reports


def test_firmware_vectors_are_generated_and_complete():
    done = subprocess.run([sys.executable, str(FW / "test" / "make_vectors.py"), "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    table = json.loads((FW / "test" / "vectors.json").read_text())
    assert table["kinds"] == KINDS
    seen = {o["kind"] for s in table["streams"] for o in s["expect"]}
    assert seen == set(KINDS)  # every outcome kind has vectors
    types = {f["type"] for f in table["frames"]}
    assert types == {"HELLO", "DATA", "STATUS", "PONG", "ACK", "START", "STOP", "SET_RATE", "GET_INFO", "PING"}
    sizes = {len(bytes.fromhex(f["payload"])) for f in table["frames"]}
    assert 1 in sizes and table["max_payload"] in sizes
    boundary = {len(bytes.fromhex(c["decoded"])) for c in table["cobs"]}
    assert {0, 253, 254, 255} <= boundary


def test_firmware_vectors_cover_protocol_1_1_and_the_size_limits():
    table = json.loads((FW / "test" / "vectors.json").read_text())
    assert (table["protocol_version"], table["protocol_minor"]) == (1, 1)
    assert (table["max_payload"], table["max_chunk"]) == (250, 253)
    hellos = [f["fields"] for f in table["frames"] if f["type"] == "HELLO"]
    assert {h["minor"] for h in hellos} == {0, 1, 3}  # 1.0, 1.1 and a newer minor
    assert max(len(h["board"]) for h in hellos) == 32 and max(len(h.get("serial", "")) for h in hellos) == 20
    assert {len(h["channels"]) for h in hellos if h["minor"]} == {1, 7, 8}
    data = [f for f in table["frames"] if f["type"] == "DATA"]
    assert {("run" in f["fields"], "extra" in f["fields"]) for f in data} == {(False, False), (True, False), (True, True)}
    # one chunk alone: 253 bytes is a frame (good or bad), 254 is oversize
    single = {
        len(raw) - 1: s["expect"][0]["kind"]
        for s in table["streams"]
        if (raw := bytes.fromhex(s["input"])).count(0) == 1 and raw[-1] == 0 and len(s["expect"]) == 1
    }
    assert single[253] != "oversize" and single[254] == "oversize"
    assert {len(bytes.fromhex(r["payload"])) for r in table["refused"]} >= {0, 251}


def test_firmware_vector_generator_is_independent_of_the_host_package():
    tree = ast.parse((FW / "test" / "make_vectors.py").read_text())
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert imported and not any(m.split(".")[0] == "kneadback" for m in imported)
