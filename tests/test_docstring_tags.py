"""Each docstring's "(chapter N)" tag names the chapters that use the function (issue 16).

A chapter uses a function or class when its code cells call it through its module
(``loaders.load_esc10``) or import it by name (``from audioml.data.loaders import load_esc10``).
A tag may also name a chapter that reaches the helper only through another package function,
as long as that chapter imports the helper's module; it may not name a chapter that never
touches the module, and it may not leave out a chapter that calls the helper itself.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from chapters import CHAPTERS, ROOT, code_cells, read

PACKAGE = ROOT / "src" / "audioml"
TAG = re.compile(r"\(chapters? ([0-9][0-9 ,\-and]*)\)")
CODE = {int(path.name[:2]): "\n".join(cell.source for cell in code_cells(read(path))) for path in CHAPTERS}


def tagged_chapters(docstring: str | None) -> set[int]:
    found: set[int] = set()
    for match in TAG.finditer(docstring or ""):
        for part in re.split(r",|\band\b", match.group(1)):
            part = part.strip()
            if "-" in part:
                first, last = part.split("-")
                found |= set(range(int(first), int(last) + 1))
            elif part:
                found.add(int(part))
    return found


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_module(code: str, module: str) -> bool:
    parent, _, short = module.rpartition(".")
    return bool(
        re.search(rf"^\s*from {re.escape(module)} import", code, re.M)
        or re.search(rf"^\s*from {re.escape(parent)} import [^\n]*\b{short}\b", code, re.M)
        or re.search(rf"^\s*import {re.escape(module)}\b", code, re.M)
    )


def calls(code: str, module: str, name: str) -> bool:
    short = module.rpartition(".")[2]
    by_name = re.search(rf"^\s*from {re.escape(module)} import \(?[^)]*?\b{name}\b", code, re.M | re.S)
    return bool(re.search(rf"\b{short}\.{name}\b", code) or by_name)


TAGGED = [
    (module_name(path), node.name, tagged_chapters(ast.get_docstring(node)))
    for path in sorted(PACKAGE.rglob("*.py"))
    for node in ast.parse(path.read_text()).body
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_")
    if tagged_chapters(ast.get_docstring(node))
]


def test_there_are_tags_to_check() -> None:
    assert len(TAGGED) > 50


@pytest.mark.parametrize("module, name, tagged", TAGGED, ids=lambda v: v if isinstance(v, str) else None)
def test_chapter_tag_matches_the_chapters_that_use_it(module: str, name: str, tagged: set[int]) -> None:
    users = {chapter for chapter, code in CODE.items() if calls(code, module, name)}
    reach = {chapter for chapter, code in CODE.items() if imports_module(code, module)}
    assert users <= tagged, f"{module}.{name}: chapters {sorted(users - tagged)} call it; add them to its tag"
    assert tagged <= reach, (
        f"{module}.{name}: its tag names chapters {sorted(tagged - reach)} that never import {module}"
    )
