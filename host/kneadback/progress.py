"""Progress on stderr for work that can take longer than a couple of seconds.

One rule for every command: a bar is drawn only when stderr is a terminal and the command is not
printing machine-readable output (`--json`, `--jsonl`); otherwise nothing is written, so pipes,
logs and tests stay clean. tqdm does the drawing (rate, ETA, terminal width, redraw throttling).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Protocol

MIN_INTERVAL_S = 0.25  # redraws at most this often: progress must never cost throughput


class Progress(Protocol):
    """What work reports to: advance by `n` units of `total`."""

    def update(self, n: float = 1) -> object: ...


class _Silent:
    def update(self, n: float = 1) -> None:
        return None


def wanted(stream: IO[str] | None = None, *, machine_output: bool = False) -> bool:
    """Whether to draw progress: a terminal on stderr, and no JSON going to stdout."""
    stream = sys.stderr if stream is None else stream
    if machine_output:
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


@contextmanager
def progress(
    total: float | None,
    what: str,
    *,
    unit: str = "it",
    enabled: bool | None = None,
    stream: IO[str] | None = None,
    scale: bool = False,
) -> Iterator[Progress]:
    """A progress bar for `total` units of `what`; a silent stand-in when it is not wanted.

    `enabled=None` decides by `wanted(stream)`. `scale=True` shows large counts as k/M.
    """
    stream = sys.stderr if stream is None else stream
    if enabled is None:
        enabled = wanted(stream)
    if not enabled:
        yield _Silent()
        return
    from tqdm import tqdm  # only when a bar is drawn: keeps start-up light

    with tqdm(
        total=total,
        desc=what,
        unit=unit,
        unit_scale=scale,
        file=stream,
        mininterval=MIN_INTERVAL_S,
        leave=False,
        dynamic_ncols=True,
    ) as bar:
        yield bar
