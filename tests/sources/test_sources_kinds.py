"""The source kinds (`kneadback.sources.SOURCE_KINDS`): each is recognised by `open_source`, opened
by its module, listed in the `--source` help and in the error for a spec that is none of them."""

from __future__ import annotations

import argparse
import importlib

import pytest

from kneadback.cli import build_parser
from kneadback.errors import InputError
from kneadback.sources import SOURCE_KINDS, SOURCE_USAGE, open_source, source_kind

#: specs of each kind, by its usage; a new kind fails `test_every_kind_has_examples` until it is here
EXAMPLES: dict[str, list[str]] = {
    "auto": ["auto"],
    "a port (/dev/ttyACM0, COM3)": ["/dev/ttyACM0", "COM3", "com12"],
    "loop://, socket://HOST:PORT": ["loop://", "socket://localhost:5000", "sim://x"],
    "sim[:SCENARIO]": ["sim", "sim:steady", "sim:my/scenario.toml"],
    "emu[:SCENARIO]": ["emu", "emu:steady"],
    "lsl:NAME, lsl:type=TYPE, lsl:source_id=ID": ["lsl", "lsl:kneadback 42", "lsl:type=Force",
                                                  "lsl:source_id=kneadback:42:force"],
    "a recording": ["12", "last", "session.json", "exports/today.db", "{tmp}/plain-name"],
}


def test_every_kind_has_examples():
    assert set(EXAMPLES) == {k.usage for k in SOURCE_KINDS}


@pytest.fixture
def opened_by(monkeypatch):
    """Each source module's `from_spec` replaced by one that says which module got what."""
    for module in {k.module_name for k in SOURCE_KINDS}:
        mod = importlib.import_module(module)
        monkeypatch.setattr(mod, "from_spec", lambda argument, options, module=module: (module, argument))


@pytest.mark.parametrize(("usage", "spec"), [(u, s) for u, specs in EXAMPLES.items() for s in specs])
def test_each_spec_goes_to_its_kind_s_module(usage, spec, opened_by, tmp_path):
    spec = spec.format(tmp=tmp_path)
    if "plain-name" in spec:
        (tmp_path / "plain-name").write_bytes(b"")  # an existing file, whatever its name
    kind, argument = source_kind(spec)
    assert kind.usage == usage
    assert open_source(f"  {spec} ") == (kind.module_name, argument)  # surrounding spaces do not count
    named = kind.module in ("simulated", "emulated", "kneadback.lsl.inlet")  # NAME after the colon
    assert argument == (spec.partition(":")[2] if named else spec)


def test_every_kind_is_in_the_live_help_and_the_errors():
    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    help_text = next(a.help for a in commands.choices["live"]._actions if "--source" in a.option_strings)
    for kind in SOURCE_KINDS:
        assert f"{kind.usage}: {kind.about}" in help_text
        assert kind.usage in SOURCE_USAGE
    with pytest.raises(InputError, match=r"^empty source spec: use auto, a port .* or a recording$"):
        open_source("  ")
    with pytest.raises(InputError) as unknown:
        open_source("simm")
    assert str(unknown.value) == f"unknown source 'simm': use {SOURCE_USAGE}"


@pytest.mark.parametrize("spec", ["simm", "localhost:5000", "emulator", "-3"])
def test_a_spec_of_no_kind_is_one_line_naming_the_kinds(spec, capsys):
    from kneadback import cli

    assert cli.main(["live", "--no-gui", "--no-record", "--source", spec]) == 2
    err = capsys.readouterr().err
    assert err == f"kneadback: unknown source {spec!r}: use {SOURCE_USAGE}\n"
