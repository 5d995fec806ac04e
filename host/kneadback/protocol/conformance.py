"""The host as a conformance decoder: bytes in, the stream suite's events out, one JSON a line.

    python3 -m kneadback.protocol.conformance < bytes
    python3 -m kneadback.protocol.conformance --case CASE.json

With ``--case``, the file's ``input`` (``[{at, hex}, ...]``: bytes and their arrival times in
seconds) is fed as it would arrive; otherwise standard input is one read at time 0. The events
are the decisions `DeviceStream` takes while it decodes, the same code as a live session's
(firmware/test/README.md gives their format; firmware/test/run_streams.py compares them with
firmware/test/streams.json).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kneadback.errors import InputError
from kneadback.protocol.stream import DeviceStream


def events(chunks: Iterable[tuple[float, bytes]]) -> list[dict[str, Any]]:
    """The events of a stream given as (arrival seconds, bytes) in order."""
    trace: list[dict[str, Any]] = []
    stream = DeviceStream("conformance", trace=trace)
    at = 0.0
    for at, data in chunks:
        stream.feed(data, at)
    stream.flush(at)
    return trace


def read_case(path: Path) -> list[tuple[float, bytes]]:
    """A case file's input; `InputError` naming the file and the item when it is not one."""
    try:
        items = json.loads(path.read_text(encoding="utf-8"))["input"]
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror}") from None
    except (ValueError, KeyError, TypeError):
        raise InputError(f"{path}: not a case file (a JSON object with an \"input\" list)") from None
    chunks = []
    for n, item in enumerate(items, 1):
        try:
            chunks.append((float(item["at"]), bytes.fromhex(item["hex"])))
        except (ValueError, KeyError, TypeError):
            raise InputError(f"{path}: input item {n} is not {{\"at\": seconds, \"hex\": bytes}}") from None
    return chunks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m kneadback.protocol.conformance", description=__doc__.splitlines()[0])
    parser.add_argument("--case", type=Path, metavar="FILE", help="a case file: its input, with arrival times")
    args = parser.parse_args(argv)
    try:
        chunks = read_case(args.case) if args.case else [(0.0, sys.stdin.buffer.read())]
    except InputError as e:
        print(f"kneadback conformance: {e}", file=sys.stderr)
        return e.exit_code
    for event in events(chunks):
        print(json.dumps(event))
    return 0


if __name__ == "__main__":
    sys.exit(main())
