"""Link health: when do errors make a connection "noisy"?

A connection is noisy while at least `NOISY_ERRORS` link errors (bad frames, text lines that
are not readings) fell in the last `NOISY_WINDOW_S` seconds of session time. One cut
frame at a reconnect does not make a link noisy; a wrong baud rate or a flaky cable does.
"""

from __future__ import annotations

import collections

NOISY_WINDOW_S = 10.0
NOISY_ERRORS = 3

#: link-event kinds that are news, not errors
NOT_ERRORS = frozenset({"disconnected", "reconnected", "reset", "pause", "mode", "newer-protocol", "unknown-type"})


class NoiseMeter:
    def __init__(self, window_s: float = NOISY_WINDOW_S, threshold: int = NOISY_ERRORS) -> None:
        self.window_s = window_s
        self.threshold = threshold
        self._errors: collections.deque[tuple[float, int]] = collections.deque()
        self._count = 0

    def add(self, t: float, count: int = 1) -> None:
        self._errors.append((t, count))
        self._count += count

    def noisy(self, now: float) -> bool:
        while self._errors and self._errors[0][0] < now - self.window_s:
            self._count -= self._errors.popleft()[1]
        return self._count >= self.threshold
