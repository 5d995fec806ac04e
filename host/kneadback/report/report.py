"""One session as one self-contained HTML file: a plain-language summary, the force trace with
strokes, holds and bouts marked, the rate against its target band, the pressure against the
7/10 band, the cues, and the bouts (with their overtime) and scores. Plots are inline SVG; nothing
external. The rate is the one the screen showed (`kneadback.engine.rate`), the bouts the ones the
coach counted (`kneadback.store.summary`)."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import numpy as np

from kneadback.coach.discomfort import DiscomfortCurve, fit_curve, usable
from kneadback.coach.rules import Policy
from kneadback.coach.score import MOTION_PARTS
from kneadback.coach.spots import SpotRating
from kneadback.coach.targets import Targets
from kneadback.engine.bouts import stroke_rates as rates_from_times
from kneadback.errors import RecordingError
from kneadback.event_types import EventType
from kneadback.fsr import trust_words
from kneadback.progress import Progress
from kneadback.report.svg import Chart
from kneadback.store.db import Store, default_path
from kneadback.store.reader import Recording
from kneadback.store.scoring import session_scores, targets_of
from kneadback.store.summary import active_s, bout_motions, is_counted, overtime_s
from kneadback.words import centimetres, mmss, pattern_words, plural, same_way

GREEN, RED, BLUE, ORANGE, GREY, PURPLE = "#2e9d57", "#d64541", "#2f6db5", "#e08a1e", "#777", "#8e44ad"

CSS = """
body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.5em;margin-bottom:.2em} h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ddd}
.summary{font-size:1.1em;background:#f4f8f4;border-left:4px solid #2e9d57;padding:.6em 1em}
table{border-collapse:collapse;margin:.5em 0} td,th{padding:.2em .8em;border-bottom:1px solid #eee;text-align:left}
td.n,th.n{text-align:right} .meta{color:#555;font-size:.9em} .note{color:#555;font-size:.9em}
"""


@dataclass
class SessionFacts:
    """What the report (and history) needs, taken from a recording's events."""

    strokes: list[dict[str, Any]]
    bouts: list[dict[str, Any]]
    bout_spots: list[str]
    holds: list[tuple[float, float]]
    cues: list[dict[str, Any]]
    ratings: list[dict[str, Any]]
    markers: list[dict[str, Any]]
    spots: list[str]
    link_errors: int
    scores: dict[str, Any]
    targets: Targets
    bout_motion: list[dict[str, Any]] | None = None  # per bout, with an IMU only (`store.summary.bout_motions`)


def facts_of(rec: Recording) -> SessionFacts:
    ev = rec.events
    holds: list[tuple[float, float]] = []
    open_hold: float | None = None
    for e in ev:
        if e.type == EventType.HOLD:
            if e.data.get("phase") == "end":
                holds.append((e.data["start"], e.data["end"]))
                open_hold = None
            else:
                open_hold = e.data["start"]
    if open_hold is not None:
        holds.append((open_hold, rec.duration_s))
    spots = [rec.meta.spot] if rec.meta.spot else []
    for e in ev:
        if e.type in (EventType.SPOT, EventType.RATING) and e.spot and e.spot not in spots:
            spots.append(e.spot)
    summary = rec.meta.summary or {}
    scores = {"session": summary.get("score"), "bouts": summary.get("bout_scores", [])} if summary else {}
    if not scores or scores.get("session") is None:
        scores = session_scores(rec.meta, ev)
    bouts = [e for e in ev if e.type == EventType.BOUT]
    return SessionFacts(
        strokes=[e.data for e in ev if e.type == EventType.STROKE],
        bouts=[e.data for e in bouts],
        bout_spots=[e.spot or "" for e in bouts],
        holds=holds,
        cues=[e.data for e in ev if e.type == EventType.CUE],
        ratings=[{**e.data, "spot": e.data.get("spot") or e.spot} for e in ev if e.type == EventType.RATING],
        markers=[e.data for e in ev if e.type == EventType.MARKER],
        spots=spots,
        link_errors=sum(int(e.data.get("count", 1)) for e in ev if e.type == EventType.ERROR),
        scores=scores,
        targets=targets_of(rec.meta),
        bout_motion=bout_motions(ev),
    )


def stroke_rates(strokes: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    """(time, strokes/min) of each stroke with a rate: the rate the engine gave it, which the
    screen showed; for a recording made before strokes carried it, worked out by the engine's rules."""
    t = np.array([s["t_peak"] for s in strokes], dtype=float)
    if all("rate_spm" in s for s in strokes):
        rates = [s["rate_spm"] for s in strokes]
    else:
        rates = rates_from_times(t.tolist())
    known = np.array([r is not None for r in rates], dtype=bool)
    return t[known], np.array([r for r in rates if r is not None], dtype=float)


def spot_timeline(rec: Recording) -> list[tuple[float, float, str]]:
    """(start, end, spot) stretches of the session."""
    out: list[tuple[float, float, str]] = []
    start, spot = 0.0, rec.meta.spot or ""
    for e in rec.events:
        if e.type == EventType.SPOT and e.data.get("spot") and e.data["spot"] != spot:
            if e.t > start:
                out.append((start, e.t, spot))
            start, spot = e.t, e.data["spot"]
    out.append((start, max(rec.duration_s, start), spot))
    return out


def pressure_curves(rec: Recording, facts: SessionFacts) -> dict[str, DiscomfortCurve | None]:
    """Each spot's force→discomfort curve as of the session's end (past sessions' ratings too)."""
    end_wall = rec.meta.wall_start + rec.duration_s
    spots = {s for _a, _b, s in spot_timeline(rec)}
    ratings: dict[str, list[SpotRating]] = {s: [] for s in spots}
    if rec.store is not None or default_path().exists():
        try:
            with Store.open(rec.store.path if rec.store is not None else None, readonly=True) as store:
                for spot in spots:
                    for _sid, wall, e in store.spot_events((EventType.RATING,), spot):
                        if wall < rec.meta.wall_start and e.data.get("force_n") is not None:
                            ratings[spot].append(SpotRating(wall + e.t, int(e.data["value"]), float(e.data["force_n"])))
        except RecordingError:
            pass
    for r in facts.ratings:
        if r.get("spot") in ratings and r.get("force_n") is not None:
            ratings[r["spot"]].append(SpotRating(rec.meta.wall_start + r["t"], int(r["value"]), float(r["force_n"])))
    out: dict[str, DiscomfortCurve | None] = {}
    for spot, rs in ratings.items():
        curve = fit_curve(rs, end_wall) if rs else None
        out[spot] = curve if usable(curve) else None
    return out


def pct(v: float | None) -> str:
    """A share as a whole percentage; a dash when unknown."""
    return "—" if v is None else f"{100 * v:.0f}%"


def plain_summary(rec: Recording, facts: SessionFacts) -> str:
    parts: list[str] = []
    by_spot: dict[str, int] = {}
    counted = [is_counted(b, facts.targets.bout_s) for b in facts.bouts]
    for s, ok in zip(facts.bout_spots, counted):
        if ok:  # the bouts `sessions` and `history` count: short tries are not bouts
            by_spot[s or "an unnamed spot"] = by_spot.get(s or "an unnamed spot", 0) + 1
    if by_spot:
        parts.append(", ".join(f"{plural(n, 'bout')} on {spot}" for spot, n in by_spot.items()))
    else:
        parts.append(f"no complete bout ({plural(len(facts.strokes), 'stroke')})")
    if not all(counted):
        parts.append(plural(counted.count(False), "short try", "short tries"))
    bout_s = facts.targets.bout_s
    on = [overtime_s(b, bout_s) for b, ok in zip(facts.bouts, counted) if ok]
    on = [s for s in on if s >= Policy().overtime_remind_s]  # went on past a reminder to rest
    if on:
        parts.append(f"{plural(len(on), 'bout')} went on past {bout_s:g} s ({mmss(sum(on))} overtime)")
    session = facts.scores.get("session") or {}
    sp = session.get("parts", {})
    if "rate" in sp:
        parts.append(f"rhythm on target {pct(sp['rate'])} of strokes")
    if "pressure" in sp:
        parts.append(f"pressure in the band {pct(sp['pressure'])} of strokes")
    if "direction" in sp:  # a tool with a motion sensor: the routine's "short strokes in one direction"
        cm = [e.data["excursion_cm"] for e in rec.events if e.type == EventType.STROKE_MOTION]
        limit = Policy().max_excursion_cm
        parts.append(f"strokes {same_way(sp['direction'])}"
                     + (f", median stroke {centimetres(float(np.median(cm)), limit)}" if cm else "")
                     + (f", {pct(sp['short'])} of them within {limit:g} cm" if "short" in sp else ""))
    parts.append(plural(len(facts.holds), "static hold") if facts.holds else "no static holds")
    if session.get("value") is not None:
        prov = " (provisional: few strokes)" if session.get("status") == "provisional" else ""
        parts.append(f"session score {session['value']:.0f}{prov}")
    text = ", ".join(parts) + "."
    _t, rates = stroke_rates(facts.strokes)
    if len(rates):
        lo, hi = facts.targets.rate_band
        in_bouts = sum(active_s(b) for b, ok in zip(facts.bouts, counted) if ok)
        text += (f" Median rate {np.median(rates):.0f} strokes/min (target {lo:.0f}–{hi:.0f}); "
                 f"{mmss(in_bouts)} in bouts over {mmss(rec.duration_s)}.")
    return text[0].upper() + text[1:]


def force_chart(rec: Recording, facts: SessionFacts, progress: Progress | None = None) -> str:
    t, adc, _dev = rec.samples(progress)
    force = rec.force_model.to_newtons(adc) if len(adc) else np.zeros(0)
    top = max(5.0, float(np.nanmax(force)) * 1.1 if len(force) else 5.0)
    unit = trust_words(rec.force_model).after
    c = Chart("Force, with bouts, strokes, holds and cues", (0.0, max(rec.duration_s, 1.0)), (0.0, top),
              "session time (s)", f"force ({unit})", height=300, chart_id="force")
    c.vspans([(b["start"], b["end"]) for b in facts.bouts], GREEN, "bouts")
    c.vspans(facts.holds, RED, "static holds", opacity=0.25)
    c.envelope(t, force, BLUE, "force")
    c.points([s["t_peak"] for s in facts.strokes], [s["peak_n"] for s in facts.strokes], ORANGE, "strokes",
             titles=[f"stroke {s['index'] + 1}: {s['peak_n']:.1f} {unit} at {s['t_peak']:.1f} s" for s in facts.strokes])
    c.ticks([q["t"] for q in facts.cues], PURPLE, "cues", titles=[f"{q['t']:.1f} s: {q['text']}" for q in facts.cues])
    c.ticks([m["t"] for m in facts.markers], GREY, "markers", titles=[m.get("label", "") for m in facts.markers])
    return c.svg()


def rate_chart(rec: Recording, facts: SessionFacts) -> str:
    t, rates = stroke_rates(facts.strokes)
    lo, hi = facts.targets.rate_band
    top = max(hi * 1.5, float(rates.max()) * 1.1 if len(rates) else 0.0)
    c = Chart("Stroke rate against the target band", (0.0, max(rec.duration_s, 1.0)), (0.0, top),
              "session time (s)", "strokes/min", chart_id="rate")
    c.hband(lo, hi, GREEN, f"target {lo:.0f}–{hi:.0f}/min")
    c.vspans(facts.holds, RED, opacity=0.2)
    c.points(t, rates, BLUE, "each stroke", titles=[f"{r:.0f}/min at {x:.1f} s" for x, r in zip(t, rates)])
    return c.svg()


def pressure_chart(rec: Recording, facts: SessionFacts, curves: dict[str, DiscomfortCurve | None]) -> str:
    tt = [s["t_peak"] for s in facts.strokes]
    peaks = [s["peak_n"] for s in facts.strokes]
    tg = facts.targets
    lo_d, hi_d = tg.discomfort_band
    bands = [(a, b, spot, curves[spot].band(tg.discomfort, tg.discomfort_tolerance))  # type: ignore[union-attr]
             for a, b, spot in spot_timeline(rec) if curves.get(spot) is not None]
    top = max([5.0, *(p * 1.15 for p in peaks), *(band[1] * 1.2 for _a, _b, _s, band in bands)])
    unit = trust_words(rec.force_model).after
    c = Chart(f"Stroke pressure against the {tg.discomfort:g}/10 band of each spot", (0.0, max(rec.duration_s, 1.0)),
              (0.0, top), "session time (s)", f"peak force ({unit})", chart_id="pressure")
    for a, b, _spot, band in bands:
        c.rect(a, b, band[0], band[1], GREEN)
    if bands:
        c.legend(GREEN, f"{lo_d:g}–{hi_d:g}/10 band")
    c.points(tt, peaks, ORANGE, "stroke peaks")
    rated = [r for r in facts.ratings if r.get("force_n") is not None]
    c.points([r["t"] for r in rated], [r["force_n"] for r in rated], PURPLE, "ratings", r=5,
             titles=[f"rated {r['value']}/10 at {r['force_n']:.1f} {unit} on {r.get('spot')}" for r in rated])
    return c.svg()


#: a score's parts (`kneadback.coach.score`) as the report names them; the motion parts only when
#: the session had a motion sensor
SCORE_PART_WORDS = {"rate": "rhythm", "pressure": "pressure", "length": "bout length", "holds": "no holds",
                    "direction": "same way", "short": "short strokes"}


def _score_cell(s: dict[str, Any] | None) -> str:
    if not s or s.get("value") is None:
        return "—"
    return f"{s['value']:.0f}" + (" (provisional)" if s.get("status") == "provisional" else "")


def _motion_cells(m: dict[str, Any] | None) -> str:
    """A bout's direction consistency (with its pattern) and median excursion, as table cells."""
    if not m or not m.get("strokes"):
        return "<td class=n>—</td><td class=n>—</td>"
    return (f"<td class=n>{pct(m['consistency'])} ({html.escape(pattern_words(m['pattern']))})</td>"
            f"<td class=n>{centimetres(m['median_excursion_cm'], Policy().max_excursion_cm)}</td>")


def render_html(rec: Recording, progress: Progress | None = None) -> str:
    """The page; `progress` is advanced by the samples read (most of the time it takes)."""
    facts = facts_of(rec)
    curves = pressure_curves(rec, facts)
    m = rec.meta
    info = rec.info
    tg = facts.targets
    esc = html.escape
    unit = trust_words(rec.force_model).after
    title = f"kneadback session {m.id} — {m.started_at[:16].replace('T', ' ')}"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        f'<p class="meta">{esc(", ".join(facts.spots) or "no spot named")} · {mmss(m.duration_s)} · '
        f"{plural(m.samples, 'sample')} from {esc(m.source or '?')}"
        + (f" ({esc(info.board)}, {info.sample_rate_hz:g} Hz)" if info else "")
        + (f" · {plural(m.lost, 'sample')} lost" if m.lost else "")
        + (f" · {plural(facts.link_errors, 'link error')}" if facts.link_errors else "")
        + (" · recording was interrupted" if m.interrupted else "")
        + "</p>",
        f'<p class="summary" id="summary">{esc(plain_summary(rec, facts))}</p>',
        "<h2>Force</h2>",
        force_chart(rec, facts, progress),
        "<h2>Rate</h2>",
        rate_chart(rec, facts),
        "<h2>Pressure</h2>",
        pressure_chart(rec, facts, curves),
    ]
    unrated = sorted(s or "this spot" for s, c in curves.items() if c is None)
    if unrated:
        out.append(f'<p class="note">Too few discomfort ratings with a force on {esc(", ".join(unrated))} for a '
                   f"{tg.discomfort:g}/10 band: rate the discomfort (0–10) during a bout to get one.</p>")
    out.append("<h2>Bouts and scores</h2>")
    session_score = facts.scores.get("session")
    out.append(f"<p>Session score: <b>{_score_cell(session_score)}</b>"
               + (" (" + ", ".join(f"{words} {pct(session_score['parts'].get(k))}" for k, words in SCORE_PART_WORDS.items()
                                   if k in session_score["parts"] or k not in MOTION_PARTS) + ")"
                  if session_score and session_score.get("parts") else "")
               + "</p>")
    if facts.bouts:
        out.append('<table id="bouts"><tr><th>bout</th><th>spot</th><th class="n">start</th><th class="n">length</th>'
                   '<th class="n">overtime</th><th class="n">strokes</th><th class="n">rate /min</th>'
                   f'<th class="n">mean peak {unit}</th>'
                   + ('<th class="n">same way</th><th class="n">median stroke</th>' if facts.bout_motion is not None else "")
                   + '<th class="n">score</th></tr>')
        bout_scores = facts.scores.get("bouts", [])
        for k, (b, bs) in enumerate(zip(facts.bouts, facts.bout_spots)):
            sc = bout_scores[k] if k < len(bout_scores) else None
            rate = "—" if b.get("rate_spm") is None else f"{b['rate_spm']:.0f}"
            peak = "—" if b.get("mean_peak_n") is None else f"{b['mean_peak_n']:.1f}"
            over = overtime_s(b, tg.bout_s)
            name = f"{k + 1}" + ("" if is_counted(b, tg.bout_s) else " (short try)")
            out.append(f"<tr><td>{name}</td><td>{esc(bs)}</td><td class=n>{mmss(b['start'])}</td>"
                       f"<td class=n>{active_s(b):.0f} s</td><td class=n>{f'{over:.0f} s' if over >= 0.5 else '—'}</td>"
                       f"<td class=n>{b['strokes']}</td><td class=n>{rate}</td><td class=n>{peak}</td>"
                       + (_motion_cells(facts.bout_motion[k] if k < len(facts.bout_motion) else None)
                          if facts.bout_motion is not None else "")
                       + f"<td class=n>{_score_cell(sc)}</td></tr>")
        out.append("</table>")
    else:
        out.append("<p>No complete bout in this session.</p>")
    out.append("<h2>Cues</h2>")
    if facts.cues:
        out.append('<table id="cues"><tr><th class="n">time</th><th>cue</th><th>said</th></tr>')
        out.extend(f"<tr><td class=n>{mmss(q['t'])}</td><td>{esc(q['kind'])}</td><td>{esc(q['text'])}</td></tr>"
                   for q in facts.cues)
        out.append("</table>")
    else:
        out.append("<p>No cues fired.</p>")
    if facts.ratings or facts.markers:
        out.append("<h2>Ratings and markers</h2><ul>")
        out.extend(f"<li>{mmss(r['t'])}: discomfort {r['value']}/10 on {esc(r.get('spot') or '?')}"
                   + (f" at {r['force_n']:.1f} {unit}" if r.get("force_n") is not None else "") + "</li>" for r in facts.ratings)
        out.extend(f"<li>{mmss(mk['t'])}: marker {esc(mk.get('label', ''))}</li>" for mk in facts.markers)
        out.append("</ul>")
    out.append(f'<p class="note">Targets: {tg.rate_spm:g} strokes/min (±{tg.rate_tolerance_spm:g}), {tg.bout_s:g} s bouts, '
               f"{tg.bouts_min}–{tg.bouts_max} bouts a day per spot, discomfort about {tg.discomfort:g}/10. "
               f"Force model: {esc(rec.force_model.describe())}. kneadback is a coaching aid, not a medical device.</p>")
    out.append("</body></html>")
    return "\n".join(out)

