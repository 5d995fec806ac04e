"""`kneadback analyze FILE`: run a recording through the engine and report what it found.

FILE is what `kneadback.analysis.open_input` opens: a `time_s,adc` CSV, or a recorded session
(an id, `last`, a database, a JSON export). The samples go through the same session pipeline as live
use, as fast as they can be read; `--chunk N` feeds the engine N samples at a time, which must
not change the output.
"""

from __future__ import annotations

import argparse
import json
import math
import sys

from kneadback import frontend
from kneadback.errors import InputError

HELP = "analyse a recording (a time_s,adc CSV or a recorded session): strokes, rate, holds, bouts, stroke motion"
ORDER = 40


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="a CSV with columns time_s,adc, or a recorded session: an id, `last`, a database or a JSON export")
    parser.add_argument("--json", action="store_true", help="print one JSON object (its fields: docs/commands.md)")
    parser.add_argument("--chunk", type=int, metavar="N", help="feed the engine N samples at a time (the output must not change)")
    parser.add_argument("--rate", type=float, metavar="HZ", help="sample rate, where the file does not say (default: estimated)")
    frontend.add_arguments(parser, "the file")
    parser.add_argument("--strokes", action="store_true", help="table output: list every stroke, too")
    parser.add_argument("--datasheet", action="store_true", help="use the datasheet force curve even when a calibration is stored")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from kneadback.app import analyze
    from kneadback.calibration import force_model_for_device
    from kneadback.progress import wanted

    if args.chunk is not None and args.chunk < 1:
        raise InputError(f"analyze: --chunk {args.chunk} must be a positive number of samples")
    if args.rate is not None and not (math.isfinite(args.rate) and 0 < args.rate <= 100_000):
        raise InputError(f"analyze: --rate {args.rate} must be a sample rate in Hz (0 < rate ≤ 100000)")
    front = frontend.from_args("analyze", args)
    model_for = None if args.datasheet else force_model_for_device
    result = analyze(args.file, chunk=args.chunk, rate_hz=args.rate, front=front, model_for=model_for,
                     show_progress=wanted(machine_output=args.json))
    for note in result.notes:
        print(f"kneadback: {note}", file=sys.stderr)
    if args.json:
        json.dump(result.to_dict(), sys.stdout, separators=(",", ":"))
        sys.stdout.write("\n")
    else:
        sys.stdout.write(result.table(strokes=args.strokes))
    return 0
