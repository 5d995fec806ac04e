"""The hardware guide stays true: its links resolve, its schematic parses, its table is current."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from kneadback.cli import main

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "hardware" / "README.md"


def test_relative_links_resolve():
    links = re.findall(r"\]\(([^)#:]+)\)", GUIDE.read_text())
    assert "wiring.svg" in links and "cap/fsr402_cap.scad" in links
    for link in links:
        assert (GUIDE.parent / link).exists(), link


def test_main_readme_links_the_guide():
    assert "(hardware/README.md)" in (ROOT / "README.md").read_text()


def test_schematic_is_well_formed_svg_with_the_pins():
    root = ET.parse(ROOT / "hardware" / "wiring.svg").getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = {t.text for t in root.iter("{http://www.w3.org/2000/svg}text")}
    # R1 returns to D7 (the firmware's KB_DIVIDER_PIN), which switches the divider, not to GND
    assert {"5V", "A0", "D7", "FSR 402", "R1  1 kΩ"} <= texts and "GND" not in texts


def test_divider_table_in_the_guide_matches_the_command(capsys):
    block = re.search(r"\$ kneadback hardware divider ([^\n]+)\n(.*?)```", GUIDE.read_text(), re.S)
    assert block
    assert main(["hardware", "divider", *block.group(1).split()]) == 0
    printed = [line.rstrip() for line in capsys.readouterr().out.splitlines()[1:]]
    documented = [line.rstrip() for line in block.group(2).splitlines()]
    assert printed[: len(documented)] == documented
