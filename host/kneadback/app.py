"""The one place that assembles sessions: for `live`, `replay`, `analyze`, `import` and `ruler`.

A command turns its flags into `Settings` once; a `Run` then builds the parts a session is made
of, each once: the source, the engine, the coach, the sinks (the terminal line or JSON lines, the
sound, the recorder, the held notices, the run's last line). The source is made first, so a
wrong spec is the only line printed; the notices wait for the session's first report
(`kneadback.notices`), when every input has been checked. Wall time comes from the run's clock,
read once: session time 0 is `Run.wall_start` for the coach's "bouts today" and the recorder alike.

This module stays light to import (the commands register their flags with it); each part imports
what it builds when it is built.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

from kneadback.clock import Clock, ManualClock
from kneadback.coach import targets as targets_mod
from kneadback.coach.sound import METRONOME_MODES, Sound, sound_settings
from kneadback.coach.spots import DEFAULT_SPOT
from kneadback.coach.targets import Targets
from kneadback.errors import InputError, RecordingError
from kneadback.frontend import Declared
from kneadback.frontend import from_args as front_from_args

if TYPE_CHECKING:
    from kneadback.analysis import Analysis
    from kneadback.coach.coach import Coach
    from kneadback.engine.engine import Engine
    from kneadback.fsr import ForceModel
    from kneadback.model import DeviceInfo
    from kneadback.notices import HeldNotices
    from kneadback.session import Session
    from kneadback.sink import Sink
    from kneadback.sources.base import Source
    from kneadback.sources.replay import ReplaySource
    from kneadback.store.reader import Recording
    from kneadback.store.recorder import Recorder


# --- settings ---------------------------------------------------------------------------------


def add_coaching_arguments(parser: argparse.ArgumentParser) -> None:
    """`--spot`, `--metronome`, `--mute` and the target flags."""
    parser.add_argument("--spot", metavar="NAME", help=f'the spot being worked, e.g. "left calf" (default "{DEFAULT_SPOT}")')
    parser.add_argument("--metronome", choices=METRONOME_MODES, default=None,
                        help="tick at the target rate: auto (only while the rhythm is off target; the default), on, off")
    parser.add_argument("--mute", action="store_true", default=None, help="no sound: no tones, no speech, no metronome")
    targets_mod.add_arguments(parser)


def add_lsl_argument(parser: argparse.ArgumentParser) -> None:
    """`--lsl`: off by default, so that a run opens no network socket unless asked to."""
    parser.add_argument("--lsl", action="store_true", default=False,
                        help="publish the force and the events on the Lab Streaming Layer (LabRecorder, "
                             "`kneadback overview`; needs kneadback[lsl], see docs/lsl.md)")


@dataclass(frozen=True)
class Settings:
    """What a command runs with, typed and checked, built once from its flags and the config."""

    source: str | None = None  # a spec; None: the attached board, else the simulated tool
    speed: float = 1.0  # session seconds per clock second (simulated, emulated and replayed sources)
    seed: int = 0
    baud: int = 115200
    rate_hz: float | None = None  # declared rate of a plain-text board
    front: Declared = field(default_factory=Declared)  # the front end as the user declared it
    duration: float | None = None  # session seconds, then stop
    spot: str | None = None  # None: the source's own (a scenario's), else `DEFAULT_SPOT`
    targets: Targets = field(default_factory=Targets)
    sound: Sound = field(default_factory=Sound)
    record: bool = True
    jsonl: bool = False
    gui: bool = True
    screenshot: Path | None = None
    lsl: bool = False  # publish the force and the events on the Lab Streaming Layer
    lsl_markers: str | None = None  # an LSL stream whose samples are recorded as markers (--lsl-markers)

    @classmethod
    def from_args(cls, command: str, args: argparse.Namespace) -> Settings:
        """The settings of `live` (or a command with its flags); an absurd value stops with one line."""
        def bad(flag: str, value: object, why: str) -> InputError:
            return InputError(f"{command}: {flag} {value} {why}")

        duration, speed, rate = args.duration, args.speed, args.rate
        if duration is not None and not (math.isfinite(duration) and duration > 0):
            raise bad("--duration", duration, "must be a positive number of seconds")
        if not (math.isfinite(speed) and speed > 0):
            raise bad("--speed", speed, "must be a positive factor")
        if args.baud <= 0:
            raise bad("--baud", args.baud, "must be a positive baud rate")
        if args.seed < 0:
            raise bad("--seed", args.seed, "must be 0 or more")
        if rate is not None and not (math.isfinite(rate) and 0 < rate <= 100_000):
            raise bad("--rate", rate, "must be a sample rate above 0 Hz")
        spot = args.spot
        if spot is not None:
            spot = spot.strip()
            if not spot:
                raise InputError("--spot needs a name, e.g. --spot \"left calf\"")
        screenshot = Path(args.screenshot) if args.screenshot else None
        check_screenshot(command, screenshot, jsonl=args.jsonl, no_gui=args.no_gui)
        return cls(source=args.source, speed=speed, seed=args.seed, baud=args.baud, rate_hz=rate,
                   front=front_from_args(command, args), duration=duration,
                   spot=spot, targets=targets_mod.from_args(args), sound=sound_settings(args.metronome, args.mute),
                   record=args.record, jsonl=args.jsonl, gui=not (args.no_gui or args.jsonl), screenshot=screenshot,
                   lsl=args.lsl, lsl_markers=getattr(args, "lsl_markers", None))


def check_screenshot(command: str, screenshot: Path | None, *, jsonl: bool, no_gui: bool, off: str | None = None) -> None:
    """`--screenshot` is a picture of the dashboard: refused when the flags (`--no-gui`, `--jsonl`,
    or `off`, another flag of the command) leave no dashboard to take it of."""
    off = "--jsonl" if jsonl else "--no-gui" if no_gui else off
    if screenshot is not None and off:
        raise InputError(f"{command}: --screenshot {screenshot} is a picture of the dashboard, which {off} turns off")


# --- a run: the parts of one session ------------------------------------------------------


class Run:
    """One command's session parts, each built once: a live run, or a replay of `recording`
    (then the coach is the one the session had at its start, and nothing is recorded)."""

    def __init__(self, settings: Settings, clock: Clock, *, recording: Recording | None = None) -> None:
        self.settings = settings
        self.clock = clock
        self.recording = recording
        self.wall_start = recording.meta.wall_start if recording is not None else clock.wall()
        from kneadback.notices import HeldNotices

        self.notices: HeldNotices = HeldNotices()  # said once the session first reports: every input is checked then
        self._source: Source | None = None
        self._coach: Coach | None = None

    def source(self) -> Source:
        """The live source, made from its spec once (not opened yet); `--spot` wins over a
        scenario's own spot."""
        if self._source is None:
            from kneadback.sources import open_default_source, open_source
            from kneadback.sources.base import SourceOptions

            s = self.settings
            options = SourceOptions(clock=self.clock, speed=s.speed, seed=s.seed, baud=s.baud, rate_hz=s.rate_hz, front=s.front,
                                    notice=self.notices.say)
            source = open_source(s.source, options) if s.source is not None else open_default_source(options, self.notices.say)
            if s.spot is not None:
                source.spot = s.spot
            if s.lsl_markers is not None:
                from kneadback.lsl.markers_in import with_markers

                source = with_markers(source, s.lsl_markers, self.clock)
            self._source = source
        return self._source

    @property
    def spot(self) -> str:
        if self.recording is not None:
            return self.recording.meta.spot or DEFAULT_SPOT
        return self.settings.spot or self.source().spot or DEFAULT_SPOT

    def coach(self) -> Coach:
        """The coach: the settings' targets and sound, the spot's history up to session time 0."""
        if self._coach is None:
            from kneadback.coach.coach import Coach
            from kneadback.store.spots import SqliteSpotHistory

            goals = self.targets
            history = SqliteSpotHistory(before=self.wall_start, bout_s=goals.bout_s)
            sound = self.settings.sound
            self._coach = Coach(goals, self.spot, history, self.wall_start, metronome=sound.metronome, mute=sound.mute)
        return self._coach

    @property
    def targets(self) -> Targets:
        if self.recording is not None:
            from kneadback.store.scoring import targets_of

            return targets_of(self.recording.meta)
        return self.settings.targets

    def analyzer(self) -> Engine:
        """The stroke engine: a replay's recorded force model, else the stored calibration when it
        fits the board."""
        from kneadback.engine.engine import Engine

        if self.recording is not None:
            return Engine(force_model=self.recording.force_model)
        from kneadback.calibration import force_model_for_device

        return Engine(model_for_device=force_model_for_device)

    def sound_sinks(self) -> list[Sink]:
        """Tones, speech and the metronome, in real time only (not at another speed), and not
        with KNEADBACK_AUDIO=none."""
        from kneadback.ui.audio import AudioSink, Speech, open_output, sound_wanted

        if not sound_wanted() or self.settings.speed != 1.0:
            return []
        coach = self.coach()
        speech = Speech.find() if self.settings.sound.speech else None
        return [AudioSink(coach.metronome_on, coach.targets.rate_spm, output=open_output(), speech=speech,
                          muted=lambda: coach.mute, clock=self.clock)]

    def terminal_sinks(self, out: IO[str]) -> list[Sink]:
        """JSON lines, or the sound and the status line with the coaching on it."""
        if self.settings.jsonl:
            from kneadback.ui.terminal import JsonLinesSink

            return [JsonLinesSink(out)]
        from kneadback.ui.coach_view import CoachTerminalView
        from kneadback.ui.terminal_keys import KeyReader

        # sound first: its notice, if any, comes before the status line is drawn
        return [*self.sound_sinks(), CoachTerminalView(self.clock, out, self.coach(), KeyReader())]

    def session(self, sinks: list[Sink], source: Source | None = None, *, out: IO[str] | None = None) -> Session:
        """The session: the source (a live run's own unless given), the engine, the coach and
        `sinks`, with the held notices first, the recorder (a live run that records) and the
        run's last line on `out` (default stdout; a replay's needs its `ReplaySource`)."""
        from kneadback.ending import LiveEnding, ReplayEnding
        from kneadback.session import Session

        source = source if source is not None else self.source()
        session = Session(source, self.clock, analyzer=self.analyzer(), coach=self.coach(), sinks=list(sinks),
                          duration=self.settings.duration)
        follow_force_model(self.coach(), session.analyzer)
        if self.settings.lsl:  # first: without pylsl, nothing else is made
            session.sinks.append(self.lsl_outlet(session))
        from kneadback.ui.range_advice import RangeAdvice

        session.sinks.append(RangeAdvice(session.sinks, remember=self.recording is None))  # a replay tells it afresh
        for sink in sinks:
            attach = getattr(sink, "attach", None)  # sinks that send user input (rating keys)
            if attach is not None:
                attach(session)
        out = sys.stdout if out is None else out
        ending: Sink
        if self.recording is not None:
            from kneadback.sources.replay import ReplaySource

            assert isinstance(source, ReplaySource), "a replay runs from its recording"
            ending = ReplayEnding(self.recording, source, out, jsonl=self.settings.jsonl)
        else:
            recorder = self.recorder(session) if self.settings.record else None
            if recorder is not None:
                session.sinks.insert(0, recorder)
            ending = LiveEnding(session, recorder, out, jsonl=self.settings.jsonl)
        session.sinks.insert(0, self.notices)
        session.sinks.append(ending)
        return session

    def check_session(self, sinks: list[Sink], source: Source | None = None) -> Session:
        """A session that checks the tool (`kneadback ruler`): the source (a live run's own unless
        given) through the engine into the held notices and `sinks`; no coach, nothing recorded,
        no last line."""
        from kneadback.session import Session

        source = source if source is not None else self.source()
        return Session(source, self.clock, analyzer=self.analyzer(), sinks=[self.notices, *sinks],
                       duration=self.settings.duration)

    def lsl_outlet(self, session: Session) -> Sink:
        """`--lsl`: the session's force and events on the Lab Streaming Layer, stamped at the pace
        the source runs at."""
        from kneadback.lsl.outlet import LslOutlet

        coach = self.coach()
        return LslOutlet(self.clock, spot=lambda: coach.spot, coach_state=lambda: coach.state,
                         force_model=lambda: getattr(session.analyzer, "force_model", None), speed=self.settings.speed)

    def recorder(self, session: Session) -> Recorder:
        """The recorder of a live session: its spot, targets, start time and force model."""
        from kneadback.store.db import Store
        from kneadback.store.recorder import Recorder

        try:
            store = Store.open()
        except RecordingError as e:
            raise RecordingError(f"{e} (or record nothing with --no-record)") from None
        coach = self.coach()
        recorder = Recorder(store, clock=self.clock, source=session.source.spec, kind="live", spot=coach.spot,
                            targets=coach.targets, wall_start=self.wall_start, close_store=True)
        recorder.force_model_of = lambda: getattr(session.analyzer, "force_model", None)
        return recorder


