"""Targets: documented defaults, config.toml, flags, one-line errors."""

from __future__ import annotations

import argparse

import pytest

from kneadback import config, paths
from kneadback.coach import targets
from kneadback.coach.targets import Targets
from kneadback.errors import InputError


def write_config(text: str):
    path = paths.config_dir() / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def parse(argv):
    p = argparse.ArgumentParser()
    targets.add_arguments(p)
    return p.parse_args(argv)


def test_defaults_are_the_routine():
    t = targets.load()
    assert t == Targets()
    assert t.rate_band == (50.0, 70.0) and t.bout_s == 30.0
    assert (t.bouts_min, t.bouts_max) == (3, 10)
    assert t.discomfort_band == (6.0, 8.0) and t.hold_max_s == 2.0
    assert t.stroke_period_s == 1.0


def test_config_file_overrides_defaults_and_flags_override_the_file():
    write_config("[targets]\nrate_spm = 50\nbout_s = 45\nforce-ceiling-n = 70.5\n")
    t = targets.from_args(parse([]))
    assert (t.rate_spm, t.bout_s, t.force_ceiling_n) == (50.0, 45.0, 70.5)
    t = targets.from_args(parse(["--rate-target", "66", "--bouts-max", "8"]))
    assert (t.rate_spm, t.bout_s, t.bouts_max) == (66.0, 45.0, 8)


@pytest.mark.parametrize(
    "text, words",
    [
        ("[targets]\nrate_sm = 50\n", ["unknown key 'rate_sm'", "[targets]"]),
        ("[targets]\nrate_spm = 'fast'\n", ["rate_spm", "expected a number"]),
        ("[targets]\nbouts_min = 12\n", ["bouts_min"]),
        ("[targets\nrate_spm = 50\n", ["line 1"]),
        ("targets = 3\n", ["must be a table"]),
    ],
)
def test_bad_config_is_one_line_naming_file_and_key(text, words):
    path = write_config(text)
    with pytest.raises(InputError) as e:
        targets.load()
    msg = str(e.value)
    assert "\n" not in msg and str(path) in msg
    for w in words:
        assert w in msg


def test_bad_flag_value_is_an_input_error():
    with pytest.raises(InputError, match="rate_spm"):
        targets.from_args(parse(["--rate-target", "500"]))


def test_no_config_file_is_fine():
    assert config.load_config() == {}
