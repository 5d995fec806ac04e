"""`kneadback history`: each spot per day, the 7/10 force over the days, the no-progress rule."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from kneadback.errors import InputError
from kneadback.report.history import build_history, load_settings, render_html, text_table
from kneadback.store.db import Store, default_path
from kneadback.store.export import write_text_atomic

HELP = "each spot over the days: bouts vs 3-10, time, rate and pressure adherence, the 7/10 force"
ORDER = 45


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--spot", metavar="NAME", help="only this spot")
    parser.add_argument("--json", action="store_true", help="one JSON object instead of the table")
    parser.add_argument("--out", metavar="FILE.html", help="also write a self-contained HTML page with plots")
    parser.add_argument("--days", type=int, metavar="N",
                        help="no-progress rule: days without a rising 7/10 force (default 7, or [history] in config.toml)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.days is not None:
        if not 1 <= args.days <= 365:
            raise InputError(f"history: --days {args.days} must be within 1..365")
        settings = dataclasses.replace(settings, no_progress_days=args.days)
    if not default_path().exists():
        reports, targets = [], None
    else:
        with Store.open(readonly=True) as store:
            reports, targets = build_history(store, settings, args.spot)
    from kneadback.coach.targets import Targets

    targets = targets or Targets()
    if args.spot and not reports:
        raise InputError(f"history: no bouts or ratings recorded on spot {args.spot!r}")
    if args.out:
        write_text_atomic(Path(args.out), render_html(reports, targets, settings))
    if args.json:
        json.dump({"no_progress_rule_days": settings.no_progress_days, "spots": [r.to_dict() for r in reports]},
                  sys.stdout, indent=1)
        sys.stdout.write("\n")
    elif not reports:
        print("no bouts or ratings recorded yet")
    else:
        sys.stdout.write(text_table(reports, targets))
    if args.out and not args.json:
        print(f"wrote {args.out}")
    return 0