def recorded_coach(rec: Recording) -> Coach:
    """The coach a recorded session had at its start: its targets, spot and spot history (and
    the user's sound settings)."""
    return Run(Settings(sound=sound_settings()), ManualClock(), recording=rec).coach()


def replay_session(rec: Recording, source: ReplaySource, clock: Clock, sinks: list[Sink],
                   coach: Coach | None = None) -> Session:
    """A bare replay of `rec` (no notices, no last line): the engine with its force model and the
    coach it had at its start (or `coach`)."""
    from kneadback.session import Session

    run = Run(Settings(), clock, recording=rec)
    coach = coach or run.coach()
    engine = run.analyzer()
    follow_force_model(coach, engine)
    return Session(source, clock, analyzer=engine, coach=coach, sinks=sinks)


def follow_force_model(coach: Coach, analyzer: object) -> None:
    """The coach's safety ceiling goes by how far the engine's force model can be trusted, which
    the engine knows once the board says what it is (`kneadback.coach.ceiling`)."""
    coach.force_model_of = lambda: getattr(analyzer, "force_model", None)


# --- offline: analyze and import ----------------------------------------------------------------


def analyze(
    spec: str,
    *,
    chunk: int | None = None,
    rate_hz: float | None = None,
    front: Declared | None = None,
    model_for: Callable[[DeviceInfo], ForceModel] | None = None,
    show_progress: bool = False,
) -> Analysis:
    """Run `spec` through the session pipeline with the engine, as fast as it reads; everything it
    found. `show_progress` draws bars on stderr: reading a CSV file, then the session time analysed."""
    from kneadback.analysis import Analysis, Collector, Rechunked, open_input, open_with_progress, session_progress
    from kneadback.engine.engine import Engine
    from kneadback.session import Session
    from kneadback.sources.csvfile import CsvSource

    source = csv = open_input(spec, rate_hz, front or Declared())
    open_with_progress(csv, enabled=show_progress)
    if chunk is not None:
        source = Rechunked(source, chunk)
    engine = Engine(model_for_device=model_for)
    collector = Collector()
    session = Session(source, ManualClock(), analyzer=engine, sinks=[collector])
    name = csv.path.name if isinstance(csv, CsvSource) else csv.spec
    with session_progress(session, f"analysing {name}", getattr(csv, "duration", None), enabled=show_progress):
        session.run()
    if collector.info is None or collector.samples == 0:
        raise InputError(f"{spec}: no samples to analyse")
    result = Analysis(spec, collector, engine)
    if getattr(csv, "divider_known", True) is False and collector.info.front_end in ("fsr-low", "fsr-high"):
        result.notes.append(
            f"{spec}: the file does not name its divider resistor; assumed {collector.info.divider_ohms} Ω "
            "(forces are wrong if it differs: give --divider)"
        )
    return result


