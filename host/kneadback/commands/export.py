"""`kneadback export SESSION --format csv|json|edf --out FILE`."""

from __future__ import annotations

import argparse
from pathlib import Path

from kneadback.errors import InputError
from kneadback.store.export import FORMATS, export
from kneadback.store.reader import open_recording

HELP = "export a session: CSV (time_s,adc,force_n), JSON (everything) or EDF+ (with annotations)"
ORDER = 42


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("session", metavar="SESSION", help="a session id, `last`, a database or a JSON export")
    parser.add_argument("--format", choices=FORMATS, help="default: from the --out suffix")
    parser.add_argument("--out", required=True, metavar="FILE", help="the file to write")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    fmt = args.format or out.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise InputError(f"export: give --format ({', '.join(FORMATS)}); the suffix of {out} does not say")
    with open_recording(args.session) as rec:
        export(rec, fmt, out)
    print(f"wrote {out} ({fmt}, session {rec.meta.id}, {rec.meta.duration_s:.1f} s)")
    return 0
