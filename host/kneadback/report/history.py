"""Each spot over the days: bouts against the 3–10 guideline, time worked (and how much of it past
the bouts' length), rate and pressure adherence, and the force that gives 7/10 discomfort (rising
= the knot is releasing). The bouts are the ones the coach counted (`kneadback.store.summary`).

The no-progress rule: when the 7/10 force of a spot has not risen by more than `min_gain`
(5 %) above its value at least `no_progress_days` days before its latest value, say "no
progress on SPOT for N days: consider working another spot", as the routine advises.

    [history]
    no_progress_days = 7   # days without a rising 7/10 force before suggesting another spot
    min_gain = 0.05        # the rise (fraction) that counts as progress
"""

from __future__ import annotations

import datetime as dt
import html
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from kneadback.coach.discomfort import fit_curve
from kneadback.coach.rules import Policy
from kneadback.coach.spots import SpotRating, day_bounds, day_of
from kneadback.coach.targets import Targets
from kneadback.config import load_config, load_table
from kneadback.event_types import EventType
from kneadback.fsr import TRUST_LEVELS, TRUST_WORDS
from kneadback.progress import Progress
from kneadback.report.report import BLUE, CSS, GREEN, PURPLE, pct
from kneadback.report.svg import Chart, date_ticks
from kneadback.store.calibration import force_model_from_dict
from kneadback.store.db import Store
from kneadback.store.scoring import targets_of
from kneadback.store.summary import active_s, is_counted, overtime_s, summary_of
from kneadback.words import centimetres, mmss, plural


@dataclass(frozen=True)
class HistorySettings:
    no_progress_days: int = 7
    min_gain: float = 0.05

    def __post_init__(self) -> None:
        if not (isinstance(self.no_progress_days, int) and 1 <= self.no_progress_days <= 365):
            raise ValueError("no_progress_days must be a whole number of days within 1..365")
        if not 0 <= self.min_gain <= 1:
            raise ValueError("min_gain must be within 0..1")


def load_settings() -> HistorySettings:
    return load_table(HistorySettings, "history", load_config())


@dataclass
class SpotDay:
    day: dt.date
    bouts: int = 0
    time_s: float = 0.0
    overtime_s: float = 0.0  # of that time, past the bouts' length
    strokes: int = 0
    sessions: int = 0
    mean_rate_spm: float | None = None
    rate_adherence: float | None = None
    pressure_adherence: float | None = None
    ratings: int = 0
    force_at_target_n: float | None = None
    force_trust: str | None = None  # the least trusted force among the day's ratings (`kneadback.fsr.TRUST_WORDS`)
    # with an IMU on the tool only: the bouts' mean direction consistency and median stroke length
    direction_consistency: float | None = None
    median_excursion_cm: float | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["day"] = self.day.isoformat()
        for k in ("time_s", "overtime_s", "mean_rate_spm", "rate_adherence", "pressure_adherence", "force_at_target_n",
                  *_MOTION):
            if d[k] is not None:
                d[k] = round(d[k], 3)
            elif k in _MOTION:  # a day without a motion sensor reads as it always did
                del d[k]
        return d


_MOTION = ("direction_consistency", "median_excursion_cm")


@dataclass
class SpotHistoryReport:
    spot: str
    days: list[SpotDay] = field(default_factory=list)
    stalled_days: int | None = None

    @property
    def advice(self) -> str | None:
        if self.stalled_days is None:
            return None
        return f"no progress on {self.spot} for {plural(self.stalled_days, 'day')}: consider working another spot"

    def to_dict(self) -> dict[str, Any]:
        return {"spot": self.spot, "days": [d.to_dict() for d in self.days], "no_progress_days": self.stalled_days,
                "advice": self.advice}


