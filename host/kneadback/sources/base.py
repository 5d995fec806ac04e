"""The one interface every source implements: device, simulated, emulated and recorded.

A source is opened from a spec string (see `kneadback.sources.open_source`) and read in a loop.
Each `read()` returns what has arrived since the last call, in order: sample blocks, device
info, device status and link events. Finite sources (files, scenarios) set `finished` when
they have delivered everything. Sources are paced by the injected clock, never by wall time.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field

from kneadback.clock import Clock, MonotonicClock
from kneadback.frontend import Declared
from kneadback.model import Command, DeviceInfo, SourceItem


@dataclass
class SourceOptions:
    """What `open_source` passes to every source module's `from_spec(rest, options)`."""

    clock: Clock = field(default_factory=MonotonicClock)
    speed: float = 1.0  # simulated and emulated sources: session seconds per clock second
    seed: int = 0  # simulated sources
    baud: int = 115200  # serial
    rate_hz: float | None = None  # declared rate of a plain-text board (--rate)
    front: Declared = field(default_factory=Declared)  # the front end the user declared (--front-end...)
    notice: Callable[[str], None] | None = None  # a line for the user on how the input is read (said once)


class Source(ABC):
    """Base of all sources. Subclasses implement `_open`, `read` and `_close`."""

    #: how many seconds of session time pass per second of the clock (simulations may run faster)
    speed: float = 1.0
    #: the spot the data starts on, where the source has one of its own (a scenario's first); a
    #: command sets it to the user's --spot, which wins
    spot: str | None = None

    def __init__(self, spec: str) -> None:
        self.spec = spec
        self.info: DeviceInfo | None = None
        self.finished = False
        self._opened = False

    def open(self) -> None:
        if not self._opened:
            self._open()
            self._opened = True

    def close(self) -> None:
        if self._opened:
            self._opened = False
            self._close()

    @abstractmethod
    def _open(self) -> None: ...

    @abstractmethod
    def _close(self) -> None: ...

    @abstractmethod
    def read(self, timeout: float = 0.05) -> list[SourceItem]:
        """What has arrived since the last call; waits at most `timeout` seconds of the clock."""

    def send(self, command: Command) -> bool:
        """Send a command to the device. Returns False when this source takes no commands."""
        return False

    def silence_hint(self, quiet_s: float, talked: bool) -> str | None:
        """One line on why nothing valid came for `quiet_s` seconds (`talked`: valid data came
        earlier on this connection), for sources where the user can do something about it; None
        for the others."""
        return None

    def __enter__(self) -> Source:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
