"""Export a recording: CSV (`time_s,adc,force_n`), JSON (everything) or EDF+ (signals with the
cues, ratings, markers, spots, bouts and holds as annotations, written by `edfio`), or the strokes
as a CSV table, one row each. A board with a 6-axis IMU adds its six channels to each
(`kneadback.csvformat`) and each stroke's direction and excursion to the table and, as stroke
annotations, to the EDF+; an FSR-only recording exports exactly as it did before there were any.

Every export goes through `kneadback.outfile.open_out`: a file is written whole or not at all, a
link is written through, `-` is stdout. `progress` is advanced by the samples written.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import numpy as np

from kneadback.csvformat import IMU_KINDS, IMU_UNITS, device_lines, imu_header, imu_si_cells
from kneadback.engine.motion import ImuColumns, imu_columns
from kneadback.errors import InputError
from kneadback.event_types import EventType
from kneadback.model import SampleBlock
from kneadback.outfile import OutPath, open_out
from kneadback.progress import Progress
from kneadback.store import EXPORT_FORMATS, EXPORT_TABLES
from kneadback.store.events import clean
from kneadback.store.reader import JSON_FORMAT, JSON_VERSION, Recording


def export(rec: Recording, fmt: str, out: OutPath, progress: Progress | None = None, what: str = "samples") -> None:
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"export: unknown format {fmt!r} (one of {', '.join(EXPORT_FORMATS)})")
    if what not in EXPORT_TABLES:
        raise InputError(f"export: unknown --what {what!r} (one of {', '.join(EXPORT_TABLES)})")
    if what == "strokes":
        if fmt != "csv":
            raise InputError(f"export: --what strokes is a CSV table, not {fmt}; give --format csv or an --out FILE.csv")
        export_strokes(rec, out)
        return
    {"csv": export_csv, "json": export_json, "edf": export_edf}[fmt](rec, out, progress)


IMU_LABELS = ("Accel X", "Accel Y", "Accel Z", "Gyro X", "Gyro Y", "Gyro Z")  # EDF signals, in `IMU_KINDS` order


def _imu(rec: Recording) -> ImuColumns | None:
    info = rec.info
    return None if info is None else imu_columns(info)


def _imu_si(b: SampleBlock, imu: ImuColumns) -> np.ndarray | None:
    """A block's six IMU channels in SI units (n, 6); None for a block that carries none."""
    if b.extra is None:
        return None
    return np.asarray(b.extra)[:, list(imu.index)].astype(np.float64) * np.asarray(imu.scale)


def export_csv(rec: Recording, out: OutPath, progress: Progress | None = None) -> None:
    """`time_s,adc,force_n` (and, with an IMU, its six channels in SI units) with the facts a
    re-import needs as `# key: value` lines."""
    model = rec.force_model
    info = rec.info
    imu = _imu(rec)
    with open_out(out) as f:
        f.write(f"# kneadback session {rec.meta.id}, started {rec.meta.started_at}\n")
        if info is not None:
            f.writelines(line + "\n" for line in device_lines(info))
        f.write(f"# force model: {model.describe()}\n")
        f.write("time_s,adc,force_n" + (imu_header(info) if info is not None else "") + "\n")
        for _i, b in rec.blocks():
            force = model.to_newtons(np.asarray(b.adc))
            rows = zip(b.t.tolist(), b.adc.tolist(), force.tolist())
            if imu is None:
                f.writelines(f"{t:.6f},{a},{n:.3f}\n" for t, a, n in rows)
            else:  # empty cells where a block lacks the IMU's channels: never motion that was not measured
                si = _imu_si(b, imu)
                cells = imu_si_cells(si) if si is not None else [","*5] * len(b)  # six empty cells
                f.writelines(f"{t:.6f},{a},{n:.3f},{c}\n" for (t, a, n), c in zip(rows, cells))
            if progress is not None:
                progress.update(len(b))


