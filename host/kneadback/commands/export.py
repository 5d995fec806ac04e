"""`kneadback export SESSION --format csv|json|edf [--what samples|strokes] --out FILE`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kneadback.errors import InputError
from kneadback.store import EXPORT_FORMATS, EXPORT_TABLES

HELP = "export a session: CSV (time_s,adc,force_n), JSON (everything), EDF+ (with annotations) or a strokes table"
ORDER = 42


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("session", metavar="SESSION", help="a session id, `last`, a database or a JSON export")
    parser.add_argument("--format", choices=EXPORT_FORMATS, help="default: from the --out suffix")
    parser.add_argument("--out", required=True, metavar="FILE", help="the file to write; - for standard output")
    parser.add_argument("--what", choices=EXPORT_TABLES, default="samples",
                        help="samples (default): the signal; strokes: a CSV table, one row per stroke "
                             "(with a motion sensor its direction and excursion too)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from kneadback.outfile import STDOUT, is_stdout
    from kneadback.progress import progress
    from kneadback.store.export import export
    from kneadback.store.reader import open_recording

    out = args.out
    fmt = args.format or Path(out).suffix.lower().lstrip(".")
    if args.what == "strokes" and fmt not in EXPORT_FORMATS:  # a strokes table has one format
        fmt = "csv"
    if fmt not in EXPORT_FORMATS:
        why = "standard output has no suffix" if out == STDOUT else f"the suffix of {out} does not say"
        raise InputError(f"export: give --format ({', '.join(EXPORT_FORMATS)}); {why}")
    samples = args.what == "samples"
    with (
        open_recording(args.session) as rec,
        progress(rec.meta.samples, f"exporting session {rec.meta.id}", unit="samples", scale=True,
                 enabled=None if samples else False) as bar,  # a strokes table reads no samples
    ):
        export(rec, fmt, out, bar, what=args.what)
    if not is_stdout(out):  # the confirmation must not land inside the data
        what = fmt if samples else "strokes, csv"
        print(f"wrote {out} ({what}, session {rec.meta.id}, {rec.meta.duration_s:.1f} s)", file=sys.stderr)
    return 0
