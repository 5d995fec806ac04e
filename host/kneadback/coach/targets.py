"""What the coach aims for: the routine's numbers, with documented defaults.

Defaults come from this dataclass; `[targets]` in `config.toml` overrides them; command-line
flags (`add_arguments` / `from_args`) override both.

    [targets]
    rate_spm = 60               # strokes per minute
    rate_tolerance_spm = 10     # the rate band is rate_spm ± this
    bout_s = 30                 # seconds per bout
    bouts_min = 3               # bouts per spot per day: at least ...
    bouts_max = 10              # ... and at most
    discomfort = 7              # target discomfort, 0..10
    discomfort_tolerance = 1    # the discomfort band is discomfort ± this
    hold_max_s = 2.0            # longest acceptable static hold
    force_ceiling_n = 90.0      # safety: never press harder than this (newtons)
"""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kneadback.config import load_config, load_table
from kneadback.errors import InputError

TABLE = "targets"


@dataclass(frozen=True)
class Targets:
    rate_spm: float = 60.0
    rate_tolerance_spm: float = 10.0
    bout_s: float = 30.0
    bouts_min: int = 3
    bouts_max: int = 10
    discomfort: float = 7.0
    discomfort_tolerance: float = 1.0
    hold_max_s: float = 2.0
    force_ceiling_n: float = 90.0

    def __post_init__(self) -> None:
        checks = [
            (10 <= self.rate_spm <= 200, "rate_spm must be within 10..200"),
            (0 < self.rate_tolerance_spm < self.rate_spm, "rate_tolerance_spm must be > 0 and below rate_spm"),
            (10 <= self.bout_s <= 600, "bout_s must be within 10..600"),
            (isinstance(self.bouts_min, int) and isinstance(self.bouts_max, int), "bouts_min, bouts_max must be whole"),
            (1 <= self.bouts_min <= self.bouts_max <= 100, "need 1 <= bouts_min <= bouts_max <= 100"),
            (1 <= self.discomfort <= 10, "discomfort must be within 1..10"),
            (0 < self.discomfort_tolerance <= 3, "discomfort_tolerance must be above 0 and at most 3"),
            (0.5 <= self.hold_max_s <= 30, "hold_max_s must be within 0.5..30"),
            (1 <= self.force_ceiling_n <= 1000, "force_ceiling_n must be within 1..1000"),
        ]
        for ok, problem in checks:
            if not ok:
                raise ValueError(problem)

    @property
    def rate_band(self) -> tuple[float, float]:
        return self.rate_spm - self.rate_tolerance_spm, self.rate_spm + self.rate_tolerance_spm

    @property
    def discomfort_band(self) -> tuple[float, float]:
        return self.discomfort - self.discomfort_tolerance, self.discomfort + self.discomfort_tolerance

    @property
    def stroke_period_s(self) -> float:
        return 60.0 / self.rate_spm


# flag → field; every flag is optional and overrides the config file. Its help gives the field's default.
_FLAGS: tuple[tuple[str, str, str, str], ...] = (
    ("--rate-target", "rate_spm", "SPM", "target stroke rate, strokes/min"),
    ("--rate-tolerance", "rate_tolerance_spm", "SPM", "half-width of the rate band"),
    ("--bout-seconds", "bout_s", "S", "bout length in seconds"),
    ("--bouts-min", "bouts_min", "N", "fewest bouts per spot per day"),
    ("--bouts-max", "bouts_max", "N", "most bouts per spot per day"),
    ("--discomfort-target", "discomfort", "X", "target discomfort 1..10"),
    ("--discomfort-tolerance", "discomfort_tolerance", "X", "half-width of the discomfort band, above 0 and at most 3"),
    ("--hold-max", "hold_max_s", "S", "longest static hold before a cue"),
    ("--force-ceiling", "force_ceiling_n", "N", "safety force ceiling in newtons"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the target flags to a command's parser."""
    group = parser.add_argument_group("coaching targets (override [targets] in config.toml)")
    for flag, name, metavar, help_text in _FLAGS:
        kind = int if name in ("bouts_min", "bouts_max") else float
        default = getattr(Targets, name)
        group.add_argument(flag, dest=f"target_{name}", type=kind, metavar=metavar, default=None,
                           help=f"{help_text} (default {default:g})")


def load(config: dict[str, Any] | None = None, overrides: dict[str, Any] | None = None, path: Path | None = None) -> Targets:
    """Targets from defaults, then the config file, then `overrides` (field → value)."""
    config = load_config(path) if config is None else config
    base = load_table(Targets, TABLE, config, path)
    if not overrides:
        return base
    try:
        return dataclasses.replace(base, **overrides)
    except ValueError as e:
        flags = [flag for flag, name, _m, _h in _FLAGS if name in overrides and name in str(e)]
        raise InputError(f"{' '.join(flags) or 'coaching targets'}: {e}") from None


def from_args(args: argparse.Namespace, config: dict[str, Any] | None = None) -> Targets:
    """Targets for a command: config file plus whatever target flags were given."""
    overrides = {}
    for _flag, name, _m, _h in _FLAGS:
        value = getattr(args, f"target_{name}", None)
        if value is not None:
            overrides[name] = value
    return load(config, overrides)
