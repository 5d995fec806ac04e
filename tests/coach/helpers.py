"""Hand-made engine event streams for coach tests, run through the bout machine and the coach as
the session runs them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from kneadback.coach.coach import Coach
from kneadback.engine.bouts import BoutParams
from kneadback.engine.rate import RateMeter
from kneadback.model import Bout, BoutStarted, Cue, Event, Stroke

CONFIRM_S = 0.15  # the engine confirms a stroke about this long after its peak


class TrustedModel:
    """A force model as the coach sees one: only its trust matters to it."""

    def __init__(self, trust: str) -> None:
        self.trust = trust


def with_trust(coach: Coach, trust: str) -> Coach:
    """`coach`, its session's engine holding a force model of that trust."""
    model = TrustedModel(trust)
    coach.force_model_of = lambda: model
    return coach


class StrokeMaker:
    """Builds Stroke events with running indices, each with its interval and rate as the engine
    stamps them (timed at the peak here)."""

    def __init__(self) -> None:
        self.index = 0
        self.rate = RateMeter()
        self.last: float | None = None

    def at(self, t_peak: float, peak_n: float = 20.0) -> Stroke:
        interval = None if self.last is None else t_peak - self.last
        if interval is not None and interval <= BoutParams().pause_after_s(self.rate.mean_interval_s):
            self.rate.add(interval)
        else:
            self.rate.clear()
            interval = None
        self.last = t_peak
        s = Stroke(
            index=self.index, t_start=t_peak - 0.3, t_peak=t_peak, t_end=t_peak + 0.3,
            t_confirmed=t_peak + CONFIRM_S, peak_n=peak_n, mean_n=peak_n * 0.6, peak_adc=600,
            impulse_ns=peak_n * 0.3, release=0.9, interval_s=interval, rate_spm=self.rate.value,
        )
        self.index += 1
        return s


def bout(start: float, seconds: float, rate_spm: float, peak_n: float | Sequence[float] = 20.0,
         index: int = 0, maker: StrokeMaker | None = None) -> list[Event]:
    """BoutStarted, the strokes, Bout, in time order."""
    maker = maker or StrokeMaker()
    period = 60.0 / rate_spm
    n = int(seconds / period) + 1
    peaks = [peak_n] * n if isinstance(peak_n, (int, float)) else list(peak_n)
    strokes = [maker.at(start + 0.3 + i * period, peaks[i % len(peaks)]) for i in range(n)]
    end = strokes[-1].t_end
    return [BoutStarted(index=index, start=strokes[0].t_start, t_confirmed=strokes[1].t_confirmed),
            *strokes, Bout(index=index, start=strokes[0].t_start, end=end, t_confirmed=end + 1.0,
                           strokes=n, rate_spm=rate_spm, mean_peak_n=sum(peaks) / len(peaks))]


def run(coach: Coach, events: Iterable[Event], until: float | None = None, block_s: float = 0.02,
        out: list[Event] | None = None, end: bool = False) -> list[Cue]:
    """Feed events in time order through the coach's bout machine and the coach, every `block_s`
    of session time up to `until`, as the Session does (`end`: and end the session there); `out`
    gets every event the session would record."""
    evs = list(events)
    last = until if until is not None else (max(e.t for e in evs) + 1.0 if evs else 1.0)
    machine = coach.bout_machine()
    cues: list[Cue] = []
    for batch, now in batches(evs, last, block_s):
        session = machine.apply(batch, now)
        if end and now >= last:
            session += machine.finish(last)
        said = [c for c in coach.on_events(session, now) if isinstance(c, Cue)]
        cues += said
        if out is not None:
            out += [*session, *said]
    return cues


def batches(events: Iterable[Event], until: float, block_s: float = 0.02) -> Iterator[tuple[list[Event], float]]:
    """`events` in time order as the Session hands them over: (the batch, session time) every
    `block_s` of session time, up to `until`."""
    evs = sorted(events, key=lambda e: e.t)
    i, k = 0, 1
    while True:
        now = min(k * block_s, until)
        batch = []
        while i < len(evs) and evs[i].t <= now:
            batch.append(evs[i])
            i += 1
        yield batch, now
        if now >= until:
            return
        k += 1


def kinds(cues: Iterable[Cue]) -> list[str]:
    return [c.kind for c in cues]
