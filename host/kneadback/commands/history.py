"""`kneadback history`: each spot per day, the 7/10 force over the days, the no-progress rule."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import sys

from kneadback.errors import InputError
from kneadback.store.db import Store, default_path

HELP = "each spot over the days: bouts vs 3-10, time, rate and pressure adherence, the 7/10 force"
ORDER = 45


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--spot", metavar="NAME", help="only this spot")
    parser.add_argument("--json", action="store_true", help="one JSON object instead of the table")
    parser.add_argument("--out", metavar="FILE.html",
                        help="also write a self-contained HTML page with plots (-: to standard output, instead of the table)")
    parser.add_argument("--days", type=int, metavar="N",
                        help="no-progress rule: days without a rising 7/10 force (default 7, or [history] in config.toml)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from kneadback.coach.targets import Targets
    from kneadback.outfile import is_stdout, open_out
    from kneadback.progress import progress, wanted
    from kneadback.report.history import SpotHistoryReport, build_history, load_settings, render_html, text_table

    settings = load_settings()
    if args.days is not None:
        if not 1 <= args.days <= 365:
            raise InputError(f"history: --days {args.days} must be within 1..365")
        settings = dataclasses.replace(settings, no_progress_days=args.days)
    page_on_stdout = args.out is not None and is_stdout(args.out)
    if page_on_stdout and args.json:
        raise InputError(f"history: --json and --out {args.out} both write to standard output: give --out a file")
    # the file is opened before the work, so a wrong --out shows at once; it is replaced only at the end
    with open_out(args.out) if args.out else contextlib.nullcontext() as page:
        reports: list[SpotHistoryReport]
        if not default_path().exists():
            reports, targets = [], None
        else:
            with Store.open(readonly=True) as store:
                bar_on = wanted(machine_output=args.json)
                with progress(len(store.sessions()), "reading sessions", unit="sessions", enabled=bar_on) as bar:
                    reports, targets = build_history(store, settings, args.spot, bar)
        targets = targets or Targets()
        if args.spot and not reports:
            raise InputError(f"history: no bouts or ratings recorded on spot {args.spot!r}")
        if page is not None:
            page.write(render_html(reports, targets, settings))
    if args.json:
        json.dump({"no_progress_rule_days": settings.no_progress_days, "spots": [r.to_dict() for r in reports]},
                  sys.stdout, indent=1)
        sys.stdout.write("\n")
    elif not page_on_stdout:  # (there, the page is the output)
        sys.stdout.write(text_table(reports, targets) if reports else "no bouts or ratings recorded yet\n")
    if args.out and not page_on_stdout:
        print(f"wrote {args.out}", file=sys.stderr)
    return 0
