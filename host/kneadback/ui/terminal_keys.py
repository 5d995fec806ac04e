"""Keys in the terminal: ratings 0–9 and `t` for ten, `m` to mute, Space to start/stop a bout by
hand and `a` for automatic bouts (as in the dashboard), read without blocking.

Only when stdin is a terminal: it is put in cbreak mode (keys arrive at once, no echo) and
restored on close; `poll()` never waits.
"""

from __future__ import annotations

import os
import select
import sys
from dataclasses import dataclass
from typing import IO

TEN_KEY = "t"
MUTE_KEY = "m"
BOUT_KEY = " "
AUTO_KEY = "a"


@dataclass(frozen=True)
class KeyPress:
    rating: int | None = None  # 0..10
    mute: bool = False  # toggle mute
    bout: bool = False  # start or stop a bout by hand
    auto: bool = False  # toggle automatic bouts


def decode(ch: str) -> KeyPress | None:
    if ch.isdigit() and len(ch) == 1:
        return KeyPress(rating=int(ch))
    if ch.lower() == TEN_KEY:
        return KeyPress(rating=10)
    if ch.lower() == MUTE_KEY:
        return KeyPress(mute=True)
    if ch == BOUT_KEY:
        return KeyPress(bout=True)
    if ch.lower() == AUTO_KEY:
        return KeyPress(auto=True)
    return None


class KeyReader:
    """Non-blocking single keys from a tty; does nothing when stdin is not one."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream if stream is not None else sys.stdin
        self._saved: list | None = None
        self._fd: int | None = None
        try:
            fd = self.stream.fileno()
        except (AttributeError, OSError, ValueError):
            return
        if not os.isatty(fd):
            return
        import termios
        import tty

        self._fd = fd
        self._saved = termios.tcgetattr(fd)
        tty.setcbreak(fd)

    @property
    def active(self) -> bool:
        return self._fd is not None

    def poll(self) -> list[KeyPress]:
        if self._fd is None:
            return []
        out: list[KeyPress] = []
        while select.select([self._fd], [], [], 0)[0]:
            data = os.read(self._fd, 64)
            if not data:
                break
            for ch in data.decode("utf-8", "replace"):
                key = decode(ch)
                if key is not None:
                    out.append(key)
        return out

    def close(self) -> None:
        if self._fd is not None and self._saved is not None:
            import termios

            termios.tcsetattr(self._fd, termios.TCSADRAIN, self._saved)
        self._fd = None
