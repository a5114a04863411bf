"""Every chapter opens with the same setup cell, has a `fast` parameter, and imports only
what Colab has or the setup cell installs."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib
import yaml
from chapters import CHAPTERS, ROOT, code_cells, imported_modules, read

REPOSITORY = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
# The one place the release lives is pyproject.toml; every setup cell pins it.
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
SETUP_CELL = f"""# Setup: on Google Colab, install what Colab lacks; elsewhere this cell does nothing.
import importlib.util
import subprocess
import sys

AUDIOML = "{VERSION}"  # the release of the book's package this chapter was run with
if importlib.util.find_spec("google") and importlib.util.find_spec("google.colab"):
    pip = [sys.executable, "-m", "pip", "install", "-q"]
    book = f"audioml @ git+{REPOSITORY}@v{{AUDIOML}}"
    subprocess.run([*pip, "--no-deps", "micrograd==0.1.0", book], check=True)"""
INSTALLED_BY_SETUP = {"audioml", "micrograd"}
#: Distributions whose module is called otherwise (the rest: the name, "-" read as "_").
MODULE_OF = {"scikit-learn": "sklearn", "pillow": "PIL", "pyyaml": "yaml", "ipython": "IPython"}


def distributions(path: Path) -> set[str]:
    """The lower-case distribution names a requirements-style file lists."""
    lines = [line.split("#")[0].strip() for line in path.read_text().splitlines()]
    return {re.split(r"[=<>]", line)[0].lower().replace("_", "-") for line in lines if line}


# What Colab preinstalls, as modules: the list the Colab stand-in installs at Colab's versions.
COLAB_PREINSTALLED = {
    MODULE_OF.get(name, name.replace("-", "_")) for name in distributions(ROOT / "tools" / "colab" / "preinstalled.txt")
}
TOOLING = {"nbformat", "nbclient", "papermill"}
# What a chapter's setup cell installs beyond audioml, as the line it adds; pins come from requirements*.txt.
# Installed without their dependencies (see requirements-nodeps.txt): audiomentations pins an older soxr.
NO_DEPS = {"audiomentations", "numpy-minmax", "numpy-rms", "python-stretch"}


def pins() -> dict[str, str]:
    """``name==version`` of every pinned requirement, by lower-case name."""
    found = {}
    for name in ("requirements.txt", "requirements-nodeps.txt"):
        for line in (ROOT / name).read_text().splitlines():
            if "==" in line and not line.lstrip().startswith("#"):
                found[line.split("==")[0].strip().lower()] = line.split("#")[0].strip()
    return found


def package_modules(source: str) -> set[str]:
    """The ``audioml`` modules a piece of code imports (``from audioml import cnn`` gives ``audioml.models.cnn``)."""
    found = set()
    for node in ast.walk(
        ast.parse("\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))))
    ):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("audioml.")}
        elif (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and node.module
            and node.module.split(".")[0] == "audioml"
        ):
            found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return found


def module_file(name: str) -> Path | None:
    base = ROOT / "src" / Path(*name.split("."))
    return next((p for p in (base.with_suffix(".py"), base / "__init__.py") if p.is_file()), None)


def third_party_needs(chapter: Path) -> set[str]:
    """Top-level third-party modules a chapter needs: its own imports and, transitively, its audioml modules'."""
    sources = [c.source for c in code_cells(read(chapter))]
    needed = set().union(*(imported_modules(s) for s in sources))
    todo, seen = set().union(*(package_modules(s) for s in sources)), set()
    while todo:
        name = todo.pop()
        seen.add(name)
        path = module_file(name)
        if path is not None:
            text = path.read_text()
            needed |= imported_modules(text)
            todo |= package_modules(text) - seen
    return needed - set(sys.stdlib_module_names) - INSTALLED_BY_SETUP - {"audioml"}


