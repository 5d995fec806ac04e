"""What a command tells the user about how it runs (no board, so the simulated tool; no display,
so the terminal view), held back until its session first reports.

By then every input has been checked: the flags, the config, the files, the database, and the
port is open. A mistake is therefore always the one line on stderr it should be, never a line
after a notice that did not matter in the end.
"""

from __future__ import annotations

import sys
from typing import IO

from kneadback.model import DeviceInfo, LinkStatus, SampleBlock
from kneadback.sink import Sink


class HeldNotices(Sink):
    """`say` holds a notice; the session's first report prints every held one, in order, on
    stderr (or `out`), and later notices go out at once. Put it first among the sinks, so the
    notices come before anything else the session prints."""

    def __init__(self, out: IO[str] | None = None) -> None:
        self.out = out
        self._held: list[str] | None = []  # None once released

    def say(self, text: str) -> None:
        if self._held is None:
            self._print(text)
        else:
            self._held.append(text)

    def release(self) -> None:
        if self._held is not None:
            held, self._held = self._held, None
            for text in held:
                self._print(text)

    def _print(self, text: str) -> None:
        print(f"kneadback: {text}", file=self.out if self.out is not None else sys.stderr, flush=True)

    def on_info(self, info: DeviceInfo) -> None:
        self.release()

    def on_block(self, block: SampleBlock) -> None:
        self.release()

    def on_status(self, status: LinkStatus) -> None:
        self.release()

