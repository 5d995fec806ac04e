"""Real recorded force data beside the project (`../shared/realdata/`), its truth, the two ways
the issue turns a series into ADC counts, and the scoring its README defines.

The data is read where it lies and never copied into the project. Used by the real-data
benchmark and by the tests that keep a few series at their floor.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kneadback.engine.scoring import blocks, run_engine
from kneadback.model import DeviceInfo, Event, Stroke

ROOT = Path(__file__).resolve().parents[3] / "shared" / "realdata"
GAITNDD = ("control1", "control3", "control5", "control13", "control16", "als1", "als3", "als8", "als9", "als10",
           "hunt2", "hunt9", "hunt15", "hunt18", "hunt20", "park3", "park6", "park9", "park12", "park14")  # fmt: skip
MATCH_S = 0.05  # a detection matches when its peak lies inside a true contact widened by this
BLOCK_SAMPLES = 65536  # as `kneadback analyze` hands a file to the engine
FORMS = ("fsr", "linear")


@dataclass(frozen=True)
class Series:
    """One tool's signal, uniformly sampled, with its true contacts and the span scored."""

    name: str
    rate_hz: float
    x: np.ndarray  # higher = more force, any unit
    contacts: np.ndarray  # (n, 2): start, end of each true press (s)
    dont_care: np.ndarray  # (m, 2): spans where a detection is neither right nor wrong
    span: tuple[float, float]
    cadence_spm: float  # the truth's median cadence


def available() -> bool:
    return ROOT.is_dir()


def _format212(path: Path) -> np.ndarray:
    """WFDB format 212: 12-bit two's-complement samples, two in three bytes."""
    b = np.fromfile(path, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
    a = b[:, 0] | ((b[:, 1] & 0x0F) << 8)
    c = b[:, 2] | ((b[:, 1] & 0xF0) << 4)
    x = np.column_stack((a, c)).ravel()
    return np.where(x >= 2048, x - 4096, x)


def gaitndd(name: str) -> Series:
    """A left foot's FSR at 300 Hz; truth from the dataset's own stride table."""
    d = ROOT / "gaitndd"
    rows = [r.split(",") for r in (d / f"{name}.csv").read_text().replace("\r", "\n").split("\n") if r.strip()]
    table = np.array([[float(v) for v in r[:8]] for r in rows])
    elapsed, stride, stance = table[:, 0], table[:, 1], table[:, 7]
    start = elapsed - stride
    contacts = np.column_stack((start, start + stance))
    x = _format212(d / f"{name}.let").astype(float)
    span = (float(contacts[0, 0]), float(elapsed[-1]))
    return Series(name, 300.0, x, contacts, np.zeros((0, 2)), span, 60.0 / float(np.median(stride)))


def gaitpdb_files() -> list[Path]:
    return sorted((ROOT / "gaitpdb").glob("GaCo*.txt"))


def gaitpdb(path: Path, column: int) -> Series:
    """One foot's total vertical force at 100 Hz; truth derived from the force as the README says."""
    x = np.loadtxt(path, usecols=column)
    rate = 100.0
    on = x > 0.05 * np.percentile(x, 95)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], on.astype(np.int8), [0]))))
    runs = edges.reshape(-1, 2)  # [first, past-last) sample of each run above
    merged: list[list[int]] = []
    for a, b in runs.tolist():
        if merged and (a - merged[-1][1]) / rate < 0.05:
            merged[-1][1] = b
        else:
            merged.append([a, b])
    runs = np.array([r for r in merged if (r[1] - r[0]) / rate >= 0.1])
    lengths = runs[:, 1] - runs[:, 0]
    long = lengths > 2 * np.median(lengths)
    twin = np.array([_two_peaks(x[a:b]) for a, b in runs.tolist()])
    care = ~(long | twin)
    t = runs / rate
    starts = t[:, 0]
    span = (10.0, len(x) / rate - 0.5)
    side = "L" if column == 17 else "R"
    return Series(f"{path.stem}{side}", rate, x, t[care], t[~care], span, 60.0 / float(np.median(np.diff(starts))))


def _two_peaks(x: np.ndarray) -> bool:
    """Two peaks of at least 60 % of the maximum with a dip below 40 % between them."""
    top = float(x.max())
    high = np.flatnonzero(x >= 0.6 * top)
    return bool(len(high) > 1 and (x[high[0] : high[-1] + 1] < 0.4 * top).any())


