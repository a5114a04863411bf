"""The package's folders are its layers, and imports only point down them (issue 16).

Layers from the bottom: the core (the top-level modules), data, dsp, prep, models, evaluation,
plotting, book. A module may import its own layer and any layer below; imports under
``if TYPE_CHECKING:`` are for annotations only and are not counted. The module-level imports
form no cycle, no module passes 300 lines, and the top level holds at most 8 modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from chapters import ROOT

PACKAGE = ROOT / "src" / "audioml"
LAYERS = ["core", "data", "dsp", "prep", "models", "evaluation", "plotting", "book"]
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in LAYERS) else "core"


def _type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def imports(path: Path, module_level_only: bool = False) -> set[str]:
    """audioml modules that ``path`` imports (``from audioml.x import y`` counts y when it is a module)."""
    tree = ast.parse(path.read_text())
    skip = {
        id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and _type_checking(node) for n in ast.walk(node)
    }
    if module_level_only:
        nodes = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    else:
        nodes = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) and id(n) not in skip]
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("audioml")}
        elif node.module and node.module.startswith("audioml"):
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.add(
                    candidate
                    if (PACKAGE.parent / Path(*candidate.split("."))).with_suffix(".py").is_file()
                    or (PACKAGE.parent / Path(*candidate.split(".")) / "__init__.py").is_file()
                    else node.module
                )
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_imports_point_down_the_layers(path: Path) -> None:
    own = LAYERS.index(layer(module_name(path)))
    upward = sorted(name for name in imports(path) if LAYERS.index(layer(name)) > own)
    assert not upward, f"{module_name(path)} ({LAYERS[own]}) imports from a higher layer: {upward}"


def test_no_import_cycle() -> None:
    graph = {module_name(p): imports(p, module_level_only=True) for p in MODULES}
    state: dict[str, int] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for nxt in graph.get(name, ()):
            if state.get(nxt) == 1:
                raise AssertionError(f"import cycle: {' -> '.join([*trail, name, nxt])}")
            if nxt not in state:
                visit(nxt, [*trail, name])
        state[name] = 2

    for name in graph:
        if name not in state:
            visit(name, [])


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_module_is_at_most_300_lines(path: Path) -> None:
    lines = len(path.read_text().splitlines())
    assert lines <= 300, f"{module_name(path)} has {lines} lines; split it by job"


def test_top_level_is_small() -> None:
    top = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__")
    subpackages = sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py"))
    assert len(top) <= 8, f"the top level holds {len(top)} modules: {top}"
    assert subpackages == sorted(LAYERS[1:]), f"the layer folders are {subpackages}, expected {sorted(LAYERS[1:])}"
