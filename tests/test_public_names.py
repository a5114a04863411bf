"""Every public name of the package is used: by a chapter, a test, a tool or another module (issue 16).

A module-level function, class or constant without a leading underscore is part of an
interface. If no chapter, test, tool or other module of the package refers to it, it is dead
code or an interface nobody asked for: delete it, use it, or make it private.
"""

from __future__ import annotations

import ast
import re

import pytest
from chapters import CHAPTERS, ROOT, code_cells, read

PACKAGE = ROOT / "src" / "audioml"
SOURCES = {path: path.read_text() for path in sorted(PACKAGE.rglob("*.py"))}
OUTSIDE = "\n".join(
    ["\n".join(cell.source for cell in code_cells(read(path))) for path in CHAPTERS]
    + [path.read_text() for folder in ("tests", "tools") for path in sorted((ROOT / folder).rglob("*.py"))]
)
ENTRY_POINTS = {"main"}  # called by `python -m` and the console script


def public_names(source: str) -> list[str]:
    names = []
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [target.id for target in node.targets if isinstance(target, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.append(node.target.id)
    return [name for name in names if not name.startswith("_") and name not in ENTRY_POINTS]


PUBLIC = [(path, name) for path, source in SOURCES.items() for name in public_names(source)]


def test_the_package_has_public_names() -> None:
    assert len(PUBLIC) > 200


@pytest.mark.parametrize("path, name", PUBLIC, ids=lambda v: v if isinstance(v, str) else v.stem)
def test_public_name_is_used(path, name: str) -> None:
    word = re.compile(rf"\b{re.escape(name)}\b")
    elsewhere = any(word.search(source) for other, source in SOURCES.items() if other != path)
    assert elsewhere or word.search(OUTSIDE), (
        f"{path.relative_to(ROOT)}: {name} is public but no chapter, test, tool or other module uses it;"
        " delete it, use it or make it private"
    )
