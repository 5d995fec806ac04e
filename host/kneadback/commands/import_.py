"""`kneadback import FILE.csv`: a `time_s,adc` CSV from another logger (or an export, with a motion
sensor's six columns) as a recorded session."""

from __future__ import annotations

import argparse
import datetime as dt
import math
from pathlib import Path

from kneadback import frontend
from kneadback.coach import targets as targets_mod
from kneadback.csvformat import IMU_COLUMNS, META_KEYS
from kneadback.errors import InputError

HELP = "import a time_s,adc CSV from any logger as a session (analysed and coached like a live one)"
ORDER = 43


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE.csv", help=(
        f"columns time_s (seconds) and adc (counts), and a motion sensor's {','.join(IMU_COLUMNS[:3])} (m/s²)"
        f" and {','.join(IMU_COLUMNS[3:])} (rad/s), all six or none; other columns ignored. Lines"
        f" '# key: value' before the header may give {', '.join(META_KEYS)} (accel_scale and gyro_scale:"
        " the size of one count of the motion sensor in m/s² and rad/s)"))
    parser.add_argument("--spot", default="imported", metavar="NAME", help='the spot worked (default "imported")')
    parser.add_argument("--start", metavar="WHEN", help="when it was recorded, ISO 8601 (default: the file's time)")
    parser.add_argument("--rate", type=float, metavar="HZ", help="sample rate, where the file does not say")
    frontend.add_arguments(parser, "the file")
    targets_mod.add_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from kneadback.app import import_csv
    from kneadback.progress import wanted

    started = None
    if args.start:
        try:
            started = dt.datetime.fromisoformat(args.start).astimezone()
        except ValueError:
            raise InputError(f"import: --start {args.start!r} is not a date and time like 2026-03-01T18:30") from None
    if args.rate is not None and not (math.isfinite(args.rate) and 0 < args.rate <= 100_000):
        raise InputError(f"import: --rate {args.rate} must be a sample rate in Hz")
    front = frontend.from_args("import", args)
    if not args.spot.strip():
        raise InputError("import: --spot needs a name")
    sid = import_csv(Path(args.file), spot=args.spot.strip(), started=started, rate_hz=args.rate,
                     front=front, targets=targets_mod.from_args(args), show_progress=wanted())
    print(f"imported {args.file} as session {sid}")
    return 0
