"""Offline analysis: a recording through the session pipeline with the engine, and what it found.

The samples go through the same pipeline as live use, as fast as they can be read; `Analysis`
gives the result as a JSON object or a table (`kneadback analyze` prints one of them).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kneadback.clock import Clock, ManualClock
from kneadback.engine.engine import Engine
from kneadback.engine.motion import imu_columns
from kneadback.engine.rate import rate_spm
from kneadback.frontend import Declared
from kneadback.fsr import trust_words
from kneadback.model import (
    Bout,
    ContactChanged,
    DeviceInfo,
    Event,
    HoldEnded,
    SampleBlock,
    SignalQuality,
    SourceItem,
    Stroke,
    StrokeMotion,
)
from kneadback.progress import Progress, progress
from kneadback.session import Session
from kneadback.sink import Sink
from kneadback.sources.base import Source, SourceOptions
from kneadback.sources.csvfile import CsvSource
from kneadback.store.db import SQLITE_HEADER
from kneadback.store.summary import motion_of_bout

ANALYSIS_BLOCK_SAMPLES = 65536  # samples a CSV file hands the engine at a time

# --- running ---------------------------------------------------------------------------------


class Rechunked(Source):
    """Another source, its sample blocks cut into pieces of at most `n` samples."""

    def __init__(self, inner: Source, n: int) -> None:
        super().__init__(inner.spec)
        self.inner = inner
        self.n = n

    def _open(self) -> None:
        self.inner.open()
        self.info = self.inner.info

    def _close(self) -> None:
        self.inner.close()

    def read(self, timeout: float = 0.05) -> list[SourceItem]:
        out: list[SourceItem] = []
        for item in self.inner.read(timeout):
            if not isinstance(item, SampleBlock) or len(item) <= self.n:
                out.append(item)
                continue
            out += [item.rows(a, a + self.n) for a in range(0, len(item), self.n)]
        self.finished = self.inner.finished
        return out


@dataclass
class Collector(Sink):
    """Keeps everything the session emits."""

    info: DeviceInfo | None = None
    events: list[Event] = field(default_factory=list)
    samples: int = 0
    lost: int = 0
    t_first: float | None = None
    t_last: float = 0.0

    def on_info(self, info: DeviceInfo) -> None:
        self.info = info

    def on_block(self, block: SampleBlock) -> None:
        if self.t_first is None:
            self.t_first = float(block.t[0])
        self.samples += len(block)
        self.lost += block.lost
        self.t_last = block.t_end

    def on_events(self, events: Sequence[Event]) -> None:
        self.events.extend(events)


class SessionProgress(Sink):
    """Moves a bar along session time, in whole seconds since the first sample, as blocks pass."""

    def __init__(self, bar: Progress) -> None:
        self.bar = bar
        self.t_first: float | None = None
        self.shown = 0

    def on_block(self, block: SampleBlock) -> None:
        if self.t_first is None:
            self.t_first = float(block.t[0])
        done = int(block.t_end - self.t_first)
        if done > self.shown:
            self.bar.update(done - self.shown)
            self.shown = done


def open_with_progress(source: Source, *, enabled: bool) -> None:
    """Open `source`; a CSV file shows a bar, by bytes, while it is read and checked."""
    if not (enabled and isinstance(source, CsvSource)):
        source.open()
        return
    try:
        size: int | None = source.path.stat().st_size
    except OSError:
        size = None  # opening says what is wrong
    with progress(size, f"reading {source.path.name}", unit="B", scale=True, enabled=True) as bar:
        source.progress = bar
        try:
            source.open()
        finally:
            source.progress = None


@contextmanager
def session_progress(session: Session, what: str, total_s: float | None, *, enabled: bool) -> Iterator[None]:
    """While the block runs `session`, a bar over its `total_s` seconds of session time."""
    with progress(None if total_s is None else math.ceil(total_s), what, unit="s", enabled=enabled) as bar:
        if enabled:
            session.sinks.append(SessionProgress(bar))
        yield


def open_input(spec: str, rate_hz: float | None, front: Declared, clock: Clock | None = None) -> Source:
    """What `analyze` and `ruler --replay` read, as fast as it reads: a `time_s,adc` CSV (by its
    suffix, or by its header row), else a recording (`kneadback.sources.open_source`: a session
    id, `last`, a database, a JSON export)."""
    if Path(spec).suffix.lower() == ".csv" or (Path(spec).is_file() and _looks_like_csv(Path(spec))):
        # the engine's output does not depend on the block size, and big blocks cost less a sample
        return CsvSource(spec, rate_hz=rate_hz, front=front, block_samples=ANALYSIS_BLOCK_SAMPLES)
    from kneadback.sources import open_source

    options = SourceOptions(clock=clock or ManualClock(), speed=math.inf, rate_hz=rate_hz, front=front)
    return open_source(spec, options)


def _looks_like_csv(path: Path) -> bool:
    """Whether a file not named .csv is one: text whose first row that is not a comment names the
    columns time_s and adc (a JSON export mentions them too, but not as a header row)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    if head.startswith(SQLITE_HEADER) or b"\0" in head:
        return False
    rows = (ln.strip() for ln in head.decode("utf-8", "replace").splitlines())
    header = next((ln for ln in rows if ln and not ln.startswith("#")), "")
    names = {c.strip().strip('"').lower() for c in header.split(",")}
    return {"time_s", "adc"} <= names


