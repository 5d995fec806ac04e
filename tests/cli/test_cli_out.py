"""Every command that writes a file writes through what the name is (`kneadback.outfile`): `-` is
stdout, a link stays a link, a FIFO or a device is written in place, a regular file is replaced
whole. Mistakes are one line and exit 2. Progress shows on a terminal only."""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from kneadback.cli import main
from kneadback.clock import ManualClock
from kneadback.model import Bout, Rating
from kneadback.store.db import Store, default_path
from kneadback.store.recorder import Recorder
from store.fakes import INFO, make_blocks  # tests/ is on sys.path (rootdir-relative packages)
from store.special_files import fifo_reader, leftovers, umask

WRITERS = {
    "export-csv": ["export", "last", "--format", "csv", "--out"],
    "export-json": ["export", "last", "--format", "json", "--out"],
    "export-edf": ["export", "last", "--format", "edf", "--out"],
    "report": ["report", "last", "--out"],
    "history": ["history", "--out"],
}


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One 30 s session on the left calf with a bout and a rating, in one database file."""
    folder = tmp_path_factory.mktemp("recorded")
    rec = Recorder(Store.open(folder / "live.sqlite3"), clock=ManualClock(), source="fake:wave", spot="left calf",
                   wall_start=1_760_000_000.0)
    rec.on_info(INFO)
    for b in make_blocks(30.0, seed=2):
        rec.on_block(b)
    rec.on_events([Bout(index=0, start=2.0, end=28.0, t_confirmed=28.5, strokes=26, rate_spm=60.0, mean_peak_n=20.0),
                   Rating(t=20.0, value=7, spot="left calf", force_n=20.0)])
    rec.close()
    with sqlite3.connect(folder / "live.sqlite3") as live, sqlite3.connect(folder / "copy.sqlite3") as copy:
        live.backup(copy)  # the whole database in one file, WAL folded in
    return folder / "copy.sqlite3"


@pytest.fixture(autouse=True)
def recorded(database: Path) -> None:
    """Each test's own copy of the recorded database, as the user's."""
    shutil.copyfile(database, default_path())


def run(capsysbinary: pytest.CaptureFixture[bytes], argv: list[str]) -> tuple[int, bytes, str]:
    """(exit code, stdout bytes, stderr text) of `kneadback *argv`."""
    capsysbinary.readouterr()
    code = main(argv)
    out, err = capsysbinary.readouterr()
    return code, out, err.decode()


def written(capsysbinary: pytest.CaptureFixture[bytes], cmd: str, folder: Path) -> bytes:
    """What `cmd` writes to a plain new file."""
    path = folder / f"plain-{cmd}"
    code, _out, err = run(capsysbinary, [*WRITERS[cmd], str(path)])
    assert code == 0, err
    assert err.startswith(f"wrote {path}") and err.count("\n") == 1  # the confirmation goes to stderr
    return path.read_bytes()


@pytest.mark.parametrize("cmd", WRITERS)
def test_out_dash_is_stdout_and_nothing_else(capsysbinary, tmp_path, cmd):
    code, out, err = run(capsysbinary, [*WRITERS[cmd], "-"])
    assert code == 0, err
    assert err == ""  # no "wrote" line, no progress (stderr is no terminal)
    assert out == written(capsysbinary, cmd, tmp_path)  # the same bytes as the file: no table, no message
    assert not (Path.cwd() / "-").exists()


@pytest.mark.parametrize("cmd", WRITERS)
def test_a_link_stays_a_link_and_its_file_is_written(capsysbinary, tmp_path, cmd):
    (tmp_path / "kept").mkdir()
    real = tmp_path / "kept" / "file"
    real.write_bytes(b"an older one")
    link = tmp_path / "link"
    link.symlink_to("kept/file")
    code, _out, err = run(capsysbinary, [*WRITERS[cmd], str(link)])
    assert code == 0, err
    assert link.is_symlink() and os.readlink(link) == "kept/file"
    assert real.read_bytes() == written(capsysbinary, cmd, tmp_path)
    assert leftovers(tmp_path) == leftovers(tmp_path / "kept") == []


@pytest.mark.parametrize("cmd", WRITERS)
def test_a_fifo_is_written_through(capsysbinary, tmp_path, cmd):
    fifo = tmp_path / "fifo"
    with fifo_reader(fifo) as got:
        code, _out, err = run(capsysbinary, [*WRITERS[cmd], str(fifo)])
    assert code == 0, err
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert got == [written(capsysbinary, cmd, tmp_path)]


@pytest.mark.parametrize("cmd", WRITERS)
def test_a_device_is_written_in_place(capsysbinary, cmd):
    code, _out, err = run(capsysbinary, [*WRITERS[cmd], "/dev/null"])
    assert code == 0, err
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode)


@pytest.mark.parametrize("cmd", WRITERS)
def test_a_regular_file_is_replaced_whole_keeping_its_mode(capsysbinary, tmp_path, cmd):
    out = tmp_path / "out"
    out.write_bytes(b"an older one")
    out.chmod(0o640)
    with umask(0o022):
        code, _out, err = run(capsysbinary, [*WRITERS[cmd], str(out)])
        assert code == 0, err
        assert stat.S_IMODE(out.stat().st_mode) == 0o640
        new = written(capsysbinary, cmd, tmp_path)
    assert stat.S_IMODE((tmp_path / f"plain-{cmd}").stat().st_mode) == 0o644  # a new file: as the umask says
    assert out.read_bytes() == new and leftovers(tmp_path) == []


@pytest.mark.parametrize("cmd", WRITERS)
@pytest.mark.parametrize(
    ("name", "problem"),
    [("{d}", "is a directory, not a file"), ("{d}/no/x", "the directory {d}/no does not exist"),
     ("{d}/blocker/x", "{d}/blocker is not a directory")],
    ids=["directory", "missing-folder", "file-as-folder"],
)
def test_a_wrong_out_is_one_line_and_exit_2(capsysbinary, tmp_path, cmd, name, problem):
    d = tmp_path / "here"
    d.mkdir()
    (d / "blocker").write_text("")
    name, problem = name.format(d=d), problem.format(d=d)
    code, out, err = run(capsysbinary, [*WRITERS[cmd], name])
    assert code == 2 and out == b""
    assert err == f"kneadback: {name}: {problem}\n"
    assert sorted(p.name for p in d.iterdir()) == ["blocker"]


def test_history_page_on_stdout_cannot_share_it_with_json(capsysbinary):
    code, out, err = run(capsysbinary, ["history", "--json", "--out", "-"])
    assert code == 2 and out == b""
    assert err == "kneadback: history: --json and --out - both write to standard output: give --out a file\n"


def test_dev_stdout_is_written_through_the_descriptor(tmp_path):
    """In a child: `/dev/stdout` stays the link it is, and a stdout appended to (`>>`) is neither
    truncated nor written over."""
    log = tmp_path / "log.csv"
    log.write_text("an earlier line\n")
    argv = [sys.executable, "-m", "kneadback", "export", "last", "--format", "csv", "--out", "/dev/stdout"]
    with open(log, "a") as stdout:
        proc = subprocess.run(argv, check=False, stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stderr == ""
    assert os.path.islink("/dev/stdout")
    plain = tmp_path / "plain.csv"
    assert main(["export", "last", "--out", str(plain)]) == 0
    assert log.read_text() == "an earlier line\n" + plain.read_text()


# --- the other writers: calibration, simulate ----------------------------------------------


def points_csv(folder: Path) -> Path:
    """Five calibration points along the data-sheet curve of a 1 kΩ divider."""
    from kneadback.fsr import DatasheetForceModel, Divider

    model = DatasheetForceModel(Divider(1000.0))
    newtons = np.array([6.0, 15.0, 30.0, 60.0, 110.0])
    adc = np.interp(newtons, model.to_newtons(np.arange(1024)), np.arange(1024))
    path = folder / "points.csv"
    path.write_text("adc,newtons\n" + "".join(f"{a:.1f},{n}\n" for a, n in zip(adc, newtons)))
    return path


def test_calibration_written_through_a_link(capsys, tmp_path):
    from kneadback import calibration as cm

    kept = tmp_path / "dotfiles" / "calibration.json"  # the file lives in the user's own folder
    kept.parent.mkdir()
    kept.write_text("{}")
    cm.calibration_path().symlink_to(kept)
    assert main(["calibrate", "force", "--points", str(points_csv(tmp_path))]) == 0
    assert cm.calibration_path().is_symlink()
    assert json.loads(kept.read_text())["format"] == "kneadback-force-calibration"


def test_calibration_path_that_is_a_folder_is_one_line(capsys, tmp_path):
    from kneadback import calibration as cm

    cm.calibration_path().mkdir()
    assert main(["calibrate", "force", "--points", str(points_csv(tmp_path))]) == 2
    assert capsys.readouterr().err == f"kneadback: {cm.calibration_path()}: is a directory, not a file\n"


def test_simulate_writes_through_links(capsys, tmp_path):
    (tmp_path / "kept").mkdir()
    for name in ("steady.csv", "steady.truth.json"):
        (tmp_path / name).symlink_to(f"kept/{name}")
    assert main(["simulate", "steady", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "steady.csv").is_symlink() and (tmp_path / "steady.truth.json").is_symlink()
    assert (tmp_path / "kept" / "steady.csv").read_text().startswith("# scenario: steady")
    assert json.loads((tmp_path / "kept" / "steady.truth.json").read_text())["strokes"]
    assert leftovers(tmp_path) == []


def test_simulate_refuses_stdout_for_its_two_files(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["simulate", "steady", "--out", "-"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "'-'" in err
    assert not (tmp_path / "-").exists()


# --- progress -------------------------------------------------------------------------------


class Terminal(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("argv", "bar"),
    [(["export", "last", "--format", "csv"], "exporting session 1"), (["export", "last", "--format", "edf"], "exporting session 1"),
     (["report", "last"], "reading session 1"), (["history"], "reading sessions")],
    ids=["export-csv", "export-edf", "report", "history"],
)
def test_progress_shows_on_a_terminal_only(monkeypatch, capsys, tmp_path, argv, bar):
    monkeypatch.setenv("COLUMNS", "100")  # the bar's width, whatever terminal runs the tests
    out = tmp_path / "out"
    for terminal in (True, False):
        stderr = Terminal() if terminal else io.StringIO()
        monkeypatch.setattr(sys, "stderr", stderr)
        assert main([*argv, "--out", str(out)]) == 0
        lines = stderr.getvalue()
        assert (bar in lines) is terminal, lines
        assert lines.rsplit("\r", 1)[-1].startswith("wrote ")  # the bar is gone: the last line is the result


def test_no_progress_under_json_even_on_a_terminal(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(sys, "stderr", Terminal())
    assert main(["history", "--json", "--out", str(tmp_path / "h.html")]) == 0
    assert sys.stderr.getvalue() == f"wrote {tmp_path / 'h.html'}\n"