def cprdummy() -> Series:
    """Chest depth (encoder counts), event-sampled, held to 100 Hz; truth: depth ≥ 3 until ≤ 2."""
    recs = [r.lstrip("#").split(":") for r in (ROOT / "cprdummy" / "testdata.txt").read_text().split("~") if ":" in r]
    tm = np.array([float(r[0]) / 1000.0 for r in recs])
    depth = np.array([float(r[1].split(",")[0]) for r in recs])
    rate = 100.0
    tm -= tm[0]  # the series starts at 0 s, as every other
    t = np.arange(0.0, tm[-1], 1.0 / rate)
    x = depth[np.searchsorted(tm, t, side="right") - 1]
    contacts: list[tuple[float, float]] = []
    inside = False
    for ti, d in zip(t.tolist(), x.tolist()):
        if not inside and d >= 3:
            inside, t0 = True, ti
        elif inside and d <= 2:
            inside = False
            contacts.append((t0, ti))
    c = np.array(contacts)
    cadence = 60.0 / float(np.median(np.diff(c[:, 0])))
    return Series("cprdummy", rate, x - x.min(), c, np.zeros((0, 2)), (float(t[0]), float(t[-1])), cadence)


def every_series() -> Iterator[Series]:
    for name in GAITNDD:
        yield gaitndd(name)
    for path in gaitpdb_files():
        for column in (17, 18):
            yield gaitpdb(path, column)
    yield cprdummy()


def to_counts(x: np.ndarray, form: str) -> np.ndarray:
    """ADC counts of a 10-bit board: an FSR's conductance through a 1 kΩ divider ("fsr"), or a
    front end linear in force over 50–950 counts ("linear")."""
    if form == "fsr":
        base = np.percentile(x, 1)
        g = (1000.0 / 500.0) * np.maximum(x - base, 0.0) / (x.max() - base)
        return np.floor(1024.0 * g / (1.0 + g)).astype(np.int32)
    return np.round(50.0 + 900.0 * (x - x.min()) / (x.max() - x.min())).astype(np.int32)


def device(series: Series, form: str) -> DeviceInfo:
    """The board that would have recorded these counts, its front end declared."""
    return DeviceInfo(
        protocol_version=1,
        firmware_version="file",
        board="recorded",
        sample_rate_hz=series.rate_hz,
        front_end="fsr-low" if form == "fsr" else "linear",
        rate_source="declared",
    )


def run(series: Series, form: str, engine: object) -> list[Event]:
    """What the engine makes of one series fed as `kneadback analyze` feeds a file."""
    adc = to_counts(series.x, form)
    t = np.arange(len(adc)) / series.rate_hz
    return run_engine(engine, device(series, form), blocks(t, adc, BLOCK_SAMPLES))


def detect(series: Series, form: str, engine: object) -> list[Stroke]:
    return [e for e in run(series, form, engine) if isinstance(e, Stroke)]


@dataclass(frozen=True)
class Result:
    tp: int
    fp: int
    fn: int

    @property
    def f1(self) -> float:
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp else 0.0


def score(series: Series, peaks: np.ndarray) -> Result:
    """One detection per true contact (widened by `MATCH_S`), inside the scored span; a
    detection in a don't-care span counts for nothing."""
    a, b = series.span
    c = series.contacts
    c = c[(c[:, 0] >= a) & (c[:, 1] <= b)]
    peaks = peaks[(peaks >= a) & (peaks <= b)]
    dc = series.dont_care
    if len(dc):
        inside_dc = ((peaks[:, None] >= dc[:, 0] - MATCH_S) & (peaks[:, None] <= dc[:, 1] + MATCH_S)).any(axis=1)
        peaks = peaks[~inside_dc]
    used = np.zeros(len(c), dtype=bool)
    tp = 0
    for p in np.sort(peaks).tolist():
        hit = np.flatnonzero((c[:, 0] - MATCH_S <= p) & (p <= c[:, 1] + MATCH_S) & ~used)
        if len(hit):
            used[hit[0]] = True
            tp += 1
    return Result(tp, len(peaks) - tp, len(c) - tp)
