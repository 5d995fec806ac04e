"""The dashboard's keyboard shortcuts: one table, shown in the window and used by it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from pyqtgraph.Qt import QtCore

Key: TypeAlias = QtCore.Qt.Key


@dataclass(frozen=True)
class Shortcut:
    keys: tuple[Key, ...]
    label: str  # how the key is written in the window
    action: str  # what it does, in a few words
    live: bool = True  # offered in the live view
    replay: bool = True  # offered in the replay view


RATING_KEYS: dict[Key, int] = {getattr(Key, f"Key_{i}"): i for i in range(10)}
RATING_KEYS[Key.Key_T] = 10  # T for "ten"

SHORTCUTS: tuple[Shortcut, ...] = (
    Shortcut((Key.Key_Space,), "Space", "bout start/stop", replay=False),
    Shortcut((Key.Key_A,), "A", "auto bouts", replay=False),
    Shortcut((Key.Key_Space,), "Space", "play/pause", live=False),
    Shortcut((Key.Key_Left, Key.Key_Right), "←/→", "−/+5 s", live=False),
    Shortcut((Key.Key_BracketLeft, Key.Key_BracketRight), "[ ]", "prev/next bout", live=False),
    Shortcut((Key.Key_Minus, Key.Key_Plus, Key.Key_Equal), "−/+", "speed", live=False),
    Shortcut((Key.Key_P,), "P", "spot", replay=False),
    Shortcut(tuple(RATING_KEYS), "0–9, T=10", "discomfort", replay=False),
    Shortcut((Key.Key_M,), "M", "mute"),
    Shortcut((Key.Key_K,), "K", "metronome", replay=False),
    Shortcut((Key.Key_B,), "B", "marker", replay=False),
    Shortcut((Key.Key_F, Key.Key_F11), "F", "fullscreen"),
    Shortcut((Key.Key_Q,), "Q", "quit"),
)


def shortcut_line(replay: bool) -> str:
    """The shortcuts offered in a view, as rich text that wraps between shortcuts only (a narrow
    window gets two lines, never a key without what it does)."""
    shown = [s for s in SHORTCUTS if (s.replay if replay else s.live)]
    return " &nbsp; ".join(f"<b style='color:#ffffff'>{_unbroken(s.label)}</b>{NBSP}{_unbroken(s.action)}"
                           for s in shown)


NBSP = "\u00a0"


def _unbroken(text: str) -> str:
    return text.replace(" ", NBSP)
