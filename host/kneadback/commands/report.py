"""`kneadback report SESSION --out FILE.html`: one self-contained HTML report of a session."""

from __future__ import annotations

import argparse
import sys

HELP = "write one self-contained HTML report of a session (plots, cues, scores, a plain summary)"
ORDER = 44


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("session", metavar="SESSION", help="a session id, `last`, a database or a JSON export")
    parser.add_argument("--out", required=True, metavar="FILE.html", help="the file to write; - for standard output")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from kneadback.outfile import is_stdout, open_out
    from kneadback.progress import progress
    from kneadback.report.report import render_html
    from kneadback.store.reader import open_recording

    # the session is found, then the file opened, then the page made: each mistake shows before the work
    with (
        open_recording(args.session) as rec,
        open_out(args.out) as page,
        progress(rec.meta.samples, f"reading session {rec.meta.id}", unit="samples", scale=True) as bar,
    ):
        page.write(render_html(rec, bar))
    if not is_stdout(args.out):  # the confirmation must not land inside the page
        print(f"wrote {args.out} (session {rec.meta.id})", file=sys.stderr)
    return 0
