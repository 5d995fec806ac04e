"""Run a `signals/` scenario through the real engine, bout machine and coach, block by block, as live."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kneadback.coach.coach import Coach
from kneadback.coach.spots import MemorySpotHistory
from kneadback.coach.targets import Targets
from kneadback.engine.engine import Engine
from kneadback.model import Cue, DeviceInfo, Event, Rating, SampleBlock, SpotChanged
from kneadback.simulate.render import Rendering, render
from kneadback.simulate.scenario import Scenario, load_scenario

WALL = 1_772_445_600.0  # a fixed wall-clock start


@dataclass
class ScenarioRun:
    rendering: Rendering
    events: list[Event]
    cues: list[Cue]
    coach: Coach


def run_scenario(name: str | Scenario, *, seed: int = 0, block: int = 4, ratings: bool = True,
                 targets: Targets | None = None, info: DeviceInfo | None = None) -> ScenarioRun:
    """Feed `block` samples at a time; the truth's ratings and spot changes arrive as user input.
    `info` is what the host is told of the board, if not what the simulated one says."""
    r = render(load_scenario(name) if isinstance(name, str) else name, seed)
    truth = r.truth
    user: list[Event] = []
    if ratings:
        user += [Rating(t=x.t, value=x.value, spot=x.spot) for x in truth.ratings]
    user += [SpotChanged(t=s.start, spot=s.spot) for s in truth.spots[1:]]
    user.sort(key=lambda e: e.t)
    first_spot = truth.spots[0].spot if truth.spots else "spot"
    engine = Engine()
    engine.configure(info or r.info)
    coach = Coach(targets or Targets(), first_spot, MemorySpotHistory(), WALL)
    coach.force_model_of = lambda: engine.force_model  # as the session wires it
    bouts = coach.bout_machine()
    events: list[Event] = []
    cues: list[Cue] = []
    n = len(r.adc)
    for i in range(0, n, block):
        b = SampleBlock(t=r.t[i : i + block], adc=r.adc[i : i + block], first_index=i)
        evs = list(engine.process(b))
        now = float(b.t[-1])
        while user and user[0].t <= now:
            evs.append(coach.prepare_input(user.pop(0)))
        evs = bouts.apply(evs, now)
        events += evs
        cues += [c for c in coach.on_events(evs, now) if isinstance(c, Cue)]
    end = float(r.t[-1])
    tail = bouts.apply(engine.finish(), end) + bouts.finish(end)
    events += tail
    cues += [c for c in coach.on_events(tail, end) if isinstance(c, Cue)]
    return ScenarioRun(r, events, cues, coach)


def times(cues: list[Cue], kind: str) -> np.ndarray:
    return np.array([c.t for c in cues if c.kind == kind])
