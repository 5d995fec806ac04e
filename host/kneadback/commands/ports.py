"""`kneadback ports`: the serial ports, likely boards marked."""

from __future__ import annotations

import argparse
import json

HELP = "list serial ports; likely boards (Arduino and USB-serial chips) are marked with *"
ORDER = 20


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="one JSON object a port")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from kneadback.ports import scan_ports  # pyserial loads only when ports are listed

    ports = scan_ports()
    if args.json:
        for p in ports:
            print(json.dumps({"device": p.device, "board": p.board, "usb_id": p.usb_id or None,
                              "serial_number": p.serial_number, "description": p.description}))
        return 0
    if not ports:
        print("no serial ports found")
        return 0
    width = max(len(p.device) for p in ports)
    for p in ports:
        mark = "*" if p.board else " "
        what = p.board or p.description or ""
        serial = f"  serial {p.serial_number}" if p.serial_number else ""
        print(f"{mark} {p.device:<{width}}  {p.usb_id or '--':9}  {what}{serial}")
    if not any(p.board for p in ports):
        print("no likely board among them: is it plugged in? `kneadback live --source PORT` opens any port")
    else:
        print("* likely board; `kneadback live` picks the first")
    return 0
