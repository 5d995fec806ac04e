"""What coaching costs per live step: the bout machine and the coach on events and ticks, the
coach's state, and the audio.

    python tests/benchmarks/bench_coach_speed.py
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from coach.helpers import StrokeMaker, bout
from kneadback.coach.coach import Coach
from kneadback.coach.spots import MemorySpotHistory
from kneadback.coach.targets import Targets
from kneadback.ui.audio import Mixer, render_tone


def events_for(hours: float) -> list:
    """Bouts of 30 s with 15 s rests, strokes slightly off in rate and pressure now and then."""
    m = StrokeMaker()
    evs: list = []
    start = 1.0
    k = 0
    while start < hours * 3600:
        rate = (45, 60, 62, 80)[k % 4]
        evs += bout(start, 30, rate, peak_n=[18.0, 20.0, 22.0, 12.0, 20.0], index=k, maker=m)
        start += 45.0
        k += 1
    return sorted(evs, key=lambda e: e.t)


def drive(coach: Coach, evs: list, block: float = 0.02, probe=None) -> tuple[int, int]:
    """Call the bout machine and the coach every `block` of session time, as the session does;
    (steps, cues)."""
    bouts = coach.bout_machine()
    i = steps = cues = 0
    now = 0.0
    end = evs[-1].t + 1.0
    while now < end:
        now += block
        batch = []
        while i < len(evs) and evs[i].t <= now:
            batch.append(evs[i])
            i += 1
        cues += len(coach.on_events(bouts.apply(batch, now), now))
        steps += 1
        if probe is not None:
            probe(now, end)
    return steps, cues


def main() -> None:
    hours = 2.0
    evs = events_for(hours)
    coach = Coach(Targets(), "calf", MemorySpotHistory(), 1.7e9)
    t0 = time.perf_counter()
    steps, cues = drive(coach, evs)
    dt = time.perf_counter() - t0
    print(f"bouts and coach, {hours:g} h of session in 20 ms steps: {steps} steps, {len(evs)} events, {cues} cues in {dt:.2f} s"
          f" = {dt / steps * 1e6:.1f} µs per step ({hours * 3600 / dt:.0f}× real time)")

    marks: dict[str, int] = {}

    def probe(now: float, end: float) -> None:
        for name, at in (("quarter", 0.25), ("end", 0.999)):
            if name not in marks and now >= at * end:
                marks[name] = tracemalloc.get_traced_memory()[0]

    tracemalloc.start()
    drive(Coach(Targets(), "calf", MemorySpotHistory(), 1.7e9), evs, probe=probe)
    tracemalloc.stop()
    bouts = len([e for e in evs if type(e).__name__ == "Bout"])
    print(f"coach memory: {marks['quarter'] / 1024:.0f} KiB at a quarter, {marks['end'] / 1024:.0f} KiB at the end of"
          f" {bouts} bouts (the per-bout scores, {(marks['end'] - marks['quarter']) / (0.75 * bouts):.0f} B a bout;"
          " nothing grows per sample or per stroke)")

    reps = 2000
    t0 = time.perf_counter()
    for _ in range(reps):
        _ = coach.state
    print(f"coach.state (status line / dashboard read): {(time.perf_counter() - t0) / reps * 1e6:.1f} µs")

    mix = Mixer()
    mix.metronome(True, 0.0, 60)
    tone = render_tone("rhythm-up")
    t0 = time.perf_counter()
    seconds = 600.0
    step = 0.02
    t = 0.0
    while t < seconds:
        t += step
        if int(t / step) % 250 == 0:
            mix.play(t, tone)
        mix.render(t)
    dt = time.perf_counter() - t0
    print(f"audio: metronome + a tone every 5 s, 22.05 kHz, 20 ms renders: {dt / (seconds / step) * 1e6:.1f} µs per render "
          f"({seconds / dt:.0f}× real time)")


if __name__ == "__main__":
    main()
