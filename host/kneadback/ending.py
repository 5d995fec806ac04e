"""The line `live` and `replay` end with: the session, its length, strokes, bouts and score, and
where it is recorded (or what it was replayed from).

The numbers are the session summary `kneadback sessions` lists (`store.summary.summarize`): read
back from the database once the recorder has closed, the recording's own for a replay, and worked
out the same way from the session's events when nothing is recorded. The line is printed by a
sink when the session closes, so it comes however the run ends (its end, --duration, Ctrl-C, the
window closed); under --jsonl it is a ``summary`` JSON record instead.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from kneadback.coach.score import Score
from kneadback.errors import InputError
from kneadback.model import Event, Rating, SpotChanged
from kneadback.sink import Sink
from kneadback.store.db import EventRow, SessionRow, Store
from kneadback.store.events import origin_of, time_of, to_json
from kneadback.store.summary import summarize, summary_of
from kneadback.words import mmss, plural

if TYPE_CHECKING:
    from kneadback.session import Session
    from kneadback.sources.replay import ReplaySource
    from kneadback.store.reader import Recording
    from kneadback.store.recorder import Recorder


@dataclass(frozen=True)
class Ending:
    """What a run came to: its numbers, and where the session is kept (or why it is not)."""

    session_id: int | None
    duration_s: float
    summary: dict[str, Any]  # as `store.summary.summarize` makes it
    recorded_in: Path | None = None
    replayed_from: str | None = None
    stopped_at_s: float | None = None  # a replay stopped before its end
    not_recorded: str = ""  # why a live session is not recorded

    @property
    def where(self) -> str:
        if self.replayed_from is not None:
            return f"replayed from {self.replayed_from}"
        if self.recorded_in is not None:
            return f"recorded in {self.recorded_in}"
        return f"not recorded ({self.not_recorded})"

    @property
    def score(self) -> Score:
        d = self.summary.get("score") or {}
        return Score(d.get("value"), d.get("status", "unavailable"), int(d.get("strokes", 0)))

    def line(self) -> str:
        who = "session" if self.session_id is None else f"session {self.session_id}"
        strokes, bouts = self.summary.get("strokes", 0), self.summary.get("bouts", 0)
        stopped = "" if self.stopped_at_s is None else f", stopped at {mmss(self.stopped_at_s)}"
        return (
            f"{who}: {mmss(self.duration_s)}, {plural(strokes, 'stroke')}, "
            f"{plural(bouts, 'bout')}, score {self.score.label()}, {self.where}{stopped}"
        )

    def to_dict(self) -> dict[str, Any]:
        score = self.score
        return {
            "type": "summary",
            "session": self.session_id,
            "duration_s": round(self.duration_s, 3),
            "strokes": self.summary.get("strokes", 0),
            "bouts": self.summary.get("bouts", 0),
            "score": score.value,
            "score_status": score.status,
            "recorded_in": None if self.recorded_in is None else str(self.recorded_in),
            "replayed_from": self.replayed_from,
            "stopped_at_s": None if self.stopped_at_s is None else round(self.stopped_at_s, 3),
        }


class EndingLine(Sink):
    """Prints the ending when the session closes: after the recorder, which closes first."""

    def __init__(self, out: IO[str], jsonl: bool) -> None:
        self.out = out
        self.jsonl = jsonl

    def ending(self) -> Ending:
        raise NotImplementedError

    def close(self) -> None:
        ending = self.ending()
        self.out.write((json.dumps(ending.to_dict()) if self.jsonl else ending.line()) + "\n")
        self.out.flush()


class LiveEnding(EndingLine):
    """The ending of a live session: the recorded summary, or (not recorded) the same summary of
    the events seen here."""

    def __init__(self, session: Session, recorder: Recorder | None, out: IO[str], jsonl: bool) -> None:
        super().__init__(out, jsonl)
        self.session = session
        self.recorder = recorder
        self._spot: str | None = getattr(session.coach, "spot", None)
        self._rows: list[EventRow] = []  # the events as the recorder would keep them, when there is none

    def on_events(self, events: Sequence[Event]) -> None:
        if self.recorder is not None:
            return
        for ev in events:
            if isinstance(ev, SpotChanged):
                self._spot = ev.spot
            spot = ev.spot if isinstance(ev, Rating) else self._spot
            self._rows.append(EventRow(0, origin_of(ev), time_of(ev), ev.type, spot, json.loads(to_json(ev))))

    def ending(self) -> Ending:
        st = self.session.status
        if self.recorder is None:
            return Ending(None, st.t, summarize(self._unrecorded_row(), self._rows), not_recorded="--no-record")
        path = self.recorder.store.path
        nothing = Ending(None, st.t, summarize(self._unrecorded_row(), []), not_recorded="no data came")
        if self.recorder.session_id is None:
            return nothing
        with Store.open(path, readonly=True) as store:
            try:  # a session that got no samples and no user input is not kept
                row = store.session(self.recorder.session_id)
            except InputError:
                return nothing
            summary = summary_of(store, row)
        return Ending(row.id, row.duration_s, summary, recorded_in=path)

    def _unrecorded_row(self) -> SessionRow:
        """The facts `summarize` reads of a session that has no row: its spot and targets."""
        st = self.session.status
        targets = getattr(self.session.coach, "targets", None)
        return SessionRow(
            id=0, started_at="", wall_start=0.0, kind="live", source=self.session.source.spec,
            spot=getattr(self.session.coach, "spot", None), device=None, calibration=None,
            targets=None if targets is None else dataclasses.asdict(targets), software="",
            duration_s=st.t, samples=st.samples, lost=st.lost, blocks=0, ended_at=None, summary=None,
        )


class ReplayEnding(EndingLine):
    """The ending of a replay: the replayed session's own summary, and where the replay stopped."""

    def __init__(self, recording: Recording, source: ReplaySource, out: IO[str], jsonl: bool) -> None:
        super().__init__(out, jsonl)
        self.recording = recording
        self.source = source
        # named now: the source closes the recording's database before the sinks close
        self.origin = str(recording.store.path) if recording.store is not None else recording.label

    def ending(self) -> Ending:
        rec = self.recording
        summary = rec.meta.summary if rec.meta.summary is not None else summarize(rec.meta, rec.events)
        stopped = None if self.source.finished else self.source.position
        return Ending(rec.meta.id, rec.duration_s, summary, replayed_from=self.origin, stopped_at_s=stopped)
