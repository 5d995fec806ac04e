"""Audio rendered by our own code: metronome timing, cue tones, speech, outputs."""

from __future__ import annotations

import io
import stat
import sys
import textwrap

import numpy as np
import pytest

from kneadback.clock import ManualClock
from kneadback.model import Cue, SampleBlock
from kneadback.ui import audio
from kneadback.ui.audio import SAMPLE_RATE, TONES, AudioSink, Mixer, Speech, render_metronome, render_tone


def onsets(pcm: np.ndarray, gap_s: float = 0.1) -> np.ndarray:
    """Sample index where each sound starts after at least `gap_s` of silence."""
    nz = np.flatnonzero(pcm != 0)
    if not len(nz):
        return nz
    starts = [nz[0]] + [b for a, b in zip(nz, nz[1:]) if b - a > gap_s * SAMPLE_RATE]
    return np.array(starts)


def test_ticks_are_exactly_one_second_apart_at_60_per_minute():
    pcm = render_metronome(60, 10.0)
    assert pcm.dtype == np.int16 and len(pcm) == 10 * SAMPLE_RATE
    on = onsets(pcm)
    assert len(on) == 10
    assert np.all(np.diff(on) == SAMPLE_RATE)  # 1.000 s to the sample


@pytest.mark.parametrize("rate", [45, 60, 72, 100])
def test_ticks_never_drift(rate):
    pcm = render_metronome(rate, 60.0)
    on = onsets(pcm, gap_s=0.05)
    expected = np.round(np.arange(len(on)) * 60.0 / rate * SAMPLE_RATE)
    assert len(on) == int(np.ceil(60.0 * rate / 60.0 - 1e-9))
    assert np.max(np.abs(on - expected)) <= 1  # the sound starts at most one sample after its slot


def test_rendering_in_blocks_equals_rendering_at_once():
    whole = render_metronome(60, 5.0)
    m = Mixer()
    m.metronome(True, 0.0, 60)
    parts = [m.render(t) for t in np.arange(0.013, 5.0, 0.037)] + [m.render(5.0)]
    assert np.array_equal(np.concatenate(parts), whole)


def test_metronome_stops_and_restarts_on_its_switch_time():
    m = Mixer()
    m.metronome(True, 0.0, 60)
    a = m.render(3.0)
    m.metronome(False, 3.0, 60)
    b = m.render(5.5)
    m.metronome(True, 5.5, 60)
    c = m.render(8.0)
    assert len(onsets(a)) == 3 and not np.any(b[int(0.1 * SAMPLE_RATE):]) and len(onsets(c)) == 3
    assert onsets(c)[0] <= 1


def dominant_hz(x: np.ndarray) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / SAMPLE_RATE)[np.argmax(spec)])


