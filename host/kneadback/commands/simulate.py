"""`kneadback simulate`: render a scenario to a CSV of samples and a JSON of its ground truth."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

from kneadback.errors import InputError
from kneadback.simulate.render import Rendering, render
from kneadback.sources.csvfile import device_lines
from kneadback.simulate.scenario import list_scenarios, load_scenario

HELP = "render a simulated scenario to NAME.csv (time_s,adc) and NAME.truth.json"
ORDER = 60


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", nargs="?", metavar="NAME|FILE.toml", help="a scenario name (see --list) or a scenario .toml file")
    parser.add_argument("--list", action="store_true", help="list the scenarios with their descriptions")
    parser.add_argument("--out", metavar="DIR", default=".", help="directory for the files (default: current)")
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="random seed: the same seed gives the same files (default 0)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.list:
        scenarios = list_scenarios()
        width = max((len(n) for n, _ in scenarios), default=0)
        for name, desc in scenarios:
            print(f"{name:<{width}}  {desc}")
        return 0
    if not args.scenario:
        raise InputError("simulate: give a scenario name or .toml file (or --list)")
    if args.seed < 0:
        raise InputError(f"simulate: --seed {args.seed} must be 0 or more")
    scenario = load_scenario(args.scenario)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"{out}: cannot create the directory: {e.strerror}") from None
    rendering = render(scenario, seed=args.seed)
    csv_path = out / f"{scenario.name}.csv"
    truth_path = out / f"{scenario.name}.truth.json"
    write_csv(rendering, csv_path)
    write_truth(rendering, truth_path)
    tr = rendering.truth
    print(
        f"{scenario.name}: {len(rendering.t)} samples at {rendering.rate_hz:g} Hz ({scenario.duration_s:g} s), "
        f"{len(tr.strokes)} strokes, {len(tr.holds)} holds, {len(tr.bouts)} bouts, {len(tr.ratings)} ratings "
        f"→ {csv_path}, {truth_path}",
        file=sys.stderr,
    )
    return 0


def write_csv(rendering: Rendering, path: Path) -> None:
    """The device's settings as `# key: value` lines, then one row per sample: time in seconds
    (µs precision) and the ADC count. `analyze` and `import` read the settings back."""
    header = "\n".join(
        [f"# scenario: {rendering.scenario.name} (seed {rendering.seed})", *device_lines(rendering.info), "time_s,adc"]
    )
    table = np.column_stack([rendering.t, rendering.adc])
    _atomic(path, lambda fh: np.savetxt(fh, table, fmt=("%.6f", "%d"), delimiter=",", header=header, comments=""))


def write_truth(rendering: Rendering, path: Path) -> None:
    _atomic(path, lambda fh: fh.write((json.dumps(rendering.truth.to_dict(), indent=1) + "\n").encode()))


def _atomic(path: Path, write: object) -> None:
    tmp = path.with_name(path.name + ".part")
    try:
        with tmp.open("wb") as fh:
            write(fh)  # type: ignore[operator]
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise InputError(f"{path}: cannot write: {e.strerror}") from None
