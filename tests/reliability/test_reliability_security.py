"""Security: no network port by default, files are parsed and never executed, SQL takes values
only as parameters, and the data and config dirs are the user's alone."""

from __future__ import annotations

import ast
import os
import socket
import sqlite3
import stat
from pathlib import Path
from typing import ClassVar

import pytest

import kneadback
from kneadback import paths
from kneadback.app import Run
from kneadback.clock import ManualClock
from kneadback.lsl import api as lsl_api
from kneadback.model import Marker, Rating, SpotChanged
from kneadback.session import Session
from kneadback.sink import Sink
from kneadback.sources import open_source
from kneadback.sources.base import SourceOptions
from kneadback.store.db import Store
from kneadback.store.recorder import Recorder

from .cli import run_cli

PACKAGE = Path(kneadback.__file__).resolve().parent
# values a user types that would break SQL pasted into a statement
EVIL_SPOT = "calf'); DROP TABLE sessions; --"
EVIL_LABEL = 'knot "2" OR 1=1 --'
EVIL_OTHER = "trap'ezius"


# --- no network port -------------------------------------------------------------------------


def _socket_inodes() -> set[str]:
    """Inodes of the sockets this process holds open."""
    out = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            out.add(target[8:-1])
    return out


def _listening_inodes() -> set[str]:
    """Inodes of every TCP socket in LISTEN and every bound UDP socket, IPv4 and IPv6."""
    out = set()
    for name, states in (("tcp", {"0A"}), ("tcp6", {"0A"}), ("udp", {"07"}), ("udp6", {"07"})):
        try:
            lines = Path(f"/proc/self/net/{name}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if cols[3] in states:
                out.add(cols[9])
    return out


class _PortWatch(Sink):
    """Looks for listening sockets of this process while the session runs."""

    def __init__(self) -> None:
        self.looks = 0
        self.listening: set[str] = set()

    def on_status(self, status: object) -> None:
        self.looks += 1
        self.listening |= _socket_inodes() & _listening_inodes()


def test_a_live_session_opens_no_network_port(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    calls: list[str] = []
    for name in ("bind", "listen", "connect"):
        original = getattr(socket.socket, name)

        def spy(self: socket.socket, *args: object, _name: str = name, _original=original) -> object:
            calls.append(f"{_name}{args}")
            return _original(self, *args)

        monkeypatch.setattr(socket.socket, name, spy)
    watch = _PortWatch()
    terminal_sinks = Run.terminal_sinks
    monkeypatch.setattr(Run, "terminal_sinks", lambda run, out: [*terminal_sinks(run, out), watch])
    monkeypatch.setattr(lsl_api, "load", _no_lsl)  # without --lsl, the network library is not even loaded
    before = _socket_inodes()
    earlier = before & _listening_inodes()  # not this session's (an earlier test's, in this process)
    # the default source (no board here: the simulated tool), recording on, coaching on
    code, _out, err = run_cli(capsys, ["live", "--no-gui", "--speed", "500", "--duration", "20"])
    assert code == 0, err
    assert watch.looks >= 10  # the watch really looked, all through the session
    assert watch.listening - earlier == set()
    assert calls == []
    assert _socket_inodes() <= before  # no socket left open either


def _no_lsl() -> None:
    raise AssertionError("LSL was loaded")


def test_the_port_watch_sees_lsls_ports_with_lsl_on(monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """The check above, shown to see what liblsl opens (in C, past Python's socket module): with
    `--lsl` the session listens, and closes it all at its end."""
    watch = _PortWatch()
    terminal_sinks = Run.terminal_sinks
    monkeypatch.setattr(Run, "terminal_sinks", lambda run, out: [*terminal_sinks(run, out), watch])
    before = _socket_inodes()
    code, _out, err = run_cli(capsys, ["live", "--no-gui", "--speed", "500", "--duration", "5", "--no-record", "--lsl"])
    assert code == 0, err
    assert watch.listening - before != set()
    assert _socket_inodes() <= before


def test_the_port_watch_sees_a_listening_socket() -> None:
    """The check above, shown to work: a socket listening on localhost is seen."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        assert _socket_inodes() & _listening_inodes()


# --- files are parsed, never executed ----------------------------------------------------


def _calls(tree: ast.AST) -> list[tuple[str, ast.Call]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name):
                out.append((f.id, node))
            elif isinstance(f, ast.Attribute):
                base = f.value.id if isinstance(f.value, ast.Name) else "?"
                out.append((f"{base}.{f.attr}", node))
    return out


def _kw(call: ast.Call, name: str) -> object:
    for k in call.keywords:
        if k.arg == name and isinstance(k.value, ast.Constant):
            return k.value.value
    return None


_FORBIDDEN_MODULES = ("pickle", "cPickle", "dill", "marshal", "shelve", "yaml", "jsonpickle")
_FORBIDDEN_CALLS = ("eval", "exec", "compile", "__import__", "os.system", "os.popen", "np.fromfile")


def _forbidden(source: str) -> list[str]:
    """Lines that import a deserialiser able to run code, or call something that runs text."""
    tree = ast.parse(source)
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] + ([node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
            problems += [f"{node.lineno}: imports {n}" for n in names if n.split(".")[0] in _FORBIDDEN_MODULES]
    for name, call in _calls(tree):
        if (
            name in _FORBIDDEN_CALLS
            or (name.split(".")[0] in ("np", "numpy") and name.endswith(".load") and _kw(call, "allow_pickle") is True)
            or (name.startswith("subprocess.") and _kw(call, "shell") is True)
        ):
            problems.append(f"{call.lineno}: {name}(...)")
    return problems


def test_no_code_loads_or_runs_anything_from_a_file() -> None:
    """No pickle, marshal, shelve, eval/exec, YAML, pickled numpy arrays or shell commands."""
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        problems += [f"{path.relative_to(PACKAGE.parent)}:{p}" for p in _forbidden(path.read_text(encoding="utf-8"))]
    assert problems == []


def test_the_scan_finds_what_it_looks_for() -> None:
    sample = (
        "import pickle\nimport numpy as np\nimport subprocess, os\nfrom yaml import load\neval(x)\n"
        "np.load(f, allow_pickle=True)\nsubprocess.run(c, shell=True)\nos.system(c)\nnp.load(f)\nsubprocess.run(['ls'])\n"
    )
    assert [p.split(":")[0] for p in _forbidden(sample)] == ["1", "4", "5", "6", "7", "8"]


# --- SQL takes values as parameters only -----------------------------------------------------


class _Cursor(sqlite3.Cursor):
    statements: ClassVar[list[str]] = []

    def execute(self, sql: str, *args: object) -> sqlite3.Cursor:  # type: ignore[override]
        self.statements.append(sql)
        return super().execute(sql, *args)

    def executemany(self, sql: str, *args: object) -> sqlite3.Cursor:  # type: ignore[override]
        self.statements.append(sql)
        return super().executemany(sql, *args)

    def executescript(self, sql: str) -> sqlite3.Cursor:  # type: ignore[override]
        self.statements.append(sql)
        return super().executescript(sql)


class _Connection(sqlite3.Connection):
    """Records the SQL text of every statement, before any value is bound to it."""

    expanded: ClassVar[list[str]] = []

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.set_trace_callback(self.expanded.append)  # the statements with their values bound

    def cursor(self, factory: type = _Cursor) -> sqlite3.Cursor:  # type: ignore[override]
        return super().cursor(factory)

    def execute(self, sql: str, *args: object) -> sqlite3.Cursor:  # type: ignore[override]
        return self.cursor().execute(sql, *args)

    def executemany(self, sql: str, *args: object) -> sqlite3.Cursor:  # type: ignore[override]
        return self.cursor().executemany(sql, *args)

    def executescript(self, sql: str) -> sqlite3.Cursor:  # type: ignore[override]
        return self.cursor().executescript(sql)


def test_user_text_reaches_the_database_only_as_parameters(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _Cursor.statements = []
    _Connection.expanded = []
    connect = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect", lambda *a, **k: connect(*a, **{**k, "factory": _Connection}))

    # a live session on a spot with a hostile name (the coach reads that spot's history)
    code, _, err = run_cli(capsys, ["live", "--no-gui", "--source", "sim:bouts", "--speed", "1000", "--duration", "35",
                                    "--spot", EVIL_SPOT])
    assert code == 0, err
    # the user's input during a session: a marker, a rating, a change of spot
    clock = ManualClock()
    source = open_source("sim:steady", SourceOptions(clock=clock, speed=50.0))
    recorder = Recorder(clock=clock, source=EVIL_LABEL, spot=EVIL_SPOT)
    session = Session(source, clock, sinks=[recorder], duration=5.0)
    session.open()
    try:
        session.step()
        session.submit(Marker(t=session.now, label=EVIL_LABEL))
        session.submit(Rating(t=session.now, value=7, spot=EVIL_SPOT, force_n=20.0))
        session.submit(SpotChanged(t=session.now, spot=EVIL_OTHER))
        while not session.done:
            session.step()
    finally:
        session.close()
    # reading it all back
    for argv in (["sessions"], ["sessions", "--json"], ["replay", "last", "--no-gui", "--speed", "max"], ["analyze", "last"]):
        code, _, err = run_cli(capsys, argv)
        assert code == 0, f"{argv}: {err}"
    with Store.open(readonly=True) as store:
        assert store.spot_events(("rating",), EVIL_SPOT)
        assert [s.spot for s in store.sessions()] == [EVIL_SPOT, EVIL_SPOT]

    assert len(_Cursor.statements) > 50
    evil = (EVIL_SPOT, EVIL_LABEL, EVIL_OTHER, "DROP TABLE", "1=1", "trap")
    pasted = [sql for sql in _Cursor.statements if any(e in sql for e in evil)]
    assert pasted == []
    # ... while the same statements with their values bound do hold them: the test saw them pass
    bound = "\n".join(_Connection.expanded)
    assert "DROP TABLE sessions; --" in bound and "OR 1=1" in bound and "trap''ezius" in bound


# --- user-only data and config dirs ------------------------------------------------------


@pytest.mark.parametrize("which", ["data_dir", "config_dir"])
def test_data_and_config_dirs_are_created_user_only(which: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = os.umask(0o022)  # a typical umask: new files and dirs readable by everyone
    try:
        # the platform's own location (no KNEADBACK_HOME)
        monkeypatch.delenv("KNEADBACK_HOME", raising=False)
        monkeypatch.setenv("HOME", str(tmp_path / "home"))
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home" / ".local" / "share"))
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))
        d = getattr(paths, which)()
        assert d.is_relative_to(tmp_path / "home")
        assert stat.S_IMODE(d.stat().st_mode) == 0o700
        # under KNEADBACK_HOME, and a dir that already exists open to all is closed again
        monkeypatch.setenv("KNEADBACK_HOME", str(tmp_path / "kb"))
        d = getattr(paths, which)()
        assert stat.S_IMODE(d.stat().st_mode) == 0o700
        os.chmod(d, 0o755)
        assert stat.S_IMODE(getattr(paths, which)().stat().st_mode) == 0o700
    finally:
        os.umask(old)


def test_the_database_lives_in_the_private_data_dir(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, ["live", "--no-gui", "--source", "sim:steady", "--speed", "1000", "--duration", "3"])
    assert code == 0, err
    db = paths.data_dir() / "kneadback.sqlite3"
    assert db.is_file()
    for d in (db.parent, *db.parent.parents):
        if d == paths.home():
            break
        assert stat.S_IMODE(d.stat().st_mode) == 0o700, d