def test_every_tone_sounds_different():
    sounds = {n: render_tone(n) for n in TONES}
    fingerprints = {(len(s), round(dominant_hz(s[: len(s) // 2])), round(dominant_hz(s[len(s) // 2 :]))) for s in sounds.values()}
    assert len(fingerprints) == len(sounds)
    for s in sounds.values():
        assert s.dtype == np.float32 and 0.2 < np.max(np.abs(s)) <= 1.0
        assert abs(s[0]) < 0.01 and abs(s[-1]) < 0.05  # no clicks


def test_rising_and_falling_directions():
    up, down = render_tone("rhythm-up"), render_tone("rhythm-down")
    assert dominant_hz(up[: len(up) // 3]) < dominant_hz(up[-len(up) // 3 :])
    assert dominant_hz(down[: len(down) // 3]) > dominant_hz(down[-len(down) // 3 :])


class FakeOutput:
    name = "fake"

    def __init__(self, fail_after: int | None = None) -> None:
        self.chunks: list[np.ndarray] = []
        self.fail_after = fail_after
        self.closed = False

    def write(self, pcm):
        if self.fail_after is not None and len(self.chunks) >= self.fail_after:
            return False
        self.chunks.append(pcm)
        return True

    def close(self):
        self.closed = True


def block(t0: float, t1: float) -> SampleBlock:
    t = np.arange(t0, t1, 0.002)
    return SampleBlock(t=t, adc=np.zeros(len(t), np.int32))


def test_sink_plays_a_cue_tone_at_the_cue_time():
    out = FakeOutput()
    sink = AudioSink(lambda: False, 60, output=out, speech=None)
    for k in range(100):
        sink.on_block(block(k * 0.02, (k + 1) * 0.02))
        if k == 50:
            sink.on_events([Cue(t=1.0, kind="too-hard", severity="safety", text="Too hard. Ease off now.")])
    pcm = np.concatenate(out.chunks)
    on = onsets(pcm)
    assert len(on) == 1 and abs(on[0] - SAMPLE_RATE) <= 2
    tone = audio.to_pcm16(render_tone("safety"))
    assert np.array_equal(pcm[on[0] - 1 : on[0] - 1 + len(tone)], tone)


def test_sink_follows_the_metronome_switch():
    out = FakeOutput()
    state = {"on": False}
    sink = AudioSink(lambda: state["on"], 60, output=out, speech=None)
    for k in range(500):  # 10 s
        state["on"] = 2.0 <= k * 0.02 < 6.0
        sink.on_block(block(k * 0.02, (k + 1) * 0.02))
    on = onsets(np.concatenate(out.chunks)) / SAMPLE_RATE
    assert len(on) == 4 and on[0] == pytest.approx(2.0 - audio.LEAD_S, abs=0.03)
    assert np.allclose(np.diff(on), 1.0, atol=1 / SAMPLE_RATE)


def test_a_backlog_after_the_host_fell_behind_is_not_heard_late():
    """A 10 s backlog read at once (a suspended host): its cue and ticks are dropped, not
    queued to play seconds late; sound resumes at the live edge, on time."""
    tone = audio.to_pcm16(render_tone("safety"))
    clock = ManualClock()
    out = FakeOutput()
    sink = AudioSink(lambda: True, 60, output=out, speech=None, clock=clock)
    k = 0
    for k in range(100):  # 2 s live: each 20 ms block arrives 20 ms later
        clock.advance(0.02)
        sink.on_block(block(k * 0.02, (k + 1) * 0.02))
    live = sum(len(c) for c in out.chunks)
    clock.advance(10.0)  # suspended; then the backlog arrives all at once
    for k in range(100, 600):
        if k == 300:
            sink.on_events([Cue(t=6.0, kind="too-hard", severity="safety", text="Too hard. Ease off now.")])
        sink.on_block(block(k * 0.02, (k + 1) * 0.02))
    # only the backlog's last second (late by at most STALE_S) is played; the cue is not
    assert sum(len(c) for c in out.chunks) - live <= (audio.STALE_S + 0.05) * SAMPLE_RATE
    assert sink.skipped_s == pytest.approx(10.0 - audio.STALE_S, abs=0.1)
    for k in range(600, 700):  # live again
        clock.advance(0.02)
        sink.on_block(block(k * 0.02, (k + 1) * 0.02))
    pcm = np.concatenate(out.chunks)
    assert not any(np.array_equal(pcm[i : i + 64], tone[:64]) for i in onsets(pcm) - 1)  # the stale cue
    after = onsets(pcm[live:])
    assert len(after) >= 1  # the metronome ticks again
    assert np.allclose(np.diff(onsets(pcm[live + int(0.1 * SAMPLE_RATE):]) / SAMPLE_RATE), 1.0, atol=1 / SAMPLE_RATE)


def test_no_output_means_one_notice_and_silence():
    err = io.StringIO()
    sink = AudioSink(lambda: True, 60, output=None, notice_to=err)
    for k in range(50):
        sink.on_block(block(k * 0.02, (k + 1) * 0.02))
        sink.on_events([Cue(t=k * 0.02, kind="faster", severity="correction", text="A little faster.")])
    sink.close()
    assert err.getvalue().count("\n") == 1 and "without sound" in err.getvalue()


def test_an_output_that_dies_gives_one_notice_then_silence():
    err = io.StringIO()
    out = FakeOutput(fail_after=3)
    sink = AudioSink(lambda: True, 60, output=out, notice_to=err)
    for k in range(50):
        sink.on_block(block(k * 0.02, (k + 1) * 0.02))
    assert len(out.chunks) == 3 and out.closed
    assert err.getvalue().count("\n") == 1 and "fake stopped" in err.getvalue()


def fake_program(tmp_path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text(f"#!{sys.executable}\n" + textwrap.dedent(body))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_speech_renders_a_speech_engines_wav_at_our_rate(tmp_path):
    prog = fake_program(tmp_path, "espeak-ng", """
        import io, sys, wave, math, struct
        buf = io.BytesIO()
        with wave.open(buf, "wb") as w:
            w.setnchannels(1); w.setsampwidth(2); w.setframerate(11025)
            w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(i / 5))) for i in range(11025)))
        sys.stdout.buffer.write(buf.getvalue())
    """)
    s = Speech(program=prog)
    x = s.render("Ten seconds left.")
    assert x is not None and len(x) == SAMPLE_RATE  # 1 s at 11025 Hz → 1 s at ours
    assert s.render("Ten seconds left.") is x  # cached


def test_speech_without_an_engine_is_silent(tmp_path):
    assert Speech(program=None).render("hello") is None
    broken = fake_program(tmp_path, "espeak-ng", "import sys; sys.exit(3)\n")
    s = Speech(program=broken)
    assert s.render("hello") is None and not s.available


def test_spoken_prompt_follows_the_tone():
    class Words(Speech):
        def __init__(self):
            super().__init__("unused")

        def _speak(self, text):
            return np.full(1000, 0.25, np.float32)

    out = FakeOutput()
    sink = AudioSink(lambda: False, 60, output=out, speech=Words(), background_speech=False)
    sink.on_events([Cue(t=0.5, kind="ten-seconds-left", severity="info", text="Ten seconds left.")])
    for k in range(100):
        sink.on_block(block(k * 0.02, (k + 1) * 0.02))
    pcm = np.concatenate(out.chunks)
    start = int(round((0.5 + len(render_tone("timer")) / SAMPLE_RATE + 0.05) * SAMPLE_RATE))
    assert np.all(pcm[start : start + 1000] == round(0.25 * 32767))


def test_pipe_output_streams_raw_pcm(tmp_path):
    sinkfile = tmp_path / "played.raw"
    prog = fake_program(tmp_path, "aplay", f"""
        import sys
        open({str(sinkfile)!r}, "wb").write(sys.stdin.buffer.read())
    """)
    out = audio.open_output(which=lambda name: prog if name == "aplay" else None, sounddevice=_not_installed)
    assert out is not None and out.name == "aplay"
    pcm = render_metronome(60, 1.0)
    assert out.write(pcm)
    out.close()
    assert np.array_equal(np.frombuffer(sinkfile.read_bytes(), "<i2"), pcm)


def test_open_output_finds_nothing_without_players():
    assert audio.open_output(which=lambda name: None, sounddevice=_not_installed) is None


def _not_installed() -> object:
    raise ModuleNotFoundError("No module named 'sounddevice'")


def test_speech_on_the_worker_thread_arrives_after_its_tone():
    class SlowWords(Speech):
        def __init__(self):
            super().__init__("unused")

        def _speak(self, text):
            import time

            time.sleep(0.05)  # a speech engine takes a moment; the session must not wait for it
            return np.full(2000, 0.25, np.float32)

    level = round(0.25 * 32767)

    def spoken_from(pcm: np.ndarray) -> int | None:
        """Where 200 samples in a row hold the spoken level (a tone only passes through it)."""
        run = np.convolve((pcm == level).astype(int), np.ones(200, int), "valid")
        hits = np.flatnonzero(run == 200)
        return int(hits[0]) if len(hits) else None

    out = FakeOutput()
    sink = AudioSink(lambda: False, 60, output=out, speech=SlowWords())
    sink.on_events([Cue(t=0.1, kind="bout-done", severity="info", text="Bout done.")])
    k = 0
    while not out.chunks or spoken_from(np.concatenate(out.chunks)) is None:
        sink.on_block(block(k * 0.02, (k + 1) * 0.02))
        k += 1
        if k % 10 == 0 and sink._spoken:
            sink._spoken[0][1].result(timeout=5)  # let the worker finish, without a fixed sleep
        assert k < 1000
    sink.close()
    first = spoken_from(np.concatenate(out.chunks))
    assert first >= (0.1 + len(render_tone("timer-done")) / SAMPLE_RATE) * SAMPLE_RATE