def import_csv(
    path: Path,
    *,
    spot: str,
    started: dt.datetime | None = None,
    rate_hz: float | None = None,
    front: Declared | None = None,
    targets: Targets | None = None,
    show_progress: bool = False,
) -> int:
    """Import a `time_s,adc` CSV from any logger as a session: it runs through the engine and the
    coach like a live one and is recorded in one transaction (all of it, or nothing). The new
    session's id. `started` defaults to the file's modification time."""
    from kneadback.analysis import open_with_progress, session_progress
    from kneadback.coach.coach import Coach
    from kneadback.engine.engine import Engine
    from kneadback.session import Session
    from kneadback.sources.csvfile import CsvSource
    from kneadback.store.db import Store
    from kneadback.store.recorder import Recorder
    from kneadback.store.spots import SqliteSpotHistory

    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if started is None:
        started = dt.datetime.fromtimestamp(path.stat().st_mtime).astimezone()
    wall = started.timestamp()
    clock = ManualClock(wall_start=wall)
    source = CsvSource(path, rate_hz=rate_hz, front=front)
    # a bad file is refused here, before the database is created or touched
    open_with_progress(source, enabled=show_progress)
    engine = Engine()
    goals = targets or Targets()
    coach = Coach(goals, spot, SqliteSpotHistory(before=wall, bout_s=goals.bout_s), wall)
    with Store.open() as store:
        recorder = Recorder(store, clock=clock, source=str(path), kind="import", spot=spot, targets=coach.targets,
                            wall_start=wall, atomic=True)
        recorder.force_model_of = lambda: engine.force_model
        follow_force_model(coach, engine)
        session = Session(source, clock, analyzer=engine, coach=coach, sinks=[recorder])
        try:
            with session_progress(session, f"importing {path.name}", source.duration, enabled=show_progress):
                session.run()
        except BaseException:
            recorder.abort()
            raise
        if recorder.session_id is None:
            raise InputError(f"{path}: no samples to import")
        return recorder.session_id
