"""Writing targets that are not plain files, for the tests of `kneadback.outfile` and the commands."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


@contextlib.contextmanager
def fifo_reader(path: Path) -> Iterator[list[bytes]]:
    """A FIFO at `path` with a reader thread; the list holds what it read once the block ends.

    The test keeps a write end of its own open until the end of the block, so the reader sees the
    end of the data only then: nothing waits on time, and a writer that never came shows as b""."""
    os.mkfifo(path)
    r = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a reader exists: opening to write never blocks
    keep = os.open(path, os.O_WRONLY)
    os.set_blocking(r, True)
    got: list[bytes] = []

    def read() -> None:
        chunks = []
        while chunk := os.read(r, 1 << 16):
            chunks.append(chunk)
        got.append(b"".join(chunks))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        yield got
    finally:
        os.close(keep)
        reader.join()
        os.close(r)


def leftovers(folder: Path) -> list[str]:
    """Temporary files left in `folder`."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))
