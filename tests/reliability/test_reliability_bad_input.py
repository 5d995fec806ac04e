"""Everything a user can hand kneadback that is wrong: one line naming the problem, exit 2, no
traceback, and no file written or changed.

Each case runs `kneadback ...` in-process, on a machine without sound (so `live` and `replay` at
normal speed have their no-audio notice to give, which must never come before the error).
`{d}` in an argument is the directory holding the case's input files; `db` puts a (damaged)
database where kneadback keeps its sessions, `config` a config.toml where it reads its config.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kneadback import paths
from kneadback.config import CONFIG_NAME
from kneadback.store.db import DB_NAME

from .cli import run_cli, snapshot
from .files import foreign_db, junk, make_db, scrambled_db, truncated_db

GOOD_CSV = "time_s,adc\n" + "".join(f"{i / 200:.3f},{300 + (i % 40)}\n" for i in range(400))
GOOD_POINTS = "adc,newtons\n0,0\n210,2\n420,8\n560,20\n700,45\n800,80\n"
GOOD_TOML = '''description = "ok"
[[phase]]
kind = "strokes"
duration_s = 5
'''
# live and replay get flags that end a run at once, so a check that is missing fails the case
# instead of hanging it
LIVE = ["live", "--no-gui", "--no-record", "--source", "sim:steady", "--speed", "1000", "--duration", "0.5"]


@dataclass(frozen=True)
class Case:
    id: str
    argv: list[str]
    names: str  # a regex the one line on stderr must match: it names the problem
    files: dict[str, str | bytes] = field(default_factory=dict)
    db: Callable[[Path], Path] | None = None
    config: str | None = None


def _csv(name: str, text: str | bytes, names: str, *extra: str) -> Case:
    return Case(f"analyze-{name}", ["analyze", "{d}/" + name + ".csv", *extra], names, {name + ".csv": text})


def _points(name: str, text: str, names: str) -> Case:
    return Case(f"points-{name}", ["calibrate", "force", "--points", "{d}/p.csv"], names, {"p.csv": text})


def _toml(name: str, text: str | bytes, names: str) -> Case:
    return Case(f"simulate-{name}", ["simulate", "{d}/" + name + ".toml", "--out", "{d}/out"], names, {name + ".toml": text})


def _db(name: str, make: Callable[[Path], Path], argv: list[str], names: str) -> Case:
    return Case(f"{argv[0]}-db-{name}", argv, names, db=make)


CASES = [
    # --- malformed CSVs (analyze) ----------------------------------------------------------
    _csv("missing", None, r"missing\.csv: no such file"),  # type: ignore[arg-type]
    Case("analyze-no-such-session", ["analyze", "{d}/nothing-here"], r"nothing-here|no sessions"),
    _csv("empty", "", r"empty\.csv: line 1: no header"),
    _csv("no-adc-column", "time_s,force\n0,1\n", r"line 1: header lacks column adc"),
    _csv("header-only", "time_s,adc\n", r"line 2: no samples"),
    _csv("text-cell", "time_s,adc\n0.000,512\n0.005,five hundred\n", r"line 3: adc 'five hundred' is not a number"),
    _csv("short-row", "time_s,adc\n0.000,512\n0.005\n", r"line 3: 1 cells"),
    _csv("time-backwards", "time_s,adc\n0.000,1\n0.005,2\n0.004,3\n", r"line 4: time_s .* does not increase"),
    _csv("time-nan", "time_s,adc\n0.000,1\nnan,2\n", r"line 3: time_s .*not a finite number"),
    _csv("adc-fraction", "time_s,adc\n0.000,1\n0.005,2.5\n", r"line 3: adc 2.5 is not a whole number"),
    _csv("adc-range", "time_s,adc\n0.000,1\n0.005,4000\n", r"line 3: adc 4000 is outside 0..1023"),
    _csv("adc-negative", "time_s,adc\n0.000,1\n0.005,-3\n", r"line 3: adc -3 is outside"),
    _csv("binary", b"time_s,adc\n\xff\xfe\x00\x01garbage", r"not a text file \(byte 11"),
    _csv("bad-meta", "# rate_hz: fast\ntime_s,adc\n0,1\n", r"line 1: rate_hz 'fast' is not a number"),
    _csv("zero-meta", "# rate_hz: 0\ntime_s,adc\n0,1\n", r"line 1: rate_hz must be positive"),
    _csv("one-sample", "time_s,adc\n0.000,512\n", r"too few samples .* --rate"),
    Case("analyze-directory", ["analyze", "{d}/dir.csv"], r"dir\.csv: is a directory", {"dir.csv/x": "1"}),
    Case("analyze-junk-file", ["analyze", "{d}/junk.bin"], r"junk\.bin: not a recording", {"junk.bin": bytes(range(256)) * 4}),
    Case("analyze-foreign-sqlite", ["analyze", "{d}/other.db"], r"other\.db: not a kneadback database"),
    # --- absurd flags: analyze --------------------------------------------------------------
    _csv("chunk-0", GOOD_CSV, r"--chunk 0", "--chunk", "0"),
    _csv("chunk-negative", GOOD_CSV, r"--chunk -5", "--chunk", "-5"),
    _csv("chunk-text", GOOD_CSV, r"--chunk: invalid int value", "--chunk", "many"),
    _csv("rate-0", GOOD_CSV, r"--rate 0", "--rate", "0"),
    _csv("rate-negative", GOOD_CSV, r"--rate -200", "--rate", "-200"),
    _csv("rate-inf", GOOD_CSV, r"--rate inf", "--rate", "inf"),
    _csv("rate-nan", GOOD_CSV, r"--rate nan", "--rate", "nan"),
    _csv("divider-0", GOOD_CSV, r"--divider 0", "--divider", "0"),
    # --- calibration points -----------------------------------------------------------------
    _points("missing-file", None, r"p\.csv: no such file"),  # type: ignore[arg-type]
    _points("text", "adc,newtons\n0,0\n210,two\n", r"p\.csv line 3: .*not two numbers"),
    _points("three-fields", "adc,newtons\n210,2,9\n", r"p\.csv line 2: expected 2 fields"),
    _points("nan", "adc,newtons\n210,nan\n", r"p\.csv line 2: values must be finite"),
    _points("two-unloaded", "0,0\n3,0\n", r"p\.csv line 2: a second unloaded"),
    _points("too-few", "adc,newtons\n0,0\n300,5\n600,30\n", r"at least \d+ are needed"),
    _points("repeated-force", GOOD_POINTS.replace("700,45", "700,20"), r"repeats"),
    _points("adc-out-of-range", GOOD_POINTS.replace("800,80", "1023,80"), r"adc 1023 is out of range"),
    _points("not-monotonic", GOOD_POINTS.replace("700,45", "500,45"), r"line \d"),
    _points("binary", "\udcff", r"p\.csv: cannot read"),
    Case("points-divider-0", ["calibrate", "force", "--points", "{d}/p.csv", "--divider-ohms", "0"], r"--divider-ohms 0",
         {"p.csv": GOOD_POINTS}),
    Case("points-seconds-0", ["calibrate", "force", "--points", "{d}/p.csv", "--seconds", "0"], r"--seconds 0",
         {"p.csv": GOOD_POINTS}),
    Case("points-adc-bits-0", ["calibrate", "force", "--points", "{d}/p.csv", "--adc-bits", "0"], r"--adc-bits",
         {"p.csv": GOOD_POINTS}),
    Case("points-vref-0", ["calibrate", "force", "--points", "{d}/p.csv", "--vref", "0"], r"--vref",
         {"p.csv": GOOD_POINTS}),
    Case("points-vref-negative", ["calibrate", "force", "--points", "{d}/p.csv", "--vref", "-5"], r"--vref",
         {"p.csv": GOOD_POINTS}),
    # --- scenario TOML (simulate) -----------------------------------------------------------
    _toml("syntax", "description = \"x\"\n[[phase]\n", r"syntax\.toml: not valid TOML"),
    _toml("unknown-key", GOOD_TOML + "colour = 3\n", r"unknown-key\.toml: phase (\[0\]|#1)\.colour: unknown key"),
    _toml("out-of-range", GOOD_TOML.replace("duration_s = 5", "duration_s = -5"), r"phase (\[0\]|#1)\.duration_s: -5 is below"),
    _toml("wrong-type", GOOD_TOML.replace("duration_s = 5", 'duration_s = "long"'), r"duration_s: must be a number"),
    _toml("no-phase", 'description = "x"\n', r"no-phase\.toml: phase: missing"),
    _toml("no-description", "[[phase]]\nkind = \"rest\"\nduration_s = 1\n", r"description: missing"),
    _toml("bad-kind", GOOD_TOML.replace('"strokes"', '"dance"'), r"phase (\[0\]|#1)\.kind: 'dance' is not one of"),
    _toml("rate-0", GOOD_TOML + "[device]\nrate_hz = 0\n", r"device\.rate_hz: 0 is below"),
    _toml("binary", b"\xff\xfe\x00junk", r"binary\.toml: cannot read"),
    _toml("huge-repeat", GOOD_TOML + "repeat = 100000\n", r"repeat: 100000 is above"),
    Case("simulate-unknown-name", ["simulate", "no-such-scenario"], r"unknown scenario 'no-such-scenario'"),
    Case("simulate-missing-file", ["simulate", "{d}/gone.toml"], r"gone\.toml: no such scenario file"),
    Case("simulate-out-is-a-file", ["simulate", "steady", "--out", "{d}/f"], r"f: not a directory", {"f": "x"}),
    Case("simulate-seed-negative", ["simulate", "steady", "--out", "{d}/out", "--seed", "-1"], r"--seed -1"),
    # --- absurd flags: hardware divider ------------------------------------------------------
    *[
        Case(f"divider{flag}-{value}", ["hardware", "divider", flag, value], names)
        for flag, value, names in (
            ("--resistors", "abc", r"'abc' is not a resistance"), ("--resistors", "0", r"'0': a divider resistor between"),
            ("--resistors", ",", r"--resistors"), ("--forces", "-5", r"'-5': forces between"), ("--forces", "x", r"'x' is not a force"),
            ("--forces", "1e9", r"'1e9': forces between"), ("--vref", "0", r"--vref 0"), ("--vref", "nan", r"--vref nan"),
            ("--adc-bits", "0", r"--adc-bits: invalid choice: 0"), ("--adc-bits", "40", r"--adc-bits: invalid choice: 40"),
        )
    ],
    # --- absurd flags: live -----------------------------------------------------------------
    Case("live-duration-negative", [*LIVE, "--duration", "-5"], r"--duration -5"),
    Case("live-duration-0", [*LIVE, "--duration", "0"], r"--duration 0"),
    Case("live-duration-nan", [*LIVE, "--duration", "nan"], r"--duration nan"),
    Case("live-speed-0", [*LIVE, "--speed", "0"], r"--speed 0"),
    Case("live-speed-negative", [*LIVE, "--speed", "-2"], r"--speed -2"),
    Case("live-speed-inf", [*LIVE, "--speed", "inf"], r"--speed inf"),
    Case("live-rate-0", [*LIVE, "--rate", "0"], r"--rate 0"),
    Case("live-baud-0", [*LIVE, "--baud", "0"], r"--baud 0"),
    Case("live-baud-text", [*LIVE, "--baud", "fast"], r"--baud: invalid int value"),
    Case("live-seed-negative", [*LIVE, "--seed", "-1"], r"--seed -1"),
    Case("live-rate-target-0", [*LIVE, "--rate-target", "0"], r"rate"),
    Case("live-rate-tolerance-negative", [*LIVE, "--rate-tolerance", "-1"], r"tolerance"),
    Case("live-bout-seconds-0", [*LIVE, "--bout-seconds", "0"], r"bout"),
    Case("live-bouts-min-negative", [*LIVE, "--bouts-min", "-1"], r"bouts"),
    Case("live-bouts-min-above-max", [*LIVE, "--bouts-min", "8", "--bouts-max", "4"], r"bouts"),
    Case("live-discomfort-11", [*LIVE, "--discomfort-target", "11"], r"discomfort"),
    Case("live-hold-max-negative", [*LIVE, "--hold-max", "-1"], r"hold"),
    Case("live-force-ceiling-0", [*LIVE, "--force-ceiling", "0"], r"ceiling"),
    Case("live-unknown-scenario", [*LIVE, "--source", "sim:nope"], r"unknown scenario 'nope'"),
    Case("live-bad-scenario-file", [*LIVE, "--source", "sim:{d}/s.toml"], r"s\.toml: not valid TOML", {"s.toml": "[[["}),
    Case("live-bad-csv", [*LIVE, "--source", "{d}/x.csv"], r"x\.csv: line 3", {"x.csv": "time_s,adc\n0,1\n0.005,x\n"}),
    Case("live-junk-file", [*LIVE, "--source", "{d}/junk.bin"], r"junk\.bin: not a recording", {"junk.bin": b"\x00\x01" * 50}),
    Case("live-empty-source", [*LIVE, "--source", " "], r"empty source spec"),
    Case("live-screenshot-no-gui", [*LIVE, "--screenshot", "{d}/x.png"], r"--screenshot .*x\.png .*--no-gui turns off"),
    Case("live-screenshot-jsonl", [*LIVE, "--jsonl", "--screenshot", "{d}/x.png"], r"--screenshot .*--jsonl turns off"),
    # --- live at normal speed: what is found wrong once the sound is set up ------------------
    Case("live-bad-csv-in-real-time", [*LIVE[:-4], "--source", "{d}/x.csv"], r"x\.csv: line 3", {"x.csv": "time_s,adc\n0,1\n0.005,x\n"}),
    Case("live-no-board-db-junk", ["live", "--no-gui", "--duration", "0.5"], r"not a kneadback database", db=junk),
    Case("live-screenshot-unwritable", ["live", "--no-record", "--source", "sim:steady", "--screenshot", "{d}/f/x.png"],
         r"--screenshot .*f is not a directory", {"f": "x"}),
    Case("live-screenshot-missing-folder", ["live", "--no-record", "--source", "sim:steady", "--screenshot", "{d}/new/x.png"],
         r"--screenshot .*the directory .*new does not exist"),
    # --- replay: absurd flags and bad recordings -------------------------------------------
    Case("replay-speed-0", ["replay", "1", "--no-gui", "--speed", "0"], r"--speed 0"),
    Case("replay-screenshot-no-gui", ["replay", "1", "--no-gui", "--screenshot", "{d}/x.png"], r"--no-gui turns off", db=make_db),
    Case("replay-screenshot-speed-max", ["replay", "1", "--speed", "max", "--screenshot", "{d}/x.png"], r"--speed max turns off",
         db=make_db),
    Case("replay-screenshot-unwritable", ["replay", "1", "--screenshot", "{d}/f/x.png"], r"--screenshot .*f is not a directory",
         {"f": "x"}, db=make_db),
    Case("replay-speed-text", ["replay", "1", "--no-gui", "--speed", "fast"], r"--speed 'fast'"),
    Case("replay-from-negative", ["replay", "1", "--no-gui", "--speed", "max", "--from", "-3"], r"--from -3"),
    Case("replay-no-database", ["replay", "1", "--no-gui", "--speed", "max"], r"no sessions recorded"),
    Case("replay-not-a-json-export", ["replay", "{d}/x.json", "--no-gui", "--speed", "max"], r"x\.json: not a kneadback session export",
         {"x.json": '{"hello": 1}'}),
    Case("replay-broken-json", ["replay", "{d}/x.json", "--no-gui", "--speed", "max"], r"x\.json: not valid JSON \(line 1",
         {"x.json": '{"format": '}),
    Case("replay-json-bad-block", ["replay", "{d}/x.json", "--no-gui", "--speed", "max"], r"x\.json",
         {"x.json": '{"format": "kneadback-session", "version": 1, "session": {"started_at": "x", "wall_start": 0},'
                     ' "events": [], "blocks": [{"t": [0, 1], "adc": [1]}]}'}),
    Case("replay-json-bad-device", ["replay", "{d}/x.json", "--no-gui", "--speed", "max"], r"x\.json: not a valid session export",
         {"x.json": '{"format": "kneadback-session", "version": 1, "session": {"started_at": "x", "wall_start": 0, "device": [1]},'
                     ' "events": [], "blocks": []}'}),
    Case("replay-json-unknown-event", ["replay", "{d}/x.json", "--no-gui", "--speed", "max"], r"x\.json: not a valid session export",
         {"x.json": '{"format": "kneadback-session", "version": 1, "session": {"started_at": "x", "wall_start": 0},'
                     ' "events": [{"after_block": 0, "origin": "user", "t": 0, "type": "bogus", "data": {"type": "bogus"}}],'
                     ' "blocks": []}'}),
    # --- EDF: kneadback writes EDF+ but reads none; a file handed to it is refused plainly ----
    Case("replay-edf", ["replay", "{d}/x.edf", "--no-gui", "--speed", "max"], r"x\.edf: not a recording", {"x.edf": b"0       " + bytes(248)}),
    Case("analyze-edf", ["analyze", "{d}/x.edf"], r"x\.edf: not a recording", {"x.edf": b"0       " + bytes(248)}),
    Case("import-edf", ["import", "{d}/x.edf"], r"x\.edf", {"x.edf": b"0       " + bytes(248)}),
    # --- import -------------------------------------------------------------------------------
    Case("import-missing", ["import", "{d}/nope.csv"], r"nope\.csv: no such file"),
    Case("import-bad-row", ["import", "{d}/x.csv"], r"x\.csv: line 3", {"x.csv": "time_s,adc\n0,1\n0.005,oops\n"}),
    Case("import-no-header", ["import", "{d}/x.csv"], r"x\.csv: line 1: header lacks", {"x.csv": "1,2\n3,4\n"}),
    Case("import-rate-0", ["import", "{d}/x.csv", "--rate", "0"], r"--rate 0", {"x.csv": GOOD_CSV}),
    Case("import-divider-negative", ["import", "{d}/x.csv", "--divider", "-1"], r"--divider -1", {"x.csv": GOOD_CSV}),
    Case("import-start-garbage", ["import", "{d}/x.csv", "--start", "yesterday-ish"], r"--start 'yesterday-ish'", {"x.csv": GOOD_CSV}),
    Case("import-empty-spot", ["import", "{d}/x.csv", "--spot", " "], r"--spot", {"x.csv": GOOD_CSV}),
    Case("import-bout-seconds-0", ["import", "{d}/x.csv", "--bout-seconds", "0"], r"bout", {"x.csv": GOOD_CSV}),
    # --- export, report, history ------------------------------------------------------------
    Case("export-no-such-dir", ["export", "last", "--out", "{d}/no/such/dir/x.csv"], r"does not exist", db=make_db),
    Case("export-unknown-suffix", ["export", "last", "--out", "{d}/x.xlsx"], r"--format", db=make_db),
    Case("export-no-such-session", ["export", "99", "--out", "{d}/x.csv"], r"no session 99", db=make_db),
    Case("export-junk-recording", ["export", "{d}/junk.bin", "--out", "{d}/x.csv"], r"junk\.bin: not a recording",
         {"junk.bin": b"\x00" * 64}),
    Case("report-no-such-dir", ["report", "last", "--out", "{d}/no/such/r.html"], r"does not exist|cannot write", db=make_db),
    Case("history-days-0", ["history", "--days", "0"], r"--days 0", db=make_db),
    Case("history-days-negative", ["history", "--days", "-3"], r"--days -3", db=make_db),
    Case("doctor-db-missing", ["doctor", "--db", "{d}/missing.db"], r"missing\.db: no such file"),
    # --- config.toml: what no part of kneadback reads is a mistake too ----------------------
    Case("config-misspelt-table", LIVE, r"config\.toml: unknown table \[targetz\] \(did you mean \[targets\]\?\)",
         config="[targetz]\nrate_spm = 60\n"),
    Case("config-key-outside-tables", LIVE, r"config\.toml: 'rate_spm' is outside any table",
         config="rate_spm = 60\n[targets]\nbout_s = 30\n"),
    Case("config-unknown-table", ["history"], r"config\.toml: unknown table \[colours\]", config="[colours]\nbar = 1\n", db=make_db),
    Case("config-not-a-table", LIVE, r"config\.toml: \[sound\] must be a table", config='sound = "loud"\n'),
    Case("config-unknown-key", LIVE, r"config\.toml: \[sound\] unknown key 'volume'", config="[sound]\nvolume = 3\n"),
    # --- a bad database where kneadback keeps its sessions ---------------------------------
    *[
        _db(name, make, argv, names)
        for argv in (["sessions"], ["replay", "last", "--no-gui", "--speed", "max"], ["analyze", "last"],
                     [*LIVE[:-4], "--source", "last", "--duration", "0.5"], ["export", "last", "--out", "{d}/x.json"],
                     ["report", "last", "--out", "{d}/r.html"], ["history"])
        for name, make, names in (
            ("junk", junk, r"not a kneadback database \(not an SQLite file"),
            ("text", lambda p: (p.write_text("id,start\n1,today\n"), p)[1], r"not a kneadback database"),
            ("foreign", foreign_db, r"not a kneadback database \(an SQLite file of another program\)"),
            ("truncated", truncated_db, r"kneadback\.sqlite3: damaged database"),
            ("scrambled", scrambled_db, r"kneadback\.sqlite3: damaged database"),
            ("bad-json", lambda p: _damage_json(make_db(p)), r"damaged database: a stored record is not valid JSON"),
        )
    ],
]


def _damage_json(db: Path) -> Path:
    """A database whose rows hold text that is not the JSON kneadback wrote (another tool, a bad disk)."""
    conn = sqlite3.connect(db)
    conn.execute("UPDATE sessions SET device = '{\"board\": ' , summary = '[1,' ")
    conn.execute("UPDATE events SET data = '{oops'")
    conn.commit()
    conn.close()
    return db


def _write(d: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        p = d / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if content is None:
            continue
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_bytes(content.encode("utf-8", "surrogateescape"))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
@pytest.mark.usefixtures("no_sound_system")
def test_bad_input_gets_one_line_naming_it_and_exit_2(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = tmp_path / "in"
    d.mkdir()
    _write(d, case.files)
    if case.id == "analyze-foreign-sqlite":
        foreign_db(d / "other.db")
    if case.db is not None:
        case.db(paths.data_dir() / DB_NAME)
    if case.config is not None:
        (paths.config_dir() / CONFIG_NAME).write_text(case.config)
    before = snapshot(tmp_path)
    code, out, err = run_cli(capsys, [a.replace("{d}", str(d)) for a in case.argv])
    assert "Traceback" not in out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{err}"
    assert re.search(case.names, lines[0]), lines[0]
    assert code == 2, lines[0]
    assert snapshot(tmp_path) == before, "a file was written or changed"


def test_the_good_inputs_of_the_table_are_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The same commands with the good files exit 0, so each bad case fails for its own reason."""
    (tmp_path / "good.csv").write_text(GOOD_CSV)
    (tmp_path / "p.csv").write_text(GOOD_POINTS)
    (tmp_path / "good.toml").write_text(GOOD_TOML)
    make_db(paths.data_dir() / DB_NAME)
    for argv in (
        ["analyze", str(tmp_path / "good.csv"), "--chunk", "7", "--rate", "200", "--divider", "1000"],
        ["calibrate", "force", "--points", str(tmp_path / "p.csv"), "--no-save"],
        ["simulate", str(tmp_path / "good.toml"), "--out", str(tmp_path / "out")],
        [*LIVE],
        ["sessions"],
        ["replay", "last", "--no-gui", "--speed", "max"],
        ["analyze", "last"],
    ):
        code, _out, err = run_cli(capsys, argv)
        assert code == 0, f"{argv}: {err}"


@pytest.mark.parametrize(
    ("make", "names"),
    [(junk, r"not a kneadback database"), (foreign_db, r"another program"), (truncated_db, r"malformed"),
     (scrambled_db, r"malformed"), (lambda p: _damage_json(make_db(p)), r"not valid JSON")],
    ids=["junk", "foreign", "truncated", "scrambled", "bad-json"],
)
def test_doctor_names_the_damage_and_changes_nothing(make, names: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make(paths.data_dir() / DB_NAME)
    before = snapshot(tmp_path)
    code, out, err = run_cli(capsys, ["doctor"])
    assert code == 2 and "Traceback" not in out + err
    assert re.search(names, out + err)
    assert snapshot(tmp_path) == before