STROKE_COLUMNS = ("stroke", "bout", "t_start_s", "t_peak_s", "t_end_s", "peak_n", "mean_n", "interval_s", "rate_spm")
MOTION_COLUMNS = ("direction_deg", "excursion_cm", "return_share")  # with an IMU: `StrokeMotion`'s


def _strokes(rec: Recording) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    """Each recorded stroke's data with its `stroke-motion` data (None where the IMU gave none)."""
    rows: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
    latest: dict[int, int] = {}  # stroke index → its row (a motion event follows its stroke)
    for e in rec.events:
        if e.type == EventType.STROKE:
            latest[e.data["index"]] = len(rows)
            rows.append((e.data, None))
        elif e.type == EventType.STROKE_MOTION and e.data.get("index") in latest:
            k = latest[e.data["index"]]
            rows[k] = (rows[k][0], e.data)
    return rows


def _cell(v: object, fmt: str) -> str:
    """One number's cell; empty for a value the recording lacks (None, NaN)."""
    return format(v, fmt) if isinstance(v, (int, float)) and np.isfinite(v) else ""


def export_strokes(rec: Recording, out: OutPath) -> None:
    """One row per stroke, as a spreadsheet wants it (CPR feedback devices list compressions so):
    its number, its bout (the one it started in; empty between bouts), its times, forces, interval
    and the rate as of it, and with an IMU its working direction (° in the skin plane), excursion
    (cm) and the share of force on the return before it (empty where the IMU gave none)."""
    bouts = [(e.data["start"], e.data["end"], e.data["index"] + 1) for e in rec.events if e.type == EventType.BOUT]
    imu = _imu(rec) is not None
    with open_out(out) as f:
        f.write(f"# kneadback session {rec.meta.id}, started {rec.meta.started_at}: one row per stroke\n")
        f.write(f"# force model: {rec.force_model.describe()}\n")
        f.write(",".join(STROKE_COLUMNS + (MOTION_COLUMNS if imu else ())) + "\n")
        for s, m in _strokes(rec):
            bout = next((str(n) for a, b, n in bouts if a <= s["t_start"] <= b), "")  # as `bout_motions` counts
            cells = [str(s["index"] + 1), bout, *(_cell(s[k], ".3f") for k in ("t_start", "t_peak", "t_end")),
                     _cell(s["peak_n"], ".2f"), _cell(s["mean_n"], ".2f"), _cell(s.get("interval_s"), ".3f"),
                     _cell(s.get("rate_spm"), ".1f")]
            if imu:
                m = m or {}
                cells += [_cell(m.get("direction_deg"), ".1f"), _cell(m.get("excursion_cm"), ".2f"),
                          _cell(m.get("return_share"), ".3f")]
            f.write(",".join(cells) + "\n")


def export_json(rec: Recording, out: OutPath, progress: Progress | None = None) -> None:
    """The whole session: facts, every event with its place in the stream, every block exactly."""
    m = rec.meta
    session = {
        "id": m.id, "started_at": m.started_at, "wall_start": m.wall_start, "kind": m.kind, "source": m.source,
        "spot": m.spot, "device": m.device, "calibration": m.calibration, "targets": m.targets,
        "software": m.software, "duration_s": m.duration_s, "samples": m.samples, "lost": m.lost,
        "blocks": m.blocks, "ended_at": m.ended_at, "summary": m.summary,
    }
    with open_out(out) as f:
        f.write(f'{{"format": "{JSON_FORMAT}", "version": {JSON_VERSION:d},\n"session": ')
        json.dump(clean(session), f, sort_keys=True)
        f.write(',\n"events": [')
        for k, e in enumerate(rec.events):
            row = {"after_block": e.after_block, "origin": e.origin, "t": e.t, "type": e.type, "spot": e.spot,
                   "data": e.data}
            f.write(("\n" if k == 0 else ",\n") + json.dumps(clean(row), sort_keys=True))
        f.write('],\n"blocks": [')
        for k, (_i, b) in enumerate(rec.blocks()):
            blk = {
                "first_index": b.first_index, "lost": b.lost, "t_arrival": b.t_arrival, "t": b.t.tolist(),
                "adc": b.adc.tolist(), "t_device_us": None if b.t_device_us is None else b.t_device_us.tolist(),
            }
            if b.extra is not None:  # the board's other channels, in counts, as `session.device` lists them
                blk["extra"] = np.asarray(b.extra).tolist()
            f.write(("\n" if k == 0 else ",\n") + json.dumps(blk))
            if progress is not None:
                progress.update(len(b))
        f.write("]}\n")


