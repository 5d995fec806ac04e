"""Hand-made engine event streams for coach tests."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from kneadback.coach.coach import Coach
from kneadback.model import Bout, BoutStarted, Cue, Event, Stroke

CONFIRM_S = 0.15  # the engine confirms a stroke about this long after its peak


class StrokeMaker:
    """Builds Stroke events with running indices."""

    def __init__(self) -> None:
        self.index = 0

    def at(self, t_peak: float, peak_n: float = 20.0) -> Stroke:
        s = Stroke(
            index=self.index, t_start=t_peak - 0.3, t_peak=t_peak, t_end=t_peak + 0.3,
            t_confirmed=t_peak + CONFIRM_S, peak_n=peak_n, mean_n=peak_n * 0.6, peak_adc=600,
            impulse_ns=peak_n * 0.3, release=0.9,
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


def run(coach: Coach, events: Iterable[Event], until: float | None = None, block_s: float = 0.02) -> list[Cue]:
    """Feed events in time order, calling the coach every `block_s` of session time like the Session."""
    evs = sorted(events, key=lambda e: e.t)
    end = until if until is not None else (evs[-1].t + 1.0 if evs else 1.0)
    cues: list[Cue] = []
    i = 0
    k = 1
    while True:
        now = min(k * block_s, end)
        batch = []
        while i < len(evs) and evs[i].t <= now:
            batch.append(evs[i])
            i += 1
        cues += [c for c in coach.on_events(batch, now) if isinstance(c, Cue)]
        if now >= end:
            return cues
        k += 1


def kinds(cues: Iterable[Cue]) -> list[str]:
    return [c.kind for c in cues]
