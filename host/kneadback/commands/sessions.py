"""`kneadback sessions`: the recorded sessions, oldest first."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from kneadback.store.db import Store, default_path
from kneadback.store.summary import summary_of
from kneadback.words import mmss, plural

HELP = "list recorded sessions: id, start, duration, spots, bouts and score"
ORDER = 40


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="one JSON array instead of the table")
    parser.set_defaults(func=run)


def session_list() -> list[dict[str, Any]]:
    if not default_path().exists():
        return []
    with Store.open(readonly=True) as store:
        out = []
        for row in store.sessions():
            summary = summary_of(store, row)
            score = summary.get("score") or {}
            out.append({
                "id": row.id,
                "start": row.started_at,
                "duration_s": round(row.duration_s, 3),
                "spots": summary.get("spots", []),
                "bouts": summary.get("bouts", 0),
                "strokes": summary.get("strokes", 0),
                "score": score.get("value"),
                "score_status": score.get("status", "unavailable"),
                "kind": row.kind,
                "source": row.source,
                "samples": row.samples,
                "lost": row.lost,
                "interrupted": row.interrupted,
            })
        return out


def run(args: argparse.Namespace) -> int:
    sessions = session_list()
    if args.json:
        json.dump(sessions, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return 0
    if not sessions:
        print("no sessions recorded yet: `kneadback live` records every session")
        return 0
    rows = [("id", "start", "duration", "spots", "bouts", "score", "")]
    for s in sessions:
        score = "—" if s["score"] is None else f"{s['score']:.0f}" + ("?" if s["score_status"] == "provisional" else "")
        notes = []
        if s["interrupted"]:
            notes.append("interrupted")
        if s["kind"] != "live":
            notes.append(s["kind"])
        if s["lost"]:
            notes.append(f"{plural(s['lost'], 'sample')} lost")
        rows.append((str(s["id"]), s["start"].replace("T", " ")[:16], mmss(s["duration_s"]),
                     ", ".join(s["spots"]) or "—", str(s["bouts"]), score, ", ".join(notes)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) if i in (1, 3, 6) else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip())
    if any(s["score_status"] == "provisional" for s in sessions):
        print("? provisional score (few strokes)")
    return 0
