"""Eyes-free coaching: the metronome, a tone per cue family and spoken prompts.

Everything is rendered here, in numpy, to mono int16 PCM on the session's own time line, so
tests check the sound itself (tick spacing, which tone a cue gets) without any device.
`AudioSink` renders as session time advances and hands the PCM to an `AudioOutput`:
`sounddevice` (PortAudio) when installed, else a pipe to `pw-play`, `paplay` or `aplay`, else
nothing: then it stays silent after one notice. Speech comes from `espeak-ng` (or `espeak`)
when one is installed, and is skipped otherwise. `KNEADBACK_AUDIO=none` looks for neither: no
sound, whatever the machine has (the tests set it, so that they never depend on the host).
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import wave
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import IO, ClassVar, Protocol

import numpy as np

from kneadback.clock import Clock
from kneadback.cues import CUES, Tone
from kneadback.errors import InputError
from kneadback.model import Cue, DeviceInfo, Event, LinkStatus, SampleBlock
from kneadback.sink import Sink

SAMPLE_RATE = 22050
TICK_S = 0.025
TICK_HZ = 1600.0
STALE_S = 1.0  # sound that would play this late is dropped
LEAD_S = 0.05  # render this far behind the newest sample, so late events still land in time
NO_OUTPUT = "no audio output found (install sounddevice, or pipewire, pulseaudio or alsa-utils)"
AUDIO_ENV = "KNEADBACK_AUDIO"

# Each cue family has its own tone: a sequence of (frequency Hz, seconds) notes. Which cue gets
# which tone is said by its entry in `kneadback.cues`.
TONES: dict[Tone, tuple[tuple[float, float], ...]] = {
    "rhythm-up": ((660.0, 0.09), (880.0, 0.12)),  # faster: rising
    "rhythm-down": ((880.0, 0.09), (660.0, 0.12)),  # slower: falling
    "praise": ((523.3, 0.10), (659.3, 0.10), (784.0, 0.16)),
    "hold": ((392.0, 0.08), (392.0, 0.08), (392.0, 0.08)),
    "pressure-up": ((330.0, 0.10), (440.0, 0.14)),  # press harder: low, rising
    "pressure-down": ((440.0, 0.10), (330.0, 0.14)),  # ease off: low, falling
    "safety": ((1000.0, 0.12), (750.0, 0.12), (1000.0, 0.12), (750.0, 0.12)),
    "timer": ((1318.5, 0.35),),
    "timer-done": ((784.0, 0.15), (988.0, 0.15), (1174.7, 0.35)),
    "bout": ((587.3, 0.18),),
    "rating": ((440.0, 0.10), (587.3, 0.16)),
}
def _note(freq: float, seconds: float, sr: int, amp: float) -> np.ndarray:
    n = int(round(seconds * sr))
    t = np.arange(n) / sr
    env = np.minimum(1.0, t / 0.005) * np.minimum(1.0, (seconds - t) / 0.02)  # no clicks
    return (amp * env * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def render_tone(name: Tone, sr: int = SAMPLE_RATE, amp: float = 0.5) -> np.ndarray:
    """One tone as float32 samples in -1..1, notes separated by 20 ms of silence."""
    gap = np.zeros(int(0.02 * sr), np.float32)
    parts: list[np.ndarray] = []
    for freq, seconds in TONES[name]:
        parts += [_note(freq, seconds, sr, amp), gap]
    return np.concatenate(parts[:-1])


def render_tick(sr: int = SAMPLE_RATE, amp: float = 0.6) -> np.ndarray:
    t = np.arange(int(TICK_S * sr)) / sr
    return (amp * np.exp(-t / 0.006) * np.sin(2 * np.pi * TICK_HZ * t)).astype(np.float32)


def to_pcm16(x: np.ndarray) -> np.ndarray:
    return np.round(np.clip(x, -1.0, 1.0) * 32767.0).astype(np.int16)


def render_metronome(rate_spm: float, seconds: float, sr: int = SAMPLE_RATE, start: float = 0.0) -> np.ndarray:
    """`seconds` of ticks at `rate_spm`, the first at `start`: int16 PCM."""
    mix = Mixer(sr)
    mix.metronome(True, start, rate_spm)
    return mix.render(seconds)


class Speech:
    """Text → float32 samples with espeak-ng/espeak, cached; silent (None) without one."""

    def __init__(self, program: str | None, sr: int = SAMPLE_RATE) -> None:
        self.sr = sr
        self.program = program
        self._cache: dict[str, np.ndarray | None] = {}

    @classmethod
    def find(cls, sr: int = SAMPLE_RATE) -> Speech:
        """Speech with the installed espeak-ng or espeak (silent without either)."""
        return cls(shutil.which("espeak-ng") or shutil.which("espeak"), sr)

    @property
    def available(self) -> bool:
        return self.program is not None

    def render(self, text: str) -> np.ndarray | None:
        if self.program is None:
            return None
        if text not in self._cache:
            self._cache[text] = self._speak(text)
        return self._cache[text]

    def _speak(self, text: str) -> np.ndarray | None:
        if self.program is None:
            return None
        try:
            done = subprocess.run([self.program, "--stdout", "-s", "165", text], capture_output=True, timeout=10, check=True)
            with wave.open(io.BytesIO(done.stdout)) as w:
                rate, width, channels = w.getframerate(), w.getsampwidth(), w.getnchannels()
                raw = w.readframes(w.getnframes())
        except (OSError, subprocess.SubprocessError, wave.Error, EOFError):
            self.program = None  # broken speech engine: stop trying, keep the tones
            return None
        if width != 2:
            return None
        x = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
        x = x.reshape(-1, channels).mean(axis=1)
        if rate != self.sr and len(x) > 1:
            n = int(round(len(x) * self.sr / rate))
            x = np.interp(np.arange(n) * rate / self.sr, np.arange(len(x)), x).astype(np.float32)
        return x * 0.9


class Mixer:
    """Sounds scheduled on session time, rendered in order into int16 PCM."""

    def __init__(self, sr: int = SAMPLE_RATE) -> None:
        self.sr = sr
        self.pos = 0  # next sample to render (session time × sr)
        self._tick = render_tick(sr)
        self._pending: list[tuple[int, np.ndarray]] = []  # (start sample, samples)
        self._metro_on = False
        self._metro_origin = 0.0
        self._metro_period = 1.0
        self._metro_next = 0  # index of the next tick since the origin

    def play(self, t: float, samples: np.ndarray) -> None:
        """Schedule `samples` at session time `t` (no earlier than what is already rendered)."""
        self._pending.append((max(self.pos, int(round(t * self.sr))), samples))

    def skip(self, until: float) -> None:
        """Drop everything scheduled before session time `until`, unplayed (stale sound)."""
        end = max(self.pos, int(round(until * self.sr)))
        self._pending = [(start, x) for start, x in self._pending if start >= end]
        if self._metro_on:
            elapsed = end / self.sr - self._metro_origin
            self._metro_next = max(self._metro_next, int(elapsed // self._metro_period) + 1)
        self.pos = end

    def metronome(self, on: bool, t: float, rate_spm: float) -> None:
        """Switch the metronome; switching on starts the ticks at `t`."""
        if on and not self._metro_on:
            self._metro_origin = t
            self._metro_period = 60.0 / rate_spm
            self._metro_next = 0
        self._metro_on = on

    def render(self, until: float) -> np.ndarray:
        """PCM from the last render up to session time `until`."""
        end = max(self.pos, int(round(until * self.sr)))
        if self._metro_on:
            while True:
                onset = int(round((self._metro_origin + self._metro_next * self._metro_period) * self.sr))
                if onset >= end:
                    break
                if onset >= self.pos:
                    self._pending.append((onset, self._tick))
                self._metro_next += 1
        out = np.zeros(end - self.pos, np.float32)
        keep: list[tuple[int, np.ndarray]] = []
        for start, x in self._pending:
            a = start - self.pos
            if a >= len(out):
                keep.append((start, x))
                continue
            n = min(len(x), len(out) - a)
            out[a : a + n] += x[:n]
            if n < len(x):
                keep.append((start + n, x[n:]))
        self._pending = keep
        self.pos = end
        return to_pcm16(out)


class AudioOutput(Protocol):
    name: str

    def write(self, pcm: np.ndarray) -> bool:
        """Queue int16 PCM; False when the device went away (the caller then goes silent)."""

    def close(self) -> None: ...


class PipeOutput:
    """Raw PCM into a player's stdin: pw-play, paplay or aplay.

    The pipe is non-blocking: when the player falls behind, the excess is dropped (a glitch in
    the sound) rather than stalling the session.
    """

    COMMANDS: ClassVar[dict[str, list[str]]] = {
        "pw-play": ["pw-play", "--format", "s16", "--rate", "{sr}", "--channels", "1", "-"],
        "paplay": ["paplay", "--raw", "--format=s16le", "--rate={sr}", "--channels=1"],
        "aplay": ["aplay", "-q", "-t", "raw", "-f", "S16_LE", "-r", "{sr}", "-c", "1"],
    }

    def __init__(self, argv: Sequence[str], name: str) -> None:
        self.name = name
        self._proc = subprocess.Popen(list(argv), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert self._proc.stdin is not None
        self._fd = self._proc.stdin.fileno()
        os.set_blocking(self._fd, False)
        self.dropped = 0  # bytes the player had no room for
        self._carry = b""

    def write(self, pcm: np.ndarray) -> bool:
        if self._proc.poll() is not None:
            return False
        data = self._carry + pcm.astype("<i2").tobytes()
        try:
            sent = os.write(self._fd, data)
        except BlockingIOError:
            sent = 0
        except OSError:  # broken pipe: the player is gone
            return False
        # half a sample went out: its other byte must follow, or every later sample is garbled
        self._carry = data[sent : sent + 1] if sent % 2 else b""
        self.dropped += len(data) - sent - len(self._carry)
        return True

    def close(self) -> None:
        if self._proc.stdin is not None:
            try:
                self._proc.stdin.close()
            except OSError:
                pass
        try:
            self._proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self._proc.kill()


class SoundDeviceOutput:
    """PortAudio through the optional `sounddevice` package."""

    name = "sounddevice"

    def __init__(self, sd: object, sr: int) -> None:
        self._stream = sd.RawOutputStream(samplerate=sr, channels=1, dtype="int16", latency="high")  # type: ignore[attr-defined]
        self._stream.start()

    def write(self, pcm: np.ndarray) -> bool:
        try:
            room = int(self._stream.write_available)
            if room > 0:  # never block the session: drop what does not fit
                self._stream.write(pcm[:room].astype(np.int16).tobytes())
        except Exception:  # PortAudio errors vary by host API; any of them means no device
            return False
        return True

    def close(self) -> None:
        try:
            self._stream.stop()
            self._stream.close()
        except Exception:
            pass


def sound_wanted() -> bool:
    """Whether to look for an audio output and a speech engine: `KNEADBACK_AUDIO` is "auto" (or
    unset) to use what the machine has, "none" for no sound at all."""
    raw = os.environ.get(AUDIO_ENV, "")
    value = raw.strip().lower() or "auto"
    if value not in ("auto", "none"):
        raise InputError(f"{AUDIO_ENV}={raw!r}: must be auto or none")
    return value == "auto"


def _sounddevice() -> object:
    import sounddevice  # type: ignore[import-not-found]

    return sounddevice


def open_output(
    sr: int = SAMPLE_RATE,
    which: Callable[[str], str | None] = shutil.which,
    sounddevice: Callable[[], object] = _sounddevice,
) -> AudioOutput | None:
    """The first audio output that opens, or None. `which` finds the players and `sounddevice`
    loads that package: both stand in for the machine, so tests give their own."""
    try:
        return SoundDeviceOutput(sounddevice(), sr)
    except Exception:  # not installed, no PortAudio, or no output device
        pass
    for name, argv in PipeOutput.COMMANDS.items():
        path = which(name)
        if path is None:
            continue
        try:
            return PipeOutput([path, *(a.format(sr=sr) for a in argv[1:])], name)
        except OSError:
            continue
    return None


class AudioSink(Sink):
    """Plays cues and the metronome as the session runs.

    `metronome_on()` says whether the metronome should tick now (the coach decides: always,
    never, or only while the rhythm is off target); `muted()` silences everything. With no output
    the sink renders nothing and prints one notice to `notice_to`. Speech is rendered on a worker
    thread (a speech engine takes a moment) and follows its tone as soon as it is ready.

    Both the notice and the speech warm-up wait for the session's first report: every input is
    checked by then, so a mistake stays one line and fails at once.
    """

    def __init__(
        self,
        metronome_on: Callable[[], bool],
        rate_spm: float,
        *,
        output: AudioOutput | None,
        muted: Callable[[], bool] = lambda: False,
        speech: Speech | None = None,
        sr: int = SAMPLE_RATE,
        notice_to: IO[str] | None = None,
        background_speech: bool = True,
        clock: Clock | None = None,
    ) -> None:
        self.metronome_on = metronome_on
        self.muted = muted
        self.rate_spm = rate_spm
        self.output = output
        self.speech = speech
        self.mixer = Mixer(sr)
        self._tones = {name: render_tone(name, sr) for name in TONES}
        self._now = 0.0
        self.clock = clock
        self._latency: float | None = None  # the smallest host-clock lead over session time
        self.skipped_s = 0.0  # stale sound dropped after the host fell behind
        self._notice_to = notice_to if notice_to is not None else sys.stderr
        self._pool = ThreadPoolExecutor(1, "kneadback-speech") if background_speech and speech is not None else None
        self._spoken: list[tuple[float, Future[np.ndarray | None]]] = []
        self._warm = ThreadPoolExecutor(1, "kneadback-speech-warm") if self._pool is not None else None
        self._started = False

    def _start(self) -> None:
        if self._started:
            return
        self._started = True
        if self.output is None:
            self._silent(NO_OUTPUT)
        if self._warm is not None and self.speech is not None:  # the fixed texts, beside the live cues
            for text in sorted({text for cue in CUES.values() for text in cue.texts}):
                if "{" not in text:
                    self._warm.submit(self.speech.render, text)

    def _silent(self, why: str) -> None:
        print(f"kneadback: {why}; coaching continues without sound", file=self._notice_to)
        if self.output is not None:
            self.output.close()
        self.output = None

    def on_events(self, events: Sequence[Event]) -> None:
        for ev in events:
            if isinstance(ev, Cue) and self.output is not None and not self.muted():
                tone = self._tones[CUES[ev.kind].tone]
                self.mixer.play(ev.t, tone)
                if self.speech is not None:
                    after = ev.t + len(tone) / self.mixer.sr + 0.05
                    if self._pool is not None:
                        self._spoken.append((after, self._pool.submit(self.speech.render, ev.text)))
                    else:
                        self._play_speech(after, self.speech.render(ev.text))

    def _play_speech(self, t: float, samples: np.ndarray | None) -> None:
        if samples is not None:
            self.mixer.play(t, samples)

    def on_info(self, info: DeviceInfo) -> None:
        self._start()

    def on_block(self, block: SampleBlock) -> None:
        self._now = max(self._now, block.t_end)
        self._pump()

    def on_status(self, status: LinkStatus) -> None:
        self._now = max(self._now, status.t)
        self._pump()

    def _pump(self) -> None:
        self._start()
        if self.output is None:
            return
        ready = [(at, f) for at, f in self._spoken if f.done()]
        self._spoken = [(at, f) for at, f in self._spoken if not f.done()]
        for at, f in ready:
            self._play_speech(at, f.result())
        t = self._now - LEAD_S
        tick = self.metronome_on() and not self.muted()
        self.mixer.metronome(tick, max(t, self.mixer.pos / self.mixer.sr), self.rate_spm)
        if self._stale(t):
            return
        pcm = self.mixer.render(t)
        if len(pcm) and not self.output.write(pcm):
            self._silent(f"audio output {self.output.name} stopped")

    def _stale(self, t: float) -> bool:
        """After the host fell behind (suspended, busy), the backlog's sound would play seconds
        late: drop it, so a cue is never heard as a fresh instruction when it is old."""
        if self.clock is None:
            return False
        now = self.clock.now()
        ahead = max(0.0, t - self.mixer.pos / self.mixer.sr)
        offset = now - t  # how far the host clock is ahead of the session: the arrival latency
        if self._latency is None or offset < self._latency:
            self._latency = offset
        if offset - self._latency <= STALE_S:
            self._latency += 0.01 * ahead  # follow a device clock that runs slow, by up to 1 %
            return False
        self.skipped_s += ahead
        self.mixer.skip(t)
        return True

    def close(self) -> None:
        for pool in (self._pool, self._warm):
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
        if self.output is not None:
            self.output.close()
            self.output = None


def audible(sinks: Iterable[object]) -> bool:
    """Whether the coach can be heard: a sound sink with an output to play on. There is none at a
    speed other than 1 or with KNEADBACK_AUDIO=none, none without an audio device, and none once
    the device went away."""
    return any(isinstance(s, AudioSink) and s.output is not None for s in sinks)