def stalled_days(points: list[tuple[dt.date, float]], n_days: int, min_gain: float = 0.05) -> int | None:
    """Days since the 7/10 force last rose, if that is at least `n_days`; else None.

    The baseline is the latest value at least `n_days` before the latest one; progress is any
    later value more than `min_gain` above it. Without such a baseline there is no verdict."""
    pts = sorted(points)
    if len(pts) < 2:
        return None
    last = pts[-1][0]
    base = [p for p in pts if (last - p[0]).days >= n_days]
    if not base:
        return None
    b_day, b_val = base[-1]
    if max(v for d, v in pts if d > b_day) > b_val * (1.0 + min_gain):
        return None
    return (last - b_day).days


def _mean(values: list[float], weights: list[float] | None = None) -> float | None:
    if not values:
        return None
    return float(np.average(values, weights=weights)) if weights and sum(weights) > 0 else float(np.mean(values))


def build_history(store: Store, settings: HistorySettings, spot: str | None = None,
                  progress: Progress | None = None) -> tuple[list[SpotHistoryReport], Targets]:
    """Each spot's days from every session's bouts and ratings; `progress` is advanced by the sessions read."""
    # (bout, its score, its motion (IMU only), session id) by spot and day
    bouts: dict[tuple[str, dt.date], list[tuple[dict[str, Any], dict[str, Any] | None, dict[str, Any] | None, int]]] = \
        defaultdict(list)
    ratings: dict[tuple[str, dt.date], list[SpotRating]] = defaultdict(list)
    trusts: dict[tuple[str, dt.date], set[str]] = defaultdict(set)  # the rated forces' trust levels
    targets = Targets()
    for row in store.sessions():
        targets = targets_of(row)
        summary = summary_of(store, row)
        bout_scores = summary.get("bout_scores") or []
        motion = summary.get("bout_motion") or []
        trust = force_model_from_dict(row.calibration, row.device).trust
        k = 0
        for e in store.events(row.id, (EventType.BOUT, EventType.RATING)):
            if e.type == EventType.BOUT:
                s = e.spot or ""
                sc = bout_scores[k] if k < len(bout_scores) else None
                mo = motion[k] if k < len(motion) and motion[k].get("strokes") else None
                k += 1
                if (spot is None or s == spot) and is_counted(e.data, targets.bout_s):  # a short try is not a bout
                    bout = {**e.data, "active_s": active_s(e.data), "overtime_s": overtime_s(e.data, targets.bout_s)}
                    bouts[(s, day_of(row.wall_start + e.data["end"]))].append((bout, sc, mo, row.id))
            else:
                s = e.data.get("spot") or e.spot or ""
                f = e.data.get("force_n")
                if (spot is None or s == spot) and f is not None:
                    w = row.wall_start + e.t
                    ratings[(s, day_of(w))].append(SpotRating(w, int(e.data["value"]), float(f)))
                    trusts[(s, day_of(w))].add(trust)
        if progress is not None:
            progress.update()
    keys = sorted(set(bouts) | set(ratings))
    by_spot: dict[str, SpotHistoryReport] = {}
    for s, day in keys:
        rep = by_spot.setdefault(s, SpotHistoryReport(s))
        sd = SpotDay(day)
        bl = bouts.get((s, day), [])
        sd.bouts = len(bl)
        sd.time_s = sum(b["active_s"] for b, _sc, _mo, _sid in bl)
        sd.overtime_s = sum(b["overtime_s"] for b, _sc, _mo, _sid in bl)
        sd.strokes = sum(int(b["strokes"]) for b, _sc, _mo, _sid in bl)
        sd.sessions = len({sid for _b, _sc, _mo, sid in bl})
        rated = [(b["rate_spm"], b["strokes"]) for b, _sc, _mo, _sid in bl if b.get("rate_spm") is not None]
        sd.mean_rate_spm = _mean([r for r, _n in rated], [n for _r, n in rated])
        parts = [sc.get("parts", {}) for _b, sc, _mo, _sid in bl if sc]
        sd.rate_adherence = _mean([p["rate"] for p in parts if "rate" in p])
        sd.pressure_adherence = _mean([p["pressure"] for p in parts if "pressure" in p])
        moved = [mo for _b, _sc, mo, _sid in bl if mo]
        sd.direction_consistency = _mean([mo["consistency"] for mo in moved])
        sd.median_excursion_cm = float(np.median([mo["median_excursion_cm"] for mo in moved])) if moved else None
        rs = ratings.get((s, day), [])
        sd.ratings = len(rs)
        sd.force_trust = least_trusted(trusts.get((s, day), set()))
        if rs:
            curve = fit_curve(rs, day_bounds(day)[1])
            if curve is not None:
                sd.force_at_target_n = curve.force_for(targets.discomfort)
        rep.days.append(sd)
    reports = sorted(by_spot.values(), key=lambda r: r.spot)
    for rep in reports:
        pts = [(d.day, d.force_at_target_n) for d in rep.days if d.force_at_target_n is not None]
        rep.stalled_days = stalled_days(pts, settings.no_progress_days, settings.min_gain)
    return reports, targets


