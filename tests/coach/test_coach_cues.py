"""The cue table (`kneadback.cues`): every kind complete, and one entry is all a new cue needs to
reach the sound, the dashboard and the terminal."""

from __future__ import annotations

import dataclasses
import io
import string

import numpy as np
import pytest

from kneadback.clock import ManualClock
from kneadback.coach.coach import Coach
from kneadback.coach.rules import Gate, Policy
from kneadback.coach.targets import Targets
from kneadback.cues import CUES, SEVERITIES, CueKind
from kneadback.model import Cue, SampleBlock
from kneadback.ui import audio
from kneadback.ui.coach_view import CoachTerminalView, cue_field
from kneadback.ui.dashboard import zones
from kneadback.ui.dashboard.feed import DashboardFeed
from kneadback.ui.dashboard.view import build_view
from kneadback.ui.shown_cue import TIME_LEFT

FIELDS = {"n": 3, "spot": "left calf"}  # what the coach fills into a text

#: an entry no code knows of: it must work everywhere from the table alone
NEW = CueKind("stretch-now", "info", "timer", "STRETCH", "Time to stretch {spot}.")


@pytest.fixture(params=[*CUES, NEW.kind])
def entry(request, monkeypatch) -> CueKind:
    """Each entry of the table, and a new one added to it."""
    if request.param == NEW.kind:
        monkeypatch.setitem(CUES, NEW.kind, NEW)
    return CUES[request.param]


@pytest.mark.parametrize("kind", CUES)
def test_every_kind_has_every_field(kind):
    c = CUES[kind]
    assert c.kind == kind
    assert c.severity in SEVERITIES
    assert c.tone in audio.TONES
    assert 0 < len(c.headline) <= 14  # fits the dashboard's banner and a narrow terminal
    for text in c.texts:
        assert {f for _, f, _, _ in string.Formatter().parse(text) if f} <= set(FIELDS)
        said = text.format(**FIELDS)
        assert said[0].isalnum() and said[0] == said[0].upper() and said[-1] in ".?"  # a sentence
    if c.far is not None or c.consistent is not None:
        assert c.severity == "correction"  # only corrections have a stronger or a consistency wording
    if c.opposite is not None:
        other = CUES[c.opposite]
        assert other.opposite == kind and other.severity == c.severity == "correction"


def test_every_tone_is_some_cue_s_sound():
    assert {c.tone for c in CUES.values()} == set(audio.TONES)


def test_a_kind_not_in_the_table_is_refused():
    with pytest.raises(ValueError, match="unknown cue kind 'fastr'"):
        Cue(1.0, "fastr", "correction", "A little faster.")
    with pytest.raises(ValueError, match="unknown cue severity 'urgent'"):
        Cue(1.0, "faster", "urgent", "A little faster.")  # type: ignore[arg-type]


def test_the_wordings():
    faster, firmer = CUES["faster"], CUES["press-harder"]
    assert faster.text_for() == "A little faster: about one stroke a second."
    assert faster.text_for(far=True) == "Faster: aim for one stroke a second."
    assert faster.text_for(consistency=True, far=True) == faster.far  # no consistency wording: the far one
    assert firmer.text_for(consistency=True, far=True) == "Keep the pressure even: a little firmer, as before."
    assert CUES["bout-count"].text_for(**FIELDS) == "Bout 3 of today on left calf."


def _cue(entry: CueKind, t: float) -> Cue:
    return Cue(t, entry.kind, entry.severity, entry.text_for(**FIELDS))


def test_each_cue_is_heard_with_its_tone_then_its_words(entry):
    said: list[str] = []

    class Words(audio.Speech):
        def __init__(self) -> None:
            super().__init__("unused")

        def _speak(self, text: str) -> np.ndarray:
            said.append(text)
            return np.full(500, 0.25, np.float32)

    class Output:
        name = "fake"

        def __init__(self) -> None:
            self.chunks: list[np.ndarray] = []

        def write(self, pcm: np.ndarray) -> bool:
            self.chunks.append(pcm)
            return True

        def close(self) -> None:
            pass

    out = Output()
    sink = audio.AudioSink(lambda: False, 60, output=out, speech=Words(), background_speech=False)
    sink.on_events([_cue(entry, 0.5)])
    t = np.arange(0.0, 2.0, 0.002)
    sink.on_block(SampleBlock(t=t, adc=np.zeros(len(t), np.int32)))
    pcm = np.concatenate(out.chunks)
    tone = audio.to_pcm16(audio.render_tone(entry.tone))
    start = int(np.flatnonzero(pcm)[0]) - 1  # a tone starts at zero
    assert start == pytest.approx(0.5 * audio.SAMPLE_RATE, abs=2)
    assert np.array_equal(pcm[start : start + len(tone)], tone)
    assert said == [entry.text_for(**FIELDS)]


def test_each_cue_shows_on_the_dashboard_in_its_words_and_colour(entry):
    feed = DashboardFeed(ManualClock())
    feed.on_block(SampleBlock(t=np.array([10.0]), adc=np.array([300], dtype=np.int32)))
    feed.on_events([_cue(entry, 9.0)])
    state = dataclasses.replace(Coach(spot="left calf").state, bout_phase="active", bout_left_s=9.0)
    v = build_view(feed, None, state, Targets(), "left calf")
    if entry.kind == TIME_LEFT:  # it counts down with the bout timer (tests/ui/test_ui_time_left.py)
        assert (v.cue_headline, v.cue_text) == ("9 s LEFT", "9 s left in this bout.")
    else:
        assert (v.cue_headline, v.cue_text) == (entry.headline, entry.text_for(**FIELDS))
    assert v.cue_zone == zones.SEVERITY_ZONE[entry.severity] and v.cue_fresh


def test_each_cue_prints_on_the_terminal_and_leads_a_narrow_status_line(entry):
    out = io.StringIO()
    coach = Coach(spot="left calf")
    view = CoachTerminalView(ManualClock(), out, coach, tty=False)
    cue = _cue(entry, 3.0)
    view.on_events([cue])
    assert f"[    3.00 s] {entry.kind}: {cue.text}" in out.getvalue()
    field = cue_field(dataclasses.replace(coach.state, cue=cue, t=4.0, bout_phase="active", bout_left_s=9.0))
    assert field is not None
    said = ("9 s left in this bout.", "9 s LEFT") if entry.kind == TIME_LEFT else (cue.text, entry.headline)
    assert (field.text, field.short, field.zone) == (f"» {said[0]}", f"» {said[1]}", zones.SEVERITY_ZONE[entry.severity])
    view.close()


def test_the_gate_knows_each_cue_and_its_opposite(entry):
    gate, p = Gate(Policy()), Policy()
    assert gate.allows(entry.kind, 10.0)
    gate.given(entry.kind, 10.0)
    if entry.opposite is not None:  # no flicker: the opposite correction waits
        assert not gate.allows(entry.opposite, 10.0 + p.opposite_gap_s - 0.01)
        assert gate.allows(entry.opposite, 10.0 + p.opposite_gap_s)