def _annotations(rec: Recording) -> list[tuple[float, float | None, str]]:
    out: list[tuple[float, float | None, str]] = []
    for e in rec.events:
        d = e.data
        if e.type == EventType.CUE:
            out.append((e.t, None, f"cue {d.get('kind')}: {d.get('text', '')}"))
        elif e.type == EventType.RATING:
            force = d.get("force_n")
            f = f" at {force:.1f} N" if isinstance(force, (int, float)) else ""
            out.append((e.t, None, f"rating {d.get('value')}/10 on {d.get('spot') or e.spot or '?'}{f}"))
        elif e.type == EventType.MARKER:
            out.append((e.t, None, f"marker {d.get('label', '')}".strip()))
        elif e.type == EventType.SPOT:
            out.append((e.t, None, f"spot {d.get('spot')}"))
        elif e.type == EventType.BOUT_CONTROL:
            out.append((e.t, None, f"bout {d.get('action')} (by hand)" if d.get("action") != "auto" else "automatic bouts"))
        elif e.type == EventType.BOUT:
            out.append((d["start"], d["end"] - d["start"], f"bout {d['index'] + 1}: {d.get('strokes')} strokes"))
        elif e.type == EventType.HOLD and d.get("phase") == "end":
            out.append((d["start"], d["end"] - d["start"], "static hold"))
    for s, m in _strokes(rec):  # with an IMU only: an FSR-only recording's annotations stay as they were
        if m is not None:
            text = f"stroke {s['index'] + 1}: {s['peak_n']:.1f} N, {m['direction_deg']:.0f}° {m['excursion_cm']:.1f} cm"
            out.append((s["t_start"], s["t_end"] - s["t_start"], text))
    return out


def _imu_signals(edfio: Any, imu: ImuColumns, motion: list[np.ndarray | None], places: list[np.ndarray], n: int,
                 rate: int) -> list[Any]:
    """The IMU's six channels as EDF signals: the int16 counts exactly (digital range of an int16,
    physical range that times the channel's scale), on the same grid of `n` samples as the force
    (`places`: each block's samples' places on it). Samples of a block without them hold the last
    real value, as lost samples do."""
    have = np.zeros(n, dtype=bool)
    grid = np.zeros((n, len(IMU_KINDS)), dtype=np.int64)
    for m, k in zip(motion, places):
        if m is not None:
            grid[k] = m
            have[k] = True
    held = np.where(have, np.arange(n), 0)
    np.maximum.accumulate(held, out=held)
    grid = grid[held]
    lo, hi = -(1 << 15), (1 << 15) - 1
    return [
        edfio.EdfSignal(grid[:, c].astype(np.float64) * scale, rate, label=label, physical_dimension=unit,
                        physical_range=(lo * scale, hi * scale), digital_range=(lo, hi), transducer_type="IMU",
                        prefiltering="")
        for c, (scale, label, unit) in enumerate(zip(imu.scale, IMU_LABELS, IMU_UNITS))
    ]


def _runs_without(motion: list[np.ndarray | None], places: list[np.ndarray]) -> list[tuple[int, int]]:
    """(first, end) grid places of each run of blocks that came without the IMU's values."""
    runs: list[tuple[int, int]] = []
    for m, k in zip(motion, places):
        if m is None and len(k):
            first, end = int(k[0]), int(k[-1]) + 1
            if runs and runs[-1][1] == first:  # continues the run before
                first = runs.pop()[0]
            runs.append((first, end))
    return runs


