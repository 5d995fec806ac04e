"""Stroke detection on the low-passed linearised signal (an FSR's conductance, or a linear
front end's counts): a causal hysteresis detector whose every threshold is relative to the
strokes or comes from the measured noise, so any scale of the signal gives the same strokes.

The signal alternates between two searches:

* **rise**: track the running maximum M since the trough m0. A peak is confirmed at the first
  sample that has fallen `fall` (20 %) of the rise M − m0 below M, counting at most half of M
  as rise (so strokes on top of a press-in are seen), and at least the noise hysteresis; or
  sooner, by the *quick* rule, while a rhythm runs: when the conductance, averaged over only
  `fast_s` (10 ms: it lags the low-pass by some 25 ms less), has fallen `quick_fall` (2.5 %) of
  M and more than its noise hysteresis, within `quick_top_s` of the top and within
  `quick_mid_s` (or `quick_mid_share` of the stroke interval) of the middle of the rise. Outside
  a rhythm a press-in may be a hold settling, and a hold's wander comes long after its rise, so
  neither is taken for a stroke; a dip on a stroke's plateau confirms it early, with the peak
  so far. The candidate is a stroke when its rise clears an adaptive
  threshold (Pan–Tompkins style: a share of the running stroke amplitude, halved when a stroke
  is overdue: the search-back; and `reach` of the way from its trough to the level strokes peak
  at, so bumps between presses and a light touch before one never count), with relative and
  noise floors (the relative one higher after stillness), and when it comes at least the
  refractory period after the previous stroke's peak. In a rhythm, a candidate too small to be
  a stroke (tremor on a slow press) does not cut the rise: the next rise is measured from the
  lower trough before it, if that is at most `merge_s` old. A top that is not confirmed within
  `max_top_s` (in a rhythm, one stroke interval when shorter) of the rise first coming within
  `creep` of it is a press-in (a hold; creep keeps lifting its top): the rise is measured
  afresh from the lowest point since;
* **fall**: track the running minimum; a trough is confirmed when the signal rises again by the
  hysteresis. After a stroke the force must first fall back by `release` (half) of its rise:
  ridges, a sagging plateau and tissue rebound inside one stroke never count twice; and back to
  within `release_floor` of the stroke span above the level strokes start from, so a second
  hump inside one press is the same stroke while in-contact stroking still counts. Only a
  force that stays up longer (`release_s`, or `release_share` of the stroke interval; for the
  second rule `release_floor_share` of it) lets a new stroke start from a dip.

All state is kept in seconds and values, not in sample counts, so 100 Hz and 1 kHz behave alike.
Searches are vectorised over windows of the block; Python runs once per turning point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from kneadback.engine.history import History

# seconds scanned per vectorised step: short after an event (a stroke's rise or fall takes a
# fraction of a second), longer while none comes
WINDOWS_S = (0.75, 3.0, 16.0)


@dataclass(frozen=True)
class StrokeParams:
    fall: float = 0.2  # confirm a peak after a fall of this share of its rise...
    rise_cap: float = 0.5  # ...counting at most this share of the peak as rise (a press-in ramp)
    release: float = 0.5  # a new stroke needs the force to fall this share of the last rise first,
    release_s: float = 0.6  # unless it stays up this long (in-contact stroking after a press-in)...
    release_share: float = 0.7  # ...or this share of the stroke interval, when longer;
    release_floor: float = 0.3  # and back to within this share of the stroke span above where strokes start,
    release_floor_share: float = 0.6  # ...unless it stays up this share of the interval (`release_s` before one)
    refractory_s: float = 0.25
    floor_rel: float = 0.07  # a stroke's rise is at least this share of the signal at its peak (~8 % of the force)
    floor_rel_quiet: float = 0.12  # ... after `quiet_s` of stillness without strokes (a hold's wander)
    quiet_s: float = 2.0
    still_share: float = 0.12  # still: the signal stays within this share of its level
    rail: float | None = None  # raw counts that may crowd towards this rail: a level is the room to the nearer rail
    noise_k: float = 8.0  # ... and this many noise RMS of the low-passed signal
    hyst_k: float = 3.0  # turning-point hysteresis, noise RMS of the low-passed signal
    amp_share: float = 0.15  # adaptive threshold: share of the running stroke amplitude
    amp_gain: float = 0.25  # weight of each new stroke in the running amplitude and levels
    amp_fade_s: float = 10.0  # the running amplitude fades with this time constant between strokes
    reach: float = 0.4  # a stroke rises this share of the way from its trough to the running peak level,
    level_fade_s: float = 30.0  # ...which, outside a rhythm, fades with this time constant
    overdue: float = 1.6  # search-back: a stroke this many intervals late halves the threshold,
    overdue_max: float = 4.0  # ... while the gap is no longer than this many (then it is a pause)
    max_rise_s: float = 4.0  # how far back a stroke's start is looked for
    merge_s: float = 1.5  # in a rhythm, a rise goes on from a trough this recent below a rejected peak
    rhythm: float = 2.5  # a rhythm runs while a top comes at most this many intervals after the last peak
    max_top_s: float = 1.5  # a top not confirmed this long after it is a press-in, not a stroke,
    max_top_share: float = 1.0  # ...in a rhythm, this share of the stroke interval when shorter;
    creep: float = 0.05  # ...counted from when the rise came within this share of it (FSR creep lifts a held top)
    quick_fall: float = 0.025  # a fall of this share of the peak confirms sooner (the quick rule)...
    fast_s: float = 0.01  # ...seen in the conductance averaged over this long,
    quick_top_s: float = 0.25  # ...within this long of the top,
    quick_mid_s: float = 0.5  # ...within this long of the middle of the rise...
    quick_mid_share: float = 0.5  # ...or this share of the stroke interval, when longer,


class Candidate(NamedTuple):
    """A confirmed peak of the conductance, with running sample numbers (a tuple: one is made
    per turning point)."""

    i_trough: int
    i_peak: int
    i_confirm: int
    trough_us: float
    peak_us: float
    threshold_us: float
    accepted: bool
    level_us: float  # the level strokes peak at, as of this candidate (NaN before the first stroke)

    @property
    def rise_us(self) -> float:
        return self.peak_us - self.trough_us


class StrokeDetector:
    """Finds strokes in blocks of (t, g, noise) with carried state; see the module docstring."""

    def __init__(self, history: History, rate_hz: float, lp_noise_gain: float, params: StrokeParams | None = None) -> None:
        """`lp_noise_gain`: the share of white noise the low-pass lets through (the quick rule's
        hysteresis scales the noise back up to that of its faster signal)."""
        self.history = history  # the processed samples, the current block included
        self.p = params or StrokeParams()
        self.fast_n = max(1, round(self.p.fast_s * rate_hz))  # samples the fast signal averages
        self.windows = tuple(max(16, round(w * rate_hz)) for w in WINDOWS_S)  # samples per step
        self.fast_hyst = 1.0 / (lp_noise_gain * math.sqrt(self.fast_n))  # its noise over the low-pass's
        self.rising = False  # start in the fall search: the first rise starts from the lowest point
        self.m0, self.i_m0, self.t_m0 = math.inf, 0, 0.0  # trough: value, sample number, time
        self.top, self.i_top, self.t_top = -math.inf, 0, 0.0  # running max of the rise search
        self.t_near = 0.0  # when the rise first came within `creep` of the running max
        self.low, self.i_low, self.t_low = math.inf, 0, 0.0  # running min of the fall search
        self.release_level = math.inf  # the fall search must reach this before a trough counts...
        self.release_until = -math.inf  # ...until this time
        self.floor_release = (math.inf, -math.inf)  # the same (level, time), back near where strokes start
        self.amp = 0.0  # running stroke amplitude (µS) at `t_amp`
        self.floor_level: float | None = None  # running level strokes start from (µS)
        self.peak_level: float | None = None  # running level strokes reach (µS)
        self.t_amp = 0.0
        self.t_last_peak: float | None = None
        self.interval: float | None = None  # running stroke-to-stroke interval (s)
        self.rhythm_until: float | None = None  # a top up to this time is in the running rhythm
        self.kept_trough: tuple[float, int, float] | None = None  # (value, sample, time) below a rejected peak

    def threshold(self, peak_us: float, trough_us: float, noise_us: float, t_peak: float, t_now: float, still: bool = False) -> float:
        p = self.p
        amp = self.amp * math.exp(-(t_now - self.t_amp) / p.amp_fade_s) if self.amp else 0.0
        adaptive = p.amp_share * amp
        last, interval = self.t_last_peak, self.interval
        if last is not None and interval is not None and p.overdue * interval < t_peak - last < p.overdue_max * interval:
            adaptive *= 0.5
        if self.peak_level is not None:  # a stroke reaches a share of the way to where strokes peak
            fade = 1.0 if self.rhythm_until is not None and t_peak <= self.rhythm_until else math.exp(-(t_now - self.t_amp) / p.level_fade_s)
            adaptive = max(adaptive, p.reach * fade * (self.peak_level - trough_us))
        rel = p.floor_rel_quiet if still else p.floor_rel
        return max(rel * self.level(peak_us), p.noise_k * noise_us, adaptive)

    def level(self, g: float) -> float:
        """The signal's level, which the rules relative to it take a share of (`rail`)."""
        return g if self.p.rail is None else min(g, self.p.rail - g)

    def still_band(self, g: float, noise_band: float) -> tuple[float, float]:
        """The stillness band at signal `g`, as `History.last_move` takes it: a share of its level,
        never narrower than `noise_band`."""
        if self.p.rail is None:
            return self.p.still_share, noise_band
        return 0.0, max(noise_band, self.p.still_share * self.level(g))

    def process(self, t: np.ndarray, g: np.ndarray, fast: np.ndarray, noise: np.ndarray, first: int) -> list[Candidate]:
        """Scan one block: `g` low-passed, `fast` averaged over `fast_n` samples only; `first` is
        the running number of its first sample."""
        out: list[Candidate] = []
        n = len(g)
        pos = 0
        if n and not self.rising and self.low == math.inf:
            self.low, self.i_low, self.t_low = float(g[0]), first, float(t[0])
        p = self.p
        hyst = p.hyst_k * noise
        step = 0
        windows = self.windows
        last_step = len(windows) - 1
        while pos < n:
            end = pos + windows[step]
            if end > n:
                end = n
            if step < last_step:
                step += 1
            seg = g[pos:end]
            hs = hyst[pos:end]
            if self.rising:
                top, m0 = self.top, self.m0
                run = np.maximum.accumulate(seg)
                if seg[0] < top:  # `run` never falls: from a new high on, it is its own max
                    np.maximum(run, top, out=run)
                rise = np.subtract(run, m0)
                level = np.multiply(run, p.rise_cap)
                np.minimum(rise, level, out=rise)
                np.multiply(rise, p.fall, out=level)
                np.maximum(hs, level, out=level)
                np.subtract(run, level, out=level)
                np.maximum(level, m0, out=level)
                fell = seg < level
                jf = int(fell.argmax())
                j = jf if fell[jf] else -1
                # the quick confirmation, only in a rhythm and soon after a top (scalar tests first)
                if (
                    p.quick_fall > 0
                    and self.rhythm_until is not None
                    and self.t_top <= self.rhythm_until  # top times only grow
                    and (run[-1] > top or t[pos] - self.t_top <= p.quick_top_s)
                ):
                    q = self._quick(seg, run, fast[pos:end], hs, t[pos:end], first + pos, jf if j >= 0 else len(seg))
                    if q is not None:
                        fell[q] = True
                        j = q
                max_top = self._max_top()
                last = pos + j if j >= 0 else end - 1  # nothing after the first fall counts
                if t[last] - self.t_near >= max_top:  # else no sample up to it has been near that long
                    k = self._stalled(run, t[pos:end], max_top, last + 1 - pos)
                    if k >= 0 and (j < 0 or k < j):
                        j = k
                if run[j] > top:  # a new top up to the hit (or the end of the window)
                    k = int(seg[: j + 1].argmax()) if j >= 0 else int(seg.argmax())
                    new_top = float(seg[k])
                    near = new_top - p.creep * (new_top - m0)
                    if near > top:  # creep alone never moves it
                        self.t_near = float(t[pos + min(int(run[: k + 1].searchsorted(near)), k)])
                    self.top, self.i_top, self.t_top = new_top, first + pos + k, float(t[pos + k])
                if j < 0:
                    pos = end
                    continue
                i = pos + j
                if fell[j]:
                    out.append(self._on_peak(t, g, noise, first, i))
                else:
                    self._reanchor(first, i)
                pos, step = i + 1, 0
            else:
                low = self.low
                run = np.minimum.accumulate(seg)
                if seg[0] > low:
                    np.minimum(run, low, out=run)
                hit = seg > run + hs
                t_pos = t[pos]
                for bar, until in ((self.release_level, self.release_until), self.floor_release):
                    if bar != math.inf and t_pos < until:
                        # before `until` no trough counts above `bar` (`run` never rises)
                        u = int(t[pos:end].searchsorted(until))
                        hit[: u if run[u - 1] > bar else int((run[:u] <= bar).argmax())] = False
                j = int(hit.argmax())
                if not hit[j]:
                    j = -1
                if run[j] < low:  # a new low up to the hit (or the end of the window)
                    k = int(seg[: j + 1].argmin()) if j >= 0 else int(seg.argmin())
                    self.low, self.i_low, self.t_low = float(seg[k]), first + pos + k, float(t[pos + k])
                if j < 0:
                    pos = end
                    continue
                i = pos + j
                self.rising = True
                self.m0, self.i_m0, self.t_m0 = self.low, self.i_low, self.t_low
                kept = self.kept_trough
                if kept is not None and kept[0] < self.low and self.t_low - kept[2] <= p.merge_s:
                    self.m0, self.i_m0, self.t_m0 = kept
                self.top, self.i_top, self.t_top = float(g[i]), first + i, float(t[i])
                self.t_near = self.t_top
                pos, step = i + 1, 0
        return out

    def _quick(self, seg: np.ndarray, run: np.ndarray, fast: np.ndarray, hyst: np.ndarray, t: np.ndarray, i_first: int, stop: int) -> int | None:
        """The first sample before `stop` where the quick rule holds (see the module docstring)."""
        if not stop:
            return None
        p = self.p
        r, fast = run[:stop], fast[:stop]
        # scalar exit: `run` never falls, so no sample has fallen `quick_fall` below it when
        # even the lowest one stays above that share of the last running max
        if np.minimum.reduce(fast) >= (1.0 - p.quick_fall) * r[-1]:
            return None
        below = np.multiply(hyst[:stop], self.fast_hyst)
        np.subtract(r, below, out=below)
        np.minimum(below, (1.0 - p.quick_fall) * r, out=below)
        at = (fast < below).nonzero()[0]
        if not len(at):
            return None
        b = int(at[-1]) + 1
        assert self.interval is not None and self.rhythm_until is not None
        mid_s = max(p.quick_mid_s, p.quick_mid_share * self.interval)
        # mostly the first sample that has fallen far enough is the one: judge it alone first
        i = int(at[0])
        k = int(seg[: i + 1].argmax())
        top_t = float(t[k]) if seg[k] > self.top else self.t_top
        if t[i] - top_t <= p.quick_top_s and top_t <= self.rhythm_until and t[i] - self._mid_time(i_first + b, float(r[i])) <= mid_s:
            return i
        at = at[1:]
        tops_t = self._top_times(seg[:b], run[:b], t[:b], at)
        at = at[(t[at] - tops_t <= p.quick_top_s) & (tops_t <= self.rhythm_until)]
        if not len(at):
            return None
        at = at[t[at] - self._mid_times(i_first + b, r[at]) <= mid_s]
        return int(at[0]) if len(at) else None

    def _mid_time(self, i_end: int, top: float) -> float:
        """When the rise since the trough first reached half way to `top` (the last sample
        before `i_end` if it never did)."""
        g = self.history.col("g", max(self.i_m0, self.history.start), i_end)
        reached = g >= self.m0 + 0.5 * (top - self.m0)
        k = int(reached.argmax())
        return self.history.at("t", i_end - len(g) + (k if reached[k] else len(g) - 1))

    def _mid_times(self, i_end: int, tops: np.ndarray) -> np.ndarray:
        """When the rise since the trough first reached half way to each of `tops`."""
        h = self.history
        i0 = max(self.i_m0, h.start)
        reach = np.maximum.accumulate(h.col("g", i0, i_end))
        k = np.searchsorted(reach, self.m0 + 0.5 * (tops - self.m0))
        return h.col("t", i0, i_end)[np.minimum(k, len(reach) - 1)]

    def _max_top(self) -> float:
        """How long a top may stay up and still be a stroke: in a rhythm, no longer than a
        stroke interval (a top held that long is a press-in settling into a hold)."""
        p = self.p
        if self.interval is None or self.rhythm_until is None or self.t_top > self.rhythm_until:
            return p.max_top_s
        return min(p.max_top_s, p.max_top_share * self.interval)

    def _stalled(self, run: np.ndarray, t: np.ndarray, max_top: float, stop: int) -> int:
        """The first sample before `stop` at which the force has been within `creep` of its
        running max for `max_top` (a press-in that stays up, however its top creeps), or -1."""
        run, t = run[:stop], t[:stop]
        # it has been near since `t_near` at the earliest: skip the samples before that plus
        # `max_top` (less a margin far above rounding)
        u = int(t.searchsorted(self.t_near + max_top - 1e-6))
        near = run[u:] - self.p.creep * (run[u:] - self.m0)
        since = np.where(near <= self.top, self.t_near, t[np.minimum(run.searchsorted(near), len(run) - 1)])
        stalled = t[u:] - since >= max_top
        k = int(stalled.argmax()) if len(stalled) else 0
        return u + k if len(stalled) and stalled[k] else -1

    def _top_times(self, seg: np.ndarray, run: np.ndarray, t: np.ndarray, at: np.ndarray) -> np.ndarray:
        """When the running max `run` of `seg` was reached, at each of the samples `at` (sorted)."""
        new = (seg[1:] > run[:-1]).nonzero()[0] + 1  # where the running max rose
        if seg[0] > self.top:
            new = np.concatenate(([0], new))
        k = new.searchsorted(at, side="right") - 1  # the last rise at or before each sample
        return np.where(k >= 0, t[new[np.maximum(k, 0)]] if len(new) else self.t_top, self.t_top)

    def _reanchor(self, first: int, i: int) -> None:
        """The force rose and stayed up (a press-in, a hold): measure rises from the lowest point
        since the old top instead, so later strokes on top of it are seen."""
        g = self.history.col("g", self.i_top, first + i + 1)
        t = self.history.col("t", self.i_top, first + i + 1)
        k = int(g.argmin())
        m = k + int(g[k:].argmax())
        self.m0, self.i_m0, self.t_m0 = float(g[k]), self.i_top + k, float(t[k])
        self.top, self.i_top, self.t_top = float(g[m]), self.i_top + m, float(t[m])
        rise = np.maximum.accumulate(g[k : m + 1])
        self.t_near = float(t[k + min(int(rise.searchsorted(self.top - self.p.creep * (self.top - self.m0))), m - k)])

    def _on_peak(self, t: np.ndarray, g: np.ndarray, noise: np.ndarray, first: int, i: int) -> Candidate:
        """The rise search confirmed a peak at block sample `i`: judge it, switch to falling."""
        p = self.p
        t_now = float(t[i])
        t_peak = self.t_top
        rise = self.top - self.m0
        quiet = self.t_last_peak is None or t_peak - self.t_last_peak > p.quiet_s
        noise_i = float(noise[i])
        still = quiet and self.history.last_move(self.i_m0, self.t_m0 - p.quiet_s, *self.still_band(self.m0, p.noise_k * noise_i)) is None
        thr = self.threshold(self.top, self.m0, noise_i, t_peak, t_now, still)

        ok = rise >= thr and (self.t_last_peak is None or t_peak - self.t_last_peak >= p.refractory_s)
        if ok:
            eff = min(rise, p.rise_cap * self.top)
            amp_now = self.amp * math.exp(-(t_now - self.t_amp) / p.amp_fade_s) if self.amp else eff
            self.amp = amp_now + p.amp_gain * (eff - amp_now)
            self.t_amp = t_now
            if self.t_last_peak is not None:
                gap = t_peak - self.t_last_peak
                self.interval = gap if self.interval is None else self.interval + 0.3 * (min(gap, 3 * self.interval) - self.interval)
            self.t_last_peak = t_peak
            if self.interval is not None:
                self.rhythm_until = t_peak + p.rhythm * self.interval
            self.peak_level = self.top if self.peak_level is None else self.peak_level + p.amp_gain * (self.top - self.peak_level)
            self.floor_level = self.m0 if self.floor_level is None else self.floor_level + p.amp_gain * (self.m0 - self.floor_level)
            self.release_level = self.top - p.release * rise
            self.release_until = t_now + max(p.release_s, p.release_share * (self.interval or 0.0))
            level = self.floor_level + p.release_floor * (self.peak_level - self.floor_level)
            wait = p.release_s if self.interval is None else p.release_floor_share * self.interval
            self.floor_release = (level, t_now + wait)
            self.kept_trough = None
        else:
            self.release_level = math.inf
            self.release_until = -math.inf
            self.floor_release = (math.inf, -math.inf)
            rhythm = self.rhythm_until is not None and t_peak <= self.rhythm_until
            if rhythm and (self.kept_trough is None or self.m0 < self.kept_trough[0]):
                self.kept_trough = (self.m0, self.i_m0, self.t_m0)
        level = math.nan if self.peak_level is None else self.peak_level
        cand = Candidate(self.i_m0, self.i_top, first + i, self.m0, self.top, thr, ok, level)
        self.rising = False
        self.low, self.i_low, self.t_low = float(g[i]), first + i, t_now
        return cand

    def reset(self) -> None:
        """Forget the stroke in progress (after a long gap in the data)."""
        self.rising = False
        self.low = math.inf
        self.m0 = math.inf
        self.release_level = math.inf
        self.release_until = -math.inf
        self.floor_release = (math.inf, -math.inf)
        self.floor_level = None
        self.peak_level = None
        self.t_last_peak = None
        self.interval = None
        self.rhythm_until = None
        self.kept_trough = None