# --- reporting -------------------------------------------------------------------------------


def _r(x: float | None, nd: int = 4) -> float | None:
    return None if x is None else round(float(x), nd)


class Analysis:
    """What the engine found in one recording, as a JSON object or a table."""

    def __init__(self, spec: str, c: Collector, engine: Engine) -> None:
        assert c.info is not None
        self.spec = spec
        self.info = c.info
        self.events = c.events
        self.samples = c.samples
        self.lost = c.lost
        self.t_first = c.t_first or 0.0
        self.t_last = c.t_last
        self.force_model = engine.force_model.describe() if engine.force_model is not None else ""
        self.force_unit = trust_words(engine.force_model).after  # the screens' words for its trust
        self.notes: list[str] = []  # for the user, on stderr
        ev = self.events
        self.strokes = [e for e in ev if isinstance(e, Stroke)]
        self.holds = [e for e in ev if isinstance(e, HoldEnded)]
        self.bouts = [e for e in ev if isinstance(e, Bout)]
        self.quality = [e for e in ev if isinstance(e, SignalQuality)]
        self.contact: list[tuple[float, float]] = []
        on: float | None = None
        for e in ev:
            if isinstance(e, ContactChanged):
                if e.on:
                    on = e.at
                elif on is not None:
                    self.contact.append((on, e.at))
                    on = None
        if on is not None:
            self.contact.append((on, self.t_last))
        # with a motion sensor only, so that a tool without one gets what it always got
        self.motions: dict[int, StrokeMotion] | None = None
        self.bout_motions: list[dict[str, Any]] = []
        if imu_columns(self.info) is not None:
            self.motions = {e.index: e for e in ev if isinstance(e, StrokeMotion)}
            starts = {s.index: s.t_start for s in self.strokes}
            self.bout_motions = [motion_of_bout(b.start, b.end, starts, list(self.motions.values())) for b in self.bouts]

    def summary(self) -> dict[str, Any]:
        s = self.strokes
        duration = self.t_last - self.t_first if self.samples > 1 else 0.0
        rate = rate_spm(x.interval_s for x in s if x.interval_s is not None)  # over all the intervals
        sat = [q.saturated_fraction for q in self.quality]
        rail = [q.near_rail_fraction for q in self.quality]
        noise = sorted(q.noise_n for q in self.quality)
        return {
            "duration_s": _r(duration, 3),
            "samples": self.samples,
            "lost_samples": self.lost,
            "rate_hz": _r(self.info.sample_rate_hz, 3),
            "divider_ohms": self.info.divider_ohms,
            "force_model": self.force_model,
            "strokes": len(s),
            "bouts": len(self.bouts),
            "holds": len(self.holds),
            "hold_s": _r(sum(h.end - h.start for h in self.holds), 3),
            "contact_s": _r(sum(b - a for a, b in self.contact), 3),
            "mean_rate_spm": _r(rate, 2),
            "mean_peak_n": _r(sum(x.peak_n for x in s) / len(s), 3) if s else None,
            "max_peak_n": _r(max(x.peak_n for x in s), 3) if s else None,
            "saturated_fraction": _r(sum(sat) / len(sat), 5) if sat else 0.0,
            "near_rail_fraction": _r(sum(rail) / len(rail), 5) if rail else 0.0,
            "noise_n": _r(noise[len(noise) // 2], 4) if noise else None,
            **({} if self.motions is None else {"strokes_with_motion": len(self.motions)}),
        }

    def _stroke_motion(self, s: Stroke) -> dict[str, Any]:
        """A stroke's motion fields (with a motion sensor; None where it measured none), rounded as
        `ruler --json` rounds them."""
        if self.motions is None:
            return {}
        m = self.motions.get(s.index)
        return {
            "direction_deg": None if m is None else _r(m.direction_deg, 1),
            "excursion_cm": None if m is None else _r(m.excursion_cm, 2),
            "return_share": None if m is None else _r(m.return_share, 3),
            "circling": None if m is None else m.circling,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.spec,
            "strokes": [
                {
                    "index": s.index,
                    "t_start": _r(s.t_start),
                    "t_peak": _r(s.t_peak),
                    "t_end": _r(s.t_end),
                    "t_confirmed": _r(s.t_confirmed),
                    "peak_n": _r(s.peak_n, 3),
                    "mean_n": _r(s.mean_n, 3),
                    "peak_adc": s.peak_adc,
                    "impulse_ns": _r(s.impulse_ns, 3),
                    "release": _r(s.release, 3),
                    "rate_spm": _r(s.rate_spm, 2),
                    **self._stroke_motion(s),
                }
                for s in self.strokes
            ],
            "holds": [{"start": _r(h.start), "end": _r(h.end), "mean_n": _r(h.mean_n, 3)} for h in self.holds],
            "contact": [{"start": _r(a), "end": _r(b)} for a, b in self.contact],
            "bouts": [
                {
                    "index": b.index,
                    "start": _r(b.start),
                    "end": _r(b.end),
                    "strokes": b.strokes,
                    "rate_spm": _r(b.rate_spm, 2),
                    "mean_peak_n": _r(b.mean_peak_n, 3),
                    "active_s": _r(b.active_s, 3),
                    "overtime_s": _r(b.overtime_s, 3),
                    "counted": b.counted,
                    **({} if self.motions is None else {"motion": self.bout_motions[k]}),
                }
                for k, b in enumerate(self.bouts)
            ],
            "summary": self.summary(),
        }

    def table(self, strokes: bool = False) -> str:
        sm = self.summary()
        u = self.force_unit
        imu = self.motions is not None
        lines = [
            (
                f"{self.spec}: {sm['duration_s']:.1f} s, {self.samples} samples at {sm['rate_hz']:g} Hz"
                f" ({self.lost} lost), force from the {self.force_model}"
            ),
            "",
            f"{'bout':>4}  {'start s':>8}  {'end s':>8}  {'length s':>8}  {'strokes':>7}  {'rate/min':>8}  {'mean peak ' + u:>11}"
            + (f"  {'same way':>8}  {'pattern':<14}  {'median cm':>9}" if imu else ""),
        ]
        for b, motion in zip(self.bouts, self.bout_motions if imu else [None] * len(self.bouts), strict=True):
            rate = f"{b.rate_spm:8.1f}" if b.rate_spm is not None else f"{'-':>8}"
            peak = f"{b.mean_peak_n:11.1f}" if b.mean_peak_n is not None else f"{'-':>11}"
            lines.append(f"{b.index + 1:>4}  {b.start:8.2f}  {b.end:8.2f}  {b.duration:8.1f}  {b.strokes:>7}  {rate}  {peak}"
                         + ("" if motion is None else _bout_motion_cells(motion)))
        if not self.bouts:
            lines.append("   (no bouts)")
        if self.holds:
            lines += ["", f"{'hold':>4}  {'start s':>8}  {'end s':>8}  {'length s':>8}  {'mean ' + u:>8}"]
            for k, h in enumerate(self.holds, 1):
                lines.append(f"{k:>4}  {h.start:8.2f}  {h.end:8.2f}  {h.end - h.start:8.1f}  {h.mean_n:8.1f}")
        if strokes:
            lines += ["", f"{'#':>5}  {'start s':>8}  {'peak s':>8}  {'end s':>8}  {'peak ' + u:>7}  {'mean ' + u:>7}  {'adc':>5}  {'release':>7}  {'rate/min':>8}"
                      + (f"  {'dir °':>5}  {'cm':>5}  {'return':>6}  {'circling':>8}" if self.motions is not None else "")]
            for s in self.strokes:
                rate = f"{s.rate_spm:8.1f}" if s.rate_spm is not None else f"{'-':>8}"
                lines.append(
                    f"{s.index + 1:>5}  {s.t_start:8.2f}  {s.t_peak:8.2f}  {s.t_end:8.2f}  {s.peak_n:7.1f}  {s.mean_n:7.1f}  {s.peak_adc:>5}  {s.release:7.2f}  {rate}"
                    + ("" if self.motions is None else _stroke_motion_cells(self.motions.get(s.index)))
                )
        rate = f"{sm['mean_rate_spm']:.1f}/min" if sm["mean_rate_spm"] is not None else "-"
        peak = f"{sm['mean_peak_n']:.1f} {u}" if sm["mean_peak_n"] is not None else "-"
        lines += [
            "",
            (
                f"strokes {sm['strokes']}, bouts {sm['bouts']}, mean rate {rate}, mean peak {peak}, "
                f"holds {sm['holds']} ({sm['hold_s']:.1f} s), in contact {sm['contact_s']:.1f} s"
            ),
            f"signal: {100 * sm['saturated_fraction']:.2f} % saturated, noise {sm['noise_n'] or 0:.3f} {u} rms"
            + (f"; {100 * sm['near_rail_fraction']:.1f} % near the rail, where one count is over a tenth of the signal: holds and light strokes are judged coarsely there" if sm["near_rail_fraction"] else ""),
        ]
        if imu:
            measured = sm["strokes_with_motion"]
            lines.append(f"motion: {measured} of {sm['strokes']} strokes measured"
                         + ("" if measured == sm["strokes"] else
                            " (the others started while the sensor settled, in its first seconds, or lost samples)"))
        return "\n".join(lines) + "\n"


def _bout_motion_cells(m: dict[str, Any]) -> str:
    """A bout's direction consistency, pattern and median excursion (`store.summary.motion_of_bout`)."""
    if not m.get("strokes"):
        return f"  {'-':>8}  {'-':<14}  {'-':>9}"
    return f"  {100 * m['consistency']:7.0f}%  {m['pattern']:<14}  {m['median_excursion_cm']:9.1f}"


def _stroke_motion_cells(m: StrokeMotion | None) -> str:
    """A stroke's working direction, excursion, return share and whether it circled; dashes where
    the sensor measured none."""
    if m is None:
        return f"  {'-':>5}  {'-':>5}  {'-':>6}  {'-':>8}"
    ret = f"{m.return_share:6.2f}" if m.return_share is not None else f"{'-':>6}"
    return f"  {round(m.direction_deg) % 360:5d}  {m.excursion_cm:5.1f}  {ret}  {'yes' if m.circling else 'no':>8}"
