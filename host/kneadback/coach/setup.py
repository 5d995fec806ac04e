"""The coach as a command assembles it: flags, config, the coach itself, its sinks.

`add_arguments` adds `--spot`, the target flags, `--metronome` and `--mute`; `coach_for(args)`
builds the command's one `Coach` (and keeps it on `args`, so the session and its sinks share
it); `terminal_view` and `sound_sinks` are the coaching views.

    [sound]
    metronome = "auto"   # "auto": only while the rhythm is off target; "on"; "off"
    mute = false
    speech = true        # spoken prompts, when espeak-ng or espeak is installed
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from kneadback.clock import Clock
from kneadback.coach import targets
from kneadback.config import load_config, load_table
from kneadback.errors import InputError

if TYPE_CHECKING:  # the coach, its views and sound load when built: the flags alone stay light
    from collections.abc import Iterable

    from kneadback.coach.coach import Coach
    from kneadback.coach.spots import SpotHistory
    from kneadback.session import Sink
    from kneadback.ui.terminal import TerminalView

DEFAULT_SPOT = "this spot"
METRONOME_MODES = ("auto", "on", "off")


@dataclass(frozen=True)
class Sound:
    metronome: str = "auto"
    mute: bool = False
    speech: bool = True

    def __post_init__(self) -> None:
        if self.metronome not in METRONOME_MODES:
            raise ValueError(f"metronome must be one of {', '.join(METRONOME_MODES)}, not {self.metronome!r}")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--spot", metavar="NAME", help=f'the spot being worked, e.g. "left calf" (default "{DEFAULT_SPOT}")')
    parser.add_argument("--metronome", choices=METRONOME_MODES, default=None,
                        help="tick at the target rate: auto (only while the rhythm is off target; the default), on, off")
    parser.add_argument("--mute", action="store_true", default=None, help="no sound: no tones, no speech, no metronome")
    targets.add_arguments(parser)


def wall_start(args: argparse.Namespace) -> float:
    """Unix time at session time 0, taken once per command (the recorder uses the same)."""
    if getattr(args, "wall_start", None) is None:
        args.wall_start = time.time()
    return float(args.wall_start)


def spot_history(bout_s: float) -> SpotHistory:
    """The per-spot history kept in the session store."""
    from kneadback.store.spots import open_spot_history  # the store builds on the coach's types

    return open_spot_history(bout_s)


def sound_settings(args: argparse.Namespace) -> Sound:
    base = load_table(Sound, "sound", load_config())
    return Sound(
        metronome=getattr(args, "metronome", None) or base.metronome,
        mute=bool(getattr(args, "mute", None)) or base.mute,
        speech=base.speech,
    )


def coach_for(args: argparse.Namespace) -> Coach:
    """The command's coach, built once from the config, the flags and the spot history."""
    from kneadback.coach.coach import Coach

    coach = getattr(args, "coach_instance", None)
    if coach is None:
        spot = (getattr(args, "spot", None) or DEFAULT_SPOT).strip()
        if not spot:
            raise InputError("--spot needs a name, e.g. --spot \"left calf\"")
        sound = sound_settings(args)
        goals = targets.from_args(args)
        coach = Coach(goals, spot, spot_history(goals.bout_s), wall_start(args),
                      metronome=sound.metronome, mute=sound.mute)
        args.coach_instance = coach
    return coach


def terminal_view(args: argparse.Namespace, clock: Clock, out: IO[str]) -> TerminalView:
    """The terminal view with the coaching on its status line, cue lines and rating keys."""
    from kneadback.coach.keys import KeyReader
    from kneadback.coach.terminal import CoachTerminalView

    return CoachTerminalView(clock, out, coach_for(args), KeyReader())


def sound_sinks(args: argparse.Namespace, clock: Clock) -> list[Sink]:
    """Tones, speech and the metronome, in real time only (not for a sped-up source), and not
    with KNEADBACK_AUDIO=none."""
    from kneadback.coach.audio import AudioSink, Speech, open_output, sound_wanted

    if not sound_wanted() or getattr(args, "speed", 1.0) != 1.0:
        return []
    coach = coach_for(args)
    speech = Speech.find() if sound_settings(args).speech else None
    return [AudioSink(coach.metronome_on, coach.targets.rate_spm, output=open_output(), speech=speech,
                      muted=lambda: coach.mute, clock=clock)]


def audible(sinks: Iterable[object]) -> bool:
    """Whether the coach can be heard: a sound sink with an output to play on. There is none at a
    speed other than 1 or with KNEADBACK_AUDIO=none, none without an audio device, and none once
    the device went away."""
    from kneadback.coach.audio import AudioSink

    return any(isinstance(s, AudioSink) and s.output is not None for s in sinks)
