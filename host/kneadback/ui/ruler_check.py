"""What `kneadback ruler` says: each measured stroke as it comes, and the summary of a ruler check
(the median excursion against the stated length, the directions, a verdict in plain words).

The words for the strokes' pattern and their consistency are the dashboard's
(`kneadback.ui.motion_words`)."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from kneadback.engine.motion import BoutMotion, bout_motion, imu_columns
from kneadback.model import DeviceInfo, Event, Stroke, StrokeMotion
from kneadback.sink import Sink
from kneadback.ui import motion_words
from kneadback.words import plural

MIN_STROKES = 3  # the fewest whose median a verdict rests on
WITHIN_CM = 1.0  # the engine's excursion target in simulation (docs/engine.md)
WIDTH = 80
CAUSES = ("Possible causes: the sensor is not mounted as hardware/README.md shows, the surface "
          "slopes, or the tool was held tilted rather than upright.")


@dataclass
class RulerCheck:
    """The strokes measured against a stated length, and what they come to."""

    source: str
    length_cm: float
    motions: list[StrokeMotion] = field(default_factory=list)
    unmeasured: int = 0  # strokes the engine found but could not measure (the sensor settling, lost samples)

    @property
    def bout(self) -> BoutMotion | None:
        return bout_motion(self.motions)

    @property
    def error_cm(self) -> float | None:
        bout = self.bout
        return None if bout is None else bout.median_excursion_cm - self.length_cm

    @property
    def verdict(self) -> str:
        """"good", "does-not-match" or "too-few-strokes" (under `MIN_STROKES` measured)."""
        error = self.error_cm
        if error is None or len(self.motions) < MIN_STROKES:
            return "too-few-strokes"
        return "good" if abs(error) <= WITHIN_CM else "does-not-match"

    def stroke_line(self, m: StrokeMotion) -> str:
        n = len(self.motions)
        return f"  stroke {n:>2}: {m.excursion_cm:4.1f} cm ({m.excursion_cm - self.length_cm:+.1f}), direction {round(m.direction_deg) % 360:3d}°"

    def summary(self) -> list[str]:
        """The summary in plain words, wrapped to 80 columns."""
        bout, error = self.bout, self.error_cm
        if bout is None or error is None:
            return _wrap(f"No stroke was measured. Press the tool on the surface and slide it {self.length_cm:g} cm "
                         "along the ruler, one way, lifting it for the way back; rest it still for a few seconds first.")
        lines = [f"Measured {plural(bout.strokes, 'stroke')}: median {bout.median_excursion_cm:.1f} cm against "
                 f"{self.length_cm:g} cm stated, off by {error:+.1f} cm ({100 * error / self.length_cm:+.0f} %)."]
        if self.unmeasured:
            lines.append(f"{plural(self.unmeasured, 'other stroke')} not measured: the sensor was settling (its "
                         "first seconds) or samples were lost.")
        way = f"Directions: {motion_words.pattern_words(bout.pattern)} ({motion_words.same_way(bout)})"
        if bout.pattern == "one-direction":
            lines.append(f"{way}, {round(bout.direction_deg) % 360}° from the handle.")
        else:
            lines.append(f"{way}. Stroke one way along the ruler and lift the tool for the way back.")
        verdict = self.verdict
        if verdict == "good":
            lines.append("Your tool measures stroke length well.")
        elif verdict == "does-not-match":
            lines += ["The measured length does not match the ruler.", CAUSES]
        else:
            lines.append(f"Too few strokes to judge: at least {MIN_STROKES} are needed.")
        return [wrapped for line in lines for wrapped in _wrap(line)]

    def to_dict(self) -> dict[str, Any]:
        bout, error = self.bout, self.error_cm
        return {
            "source": self.source,
            "length_cm": self.length_cm,
            "strokes": [{"index": m.index, "t": round(m.t, 3), "excursion_cm": round(m.excursion_cm, 2),
                         "direction_deg": round(m.direction_deg, 1),
                         "return_share": None if m.return_share is None else round(m.return_share, 3)}
                        for m in self.motions],
            "unmeasured": self.unmeasured,
            "median_excursion_cm": None if bout is None else round(bout.median_excursion_cm, 2),
            "error_cm": None if error is None else round(error, 2),
            "error_pct": None if error is None else round(100 * error / self.length_cm, 1),
            "direction_deg": None if bout is None else round(bout.direction_deg, 1),
            "direction_consistency": None if bout is None else round(bout.resultant, 3),
            "pattern": None if bout is None else bout.pattern,
            "within_cm": WITHIN_CM,
            "verdict": self.verdict,
        }


def _wrap(text: str) -> list[str]:
    return textwrap.wrap(text, WIDTH)


class RulerSink(Sink):
    """Follows the engine's strokes and their motion; stops the session after `wanted` measured
    strokes, or at once for a tool without a motion sensor."""

    def __init__(self, check: RulerCheck, wanted: int | None, intro: str, out: IO[str] | None,
                 stop: Callable[[], None]) -> None:
        self.check = check
        self.wanted = wanted
        self.intro = intro  # said once the tool turns out to have a motion sensor
        self.out = out  # None: nothing printed as the strokes come (--json)
        self.stop = stop
        self.no_sensor: DeviceInfo | None = None
        self._strokes: set[int] = set()  # found, not measured yet

    def _say(self, *lines: str) -> None:
        if self.out is not None:
            self.out.write("".join(f"{line}\n" for line in lines))
            self.out.flush()

    def on_info(self, info: DeviceInfo) -> None:
        if imu_columns(info) is None:
            self.no_sensor = info
            self.stop()
            return
        if self.intro:
            self._say(*_wrap(self.intro))
            self.intro = ""

    def on_events(self, events: Sequence[Event]) -> None:
        for ev in events:
            if isinstance(ev, Stroke):
                self._strokes.add(ev.index)
            elif isinstance(ev, StrokeMotion) and not self.done:
                missed = {i for i in self._strokes if i < ev.index}
                self.check.unmeasured += len(missed)
                self._strokes -= missed | {ev.index}
                self.check.motions.append(ev)
                self._say(self.check.stroke_line(ev))
                if self.done:
                    self.stop()

    @property
    def done(self) -> bool:
        return self.wanted is not None and len(self.check.motions) >= self.wanted


