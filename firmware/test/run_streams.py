#!/usr/bin/env python3
"""Run a decoder on every case of streams.json and compare its events with the expected ones.

    python3 firmware/test/run_streams.py DECODER-COMMAND...
    python3 firmware/test/run_streams.py --stdin DECODER-COMMAND...

The decoder is run once per case. By default the command gets `--case FILE` (FILE holds the
case's `input`: bytes and arrival times); with --stdin it gets the bytes on its standard input
instead, without arrival times (then estimated text rates are not compared). It prints one
JSON event a line on its standard output. README.md describes the events and how they are
compared. Exit status: 0 when every case passes, 1 when one fails, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

STREAMS = Path(__file__).with_name("streams.json")
EVENTS = {"mode", "info", "samples", "pause", "reset", "rate", "status", "ack", "pong", "error",
          "refused"}


def load_cases(path: Path = STREAMS) -> tuple[list[dict], float]:
    """The cases of a streams file and its rate tolerance."""
    table = json.loads(path.read_text())
    return table["cases"], float(table["rate_tolerance"])


def parse_output(text: str) -> list[dict]:
    """A decoder's events; ValueError naming the line when one is not a JSON object."""
    events = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except ValueError:
            raise ValueError(f"output line {number} is not JSON: {line[:80]!r}") from None
        if not isinstance(event, dict):
            raise ValueError(f"output line {number} is not a JSON object: {line[:80]!r}")
        events.append(event)
    return events


def normalize(events: Iterable[dict], timed: bool) -> tuple[list[dict], list[list[object]]]:
    """(events compared in order, the rates reported in each text segment).

    Events of other names are dropped (a decoder may print more). Text readings are merged
    (their grouping is free), and rates reported in text mode are set apart: an estimate may
    come at any point, and without arrival times (`timed` False) they are not compared."""
    ordered: list[dict] = []
    text_rates: list[list[object]] = []
    mode = None
    for e in events:
        name = e.get("event")
        if name not in EVENTS:
            continue
        if name == "mode":
            mode = e.get("mode")
            if mode == "text":
                text_rates.append([])
        if name == "rate" and mode == "text":
            if timed:
                text_rates[-1].append(e.get("rate_hz"))
            continue
        last = ordered[-1] if ordered else {}
        if name == "samples" and "t_us" not in e and last.get("event") == "samples" \
                and "t_us" not in last:
            ordered[-1] = {**last, "adc": list(last.get("adc", [])) + list(e.get("adc", []))}
            continue
        ordered.append(e)
    return ordered, text_rates if timed else [[] for _ in text_rates]


def _same(want: object, got: object) -> bool:
    """Expected keys must be there with equal values; numbers compare by value (1 == 1.0);
    extra keys in `got` are allowed."""
    if isinstance(want, dict):
        return isinstance(got, dict) and all(k in got and _same(v, got[k]) for k, v in want.items())
    if isinstance(want, list):
        return isinstance(got, list) and len(want) == len(got) and all(map(_same, want, got))
    if isinstance(want, bool) or isinstance(got, bool):
        return want is got
    return want == got


def _short(event: dict | None, limit: int = 160) -> str:
    text = "nothing" if event is None else json.dumps(event)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def compare(expect: list[dict], actual: list[dict], tolerance: float, timed: bool = True) -> str | None:
    """None when `actual` matches `expect`, else the first difference."""
    want, want_rates = normalize(expect, timed)
    got, got_rates = normalize(actual, timed)
    for i, (w, g) in enumerate(zip(want, got)):
        if not _same(w, g):
            return f"event {i + 1}: expected {_short(w)}, got {_short(g)}"
    if len(want) != len(got):
        i = min(len(want), len(got))
        return (f"event {i + 1}: expected {_short(want[i] if i < len(want) else None)}, "
                f"got {_short(got[i] if i < len(got) else None)}")
    if len(want_rates) != len(got_rates):
        return f"expected {len(want_rates)} text segments, got {len(got_rates)}"
    for n, (expected, reported) in enumerate(zip(want_rates, got_rates), 1):
        ok = len(expected) == len(reported) and all(
            isinstance(r, (int, float)) and isinstance(e, (int, float)) and abs(r - e) <= tolerance * e
            for e, r in zip(expected, reported))
        if not ok:
            return f"text segment {n}: expected rate {expected} (within {tolerance:.0%}), got {reported}"
    return None


def run_case(command: list[str], case: dict, tolerance: float, stdin: bool,
             timeout: float) -> str | None:
    """None when the decoder passes the case, else why not."""
    data = b"".join(bytes.fromhex(item["hex"]) for item in case["input"])
    with tempfile.TemporaryDirectory() as tmp:
        argv = list(command)
        if not stdin:
            path = Path(tmp) / "case.json"
            path.write_text(json.dumps({"name": case["name"], "input": case["input"]}))
            argv += ["--case", str(path)]
        try:
            done = subprocess.run(argv, input=data if stdin else b"", capture_output=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            return f"no answer within {timeout:g} s"
    try:
        events = parse_output(done.stdout.decode("utf-8", "replace"))
    except ValueError as e:
        return str(e)
    why = compare(case["expect"], events, tolerance, timed=not stdin)
    refused = bool(case["expect"]) and case["expect"][-1]["event"] == "refused"
    if why is None and done.returncode != 0 and not refused:
        err = done.stderr.decode("utf-8", "replace").strip().splitlines()
        return f"exit status {done.returncode}" + (f": {err[-1][:120]}" if err else "")
    return why


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        usage="%(prog)s [options] DECODER-COMMAND...",
        description="Run a decoder on every conformance stream and compare its events.")
    ap.add_argument("command", nargs=argparse.REMAINDER, metavar="DECODER-COMMAND...",
                    help="the decoder and its arguments")
    ap.add_argument("--stdin", action="store_true",
                    help="give the bytes on standard input instead of --case FILE")
    ap.add_argument("--streams", type=Path, default=STREAMS, help="the cases (streams.json)")
    ap.add_argument("-k", dest="match", default="", help="run only cases whose name has this")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds a case may take")
    ap.add_argument("-j", dest="jobs", type=int, default=os.cpu_count() or 1,
                    help="cases run at once")
    args = ap.parse_args(argv)
    if not args.command:
        ap.print_usage(sys.stderr)
        print("run_streams.py: give the decoder command to run", file=sys.stderr)
        return 2
    try:
        cases, tolerance = load_cases(args.streams)
    except (OSError, ValueError, KeyError) as e:
        print(f"run_streams.py: cannot read {args.streams}: {e}", file=sys.stderr)
        return 2
    cases = [c for c in cases if args.match in c["name"]]
    if not cases:
        print(f"run_streams.py: no case name contains {args.match!r}", file=sys.stderr)
        return 2
    try:
        subprocess.run(args.command, input=b"", capture_output=True, timeout=args.timeout)
    except OSError as e:
        print(f"run_streams.py: cannot run {args.command[0]}: {e.strerror}", file=sys.stderr)
        return 2
    except subprocess.TimeoutExpired:
        pass  # the cases will say so

    def one(case: dict) -> str | None:
        return run_case(args.command, case, tolerance, args.stdin, args.timeout)

    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        results = list(pool.map(one, cases))
    width = max((len(c["name"]) for c, why in zip(cases, results) if why), default=0)
    for case, why in zip(cases, results):
        print(f"PASS  {case['name']}" if why is None else f"FAIL  {case['name']:<{width}}  {why}")
    failed = sum(why is not None for why in results)
    print(f"{len(cases) - failed} passed, {failed} failed, of {len(cases)} cases")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
