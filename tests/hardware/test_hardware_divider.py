"""`kneadback hardware divider`: the table comes from the shared FSR model and says why 1 kΩ on D7."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from kneadback.cli import main
from kneadback.commands.hardware import (
    CLOSED_US,
    CURRENT_LIMIT_MA,
    DEFAULT_RESISTORS,
    DIVIDER_PIN,
    FIRMWARE_RATE_HZ,
    counts_slope,
    divider_column,
    divider_table,
    parse_ohms,
    pin_duty,
    recommend,
)
from kneadback.errors import InputError
from kneadback.fsr import DatasheetForceModel, Divider, FsrCurve
from kneadback.sources import emulated


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


def test_with_r1_to_gnd_the_table_names_the_finest_resistor_within_the_sensors_current_rating(capsys):
    """1 kΩ to GND passes 2.5-4 mA at massage forces against the ~1.1 mA guidance."""
    assert main(["hardware", "divider"]) == 0
    out = capsys.readouterr().out
    assert "R1 to GND: 4.7k Ω, the finest within 1.1 mA up to 90 N." in out
    one_k, four_k7 = divider_column(1000.0, np.array([5.0, 90.0])), divider_column(4700.0, np.array([5.0, 90.0]))
    assert one_k.current_ma > CURRENT_LIMIT_MA and one_k.ma.min() > 1.1
    assert four_k7.current_ma <= CURRENT_LIMIT_MA and four_k7.worst_step < 0.05  # still under 5 % a count over 5-90 N


def test_the_default_circuit_is_within_the_rating_at_every_firmware_rate(capsys):
    """Today the firmware's 1 kΩ divider returned to GND: 3.9 mA at 90 N. Returned to D7, driven
    low only around each conversion, it keeps 1 kΩ's resolution and averages well under 1.1 mA,
    even at 1000 Hz."""
    forces = np.array([5.0, 90.0])
    columns = divider_table(list(DEFAULT_RESISTORS), list(forces))
    for rate in (10.0, FIRMWARE_RATE_HZ, 1000.0):
        pick = recommend(columns, pin_duty(rate))
        assert pick is not None and pick.r_fixed == 1000.0  # the firmware's KB_DIVIDER_OHMS
        assert pick.current_ma * pin_duty(rate) < CURRENT_LIMIT_MA
    assert main(["hardware", "divider", "--resistors", "1k,4.7k"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "R1 to D7 at 200 Hz (the firmware's wiring): 1k Ω, the least current that keeps one count ≤ 2 % of the reading over 5-90 N." in out
    row = next(line.split() for line in out if line.startswith("    1k Ω"))
    assert row[-2:] == ["3.9*", "0.10"]  # R1 to GND, and to D7 on average at 200 Hz


def test_one_rule_picks_for_both_feeds():
    """The least current that keeps one count within 2 % over 5-90 N; else the finest within."""
    columns = divider_table([330.0, 1000.0, 2200.0, 4700.0, 10000.0], [5.0, 90.0])
    assert [c.fine for c in columns] == [True, True, False, False, False]
    assert recommend(columns).r_fixed == 4700.0  # R1 to GND: no fine resistor is within 1.1 mA
    assert recommend(columns, 0.5).r_fixed == 2200.0  # half the time: 2.2k is, but not fine
    assert recommend(columns, 0.02).r_fixed == 1000.0
    assert recommend(columns[:2]) is None  # all over the rating with R1 to GND


def test_the_firmware_and_the_table_agree_on_the_circuit():
    sketch = (Path(__file__).resolve().parents[2] / "firmware" / "kneadback" / "kneadback.ino").read_text()
    consts = dict(re.findall(r"#define (KB_\w+) (\d+)", sketch))
    assert f"D{consts['KB_DIVIDER_PIN']}" == DIVIDER_PIN
    assert int(consts["KB_DEFAULT_RATE"]) == FIRMWARE_RATE_HZ == emulated.FIRMWARE_RATE_HZ
    assert int(consts["KB_DIVIDER_OHMS"]) == emulated.FIRMWARE_DIVIDER_OHMS == 1000
    # the pin is low for the settling, one conversion (104 us) and a few us of interrupt entry
    assert int(consts["KB_SETTLE_US"]) + 104 < CLOSED_US < int(consts["KB_SETTLE_US"]) + 104 + 15


@pytest.mark.parametrize("argv, message", [
    (["--resistors", "1k,foo"], "'foo' is not a resistance"),
    (["--forces", "5,-3"], "forces between 0 and 1000 N"),
    (["--resistors", ","], "--resistors: give a comma-separated list"),
    (["--rate", "5000"], "--rate 5000: the firmware samples at 10 to 1000 Hz"),
])
def test_command_rejects_bad_input(capsys, argv, message):
    assert main(["hardware", "divider", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
