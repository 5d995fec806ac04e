"""The hardware guide stays true: its links resolve, its schematic wires what the firmware reads,
its table is current."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from kneadback.cli import main

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "hardware" / "README.md"
SCHEMATIC = ROOT / "hardware" / "wiring.svg"
SKETCH = ROOT / "firmware" / "kneadback" / "kneadback.ino"
SVG = "{http://www.w3.org/2000/svg}"
Point = tuple[float, float]

# the nets the firmware needs: the FSR from 5V to A0, R1 from A0 to D7 (KB_DIVIDER_PIN, which
# switches the divider, never GND), the GY-521 on 5V, GND and I2C (SDA on A4, SCL on A5)
NETS = {
    frozenset({"board:5V", "FSR:top", "imu:VCC"}),
    frozenset({"board:A0", "FSR:bottom", "R1:top"}),
    frozenset({"board:D7", "R1:bottom"}),
    frozenset({"board:GND", "imu:GND"}),
    frozenset({"board:A4", "imu:SDA"}),
    frozenset({"board:A5", "imu:SCL"}),
}


def test_relative_links_resolve():
    links = re.findall(r"\]\(([^)#:]+)\)", GUIDE.read_text())
    assert "wiring.svg" in links and "cap/fsr402_cap.scad" in links
    for link in links:
        assert (GUIDE.parent / link).exists(), link


def _slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_links_within_the_guide_reach_a_heading():
    text = GUIDE.read_text()
    anchors = {_slug(h) for h in re.findall(r"^#+ (.+)$", text, re.M)}
    links = re.findall(r"\]\(#([^)]+)\)", text)
    assert "the-motion-sensor-optional" in links
    assert set(links) <= anchors


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    return text[start:] if end < 0 else text[start:end]


def test_the_motion_sensor_section_matches_the_firmware_and_the_schematic():
    section = _section(GUIDE.read_text(), "## The motion sensor (optional)")
    sketch = SKETCH.read_text()
    address = re.search(r"#define KB_IMU_ADDR (0x[0-9A-Fa-f]+)", sketch)
    who_am_i = re.search(r"imu_raw\[0\] == (0x[0-9A-Fa-f]+)", sketch)  # the boot check
    assert address and who_am_i
    assert f"`KB_IMU_ADDR` ({address.group(1)})" in section
    assert f"reads {who_am_i.group(1)}" in section
    # the wiring table joins the pins the schematic joins
    table = _section(section, "### Wiring the GY-521")
    rows = re.findall(r"^\| (VCC|GND|SDA|SCL) \| \*\*(\w+)\*\* \|", table, re.M)
    assert {frozenset({f"imu:{pin}", f"board:{board}"}) for pin, board in rows} == {
        frozenset(n for n in net if n.startswith(("imu:", "board:"))) for net in NETS if any(n.startswith("imu:") for n in net)
    }


def test_main_readme_links_the_guide():
    assert "(hardware/README.md)" in (ROOT / "README.md").read_text()


def _points(wire: ET.Element) -> list[Point]:
    if wire.tag == SVG + "line":
        return [(float(wire.get("x1", 0)), float(wire.get("y1", 0))), (float(wire.get("x2", 0)), float(wire.get("y2", 0)))]
    xy = [float(v) for v in re.split(r"[\s,]+", wire.get("points", "").strip())]
    return list(zip(xy[::2], xy[1::2], strict=True))


def _on(p: Point, a: Point, b: Point, tol: float = 0.5) -> bool:
    """Whether p lies on the segment a-b."""
    (px, py), (ax, ay), (bx, by) = p, a, b
    cross = (bx - ax) * (py - ay) - (by - ay) * (px - ax)
    length = max(abs(bx - ax), abs(by - ay), 1e-9)
    inside = min(ax, bx) - tol <= px <= max(ax, bx) + tol and min(ay, by) - tol <= py <= max(ay, by) + tol
    return inside and abs(cross) / length <= tol


def schematic_nets(root: ET.Element) -> set[frozenset[str]]:
    """The nets as drawn: a wire joins every pin (a circle with data-pin), part terminal (the
    middles of a data-part box's short sides) and dot (a junction) that lies on it; wires that only
    cross are not joined. Each net is the set of names it joins; a wire end on none of those (say
    on another wire, without a dot) is a mistake and shows as a "loose end" of its own."""
    nodes: list[tuple[Point, str, str | None]] = []  # where, its name, the wire a loose end belongs to
    for c in root.iter(SVG + "circle"):
        if c.get("data-pin") or c.get("class") == "junction":
            nodes.append(((float(c.get("cx", 0)), float(c.get("cy", 0))), c.get("data-pin") or "", None))
    for r in root.iter(SVG + "rect"):
        if part := r.get("data-part"):
            x, y, w, h = (float(r.get(k, 0)) for k in ("x", "y", "width", "height"))
            nodes += [((x + w / 2, y), f"{part}:top", None), ((x + w / 2, y + h), f"{part}:bottom", None)]
    wires = {w.get("id", ""): _points(w) for w in root.iter() if w.tag in (SVG + "line", SVG + "polyline")}
    wires = {name: pts for name, pts in wires.items() if name.startswith("wire-")}
    fixed = {where for where, _, _ in nodes}
    nodes += [(end, f"loose end of {name}", name) for name, pts in wires.items() for end in (pts[0], pts[-1]) if end not in fixed]
    parent = list(range(len(nodes)))

    def find(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for name, pts in wires.items():
        joined = [i for i, (where, _, owner) in enumerate(nodes)
                  if owner == name or (owner is None and any(_on(where, a, b) for a, b in zip(pts, pts[1:], strict=False)))]
        for i in joined[1:]:
            parent[find(i)] = find(joined[0])
    nets: dict[int, set[str]] = {}
    for i, (_, label, _) in enumerate(nodes):
        nets.setdefault(find(i), set()).add(label)
    return {frozenset(net - {""}) for net in nets.values()}


def test_schematic_is_well_formed_svg_with_the_pins():
    root = ET.parse(SCHEMATIC).getroot()
    assert root.tag == SVG + "svg"
    texts = {t.text for t in root.iter(SVG + "text")}
    assert {"5V", "A0", "D7", "GND", "A4", "A5", "FSR 402", "R1  1 kΩ", "GY-521", "VCC", "SDA", "SCL"} <= texts
    for c in root.iter(SVG + "circle"):  # each pin is labelled with its own name beside it
        if pin := c.get("data-pin"):
            cx, cy = float(c.get("cx", 0)), float(c.get("cy", 0))
            near = {t.text for t in root.iter(SVG + "text") if abs(float(t.get("x", 0)) - cx) < 30 and 0 < float(t.get("y", 0)) - cy < 10}
            assert pin.split(":")[1] in near, pin


def test_schematic_wires_the_nets_the_firmware_needs():
    nets = schematic_nets(ET.parse(SCHEMATIC).getroot())
    assert nets == NETS
    # the firmware's pins: R1 returns to KB_DIVIDER_PIN, which is never ground
    sketch = SKETCH.read_text()
    divider_pin = re.search(r"#define KB_DIVIDER_PIN (\d+)", sketch)
    assert divider_pin and frozenset({f"board:D{divider_pin.group(1)}", "R1:bottom"}) in nets
    assert not any({"board:D7", "board:GND"} <= net for net in nets)


@pytest.mark.parametrize(
    ("wire", "points", "why"),
    [
        ("wire-sda", "210,290 340,250", "SDA drawn to A5"),
        ("wire-d7", "740,335 740,380 600,380 600,210 340,210", "R1 returned to GND"),
        ("wire-gnd", "210,210 340,210 340,290", "GND run over A4"),
        ("wire-vcc", "210,170 270,170 270,30 560,30 560,170", "VCC ending on the 5 V wire without a dot"),
    ],
)
def test_a_wrongly_drawn_wire_is_caught(wire: str, points: str, why: str):
    root = ET.parse(SCHEMATIC).getroot()
    w = next(e for e in root.iter() if e.get("id") == wire)
    w.tag, w.attrib = SVG + "polyline", {"id": wire, "points": points}
    assert schematic_nets(root) != NETS, why


def test_divider_table_in_the_guide_matches_the_command(capsys):
    block = re.search(r"\$ kneadback hardware divider ([^\n]+)\n(.*?)```", GUIDE.read_text(), re.S)
    assert block
    assert main(["hardware", "divider", *block.group(1).split()]) == 0
    printed = [line.rstrip() for line in capsys.readouterr().out.splitlines()[1:]]
    documented = [line.rstrip() for line in block.group(2).splitlines()]
    assert printed[: len(documented)] == documented
