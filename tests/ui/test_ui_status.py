"""The dashboard's status line: it fits the window at 1280 and 1600 px whatever the spot's name,
and it says "no sound" whenever nothing plays."""

from __future__ import annotations

import io

import pytest
from pyqtgraph.Qt import QtCore

from kneadback.app import Run, Settings
from kneadback.clock import ManualClock
from kneadback.ui.audio import AudioSink

LONG_SPOTS = ("upper trapezius (left), just above the shoulder blade, near the spine",
              "Musculus gastrocnemius caput mediale links, unterhalb der Kniekehle")


class FakeOutput:
    """An audio device that takes everything."""

    name = "fake"

    def write(self, pcm) -> bool:
        return True

    def close(self) -> None:
        pass


@pytest.mark.parametrize("width", [1280, 1600])
@pytest.mark.parametrize("spot", LONG_SPOTS)
def test_the_status_line_fits_the_window(rig, width, spot):
    r = rig()
    w = r.window
    w.resize(width, 900)
    r.run(2.0)
    w.choose_spot(spot)
    w.rate(7)
    r.run(1.0)
    QtCore.QCoreApplication.instance().processEvents()  # the new width is laid out
    w.redraw()
    label = w.status_label
    assert w.coach.spot == spot and label.width() <= width
    assert label.sizeHint().width() <= label.width()  # nothing runs past the window's edge
    text = label.text()
    assert "rated 7/10" in text and "● connected" in text and "no sound" in text  # the first fields stay
    assert w.keys_label.minimumSizeHint().width() <= w.keys_label.width()  # the shortcuts wrap instead


def test_the_status_line_says_no_sound_unless_an_output_plays(rig):
    r = rig()
    w = r.window
    r.run(1.0)
    sinks = w.session.sinks

    def status() -> str:
        w.redraw()
        return w.status_label.text()

    sinks += Run(Settings(speed=2.0), ManualClock()).sound_sinks()  # none at --speed 2
    assert "no sound" in status()
    no_device = AudioSink(lambda: False, 60.0, output=None, notice_to=io.StringIO())
    sinks.append(no_device)
    assert "no sound" in status()
    device = AudioSink(lambda: False, 60.0, output=FakeOutput(), notice_to=io.StringIO())
    sinks.append(device)
    assert "no sound" not in status() and "sound · metronome auto" in status()
    w.toggle_mute()
    assert "MUTED" in status()
    device.close()  # the device went away
    assert "no sound" in status()
