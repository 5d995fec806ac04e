"""The interactive `kneadback calibrate force` against a simulated board pressed on a scale."""

from __future__ import annotations

import builtins

import numpy as np
import pytest

from kneadback import calibration as cm
from kneadback.calibration import CalibratedForceModel
from kneadback.cli import main
from kneadback.clock import ManualClock
from kneadback.commands import calibrate
from kneadback.commands.calibrate import AdcReader, Cancelled, interactive_calibration
from kneadback.errors import SourceError
from kneadback.fsr import Divider, FsrCurve
from kneadback.model import DeviceInfo, SampleBlock
from kneadback.sources.base import Source

G = 9.80665e-3  # newtons per gram


class ScaleBoard(Source):
    """A board whose sensor is pressed with `force` newtons; 200 Hz, 20 a read. An FSR divider
    reads one simulated part; a linear front end reads full scale at 150 N."""

    def __init__(self, part: FsrCurve, clock: ManualClock, divider_ohms: int = 1000, silent: bool = False,
                 front_end: str = "fsr-low", serial_number: str | None = None) -> None:
        super().__init__("test:scale")
        self.part, self.clock, self.silent = part, clock, silent
        self.divider = Divider(float(divider_ohms), front_end=front_end)
        self.force = 0.0
        self.rng = np.random.default_rng(5)
        self.n = 0
        self.hello = DeviceInfo(1, "1.0.0", "nano", 200.0, divider_ohms=divider_ohms, front_end=front_end,
                                serial_number=serial_number)

    def _open(self) -> None: ...

    def _close(self) -> None: ...

    def read(self, timeout: float = 0.05) -> list:
        if self.silent:
            self.clock.sleep(timeout)
            return []
        items = [self.hello] if self.n == 0 else []
        f = self.force * (1 + self.rng.normal(0, 0.01, 20)) if self.force > 0 else np.zeros(20)
        clean = self.divider.voltage(self.part.resistance(f)) if self.divider.is_fsr else f / 150.0 * self.divider.vref
        v = clean + self.rng.normal(0, 0.003, 20)
        t = (self.n + np.arange(20)) / 200.0
        items.append(SampleBlock(t=t, adc=self.divider.counts(v), first_index=self.n))
        self.n += 20
        self.clock.sleep(0.1)
        return items


def _script(board: ScaleBoard, steps: list[tuple[float, str]]):
    """An `ask` that sets the force the user holds, then answers as the user types."""
    queue = list(steps)
    prompts: list[str] = []

    def ask(prompt: str) -> str:
        prompts.append(prompt)
        if not queue:
            raise EOFError
        force, answer = queue.pop(0)
        board.force = force
        return answer

    return ask, prompts


def test_interactive_procedure_fits_within_5_percent():
    part = FsrCurve().sample_part(np.random.default_rng(9))
    board = ScaleBoard(part, ManualClock())
    grams = [600, 1500, 3200, 6000, 11500]
    steps = [(0.0, "")]
    steps += [(0.0, "")]  # Enter with no points yet: told to take more
    steps += [(grams[0] * G, "heavy")]  # not a reading: asked again
    steps += [(g * G, f"{g} g") for g in grams[:3]]
    steps += [(2000 * G, "5 kg")]  # typed 5 kg while pressing 2 kg: does not fit, taken again
    steps += [(grams[3] * G, f"{grams[3] / 1000} kg"), (grams[4] * G, f"{grams[4]}"), (0.0, "")]
    ask, _ = _script(board, steps)
    said: list[str] = []
    reader = AdcReader(board, board.clock)
    reader.wait_for_info()
    points, unloaded = interactive_calibration(reader, board.divider, ask, said.append)
    text = "\n".join(said)
    assert "0 point(s) so far: at least 5 are needed" in text
    assert "'heavy' is not a scale reading" in text
    assert "does not fit" in text and "take this level again" in text
    assert unloaded == 0.0 and len(points) == 5
    cal = cm.fit_calibration(points, board.divider)
    grid = np.geomspace(5, 120, 30)
    assert np.abs(cm.relative_errors(CalibratedForceModel(cal), part, board.divider, grid)).max() < 0.05