def ruff_formatted(source: str) -> str:
    """``source`` as ``ruff format`` writes it in a notebook (88 characters, notebooks/ruff.toml)."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "format",
            "--config",
            str(ROOT / "notebooks" / "ruff.toml"),
            "--stdin-filename",
            "setup.py",
            "-",
        ],
        input=source,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def setup_cell(chapter: Path) -> str:
    """The setup cell the chapter must open with: audioml, plus what it needs that Colab lacks."""
    missing = sorted(third_party_needs(chapter) - COLAB_PREINSTALLED - TOOLING)
    if not missing:
        return ruff_formatted(SETUP_CELL)
    table = pins()
    lines = []
    for group in (sorted(set(missing) - NO_DEPS), sorted(set(missing) & NO_DEPS)):
        if group:
            names = [
                table[m.lower().replace("_", "-")] if m.lower().replace("_", "-") in table else table[m.lower()]
                for m in group
            ]
            names += sorted(table[n] for n in NO_DEPS - {"audiomentations"}) if "audiomentations" in group else []
            flag = ['"--no-deps"'] if group[0] in NO_DEPS else []
            items = ", ".join(flag + [f'"{n}"' for n in names])
            lines.append(f"\n    subprocess.run([*pip, {items}], check=True)")
    return ruff_formatted(SETUP_CELL + "".join(lines))


def test_there_are_chapters() -> None:
    assert CHAPTERS, "no notebooks/NN_*.ipynb found"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_first_code_cell_is_the_setup_cell(chapter) -> None:
    """The shared setup cell, plus one pinned pip line for what this chapter's code and modules need that
    Colab lacks (the package itself installs with --no-deps)."""
    first = code_cells(read(chapter))[0]
    expected = setup_cell(chapter)
    assert first.source.strip() == expected, (
        f"{chapter.name}: the first code cell must be the setup cell "
        f"of CONTRIBUTING.md (repository URL from _config.yml):\n{expected}"
    )


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_parameters_cell_declares_fast(chapter) -> None:
    tagged = [c for c in code_cells(read(chapter)) if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{chapter.name}: needs exactly one cell tagged 'parameters'"
    assert "fast: bool = False" in tagged[0].source
    assert "remove-cell" in tagged[0].metadata["tags"], f"{chapter.name}: hide the parameters cell (remove-cell)"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_every_import_is_available_on_colab(chapter) -> None:
    """What the chapter and its audioml modules import is on Colab or installed by its setup cell."""
    setup = code_cells(read(chapter))[0].source
    installed = {name.replace("-", "_").lower() for name in re.findall(r'"([A-Za-z0-9_.-]+)==', setup)}
    lacking = {m for m in third_party_needs(chapter) - COLAB_PREINSTALLED - TOOLING if m.lower() not in installed}
    assert lacking == set(), (
        f"{chapter.name} needs modules Colab lacks and its setup cell does not install: {sorted(lacking)}"
    )


def test_the_package_alone_needs_nothing_colab_lacks_beyond_the_chapters_extras() -> None:
    """Every third-party module the package imports is on Colab, book tooling, or some chapter's setup extra."""
    source_files = (ROOT / "src" / "audioml").rglob("*.py")
    imported = set().union(*(imported_modules(p.read_text()) for p in source_files))
    extras = set().union(*(third_party_needs(c) for c in CHAPTERS))
    allowed = set(sys.stdlib_module_names) | COLAB_PREINSTALLED | INSTALLED_BY_SETUP | TOOLING | extras
    assert imported - allowed == set()


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_is_in_the_table_of_contents(chapter) -> None:
    assert f"notebooks/{chapter.stem}" in (ROOT / "_toc.yml").read_text()


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_writes_its_own_results_and_ends_with_exercises(chapter) -> None:
    notebook = read(chapter)
    assert any(f'ResultsLog("{chapter.stem}"' in c.source for c in code_cells(notebook))
    headings = [c.source for c in notebook.cells if c.cell_type == "markdown"]
    assert any(h.lstrip().startswith("## Exercises") for h in headings), f"{chapter.name}: no '## Exercises'"


def test_datasets_page_credits_every_registered_dataset() -> None:
    from audioml.data.datasets import REGISTRY

    page = (ROOT / "book" / "datasets.md").read_text()
    for spec in REGISTRY.values():
        assert f"`{spec.folder}/`" in page, f"book/datasets.md does not credit {spec.name}"
        assert spec.license.split(" ")[0] in page


UNNUMBERED_SECTIONS = {"Exercises", "Summary", "What we learned", "What it means"}


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_sections_are_numbered_chapter_dot_section(chapter) -> None:
    """Every `##` heading is "N.k Title" with k counting up from 1 (closing sections may go unnumbered),
    and every `###` heading that has a number is "N.k.m" under its own section."""
    number, expected, section = int(chapter.stem[:2]), 1, 0
    for cell in read(chapter).cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            if line.startswith("## ") and line[3:].strip() not in UNNUMBERED_SECTIONS:
                assert line.startswith(f"## {number}.{expected} "), (
                    f"{chapter.name}: {line!r} should be numbered {number}.{expected}"
                )
                section, expected = expected, expected + 1
            elif line.startswith("### ") and line[4:5].isdigit():
                assert line.startswith(f"### {number}.{section}."), (
                    f"{chapter.name}: {line!r} is not under section {number}.{section}"
                )
