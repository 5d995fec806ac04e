"""`sim` and `sim:NAME`: a scenario played in real time as the bytes a board would send.

The bytes go through `DeviceStream`, the same decoder a serial device uses, so the whole host
path runs: framing, CRC, timestamps, loss counting, resets. Pacing follows the injected clock:
`speed` session seconds pass per clock second. The arrival times handed to the decoder are the
scenario's own (session seconds), so what comes out does not depend on the speed or the clock.

The simulated user also speaks: its discomfort ratings (`Rating`, without a force: the coach
pairs it with the recent strokes) and its moves to another spot (`SpotChanged`) come out at
their times in the stream, as a replayed recording's user input does. Its first spot goes by
`spot`, which a command sets to the user's `--spot`.
"""

from __future__ import annotations

from collections.abc import Iterator

from kneadback.errors import InputError
from kneadback.model import DeviceInfo, Rating, SourceItem, SpotChanged
from kneadback.protocol.stream import DeviceStream
from kneadback.simulate.render import Rendering, render
from kneadback.simulate.scenario import DEFAULT_SCENARIO, Scenario, load_scenario
from kneadback.simulate.wire import rate_cap_note
from kneadback.sources.base import Source, SourceOptions

MAX_BATCH_S = 0.25  # session seconds one read delivers at most beyond its own wait, when behind


class SimulatedSource(Source):
    """A rendered scenario, delivered as protocol bytes at the pace of the clock."""

    def __init__(self, spec: str, scenario: Scenario, options: SourceOptions) -> None:
        super().__init__(spec)
        if not options.speed > 0:
            raise InputError(f"--speed {options.speed}: must be a positive number")
        self.scenario = scenario
        note = rate_cap_note(scenario)
        if note and options.notice:
            options.notice(note)
        self.spot = scenario.phases[0].spot
        self.clock = options.clock
        self.speed = options.speed
        self.seed = options.seed
        self.rendering: Rendering | None = None
        self._stream = DeviceStream(spec)
        self._chunks: Iterator[tuple[float, bytes]] = iter(())
        self._pending: tuple[float, bytes] | None = None
        self._t0 = 0.0
        self._horizon = 0.0  # session time delivered up to
        self._cut: tuple[float, float] | None = None
        self._cut_state = 0  # 0 connected, 1 cable out, 2 back
        self._user: list[Rating | SpotChanged] = []  # what the simulated user says, by time

    def _open(self) -> None:
        self.rendering = render(self.scenario, seed=self.seed)
        self._chunks = self.rendering.wire_chunks()
        self._pending = next(self._chunks, None)
        self._cut = self.rendering.plan.disconnect
        truth = self.rendering.truth
        first = self.scenario.phases[0].spot

        def named(spot: str) -> str:
            return self.spot if spot == first and self.spot else spot

        said: list[Rating | SpotChanged] = [Rating(r.t, r.value, named(r.spot)) for r in truth.ratings]
        said += [SpotChanged(s.start, named(s.spot)) for s in truth.spots[1:]]
        self._user = sorted(said, key=lambda e: e.t)
        self._t0 = self.clock.now()

    def _close(self) -> None:
        self._chunks = iter(())
        self._pending = None

    @property
    def position(self) -> float:
        """Session seconds of the scenario that have played so far."""
        return (self.clock.now() - self._t0) * self.speed

    def read(self, timeout: float = 0.05) -> list[SourceItem | Rating | SpotChanged]:  # type: ignore[override]
        if not self._opened or self.finished:
            return []
        due = self._next_due()
        if due is not None and due > self.position:
            self.clock.sleep(min(timeout, max(1e-6, (due - self.position) / self.speed)))
        # what the sleep waited for is due, despite float rounding; a host that fell behind
        # catches up in slices, so a session checks its duration and redraws in between
        now = min(self.position + 1e-9, self._horizon + max(MAX_BATCH_S, timeout * self.speed))
        self._horizon = now
        out: list[SourceItem | Rating | SpotChanged] = []
        while True:
            out += self._link_changes(now)
            if self._pending is None or self._pending[0] > now:
                break
            arrival, data = self._pending
            out += self._said(arrival)
            out += self._stream.feed(data, arrival)
            self._pending = next(self._chunks, None)
        out += self._said(now)
        if self._pending is None and (self._cut is None or self._cut_state == 2 or now >= self._cut[1]):
            out += self._link_changes(float("inf"))
            out += self._stream.flush(now)
            out += self._said(float("inf"))
            self.finished = True
        for item in out:
            if isinstance(item, DeviceInfo):
                self.info = item
        return out

    def _said(self, until: float) -> list[Rating | SpotChanged]:
        n = 0
        while n < len(self._user) and self._user[n].t <= until:
            n += 1
        said, self._user = self._user[:n], self._user[n:]
        return said

    def _next_due(self) -> float | None:
        times = [] if self._pending is None else [self._pending[0]]
        if self._user:
            times.append(self._user[0].t)
        if self._cut is not None and self._cut_state < 2:
            times.append(self._cut[self._cut_state])
        return min(times) if times else None

    def _link_changes(self, now: float) -> list[SourceItem]:
        """The cable coming out and going back in, as a serial source reports them."""
        if self._cut is None or self._cut_state == 2 or now < self._cut[self._cut_state]:
            return []
        if self._pending is not None and self._pending[0] < self._cut[self._cut_state]:
            return []  # bytes that arrived before the change come first
        at = self._cut[self._cut_state]
        if self._cut_state == 0:
            self._cut_state = 1
            items = self._stream.reconnected(at) + self._stream.flush(at)
            return [*items, self._stream.event("disconnected", f"{self.spec}: the simulated cable came out")]
        self._cut_state = 2
        return [self._stream.event("reconnected", f"{self.spec}: the simulated cable is back")]


def from_spec(rest: str, options: SourceOptions) -> SimulatedSource:
    """`sim` (the demo session), `sim:NAME` (a library scenario) or `sim:FILE.toml`."""
    name = rest or DEFAULT_SCENARIO
    scenario = load_scenario(name)
    return SimulatedSource(f"sim:{name}", scenario, options)
