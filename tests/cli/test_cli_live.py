"""`kneadback live` and `kneadback ports`, end to end."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
import threading

import pytest

from kneadback import cli, ports
from kneadback.clock import ManualClock
from kneadback.model import DeviceInfo, LinkEvent, LinkStatus
from kneadback.ui.terminal import JsonLinesSink, TerminalView
from protocol.fake_device import FakeBoard
from sources.ptys import FakePort


def kneadback(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """`kneadback *args` in a process of its own; stdin is not the terminal running the tests."""
    return subprocess.run(
        [sys.executable, "-m", "kneadback", *args], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout
    )


def start_writing(port: FakePort, data: bytes):
    """A board streaming `data` until the port closes (writes block while nobody reads)."""

    def write():
        try:
            port.write(data)
        except OSError:  # the port closed under the writer: the test is over
            pass

    th = threading.Thread(target=write, daemon=True)
    th.start()
    return th


@pytest.fixture
def port(tmp_path):
    p = FakePort(tmp_path / "ttyFAKE0")
    yield p
    p.close()


def test_live_jsonl_from_a_pty(port):
    b = FakeBoard()
    start_writing(port, b.hello() + b.frames(1500))  # 30 s of 200 Hz, more than needed
    res = kneadback("live", "--source", str(port.path), "--no-gui", "--jsonl", "--duration", "3")
    assert res.returncode == 0, res.stderr
    lines = [json.loads(line) for line in res.stdout.splitlines()]
    assert all("type" in obj for obj in lines)
    types = [o["type"] for o in lines]
    assert "info" in types
    status = [o for o in lines if o["type"] == "status"]
    times = [s["t"] for s in status]
    assert len(status) >= 4 and all(b - a <= 1.0 for a, b in zip(times, times[1:]))
    last = status[-1]
    assert last["t"] >= 3.0 and last["samples"] >= 590 and last["lost"] == 0
    assert last["rate_hz"] == pytest.approx(200, rel=0.02)
    # opening mid-stream may cut one frame: reported as an error line, counted in the status
    errors = [o for o in lines if o["type"] == "error"]
    assert len(errors) <= 1 and last["errors"] == sum(e["count"] for e in errors)


def test_live_jsonl_noisy_line(port):
    b = FakeBoard()
    noisy = bytearray(b.hello())
    for i in range(1500):
        noisy += b.data()
        if i % 10 == 5:
            noisy += bytes((i * 37 + k * 11) % 255 + 1 for k in range(23)) + b"\x00"
    start_writing(port, bytes(noisy))
    res = kneadback("live", "--source", str(port.path), "--no-gui", "--jsonl", "--duration", "3")
    assert res.returncode == 0, res.stderr
    lines = [json.loads(line) for line in res.stdout.splitlines()]
    errors = [o for o in lines if o["type"] == "error"]
    last = [o for o in lines if o["type"] == "status"][-1]
    assert len(errors) >= 20 and last["errors"] == sum(e["count"] for e in errors) and last["noisy"] is True
    assert {e["kind"] for e in errors} <= {"cobs", "crc", "truncated"}
    assert last["lost"] == 0 and last["samples"] >= 590


def test_live_terminal_line_through_a_pipe(port):
    b = FakeBoard()
    start_writing(port, b.hello() + b.frames(1500))
    res = kneadback("live", "--source", str(port.path), "--no-gui", "--duration", "2")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert any("200.0 Hz" in line and "lost 0" in line for line in lines), res.stdout


def test_ctrl_c_stops_cleanly():
    proc = subprocess.Popen(
        [sys.executable, "-m", "kneadback", "live", "--source", "sim", "--no-gui", "--jsonl"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = proc.stdout.readline()  # the session is running once it prints
        assert json.loads(first)["type"]
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill() if proc.poll() is None else None
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    *_, status, summary = [json.loads(line) for line in out.splitlines()]
    assert status["type"] == "status" and summary["type"] == "summary"  # the run ends with its summary


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--duration", "-1"], "--duration -1"),
        (["--duration", "0"], "--duration 0"),
        (["--rate", "0"], "--rate 0"),
        (["--speed", "0"], "--speed 0"),
        (["--speed", "nan"], "--speed nan"),
        (["--baud", "-9600"], "--baud -9600"),
        (["--source", "/dev/ttyNOPE7"], "no such port /dev/ttyNOPE7"),
    ],
)
@pytest.mark.usefixtures("no_sound_system")  # the no-audio notice must not come first
def test_absurd_flags_are_one_line_and_exit_2(flags, message, capsys):
    code = cli.main(["live", "--no-gui", *flags])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1


class _PortInfo:
    def __init__(self, device, vid, pid, serial_number=None):
        self.device, self.vid, self.pid, self.serial_number = device, vid, pid, serial_number
        self.description = "n/a"


def test_default_source_falls_back_to_the_simulator(monkeypatch, capsys):
    monkeypatch.setattr(ports.list_ports, "comports", lambda: [_PortInfo("/dev/ttyS0", None, None)])
    code = cli.main(["live", "--no-gui", "--jsonl", "--duration", "2", "--speed", "40"])
    captured = capsys.readouterr()
    assert code == 0
    notice = captured.err.strip().splitlines()
    assert len(notice) == 1 and "no Arduino or USB-serial board found" in notice[0] and "simulated tool" in notice[0]
    lines = [json.loads(line) for line in captured.out.splitlines()]
    assert lines[0]["type"] == "info" and lines[0]["source"].startswith("sim")
    assert [o for o in lines if o["type"] == "status"][-1]["samples"] >= 390


def test_ports_lists_and_marks_boards(monkeypatch, capsys):
    monkeypatch.setattr(
        ports.list_ports,
        "comports",
        lambda: [_PortInfo("/dev/ttyS0", None, None), _PortInfo("/dev/ttyUSB0", 0x1A86, 0x7523, "X9")],
    )
    assert cli.main(["ports"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("* /dev/ttyUSB0") and "1A86:7523" in out[0] and "CH340" in out[0] and "X9" in out[0]
    assert out[1].startswith("  /dev/ttyS0")
    assert cli.main(["ports", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows[0]["board"].startswith("CH340") and rows[1]["board"] is None


def test_ports_without_a_board(monkeypatch, capsys):
    monkeypatch.setattr(ports.list_ports, "comports", lambda: [])
    assert cli.main(["ports"]) == 0
    assert "no serial ports found" in capsys.readouterr().out


# --- the sinks ------------------------------------------------------------------------------


def _status(**kw) -> LinkStatus:
    return LinkStatus(**{"t": 1.0, "samples": 200, "rate_hz": 200.0, "last_adc": 512, **kw})


def test_terminal_view_redraws_in_place_and_says_what_happened():
    clock = ManualClock()
    out = io.StringIO()
    view = TerminalView(clock, out, tty=True, colour=False, width=lambda: 200)
    view.on_info(DeviceInfo(1, "0.1.0", "uno", 200.0, source="/dev/ttyACM0"))
    view.on_status(_status())
    view.on_status(_status(samples=300))  # too soon: not redrawn
    clock.advance(0.5)
    view.on_status(_status(state="lost"))
    view.on_events([LinkEvent(2.0, "disconnected", detail="/dev/ttyACM0: device disconnected, waiting…")])
    clock.advance(0.5)
    view.on_status(_status(noisy=True, errors=7))
    view.close()
    text = out.getvalue()
    assert "uno firmware 0.1.0 on /dev/ttyACM0: 200 Hz" in text
    assert "\r 200.0 Hz | last  512 | samples 200  lost 0  errors 0" in text
    assert "samples 300" not in text
    assert "device disconnected, waiting…" in text
    assert "errors 7 | noisy connection" in text
    assert text.endswith("\n")


def test_terminal_view_extension_parts():
    out = io.StringIO()
    view = TerminalView(ManualClock(), out, tty=False)
    view.add_part(lambda st: "62 strokes/min")
    view.on_status(_status())
    assert out.getvalue().rstrip().endswith("errors 0 | 62 strokes/min")


def test_json_lines_sink_writes_valid_json():
    out = io.StringIO()
    sink = JsonLinesSink(out)
    sink.on_info(DeviceInfo(1, "0.1.0", "uno", 200.0))
    sink.on_status(_status(rate_hz=float("nan")))
    sink.on_events([LinkEvent(0.5, "crc", detail="CRC 0x1234, computed 0x4321 (byte 99)")])
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["type"] for r in rows] == ["info", "status", "error"]
    assert rows[1]["rate_hz"] is None and rows[2]["kind"] == "crc"


def test_live_help_lists_the_options(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["live", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for flag in ("--source", "--no-gui", "--duration", "--jsonl", "--speed", "--seed", "--baud", "--rate"):
        assert flag in out


def test_live_view_through_an_unplug_and_replug(port):
    """The terminal view says the device went away, waits, and carries on when it is back."""
    b = FakeBoard()
    start_writing(port, b.hello() + b.frames(30 * 50))  # 30 s of data, written as it is read
    proc = subprocess.Popen(
        [sys.executable, "-m", "kneadback", "live", "--source", str(port.path), "--no-gui", "--duration", "45"],
        stdin=subprocess.DEVNULL,  # not the terminal running the tests: no keys read from it
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: list[str] = []

    def wait_for(text: str) -> None:
        for line in proc.stdout:
            seen.append(line)
            if text in line:
                return
        raise AssertionError(f"{text!r} never shown: {seen[-5:]}")

    try:
        wait_for("lost 0")  # a status line: the session runs
        port.unplug()
        wait_for("device disconnected, waiting…")
        port.plug()
        wait_for("device reconnected")
        for _ in range(40 * 50):
            b.skip_frame()  # the board kept sampling meanwhile: those samples never came
        start_writing(port, b.frames(25 * 50))
        out, err = proc.communicate(timeout=60)
        seen += out.splitlines()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    last = [line for line in seen if " Hz | " in line][-1]
    assert "lost 0" not in last and "errors" in last  # the gap is counted as lost samples