@pytest.mark.parametrize("answer", ["q", None])
def test_quit_or_end_of_input_cancels(answer):
    board = ScaleBoard(FsrCurve(), ManualClock())
    ask, _ = _script(board, [(0.0, "")] + ([(1.0, answer)] if answer else []))
    with pytest.raises(Cancelled, match="nothing saved"):
        interactive_calibration(AdcReader(board, board.clock), board.divider, ask, lambda s: None)


def test_silent_source_is_a_clear_error():
    clock = ManualClock()
    board = ScaleBoard(FsrCurve(), clock, silent=True)
    with pytest.raises(SourceError, match="test:scale: no samples for 5 s"):
        AdcReader(board, clock).capture(1.0)


def _calibrate_on_scale(monkeypatch, capsys, board: ScaleBoard) -> str:
    """`calibrate force` on `board`, answering each weight as it is put on; what it printed."""
    monkeypatch.setattr(calibrate, "_open", lambda spec: (board, board.clock))
    steps = [(0.0, "")] + [(g * G, f"{g}g") for g in (700, 1800, 3500, 7000, 12000)] + [(0.0, "")]
    ask, _ = _script(board, steps)
    monkeypatch.setattr(builtins, "input", ask)
    assert main(["calibrate", "force", "--source", "test:scale"]) == 0
    out = capsys.readouterr().out
    return out


def test_command_end_to_end_saves_the_fit(monkeypatch, capsys):
    part = FsrCurve().sample_part(np.random.default_rng(4))
    board = ScaleBoard(part, ManualClock(), divider_ohms=1000)
    out = _calibrate_on_scale(monkeypatch, capsys, board)
    assert "Calibrating test:scale (1000 Ω divider" in out and "saved" in out
    model = cm.load_force_model(Divider(1000))
    assert isinstance(model, CalibratedForceModel) and model.calibration.source == "test:scale"


def test_check_reports_drift(monkeypatch, capsys, tmp_path):
    part = FsrCurve()
    pts = "".join(f"{int(c)},{f}\n" for c, f in zip(Divider().counts(Divider().voltage(part.resistance(np.array([6, 15, 30, 60, 110.0])))), [6, 15, 30, 60, 110]))
    board = ScaleBoard(part, ManualClock())
    monkeypatch.setattr(calibrate, "_open", lambda spec: (board, board.clock))
    monkeypatch.setattr(builtins, "input", lambda prompt: "")
    f = tmp_path / "p.csv"
    f.write_text(pts)
    assert main(["calibrate", "force", "--points", str(f)]) == 0
    capsys.readouterr()
    assert main(["calibrate", "check"]) == 0
    assert "calibration still good" in capsys.readouterr().out
    board.force = 3.0  # the cap now presses on the sensor at rest
    assert main(["calibrate", "check"]) == 1
    assert "recalibrate" in capsys.readouterr().out


@pytest.mark.parametrize(("front_end", "ohms", "unloaded"), [("fsr-high", 4700, 1023.0), ("linear", 1000, 0.0)])
def test_the_command_calibrates_the_front_end_the_board_reports(monkeypatch, capsys, front_end, ohms, unloaded):
    """Today: the board's front end was ignored: every calibration was a low-side divider's."""
    part = FsrCurve().sample_part(np.random.default_rng(4))
    board = ScaleBoard(part, ManualClock(), divider_ohms=ohms, front_end=front_end, serial_number="SN-7")
    out = _calibrate_on_scale(monkeypatch, capsys, board)
    assert "saved" in out and "rms error" in out and "warning" not in out
    model = cm.force_model_for_device(board.hello)
    assert isinstance(model, CalibratedForceModel) and model.calibration.unloaded_adc == unloaded
    assert (model.calibration.serial_number, model.calibration.board) == ("SN-7", "nano")
    grid = np.geomspace(5, 110, 30)
    assert np.abs(cm.relative_errors(model, part, board.divider, grid)).max() < 0.05
