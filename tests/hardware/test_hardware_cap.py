"""The tip cap's OpenSCAD model renders to a sane STL for several tip sizes (needs `openscad`)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

SCAD = Path(__file__).resolve().parents[2] / "hardware" / "cap" / "fsr402_cap.scad"
OPENSCAD = shutil.which("openscad")
pytestmark = pytest.mark.skipif(OPENSCAD is None, reason="openscad is not installed (Debian: apt-get install openscad)")

WALL, CLEARANCE, SOCKET_DEPTH, PLATE_T = 2.4, 0.3, 12, 3


def _render(tmp_path: Path, **params: object) -> subprocess.CompletedProcess:
    out = tmp_path / "out.stl"
    defines = []
    for k, v in {"$fn": 32, **params}.items():
        defines += ["-D", f'{k}="{v}"' if isinstance(v, str) else f"{k}={v}"]
    return subprocess.run([OPENSCAD, "-o", str(out), *defines, str(SCAD)], capture_output=True, text=True, timeout=120)


def _vertices(path: Path) -> np.ndarray:
    text = path.read_text()
    assert text.startswith("solid")
    return np.array(re.findall(r"vertex\s+(\S+)\s+(\S+)\s+(\S+)", text), dtype=float)


def _volume(path: Path) -> float:
    tri = _vertices(path).reshape(-1, 3, 3)
    return float(np.abs(np.einsum("ij,ij->i", tri[:, 0], np.cross(tri[:, 1], tri[:, 2])).sum()) / 6)


@pytest.mark.parametrize("tip_d, shape", [(25, "ball"), (40, "cylinder")])
def test_cap_renders_to_the_tip_size(tmp_path, tip_d, shape):
    result = _render(tmp_path, tip_d=tip_d, tip_shape=shape, part="cap")
    assert result.returncode == 0, result.stderr[-500:]
    v = _vertices(tmp_path / "out.stl")
    outer = tip_d + 2 * (CLEARANCE + WALL)
    assert v[:, 1].max() - v[:, 1].min() == pytest.approx(outer, abs=0.2)  # x carries the tail groove
    assert v[:, 2].min() == pytest.approx(0, abs=1e-3) and v[:, 2].max() == pytest.approx(SOCKET_DEPTH + PLATE_T, abs=1e-3)
    # hollow: well under the volume of the solid cylinder (the socket is cut out)
    solid = np.pi * (outer / 2) ** 2 * (SOCKET_DEPTH + PLATE_T)
    assert 0.2 * solid < _volume(tmp_path / "out.stl") < 0.8 * solid


def test_all_parts_render_for_printing(tmp_path):
    result = _render(tmp_path, tip_d=30, part="print", **{"$fn": 24})
    assert result.returncode == 0, result.stderr[-500:]
    v = _vertices(tmp_path / "out.stl")
    assert v[:, 0].max() - v[:, 0].min() > 2 * (30 + 2 * (CLEARANCE + WALL))  # cap and ring side by side


def test_a_spreader_wider_than_the_active_area_is_refused(tmp_path):
    result = _render(tmp_path, puck_d=14)
    assert result.returncode != 0
    assert "puck_d must be smaller than the active area" in result.stderr
