"""`kneadback hardware divider`: the table comes from the shared FSR model and says why 1 kΩ."""

from __future__ import annotations

import numpy as np
import pytest

from kneadback.cli import main
from kneadback.commands.hardware import counts_slope, divider_column, divider_table, parse_ohms
from kneadback.errors import InputError
from kneadback.fsr import DatasheetForceModel, Divider, FsrCurve


def test_counts_match_the_shared_model():
    forces = [5.0, 20.0, 150.0]
    col = divider_table([1000.0], forces)[0]
    assert col.counts.tolist() == DatasheetForceModel(Divider(1000.0)).to_counts(np.array(forces)).tolist()


def test_resolution_is_the_inverse_slope():
    curve, div = FsrCurve(), Divider(1000.0)
    f = np.array([10.0, 100.0])
    ideal = lambda x: 1024 * div.r_fixed / (div.r_fixed + curve.resistance(x))  # noqa: E731
    numeric = (ideal(f + 1e-3) - ideal(f - 1e-3)) / 2e-3
    assert np.allclose(counts_slope(curve, div, f), numeric, rtol=1e-4)


def test_10k_saturates_early_and_1k_covers_massage_forces():
    forces = np.array([5.0, 150.0])
    ten_k, one_k = divider_column(10000.0, forces), divider_column(1000.0, forces)
    assert ten_k.usable_to_n < 20 and ten_k.n_per_count[1] > 15  # > 15 N per count at 150 N
    assert one_k.usable_to_n >= 150 and one_k.worst_step < 0.02
    assert ten_k.counts[1] >= 995  # within a few counts of the 1023 rail


@pytest.mark.parametrize("text, ohms", [("1k", 1000), ("4.7k", 4700), ("2k2", 2200), ("680", 680), ("680R", 680), ("1M", 1e6), ("10000 ohms", 10000)])
def test_parse_ohms(text, ohms):
    assert parse_ohms(text) == ohms


@pytest.mark.parametrize("text", ["", "abc", "1x", "5", "20M"])
def test_parse_ohms_rejects(text):
    with pytest.raises(InputError):
        parse_ohms(text)


def test_command_prints_the_table(capsys):
    assert main(["hardware", "divider", "--resistors", "1k,10k", "--forces", "150,5"]) == 0
    out = capsys.readouterr().out.splitlines()
    rows = {line.split()[0]: line.split() for line in out if line.strip() and line.split()[0] in ("5", "150")}
    assert rows["5"][1:3] == ["377", "0.03"]
    assert rows["150"][1] == "821" and rows["150"][4] == "999" and rows["150"][5].endswith("!")
    assert rows["150"][3] == "4.0*" and rows["150"][6] == "0.5"  # the FSR's current beside the resolution
    assert any("finest here: 1k Ω" in line for line in out)


def test_the_table_names_the_finest_resistor_within_the_sensors_current_rating(capsys):
    """Today: 1 kΩ at 5 V passes 2.5-4 mA at massage forces against the ~1.1 mA guidance."""
    assert main(["hardware", "divider"]) == 0
    out = capsys.readouterr().out
    assert "finest within 1.1 mA up to 90 N: 4.7k Ω." in out
    one_k, four_k7 = divider_column(1000.0, np.array([5.0, 90.0])), divider_column(4700.0, np.array([5.0, 90.0]))
    assert not one_k.within_rating and one_k.ma.min() > 1.1
    assert four_k7.within_rating and four_k7.worst_step < 0.05  # still under 5 % a count over 5-90 N


@pytest.mark.parametrize("argv, message", [
    (["--resistors", "1k,foo"], "'foo' is not a resistance"),
    (["--forces", "5,-3"], "forces between 0 and 1000 N"),
    (["--resistors", ","], "--resistors: give a comma-separated list"),
])
def test_command_rejects_bad_input(capsys, argv, message):
    assert main(["hardware", "divider", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
