"""How the coach may sound: the user's `[sound]` settings.

    [sound]
    metronome = "auto"   # "auto": only while the rhythm is off target; "on"; "off"
    mute = false
    speech = true        # spoken prompts, when espeak-ng or espeak is installed
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kneadback.config import load_config, load_table

METRONOME_MODES = ("auto", "on", "off")


@dataclass(frozen=True)
class Sound:
    metronome: str = "auto"
    mute: bool = False
    speech: bool = True

    def __post_init__(self) -> None:
        if self.metronome not in METRONOME_MODES:
            raise ValueError(f"metronome must be one of {', '.join(METRONOME_MODES)}, not {self.metronome!r}")


def sound_settings(metronome: str | None = None, mute: bool | None = None, config: dict[str, Any] | None = None) -> Sound:
    """The config file's `[sound]`, with the command's `--metronome` and `--mute` on top."""
    base = load_table(Sound, "sound", load_config() if config is None else config)
    return Sound(metronome=metronome or base.metronome, mute=bool(mute) or base.mute, speech=base.speech)
