"""A source that plays given byte chunks through the live decoding path, for tests."""

from __future__ import annotations

from kneadback.clock import ManualClock
from kneadback.model import SourceItem
from kneadback.protocol.stream import DeviceStream
from kneadback.sources.base import Source


class BytesSource(Source):
    """Plays given byte chunks through a DeviceStream, one chunk a read, at 50 chunks a second."""

    def __init__(self, chunks: list[bytes], clock: ManualClock) -> None:
        super().__init__("bytes")
        self.chunks = list(chunks)
        self.clock = clock
        self.stream = DeviceStream("bytes")

    def _open(self) -> None:
        pass

    def _close(self) -> None:
        pass

    def read(self, timeout: float = 0.05) -> list[SourceItem]:
        if not self.chunks:
            self.finished = True
            return self.stream.flush(self.clock.now())
        self.clock.advance(0.02)
        return self.stream.feed(self.chunks.pop(0), self.clock.now())