def export_edf(rec: Recording, out: OutPath, progress: Progress | None = None) -> None:
    """EDF+: the counts and the force on the nominal sample grid; lost samples hold the last value
    and are marked by an annotation (nothing is invented silently)."""
    import edfio

    info = rec.info
    rate = int(round(info.sample_rate_hz)) if info is not None and info.sample_rate_hz >= 1 else 0
    if rate < 1:
        raise InputError(f"{rec.label}: no sample rate recorded, cannot lay the samples on an EDF grid")
    imu = _imu(rec)
    t0: float | None = None
    adcs, indexes, motion = [], [], []
    for _i, b in rec.blocks():  # one pass over the samples: the counts and where each sits on the grid
        if t0 is None and len(b):
            t0 = float(b.t[0])
        adcs.append(b.adc)
        indexes.append(b.first_index + np.arange(len(b)))
        if imu is not None:
            motion.append(np.asarray(b.extra)[:, list(imu.index)] if b.extra is not None else None)
        if progress is not None:
            progress.update(len(b))
    if t0 is None:
        raise InputError(f"{rec.label}: no samples to export")
    adc = np.concatenate(adcs).astype(np.int32)
    index = np.concatenate(indexes)
    index = index - index[0]
    n = int(index[-1]) + 1
    n_padded = -(-n // rate) * rate
    grid = np.zeros(n_padded, dtype=np.int64)
    have = np.zeros(n_padded, dtype=bool)
    grid[index] = adc
    have[index] = True
    # hold the last real sample over gaps (annotated below) and the tail padding
    pos = np.where(have, np.arange(n_padded), 0)
    np.maximum.accumulate(pos, out=pos)
    grid = grid[pos]
    places = np.split(index, np.cumsum([len(i) for i in indexes])[:-1])
    signals = _imu_signals(edfio, imu, motion, places, n_padded, rate) if imu is not None else []
    annotations = [edfio.EdfAnnotation(float(on), dur, text[:120]) for on, dur, text in _annotations(rec)]
    gaps = np.flatnonzero(np.diff(index) > 1)
    for g in gaps:
        missing = int(index[g + 1] - index[g] - 1)
        annotations.append(edfio.EdfAnnotation(float(index[g] + 1) / rate + t0, missing / rate, f"{missing} samples lost"))
    for first, end in _runs_without(motion, places) if imu is not None else []:
        annotations.append(edfio.EdfAnnotation(float(first) / rate + t0, (end - first) / rate, "no IMU values"))
    full = (1 << (info.adc_bits if info else 10)) - 1
    force = rec.force_model.to_newtons(grid)
    top = max(1.0, float(np.ceil(force.max() * 1.1)))
    start = dt.datetime.fromisoformat(rec.meta.started_at)
    edf = edfio.Edf(
        [
            edfio.EdfSignal(grid.astype(np.float64), rate, label="FSR ADC", physical_dimension="count",
                            physical_range=(0, full), digital_range=(0, full)),
            edfio.EdfSignal(force, rate, label="Force", physical_dimension="N", physical_range=(0, top),
                            transducer_type="FSR", prefiltering=""),
            *signals,
        ],
        patient=edfio.Patient(),
        recording=edfio.Recording(startdate=start.date(), equipment_code="kneadback"),
        starttime=start.time().replace(tzinfo=None, microsecond=0),
        data_record_duration=1.0,
        annotations=sorted(annotations, key=lambda a: a.onset),
    )
    with open_out(out, binary=True) as f:
        if isinstance(f, io.BufferedWriter) and f.seekable():
            edf.write(f)
        else:  # a pipe, a FIFO, an unbuffered stdout: edfio (numpy's tofile) cannot write there itself
            whole = io.BytesIO()
            edf.write(whole)
            f.write(whole.getbuffer())
