"""The serial ports the system lists, and which of them are likely boards.

Apart from the sources so that `kneadback ports` (and any check of what is plugged in) needs
pyserial's port listing only, not the serial source and the numeric stack behind it.
"""

from __future__ import annotations

from dataclasses import dataclass

from serial.tools import list_ports

#: USB VID (and PID, or None for any) of boards and USB-serial chips an Arduino sits behind
KNOWN_USB: tuple[tuple[int, int | None, str], ...] = (
    (0x2341, None, "Arduino"),
    (0x2A03, None, "Arduino (arduino.org)"),
    (0x1A86, 0x7523, "CH340 USB-serial (Nano clone)"),
    (0x1A86, 0x5523, "CH341 USB-serial"),
    (0x1A86, 0x55D4, "CH9102 USB-serial"),
    (0x0403, 0x6001, "FTDI FT232R USB-serial"),
    (0x0403, 0x6015, "FTDI FT231X USB-serial"),
    (0x10C4, 0xEA60, "CP210x USB-serial"),
    (0x067B, 0x2303, "PL2303 USB-serial"),
    (0x1B4F, None, "SparkFun"),
    (0x239A, None, "Adafruit"),
)


@dataclass(frozen=True)
class PortCandidate:
    """A serial port as `kneadback ports` shows it."""

    device: str
    description: str
    vid: int | None
    pid: int | None
    serial_number: str | None
    board: str | None  # what kind of board it likely is, None when unknown

    @property
    def usb_id(self) -> str:
        return f"{self.vid:04X}:{self.pid:04X}" if self.vid is not None and self.pid is not None else ""


def board_kind(vid: int | None, pid: int | None) -> str | None:
    for v, p, name in KNOWN_USB:
        if vid == v and (p is None or pid == p):
            return name
    return None


def scan_ports() -> list[PortCandidate]:
    """Every serial port the system lists, likely boards first."""
    found = []
    for p in list_ports.comports():
        found.append(
            PortCandidate(
                device=p.device,
                description="" if p.description in (None, "n/a") else p.description,
                vid=p.vid,
                pid=p.pid,
                serial_number=p.serial_number,
                board=board_kind(p.vid, p.pid),
            )
        )
    return sorted(found, key=lambda c: (c.board is None, _rank(c), c.device))


def _rank(c: PortCandidate) -> int:
    return next((i for i, (v, p, _) in enumerate(KNOWN_USB) if c.vid == v and (p is None or c.pid == p)), len(KNOWN_USB))


def ports_seen(ports: list[PortCandidate] | None = None) -> str:
    ports = scan_ports() if ports is None else ports
    if not ports:
        return "no serial ports at all"
    return "ports seen: " + ", ".join(f"{c.device} ({c.usb_id or c.description or 'no USB id'})" for c in ports)
