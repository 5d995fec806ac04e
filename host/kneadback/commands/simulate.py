"""`kneadback simulate`: render a scenario to a CSV of samples and a JSON of its ground truth."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from kneadback.errors import InputError
from kneadback.outfile import open_out, write_out
from kneadback.words import plural

if TYPE_CHECKING:
    from kneadback.progress import Progress
    from kneadback.simulate.render import Rendering

HELP = "render a simulated scenario to NAME.csv (time_s,adc) and NAME.truth.json"
ORDER = 60
ROWS_PER_WRITE = 65536  # CSV rows formatted and written at once


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", nargs="?", metavar="NAME|FILE.toml", help="a scenario name (see --list) or a scenario .toml file")
    parser.add_argument("--list", action="store_true", help="list the scenarios with their descriptions")
    parser.add_argument("--out", metavar="DIR", default=".", help="directory for the files (default: current)")
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="random seed: the same seed gives the same files (default 0)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from kneadback.progress import progress
    from kneadback.simulate.render import render
    from kneadback.simulate.scenario import list_scenarios, load_scenario
    from kneadback.simulate.wire import rate_cap_note

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
    if args.out == "-":
        raise InputError("simulate: --out names a directory for the CSV and its truth; '-' (standard output) cannot hold two files")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"{out}: cannot create the directory: {e.strerror}") from None
    note = rate_cap_note(scenario)
    if note:
        print(f"kneadback: {note}", file=sys.stderr)
    rendering = render(scenario, seed=args.seed)
    csv_path = out / f"{scenario.name}.csv"
    truth_path = out / f"{scenario.name}.truth.json"
    with progress(len(rendering.t), f"writing {csv_path.name}", unit="row", scale=True) as bar:
        write_csv(rendering, csv_path, bar)
    write_truth(rendering, truth_path)
    tr = rendering.truth
    print(
        f"{scenario.name}: {len(rendering.t)} samples at {rendering.rate_hz:g} Hz ({scenario.duration_s:g} s), "
        f"{plural(len(tr.strokes), 'stroke')}, {plural(len(tr.holds), 'hold')}, {plural(len(tr.bouts), 'bout')}, "
        f"{plural(len(tr.ratings), 'rating')} "
        f"→ {csv_path}, {truth_path}",
        file=sys.stderr,
    )
    return 0


def write_csv(rendering: Rendering, path: Path, progress: Progress | None = None) -> None:
    """The device's settings as `# key: value` lines, then one row per sample: time in seconds
    (µs precision) and the ADC count. `analyze` and `import` read the settings back.

    Rows are formatted `ROWS_PER_WRITE` at a time by one `%` (C speed, no object per row kept);
    `progress` is advanced by the rows written. A scenario with tool motion adds the IMU's six
    columns (`kneadback.csvformat.IMU_COLUMNS`)."""
    import numpy as np

    from kneadback.csvformat import device_lines, imu_header, imu_si_cells
    from kneadback.engine.motion import imu_columns

    info = rendering.info
    header = "\n".join(
        [f"# scenario: {rendering.scenario.name} (seed {rendering.seed})", *device_lines(info), "time_s,adc" + imu_header(info)]
    )
    tool = rendering.tool
    imu = imu_columns(info) if tool is not None else None
    with open_out(path, binary=True) as fh:
        fh.write((header + "\n").encode())
        for a in range(0, len(rendering.t), ROWS_PER_WRITE):
            t = rendering.t[a : a + ROWS_PER_WRITE].tolist()
            cells: list[float | int] = [0] * (2 * len(t))
            cells[0::2] = t
            cells[1::2] = rendering.adc[a : a + ROWS_PER_WRITE].tolist()
            rows = ("%.6f,%d\n" * len(t)) % tuple(cells)
            if tool is not None and imu is not None:  # the IMU's columns after the force: in SI units, as export writes them
                counts = tool.imu[a : a + ROWS_PER_WRITE][:, list(imu.index)]
                si = imu_si_cells(counts * np.asarray(imu.scale))
                rows = "".join(f"{r},{m}\n" for r, m in zip(rows.splitlines(), si))
            fh.write(rows.encode())
            if progress is not None:
                progress.update(len(t))


def write_truth(rendering: Rendering, path: Path) -> None:
    write_out(path, json.dumps(rendering.truth.to_dict(), indent=1) + "\n")
