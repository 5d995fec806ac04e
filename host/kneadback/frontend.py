"""A front end as the user declares it: `--front-end`, `--divider`, `--adc-bits`, `--vref`.

A board speaking protocol 1.1 says what its front end is; a plain-text board or a CSV file may
not, or may say it wrongly. What the user declares wins over what the board or file says, field
by field. The force conversion for each kind lives in `kneadback.fsr`; this module stays light
(no numpy), as the commands register their flags with it. A declaration is remembered per board,
by its USB serial number, in `devices.json`, beside the other things kept for a board (`keep`).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kneadback.errors import InputError

if TYPE_CHECKING:  # the flags register without numpy, which the model module loads
    from kneadback.model import DeviceInfo

FRONT_ENDS = ("fsr-low", "fsr-high", "linear", "unknown")
FSR_FRONT_ENDS = FRONT_ENDS[:2]
ADC_BITS = (8, 16)  # the force tables hold one entry per count
VREF_MV = (500, 10000)

_OHMS = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*([kKmM]?)\s*(?:ohms?|Ω|r|R)?\s*$")


def parse_ohms(text: str) -> float:
    """"1k", "4.7k", "10000", "1M", "680R", "2k2" → ohms."""
    t = text.strip()
    m = re.fullmatch(r"(\d+)([kKmMrR])(\d+)", t)
    if m:
        t = f"{m.group(1)}.{m.group(3)}{m.group(2) if m.group(2) in 'kKmM' else ''}"
    m = _OHMS.match(t)
    if not m:
        raise InputError(f"{text!r} is not a resistance: use e.g. 1k, 4.7k, 2k2, 680 or 10000")
    value = float(m.group(1)) * {"": 1.0, "k": 1e3, "m": 1e6}[m.group(2).lower()]
    if not 10 <= value <= 10e6:
        raise InputError(f"{text!r}: a divider resistor between 10 Ω and 10 MΩ, please")
    return value


@dataclass(frozen=True)
class Declared:
    """What the user said about the front end; None: not said (the board's or file's word holds)."""

    front_end: str | None = None
    divider_ohms: float | None = None
    adc_bits: int | None = None
    vref_mv: int | None = None

    def __bool__(self) -> bool:
        return any(v is not None for v in dataclasses.astuple(self))

    def apply(self, info: DeviceInfo) -> DeviceInfo:
        """`info` with the declared fields in place. A divider alone declares an FSR divider: the
        board's kind stays when it is one, else it is the usual low-side circuit."""
        front = self.front_end
        if front is None and self.divider_ohms is not None and info.front_end not in FSR_FRONT_ENDS:
            front = "fsr-low"
        changes: dict[str, Any] = {}
        if front is not None:
            changes["front_end"] = front
        if self.divider_ohms is not None:
            changes["divider_ohms"] = round(self.divider_ohms)
        if self.adc_bits is not None:
            changes["adc_bits"] = self.adc_bits
        if self.vref_mv is not None:
            changes["vref_mv"] = self.vref_mv
        return dataclasses.replace(info, **changes) if changes else info

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Declared:
        """Inverse of `to_dict`; ValueError/TypeError on a value out of range."""
        out = cls(
            front_end=None if d.get("front_end") is None else str(d["front_end"]),
            divider_ohms=None if d.get("divider_ohms") is None else float(d["divider_ohms"]),
            adc_bits=None if d.get("adc_bits") is None else int(d["adc_bits"]),
            vref_mv=None if d.get("vref_mv") is None else int(d["vref_mv"]),
        )
        if out.front_end is not None and out.front_end not in FRONT_ENDS:
            raise ValueError(f"front end {out.front_end!r}")
        if out.divider_ohms is not None and not (math.isfinite(out.divider_ohms) and 10 <= out.divider_ohms <= 10e6):
            raise ValueError(f"divider {out.divider_ohms!r}")
        if out.adc_bits is not None and not ADC_BITS[0] <= out.adc_bits <= ADC_BITS[1]:
            raise ValueError(f"adc bits {out.adc_bits!r}")
        if out.vref_mv is not None and not VREF_MV[0] <= out.vref_mv <= VREF_MV[1]:
            raise ValueError(f"vref {out.vref_mv!r}")
        return out


