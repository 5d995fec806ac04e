"""How a run is asked to stop: Ctrl-C, and also `kill` or a closed terminal, which must end it
the same orderly way (the recording closed, the summary line printed)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

#: the ways a run is asked to stop besides Ctrl-C: `kill`, a closed terminal
STOP_SIGNALS = tuple(getattr(signal, n) for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n))


@contextmanager
def stop_signals_interrupt() -> Iterator[None]:
    """`kill` and a closed terminal stop a run as Ctrl-C does, so it still closes its recording
    and prints its summary line; the previous handlers come back afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, signal.default_int_handler) for s in STOP_SIGNALS}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
