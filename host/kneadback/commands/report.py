"""`kneadback report SESSION --out FILE.html`: one self-contained HTML report of a session."""

from __future__ import annotations

import argparse
from pathlib import Path

from kneadback.report.report import render_html
from kneadback.store.export import write_text_atomic
from kneadback.store.reader import open_recording

HELP = "write one self-contained HTML report of a session (plots, cues, scores, a plain summary)"
ORDER = 44


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("session", metavar="SESSION", help="a session id, `last`, a database or a JSON export")
    parser.add_argument("--out", required=True, metavar="FILE.html", help="the file to write")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with open_recording(args.session) as rec:
        page = render_html(rec)
        sid = rec.meta.id
    write_text_atomic(Path(args.out), page)
    print(f"wrote {args.out} (session {sid})")
    return 0
