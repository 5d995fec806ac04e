"""`kneadback ruler`: check a tool's motion sensor against strokes of a known length.

The user states a length (`--length-cm`) and strokes that far along a ruler, one way, lifting the
tool for the way back. Every stroke the engine measures is printed as it comes; after
`--strokes` of them (or Ctrl-C, or `--timeout`) a summary sets the median measured excursion
against the stated length and says in plain words whether the tool measures stroke length well,
and what may be wrong when it does not.

The samples run through the same engine as `live` (`Run.check_session`: no coach, nothing
recorded). A simulated or emulated tool is told the stated length (`Scenario.with_excursion`), so
`--source sim:one-direction` is a faithful demonstration. `--replay RECORDING` reports on the strokes
of a recording instead, as fast as they are read: whatever `kneadback analyze` reads
(`kneadback.analysis.open_input`: a session id, `last`, a database, a JSON export or a CSV).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from typing import IO, TYPE_CHECKING

from kneadback.clock import Clock, MonotonicClock
from kneadback.errors import InputError
from kneadback.sources import DEFAULT_SPEC, SOURCE_USAGE
from kneadback.words import plural

if TYPE_CHECKING:
    from kneadback.sources.base import Source

HELP = "check a tool's motion sensor: measure strokes of a known length along a ruler"
ORDER = 72

LENGTH_CM = (1.0, 15.0)  # a stroke along a ruler, from the shortest the engine sees to a long one
DEFAULT_LENGTH_CM = 5.0
DEFAULT_STROKES = 5
DEFAULT_TIMEOUT_S = 120.0  # session seconds a live check waits for its strokes


def register(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--source", default=DEFAULT_SPEC, metavar="SPEC",
                       help=f"the tool (default: auto, the attached board): {SOURCE_USAGE}")
    where.add_argument("--replay", metavar="RECORDING",
                       help="report on a recording's strokes instead: a session id, `last`, a database, a JSON export or a CSV")
    parser.add_argument("--length-cm", type=float, default=DEFAULT_LENGTH_CM, metavar="CM",
                        help=f"the length of each stroke along the ruler, {LENGTH_CM[0]:g}–{LENGTH_CM[1]:g} cm "
                             f"(default {DEFAULT_LENGTH_CM:g})")
    parser.add_argument("--strokes", type=int, metavar="N",
                        help=f"stop after N measured strokes (default {DEFAULT_STROKES}; with --replay, all of them)")
    parser.add_argument("--timeout", type=float, metavar="S",
                        help=f"stop after S seconds of session time (default {DEFAULT_TIMEOUT_S:g}; with --replay, none)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the lines and the summary")
    parser.add_argument("--speed", type=float, default=1.0, metavar="X", help="simulated sources: X times real time (default 1)")
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="simulated sources: random seed (default 0)")
    parser.set_defaults(func=run)


def _check_flags(args: argparse.Namespace) -> None:
    from kneadback.ui.ruler_check import MIN_STROKES

    lo, hi = LENGTH_CM
    if not (math.isfinite(args.length_cm) and lo <= args.length_cm <= hi):
        raise InputError(f"ruler: --length-cm {args.length_cm:g} must be a stroke length of {lo:g} to {hi:g} cm")
    if args.strokes is not None and args.strokes < MIN_STROKES:
        raise InputError(f"ruler: --strokes {args.strokes}: a verdict needs {MIN_STROKES} strokes or more")
    if args.timeout is not None and not (math.isfinite(args.timeout) and args.timeout > 0):
        raise InputError(f"ruler: --timeout {args.timeout:g} must be a positive number of seconds")
    if not (math.isfinite(args.speed) and args.speed > 0):
        raise InputError(f"ruler: --speed {args.speed:g} must be a positive factor")
    if args.seed < 0:
        raise InputError(f"ruler: --seed {args.seed} must be 0 or more")


def _tell_simulated_user(source: Source, length_cm: float, say: Callable[[str], None]) -> None:
    """A simulated or emulated tool strokes the stated length, as a user at the ruler would."""
    from kneadback.simulate.scenario import Scenario

    scenario = getattr(source, "scenario", None)  # the scenario a simulated or an emulated tool plays
    if isinstance(scenario, Scenario) and scenario.motion is not None:
        source.scenario = scenario.with_excursion(length_cm)  # type: ignore[attr-defined]
        say(f"{source.spec}: the simulated user strokes {length_cm:g} cm, as stated")


def run(args: argparse.Namespace, clock: Clock | None = None, out: IO[str] | None = None) -> int:
    """The check: exit 0 when the tool measures the stated length within a centimetre, else 1
    (also when too few strokes were measured to tell)."""
    from kneadback.app import Run, Settings
    from kneadback.commands import live
    from kneadback.ui.ruler_check import RulerCheck, RulerSink

    _check_flags(args)
    out = sys.stdout if out is None else out
    if args.replay is not None:
        from kneadback.analysis import open_input
        from kneadback.clock import ManualClock
        from kneadback.frontend import Declared
        from kneadback.sources.replay import ReplaySource

        replay_clock = ManualClock()
        source: Source = open_input(args.replay, None, Declared(), replay_clock)
        rec = source.recording if isinstance(source, ReplaySource) else None  # a CSV has no recorded force model
        intro = f"Ruler check of {source.spec}'s strokes against {args.length_cm:g} cm:"
        parts = Run(Settings(speed=math.inf, duration=args.timeout, record=False, gui=False), replay_clock, recording=rec)
        wanted = args.strokes
    else:
        settings = Settings(source=args.source, speed=args.speed, seed=args.seed, record=False, gui=False,
                            duration=DEFAULT_TIMEOUT_S if args.timeout is None else args.timeout)
        parts = Run(settings, clock or MonotonicClock())
        source = parts.source()  # its spec is checked before anything else
        _tell_simulated_user(source, args.length_cm, parts.notices.say)
        wanted = DEFAULT_STROKES if args.strokes is None else args.strokes
        intro = (f"Ruler check on {source.spec}: stroke {args.length_cm:g} cm along a ruler, one way, lifting the tool "
                 f"for the way back. Rest it still for a few seconds first; {plural(wanted, 'stroke')}, or Ctrl-C to "
                 "finish.")
    check = RulerCheck(source.spec, args.length_cm)
    session = parts.check_session([], source)
    sink = RulerSink(check, wanted, intro, None if args.json else out, session.stop)
    session.sinks.append(sink)
    live.run_terminal(session)
    if sink.no_sensor is not None:
        raise InputError(f"ruler: {source.spec} has no motion sensor, only force: see hardware/README.md")
    if args.json:
        json.dump(check.to_dict(), out, separators=(",", ":"))
        out.write("\n")
    else:
        out.write("".join(f"{line}\n" for line in check.summary()))
    return 0 if check.verdict == "good" else 1
