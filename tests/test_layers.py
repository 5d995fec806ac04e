"""Imports point down the layers of docs/architecture.md, and the parts of the package form no cycle.

The layer table is read from the document itself, so the document and the code cannot drift
apart: a new module or package must be placed in it before any test passes."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "host" / "kneadback"
DOC = ROOT / "docs" / "architecture.md"


def layers_of(doc: str) -> dict[str, int]:
    """{part: layer number} from the document's table: each row `| N | name | `part`, `part` | ...`,
    with 0 the bottom layer."""
    parts: dict[str, int] = {}
    for row in re.findall(r"^\|\s*(\d+)\s*\|[^|]*\|([^|]*)\|", doc, flags=re.M):
        for part in re.findall(r"`([\w.]+)`", row[1]):
            assert part not in parts, f"{part} is in two layers"
            parts[part] = int(row[0])
    return parts


def part_of(module: str) -> str:
    """`kneadback.coach.coach` → `coach`; `kneadback.model` → `model`."""
    return module.split(".")[1]


def imports(path: Path, module: str) -> Iterable[tuple[str, int]]:
    """Every kneadback module `path` imports, with its line: at the top, in functions and under
    TYPE_CHECKING alike (a type from above is still a dependency on it)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            # `from kneadback import paths` imports the module kneadback.paths; `__version__` is the
            # package's own (its `__init__`, which imports nothing)
            names = [f"{base}.{a.name}" for a in node.names if _is_part(a.name)] if base == "kneadback" else [base]
        else:
            continue
        for name in names:
            if name.startswith("kneadback."):
                yield name, node.lineno


def _is_part(name: str) -> bool:
    return (PACKAGE / f"{name}.py").is_file() or (PACKAGE / name / "__init__.py").is_file()


def edges() -> dict[tuple[str, str], str]:
    """{(importing part, imported part): where}, between different parts of the package."""
    found: dict[tuple[str, str], str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        module = ".".join(p for p in rel.parts if p != "__init__") if rel.name == "__init__" else ".".join(rel.parts)
        if module == "kneadback":
            continue
        for target, line in imports(path, module):
            a, b = part_of(module), part_of(target)
            if a != b:
                found.setdefault((a, b), f"{path.relative_to(ROOT)}:{line} imports {target}")
    return found


def upward(found: Mapping[tuple[str, str], str], layer: Mapping[str, int]) -> list[str]:
    return [f"{where} ({a} is in layer {layer[a]}, {b} in layer {layer[b]})"
            for (a, b), where in sorted(found.items()) if layer[b] > layer[a]]


def cycle(found: Mapping[tuple[str, str], str]) -> list[str] | None:
    """A cycle among the parts, as the list of parts around it, or None."""
    graph: dict[str, list[str]] = {}
    for a, b in found:
        graph.setdefault(a, []).append(b)
    state: dict[str, int] = {}  # 1 on the path, 2 done
    path: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        path.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                return [*path[path.index(m):], m]
            if m not in state and (c := visit(m)) is not None:
                return c
        path.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state and (c := visit(n)) is not None:
            return c
    return None


@pytest.fixture(scope="module")
def layer() -> dict[str, int]:
    return layers_of(DOC.read_text(encoding="utf-8"))


def test_every_part_of_the_package_has_a_layer(layer):
    parts = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()
             if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").is_file()}
    assert sorted(parts - set(layer)) == [], "place these in the table of docs/architecture.md"
    assert sorted(set(layer) - parts) == [], "the table of docs/architecture.md names parts that do not exist"


def test_imports_point_down_the_layers(layer):
    assert upward(edges(), layer) == []


def test_the_parts_form_no_cycle():
    assert cycle(edges()) is None


def test_the_checks_see_an_import_that_points_up():
    """The checks above can fail: an upward import and a cycle are both seen, with where they are."""
    layer = {"model": 0, "coach": 2, "ui": 4}
    found = {("coach", "model"): "coach.py:1", ("coach", "ui"): "coach.py:9", ("ui", "coach"): "ui.py:3"}
    assert upward(found, layer) == ["coach.py:9 (coach is in layer 2, ui in layer 4)"]
    assert cycle(found) == ["coach", "ui", "coach"]
    assert cycle({("coach", "model"): ""}) is None


def test_the_import_reader_resolves_every_form(tmp_path):
    src = tmp_path / "m.py"
    src.write_text("import kneadback.model\nfrom kneadback import __version__, paths\nfrom . import rules\nfrom ..ui import audio\n"
                   "def f():\n    from kneadback.session import Session\n")
    got = [name for name, _line in imports(src, "kneadback.coach.m")]
    assert got == ["kneadback.model", "kneadback.paths", "kneadback.coach", "kneadback.ui", "kneadback.session"]