def bouts_verdict(n: int, t: Targets) -> str:
    if n < t.bouts_min:
        return f"{n} (fewer than {t.bouts_min})"
    if n > t.bouts_max:
        return f"{n} (more than {t.bouts_max})"
    return f"{n} ({t.bouts_min}–{t.bouts_max} ✓)"


def text_table(reports: list[SpotHistoryReport], targets: Targets) -> str:
    lines: list[str] = []
    for rep in reports:
        lines.append(rep.spot or "(no spot named)")
        moved = has_motion(rep)
        rows = [("day", "bouts", "time", "overtime", "rate/min", "rhythm", "pressure", f"{targets.discomfort:g}/10 force",
                 *(MOTION_HEADINGS if moved else ()))]
        for d in rep.days:
            rows.append((d.day.isoformat(), bouts_verdict(d.bouts, targets), mmss(d.time_s), overtime(d),
                         "—" if d.mean_rate_spm is None else f"{d.mean_rate_spm:.0f}", pct(d.rate_adherence),
                         pct(d.pressure_adherence),
                         force_cell(d),
                         *(motion_cells(d) if moved else ())))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        for r in rows:
            lines.append("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        if rep.advice:
            lines.append(f"  {rep.advice}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def has_motion(rep: SpotHistoryReport) -> bool:
    """Whether any day of the spot had a motion sensor on the tool: only then are its columns shown."""
    return any(d.direction_consistency is not None for d in rep.days)


MOTION_HEADINGS = ("same way", "median stroke")


def motion_cells(d: SpotDay) -> tuple[str, str]:
    """A day's direction consistency and median stroke length (marked when longer than the routine's
    short strokes), or dashes for a day without an IMU."""
    cm = "—" if d.median_excursion_cm is None else centimetres(d.median_excursion_cm, Policy().max_excursion_cm)
    return pct(d.direction_consistency), cm


def least_trusted(trusts: set[str]) -> str | None:
    return max(trusts, key=TRUST_LEVELS.index) if trusts else None


def force_cell(d: SpotDay) -> str:
    """A day's 7/10 force in the words its trust has ("29.8 approx. N" before calibration)."""
    if d.force_at_target_n is None or d.force_trust is None:
        return "—"
    return f"{d.force_at_target_n:.1f} {TRUST_WORDS[d.force_trust].after}"


def overtime(d: SpotDay) -> str:
    """A day's time past the bouts' length, or a dash for none to speak of."""
    return mmss(d.overtime_s) if d.overtime_s >= 0.5 else "—"


def _day_chart(title: str, rep: SpotHistoryReport, y_label: str, chart_id: str) -> tuple[Chart, list[int]]:
    """A chart over a real date axis (day ordinals), a day or 2 % of the span wider than the days."""
    x = [d.day.toordinal() for d in rep.days]
    pad = max(1.0, 0.02 * (max(x) - min(x)))
    return Chart(title, (min(x) - pad, max(x) + pad), (0.0, 1.0), "date", y_label, height=220, chart_id=chart_id), x


def render_html(reports: list[SpotHistoryReport], targets: Targets, settings: HistorySettings) -> str:
    esc = html.escape
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8"><title>kneadback history</title>',
           f"<style>{CSS}</style></head><body><h1>kneadback: your spots over the days</h1>",
           f'<p class="note">A rising {targets.discomfort:g}/10 force means a spot takes more pressure before it hurts '
           f"as much: the knot is releasing. With no rise for {plural(settings.no_progress_days, 'day')}, the routine suggests "
           "working another spot.</p>"]
    if not reports:
        out.append("<p>No bouts or ratings recorded yet.</p>")
    for k, rep in enumerate(reports):
        out.append(f"<h2>{esc(rep.spot or '(no spot named)')}</h2>")
        if rep.advice:
            out.append(f'<p class="summary">{esc(rep.advice)}</p>')
        trust = least_trusted({d.force_trust for d in rep.days if d.force_trust is not None}) or "calibrated"
        c, x = _day_chart(f"Force at {targets.discomfort:g}/10 discomfort", rep, f"force ({TRUST_WORDS[trust].title})",
                          f"force-{k}")
        c.empty = "no data yet: rate the discomfort (0–10) during a bout"
        fx = [xi for xi, d in zip(x, rep.days) if d.force_at_target_n is not None]
        fy = [d.force_at_target_n for d in rep.days if d.force_at_target_n is not None]
        c.y_range = (0.0, max([5.0, *(v * 1.2 for v in fy)]))
        c.line(np.array(fx, float), np.array(fy, float), PURPLE, f"{targets.discomfort:g}/10 force", width=2)
        c.points(fx, fy, PURPLE, r=4, titles=[force_cell(d) for d in rep.days if d.force_at_target_n is not None])
        out.append(c.svg(date_ticks(*c.x_range)))
        b, x = _day_chart("Bouts per day", rep, "bouts", f"bouts-{k}")
        b.y_range = (0.0, float(max([targets.bouts_max + 2, *(d.bouts for d in rep.days)])))
        b.hband(targets.bouts_min, targets.bouts_max, GREEN, f"{targets.bouts_min}–{targets.bouts_max} a day")
        b.bars(x, [d.bouts for d in rep.days], BLUE, 0.6, "bouts")
        out.append(b.svg(date_ticks(*b.x_range)))
        out.append('<table><tr><th>day</th><th>bouts</th><th class="n">time</th><th class="n">overtime</th><th class="n">rate/min</th>'
                   f'<th class="n">rhythm</th><th class="n">pressure</th><th class="n">{targets.discomfort:g}/10 force</th>'
                   + ("".join(f'<th class="n">{h}</th>' for h in MOTION_HEADINGS) if has_motion(rep) else "") + "</tr>")
        for d in rep.days:
            out.append(f"<tr><td>{d.day.isoformat()}</td><td>{esc(bouts_verdict(d.bouts, targets))}</td>"
                       f"<td class=n>{mmss(d.time_s)}</td><td class=n>{overtime(d)}</td>"
                       f"<td class=n>{'—' if d.mean_rate_spm is None else f'{d.mean_rate_spm:.0f}'}</td>"
                       f"<td class=n>{pct(d.rate_adherence)}</td><td class=n>{pct(d.pressure_adherence)}</td>"
                       f"<td class=n>{force_cell(d)}</td>"
                       + ("".join(f"<td class=n>{c}</td>" for c in motion_cells(d)) if has_motion(rep) else "") + "</tr>")
        out.append("</table>")
    out.append('<p class="note">kneadback is a coaching aid, not a medical device.</p></body></html>')
    return "\n".join(out)


__all__ = ["HistorySettings", "SpotDay", "SpotHistoryReport", "build_history", "render_html", "stalled_days", "text_table"]
