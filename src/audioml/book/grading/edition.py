"""The student edition of the book (``make book-student``): the same pages, no solutions.

It writes a copy of the book's sources in which every chapter is its student copy with the
chapter's outputs kept (answer cells are stubs, check cells have no outputs, hidden tests and
written solutions are gone), sphinx-exercise hides any solution, and there is no launch or
repository button that would open the reference notebooks on GitHub. The page's download
button then offers the student notebook.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import yaml

from audioml.book.grading.chapter import student_copy


def build_student_sources(root: Path, out: Path) -> Path:
    """Write the student edition's sources into ``out`` (replaced) and return it."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    shutil.copytree(root / "book", out / "book")
    (out / "tools").mkdir()
    shutil.copy(root / "tools" / "exercise_numbers.py", out / "tools")  # the book's Sphinx extension
    if (root / "_build" / "mathjax").is_dir():
        shutil.copytree(root / "_build" / "mathjax", out / "_build" / "mathjax")
    (out / "notebooks").mkdir()
    for chapter in sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        copy = student_copy(nbformat.read(chapter, as_version=4), keep_outputs=True, chapter=chapter.stem)
        nbformat.write(copy, out / "notebooks" / chapter.name)
    config = yaml.safe_load((root / "_config.yml").read_text())
    config["title"] = f"{config['title']} (student edition)"
    config.pop("launch_buttons", None)
    config["html"] = {
        **config.get("html", {}),
        "use_repository_button": False,
        "use_issues_button": False,
        "use_download_button": True,
    }
    config.setdefault("sphinx", {}).setdefault("config", {})["hide_solutions"] = True
    (out / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    shutil.copy(root / "_toc.yml", out / "_toc.yml")
    return out
