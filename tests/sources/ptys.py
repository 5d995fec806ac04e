"""A pseudo-terminal that plays a USB serial board: it can be unplugged and plugged in again."""

from __future__ import annotations

import os
import threading
import tty
from pathlib import Path


class FakePort:
    """A pty whose slave is reachable at `path` (a symlink, like /dev/serial/by-id/...)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.master: int | None = None
        self._slave: int | None = None
        self.written = 0  # bytes written in total, over every plug
        self.plug()

    def plug(self, path: Path | None = None) -> None:
        """A new pty at `path` (by default the same path as before)."""
        self.path = path or self.path
        self.master, self._slave = os.openpty()
        tty.setraw(self._slave)  # raw before anyone reads: no echo, no line editing
        if os.path.lexists(self.path):
            os.unlink(self.path)
        os.symlink(os.ttyname(self._slave), self.path)

    def unplug(self) -> None:
        """The cable is pulled: the port disappears and its reader gets an I/O error."""
        for fd in (self.master, self._slave):
            if fd is not None:
                os.close(fd)
        self.master = self._slave = None
        if os.path.lexists(self.path):
            os.unlink(self.path)

    def write(self, data: bytes) -> None:
        assert self.master is not None
        view = memoryview(data)
        while view:
            n = os.write(self.master, view)
            self.written += n
            view = view[n:]

    def write_in_background(self, data: bytes) -> threading.Thread:
        """Write `data` from a thread (a pty holds only a few KB until the reader reads)."""
        th = threading.Thread(target=self.write, args=(data,), daemon=True)
        th.start()
        return th

    def read_commands(self) -> bytes:
        """What the host wrote to the board so far (non-blocking)."""
        assert self.master is not None
        os.set_blocking(self.master, False)
        try:
            return os.read(self.master, 4096)
        except BlockingIOError:
            return b""
        finally:
            os.set_blocking(self.master, True)

    def close(self) -> None:
        self.unplug()
