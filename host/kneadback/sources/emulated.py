"""`emu` and `emu:SCENARIO`: the real firmware running in an AVR emulator.

The very `.hex` that `make -C firmware` builds runs on an emulated ATmega328P (simavr, through
the harness `firmware/build/kb-emu`). A scenario is rendered with the simulator into ADC counts
that drive the emulated A0 (and, for a scenario with `[motion]`, the IMU counts an emulated
MPU-6050 on I2C answers with); the firmware's UART is a pseudo-terminal, which is read like any
board by `kneadback.sources.serial.SerialSource` (pyserial and `DeviceStream`). Commands go
to the firmware over the same port. `options.speed` paces the emulator: emulated seconds per
clock second; 1000 or more (or `inf`) runs it unpaced, as fast as it can (about 7× real time
with a free core).

The firmware and the harness are built with make when missing or out of date; that needs the
Debian packages gcc-avr, avr-libc, arduino-core-avr, simavr and libsimavr-dev.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import math
import os
import selectors
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from kneadback.errors import SourceError
from kneadback.model import Command, DeviceInfo, SampleBlock, SourceItem
from kneadback.sources.base import Source, SourceOptions

if TYPE_CHECKING:
    from kneadback.simulate.render import Rendering
    from kneadback.simulate.scenario import Scenario
    from kneadback.sources.serial import SerialSource

#: the firmware's compile-time constants the emulated board reports (see kneadback.ino)
FIRMWARE_RATE_HZ = 200
FIRMWARE_DIVIDER_OHMS = 1000
FREE_RUNNING = 1000.0  # speeds at or above this run the emulator unpaced
START_TIMEOUT_S = 20.0
APT_HINT = "apt-get install gcc-avr avr-libc arduino-core-avr simavr libsimavr-dev"


def firmware_dir() -> Path:
    """The `firmware/` directory: $KNEADBACK_FIRMWARE_DIR, else the one of this source tree."""
    env = os.environ.get("KNEADBACK_FIRMWARE_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[3] / "firmware"


def missing_tools() -> list[str]:
    """Build tools and packages the emulator needs that this machine lacks."""
    missing = [tool for tool in ("make", "gcc", "avr-gcc") if shutil.which(tool) is None]
    for path, package in (
        ("/usr/include/simavr/sim_avr.h", "libsimavr-dev"),
        ("/usr/share/arduino/hardware/arduino/avr/cores/arduino/Arduino.h", "arduino-core-avr"),
    ):
        if not os.path.exists(path):
            missing.append(package)
    return missing


def build(fw: Path | None = None) -> tuple[Path, Path]:
    """Build (if needed) the firmware .hex and the harness; returns their paths.

    make decides what is out of date; a lock keeps concurrent builds of one tree apart.
    Raises `SourceError` with the reason when it cannot.
    """
    fw = fw or firmware_dir()
    if not (fw / "Makefile").exists():
        raise SourceError(f"the emulator needs the firmware sources: no Makefile in {fw} (set KNEADBACK_FIRMWARE_DIR)")
    missing = missing_tools()
    if missing:
        raise SourceError(f"the emulator needs {', '.join(missing)}: {APT_HINT}")
    (fw / "build").mkdir(exist_ok=True)
    with open(fw / "build" / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = subprocess.run(
            ["make", "-C", str(fw), "-s", "firmware", "emulator"], capture_output=True, text=True
        )
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise SourceError(f"building the firmware in {fw} failed: {' / '.join(tail)}")
    return fw / "build" / "kneadback.hex", fw / "build" / "kb-emu"


@dataclasses.dataclass(frozen=True)
class DividerSwitching:
    """How the firmware switched the FSR divider (its resistor returns to pin D7, driven low
    around each conversion), as the harness saw it at exit."""

    conversions: int  # ADC0 conversions
    open: int  # of them with the divider open (D7 not driven low): they read full scale
    settle_min_us: float  # the shortest time it was closed before a conversion started (-1: none)
    pulse_max_us: float  # the longest time it stayed closed (-1: never)
    pulse_mean_us: float  # the mean time it stayed closed (-1: never)

    @classmethod
    def parse(cls, text: str) -> DividerSwitching:
        n, open_, settle, longest, mean = text.split()
        return cls(int(n), int(open_), float(settle), float(longest), float(mean))


def write_counts(path: Path, adc: Sequence[int] | np.ndarray, rate_hz: float, imu: np.ndarray | None = None) -> None:
    """Write an ADC counts file for the harness (see firmware/emulator/README.md); `imu` (n × 6
    int16: accel x, y, z, gyro x, y, z) adds the columns that give the board an MPU-6050."""
    counts = np.clip(np.asarray(adc, dtype=np.int64), 0, 1023)[:, None]
    if imu is not None:
        counts = np.concatenate([counts, np.asarray(imu, dtype=np.int64)], axis=1)
    with open(path, "w") as f:
        f.write(f"# rate_hz: {rate_hz:g}\n")
        f.write("\n".join(" ".join(map(str, row)) for row in counts.tolist()))
        f.write("\n")


class Harness:
    """A running `kb-emu` with the firmware; `.pty` is the port to open.

    `counts_file` plays a counts file into ADC0 (with IMU columns, also into an MPU-6050 on
    I2C; `.i2c` then says at exit how long its reads took); `live=True` takes counts from `set_adc`
    instead (the harness's stdin), and with `imu=True` the board has an MPU-6050 that reads the
    IMU counts `set_adc` gives; otherwise ADC0 reads `value`. ADC0 reads it only while the
    firmware closes the divider (D7 driven low), else full scale; after `close()`, `.divider`
    says how the firmware switched it. `hex_file` runs another build of the firmware. The
    harness holds the CPU until the port is opened, and exits with this process.
    """

    def __init__(
        self,
        *,
        counts_file: Path | None = None,
        live: bool = False,
        imu: bool = False,
        value: int = 0,
        speed: float = 1.0,
        fw: Path | None = None,
        hex_file: Path | None = None,
    ) -> None:
        hex_path, harness = build(fw)
        hex_path = hex_file or hex_path
        args = [str(harness), "--speed", "0" if speed >= FREE_RUNNING else f"{speed:g}"]
        if counts_file is not None:
            args += ["--adc", str(counts_file)]
        elif live:
            args += ["--adc", "-"]
        else:
            args += ["--value", str(int(value))]
        if imu:
            args.append("--imu")
        args.append(str(hex_path))
        self.args = args
        self.proc = subprocess.Popen(
            args,
            stdin=subprocess.PIPE if live else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._lines = selectors.DefaultSelector()
        assert self.proc.stdout is not None  # stdout=PIPE
        self._lines.register(self.proc.stdout, selectors.EVENT_READ)
        self._partial = b""
        self.ended_at: float | None = None  # emulated time the counts file ended, once it has
        self.running = False
        self.divider: DividerSwitching | None = None  # announced when the harness exits
        self.i2c: tuple[int, float, float] | None = None  # with an IMU, at exit: reads, mean and longest µs
        self.pty = self._expect("pty", START_TIMEOUT_S)

    def _expect(self, what: str, timeout: float) -> str:
        # the emulator is a real process starting up: its timeout is in real seconds, whatever
        # clock the session runs on (a manual clock would never reach the deadline)
        deadline = time.monotonic() + timeout
        while True:
            for line in self.poll(max(0.0, deadline - time.monotonic())):
                if line[0] == what:
                    return line[1]
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().strip() if self.proc.stderr else ""
                raise SourceError(f"the emulator stopped before it was ready: {err or 'no message'}")
            if time.monotonic() >= deadline:
                self.close()
                raise SourceError(f"the emulator did not say '{what}' within {timeout:g} s")

    def poll(self, timeout: float = 0.0) -> list[tuple[str, str]]:
        """Announcements ("kb-emu: WHAT VALUE") that arrived, as (what, value)."""
        out = []
        while self.proc.stdout and self._lines.select(timeout):
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                break
            *lines, self._partial = (self._partial + chunk).split(b"\n")
            for raw in lines:
                parts = raw.decode(errors="replace").split(maxsplit=2)
                if len(parts) >= 2 and parts[0] == "kb-emu:":
                    what, value = parts[1], (parts[2].strip() if len(parts) > 2 else "")
                    if what == "end-of-input":
                        self.ended_at = float(value)
                    elif what == "running":
                        self.running = True
                    elif what == "divider":
                        self.divider = DividerSwitching.parse(value)
                    elif what == "i2c":
                        n, mean, longest = value.split()
                        self.i2c = (int(n), float(mean), float(longest))
                    out.append((what, value))
            timeout = 0.0
        return out

    def set_adc(self, counts: int, imu: Sequence[int] | np.ndarray | None = None) -> None:
        """Live mode: ADC0 reads `counts` from now on, and the IMU (`imu=True`) the six `imu`
        counts (accel x, y, z, gyro x, y, z) when given."""
        assert self.proc.stdin is not None, "set_adc needs live=True"
        values = [int(counts), *([] if imu is None else (int(v) for v in imu))]
        self.proc.stdin.write(" ".join(map(str, values)) + "\n")
        self.proc.stdin.flush()

    def reset(self) -> None:
        """Press the board's reset button: the firmware starts again and keeps its EEPROM (the
        boot counter of HELLO's boot_id); the harness announces "reset"."""
        self.proc.send_signal(signal.SIGUSR1)

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        with contextlib.suppress(OSError, ValueError):
            self.poll()  # the announcements up to exit: "divider"
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if f:
                with contextlib.suppress(OSError):
                    f.close()
        self._lines.close()


class EmulatedSource(Source):
    """A scenario played into the real firmware on an emulated board, read over its pty."""

    def __init__(self, spec: str, scenario_name: str, options: SourceOptions) -> None:
        from kneadback.simulate.scenario import load_scenario
        from kneadback.simulate.wire import rate_cap_note

        super().__init__(spec)
        if not options.speed > 0:
            raise SourceError("the emulator's speed must be positive")
        self.scenario: Scenario = load_scenario(scenario_name)  # an unknown one is the user's mistake: said before building
        note = rate_cap_note(self.scenario)
        if note and options.notice:
            options.notice(note)
        self.options = options
        self.speed = options.speed
        self.rendering: Rendering | None = None  # the scenario as played, once open
        self.harness: Harness | None = None
        self.serial: SerialSource | None = None  # reads the harness's pty
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._t_end = math.inf  # session time of the scenario's last sample

    def _open(self) -> None:
        from kneadback.simulate.render import render
        from kneadback.sources.serial import SerialSource

        # the emulated board has the firmware's divider and a perfect clock
        scenario = self.scenario.with_device(
            divider_ohms=float(FIRMWARE_DIVIDER_OHMS), clock_ppm=0.0
        )
        self.rendering = rendering = render(scenario, seed=self.options.seed)
        self._tmp = tempfile.TemporaryDirectory(prefix="kneadback-emu-")
        counts = Path(self._tmp.name) / "adc.txt"
        write_counts(counts, rendering.adc, rendering.rate_hz, None if rendering.tool is None else rendering.tool.imu)
        self._t_end = (len(rendering.adc) - 1) / rendering.rate_hz
        try:
            self.harness = Harness(counts_file=counts, speed=self.speed)
            self.serial = SerialSource(self.spec, self.options, self.harness.pty, real_time=self.speed == 1.0)
            self.serial.open()
        except BaseException:
            self._close()
            raise
        if int(round(rendering.rate_hz)) != FIRMWARE_RATE_HZ:
            self.send(Command("set-rate", int(round(rendering.rate_hz))))

    def _close(self) -> None:
        if self.serial is not None:
            self.serial.close()
            self.serial = None
        if self.harness is not None:
            self.harness.close()
            self.harness = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def read(self, timeout: float = 0.05) -> list[SourceItem]:
        if not self._opened or self.finished or self.serial is None or self.harness is None:
            return []
        if not self.harness.alive:
            err = self.harness.proc.stderr.read().strip() if self.harness.proc.stderr else ""
            raise SourceError(f"the emulator stopped: {err or f'exit code {self.harness.proc.returncode}'}")
        self.harness.poll()
        items = self.serial.read(timeout)
        for k, item in enumerate(items):
            if isinstance(item, DeviceInfo):
                items[k] = self.info = dataclasses.replace(item, source=self.spec)
        self.finished = self._past_end(items)
        if self.finished:
            items += self.serial.stream.flush(self.options.clock.now())
        assert self.rendering is not None  # set by open()
        end = self._t_end + 0.5 / self.rendering.rate_hz
        out: list[SourceItem] = []
        for item in items:
            if isinstance(item, SampleBlock) and len(item.t) and item.t[-1] > end:
                keep = int(np.searchsorted(item.t, end))  # the scenario is over: its samples only
                if keep == 0:
                    continue
                item = item.rows(0, keep)
            out.append(item)
        return out

    def _past_end(self, items: list[SourceItem]) -> bool:
        """True once a sample at the scenario's last sample time has arrived."""
        assert self.rendering is not None
        last = next((i for i in reversed(items) if isinstance(i, SampleBlock) and len(i.t)), None)
        return last is not None and float(last.t[-1]) >= self._t_end - 0.5 / self.rendering.rate_hz

    def send(self, command: Command) -> bool:
        return self.serial is not None and self.serial.send(command)


def from_spec(rest: str, options: SourceOptions) -> EmulatedSource:
    """`emu` (the demo session) or `emu:SCENARIO` (a library scenario or a .toml file)."""
    from kneadback.simulate.scenario import DEFAULT_SCENARIO

    name = rest or DEFAULT_SCENARIO
    return EmulatedSource(f"emu:{name}", name, options)

