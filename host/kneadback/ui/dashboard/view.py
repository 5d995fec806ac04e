"""What the dashboard shows, decided without Qt: feed + engine state + coach state → view.

`build_view` is a pure function of its inputs; the widgets only paint a `DashboardView`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from kneadback.coach.coach import CoachState
from kneadback.coach.targets import Targets
from kneadback.engine.engine import EngineState
from kneadback.engine.motion import BoutMotion
from kneadback.fsr import RELATIVE_FULL_SCALE
from kneadback.ui import range_advice
from kneadback.ui.dashboard import zones
from kneadback.ui.dashboard.feed import DashboardFeed
from kneadback.ui.dashboard.zones import CUE_FRESH_S, PEAK_FRESH_S, Zone
from kneadback.ui.force_words import ForceWords
from kneadback.ui.shown_cue import shown_cue

ADVICE_SHOWN_S = 20.0  # advice on the sensor (`kneadback.ui.range_advice`) fills the cue banner this long


@dataclass(frozen=True)
class DashboardView:
    t: float  # session time of the newest sample (NaN before any)
    # stroke rate
    rate_spm: float | None
    rate_band: tuple[float, float]
    rate_zone: Zone
    # pressure
    pressure_n: float | None  # the readout: the last stroke's peak, else the live force
    live_force_n: float  # the gauge's needle
    pressure_band: tuple[float, float] | None
    pressure_mode: str  # "band" (the 7/10 band), "consistency" (around recent strokes) or "none"
    pressure_zone: Zone
    force_ceiling_n: float | None  # in the force's units; None while a relative one has no reference yet
    gauge_full_n: float  # the gauge's full scale: the ceiling, else the scale the force has
    force_words: ForceWords  # how the force and its ceiling are said
    holding: bool
    # bout timer
    bout_left_s: float | None
    bout_s: float
    countdown_zone: Zone
    overtime_s: float | None  # past the bout length (the timer counts up, in red), else None
    # cue
    cue_headline: str
    cue_text: str
    cue_zone: Zone
    cue_fresh: bool
    # bouts today on this spot
    bouts_today: int | None
    bouts_min: int
    bouts_max: int
    bouts_zone: Zone
    spot: str
    # status
    connected: bool
    sample_rate_hz: float | None
    lost: int
    errors: int
    saturated_fraction: float | None
    noise_n: float | None
    muted: bool
    metronome: str
    bout_score: str
    auto_bouts: bool
    # stroke direction and length: only with a motion sensor (`motion_shown`)
    motion_shown: bool = False
    motion: BoutMotion | None = None  # the bout's strokes so far
    excursion_cm: float | None = None  # the last stroke's
    direction_zone: Zone = "none"


def build_view(
    feed: DashboardFeed,
    engine_state: EngineState | None,
    coach_state: CoachState | None,
    targets: Targets,
    spot: str,
    auto_bouts: bool = True,
) -> DashboardView:
    """The view of the newest state (the engine and coach states may be None: not running)."""
    es, cs = engine_state, coach_state
    if cs is not None:
        targets, spot = cs.targets, cs.spot
    t = feed.newest_t
    # the stroke rate (`kneadback.engine.rate`): the coach's copy, else the engine's; the report shows the same
    rate = _opt(cs.rate_spm) if cs is not None else _opt(es.rate_spm if es is not None else None)
    live_force = _opt(es.force_n) if es is not None else None
    if live_force is None:
        last = feed.force.last
        live_force = last[1] if last else 0.0
    last_peak = feed.strokes.last
    if last_peak is not None and not math.isnan(t) and t - last_peak[0] <= PEAK_FRESH_S:
        pressure: float | None = last_peak[1]
    else:
        pressure = live_force if es is not None and es.in_contact else None
    band, mode = None, "none"
    if cs is not None and cs.pressure_band_n is not None:
        band, mode = cs.pressure_band_n, "band"
    elif cs is not None and cs.consistency_band_n is not None:
        band, mode = cs.consistency_band_n, "consistency"
    words = ForceWords.of(cs)
    ceiling = cs.force_ceiling if cs is not None else targets.force_ceiling_n
    holding = (cs is not None and cs.holding) or (es is not None and es.holding_since is not None)
    p_zone = zones.pressure_zone(pressure, band, ceiling, holding)
    left = cs.bout_left_s if cs is not None else None
    running = cs is not None and cs.bout_active
    given = feed.cue if feed.cue is not None else (cs.cue if cs is not None else None)
    cue = shown_cue(given, cs)
    fresh = cue is not None and given is not None and not math.isnan(t) and t - given.t <= CUE_FRESH_S
    bouts = cs.bouts_today if cs is not None else None
    q = feed.quality
    st = feed.status
    headline = cue.headline if cue is not None else ""
    text = cue.text if cue is not None else ("stroke the spot to begin" if given is None else "")
    cue_zone = zones.SEVERITY_ZONE.get(given.severity, "none") if cue is not None and given is not None else "none"
    if not feed.connected:  # above any cue: nothing is being measured
        headline, text, cue_zone, fresh = "DEVICE LOST", "waiting for the board to come back…", "off", True
    elif st.state == "silent":
        hint = feed.notice.text if feed.notice is not None else "nothing valid comes from the device"
        headline, text, cue_zone, fresh = "NO DATA", hint, "off", True
    elif (notice := feed.notice) is not None and notice.kind == range_advice.KIND and t - notice.t <= ADVICE_SHOWN_S:
        headline, text, cue_zone, fresh = "SENSOR RANGE", range_advice.action(notice.text), "near", True
    motion = cs.stroke_motion if cs is not None and feed.imu else None
    excursion = cs.last_excursion_cm if cs is not None and feed.imu else None
    return DashboardView(
        t=t,
        rate_spm=rate,
        rate_band=targets.rate_band,
        rate_zone=zones.zone(rate, targets.rate_band),
        pressure_n=pressure,
        live_force_n=float(live_force),
        pressure_band=band,
        pressure_mode=mode,
        pressure_zone=p_zone,
        force_ceiling_n=ceiling,
        gauge_full_n=ceiling or (RELATIVE_FULL_SCALE if words.trust == "unitless" else targets.force_ceiling_n),
        force_words=words,
        holding=holding,
        bout_left_s=left,
        bout_s=targets.bout_s,
        countdown_zone=zones.countdown_zone(left) if running else "none",
        overtime_s=cs.overtime_s if cs is not None else None,
        cue_headline=headline,
        cue_text=text,
        cue_zone=cue_zone,
        cue_fresh=fresh,
        bouts_today=bouts,
        bouts_min=targets.bouts_min,
        bouts_max=targets.bouts_max,
        bouts_zone=zones.bouts_zone(bouts, targets.bouts_min, targets.bouts_max),
        spot=spot,
        connected=feed.connected,
        sample_rate_hz=st.rate_hz,
        lost=max(st.lost, es.lost_samples if es is not None else 0),
        errors=st.errors,
        saturated_fraction=q.saturated_fraction if q else (es.saturated_fraction if es is not None else None),
        noise_n=q.noise_n if q else (es.noise_n if es is not None else None),
        muted=cs.muted if cs is not None else False,
        metronome=cs.metronome if cs is not None else "off",
        bout_score=cs.bout_score.label() if cs is not None else "unavailable",
        auto_bouts=auto_bouts,
        motion_shown=feed.imu,
        motion=motion,
        excursion_cm=excursion,
        direction_zone=zones.direction_zone(motion.pattern if motion is not None else None,
                                            motion.median_excursion_cm if motion is not None else None,
                                            cs.max_excursion_cm if cs is not None else 0.0),
    )


def _opt(x: float | None) -> float | None:
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x