def add_arguments(parser: argparse.ArgumentParser, where: str) -> None:
    """The front-end flags; `where` says whose word they override ("the board", "the file")."""
    parser.add_argument("--front-end", choices=FRONT_ENDS, metavar="KIND",
                        help=f"the sensor circuit, where {where} does not say: {', '.join(FRONT_ENDS)} "
                             "(hardware/README.md shows each wiring)")
    parser.add_argument("--divider", metavar="OHMS",
                        help=f"the FSR divider's fixed resistor, e.g. 10k or 2k2, where {where} does not say (default 1000)")
    parser.add_argument("--adc-bits", type=int, metavar="N",
                        help=f"ADC resolution in bits ({ADC_BITS[0]}-{ADC_BITS[1]}), where {where} does not say (default 10)")
    parser.add_argument("--vref", type=int, metavar="MV",
                        help=f"ADC reference in millivolts, where {where} does not say (default 5000)")


def from_args(command: str, args: argparse.Namespace) -> Declared:
    """The declaration in the flags; one line naming the flag for a value out of range."""
    divider = None
    if args.divider is not None:
        try:
            divider = parse_ohms(str(args.divider))
        except InputError:
            raise InputError(f"{command}: --divider {args.divider} must be a resistance of 10 Ω to 10 MΩ, "
                             "e.g. 1k, 4.7k, 2k2 or 10000") from None
    bits, vref = args.adc_bits, args.vref
    if bits is not None and not ADC_BITS[0] <= bits <= ADC_BITS[1]:
        raise InputError(f"{command}: --adc-bits {bits} must be {ADC_BITS[0]} to {ADC_BITS[1]}")
    if vref is not None and not VREF_MV[0] <= vref <= VREF_MV[1]:
        raise InputError(f"{command}: --vref {vref} must be a reference in millivolts, {VREF_MV[0]} to {VREF_MV[1]}")
    return Declared(args.front_end, divider, bits, vref)


# --- remembered per board -----------------------------------------------------------------------

DEVICES_FILE = "devices.json"


def _boards() -> dict[str, Any]:
    """Everything remembered, by USB serial number ({} when the file is missing or unreadable: a
    damaged memory must not stop a session)."""
    import json

    from kneadback import paths

    try:
        boards = json.loads((paths.config_dir() / DEVICES_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    return boards if isinstance(boards, dict) else {}


def recall(serial_number: str | None, key: str) -> Any:
    """What was kept under `key` for the board with this serial number; None when nothing was."""
    board = _boards().get(serial_number or "")
    return board.get(key) if isinstance(board, dict) else None


def keep(serial_number: str | None, key: str, value: Any) -> None:
    """Keep `value` (JSON) under `key` for the board with this serial number, beside what else is
    kept for it; a board without a serial number cannot be told apart, so nothing is kept."""
    import json

    from kneadback import paths
    from kneadback.outfile import write_out

    if not serial_number:
        return
    boards = _boards()
    board = boards.get(serial_number)
    boards[serial_number] = {**(board if isinstance(board, dict) else {}), key: value}
    write_out(paths.config_dir() / DEVICES_FILE, json.dumps(boards, indent=2, sort_keys=True) + "\n", new_mode=0o600)


def remembered(serial_number: str | None) -> Declared:
    """What was declared for the board with this USB serial number (nothing when none was)."""
    try:
        return Declared.from_dict(recall(serial_number, "front") or {})
    except (ValueError, TypeError, AttributeError):
        return Declared()


def remember(serial_number: str | None, declared: Declared) -> None:
    """Keep `declared` for the board with this serial number, so the next session needs no flags."""
    if declared:
        keep(serial_number, "front", declared.to_dict())
