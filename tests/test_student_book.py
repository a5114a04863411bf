"""The student edition (`make book-student`) holds no solution text, in its HTML or in its downloads.

Run by `make book-student` after the build (skipped when it has not been built). A solution
line is a line of a reference answer (between the BEGIN/END SOLUTION markers, or a whole
solution cell) of at least 20 characters that appears in no other cell of any chapter.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from chapters import CHAPTERS, ROOT, read

from audioml.book.grading.chapter import BEGIN, END, SOLUTION_TAG

STUDENT_SITE = ROOT / "_build" / "student-book" / "_build" / "html"
BOOK_SITE = ROOT / "_build" / "html"
_TAG = re.compile(r"<[^>]+>")


def _answers_and_rest(chapter: Path) -> tuple[list[str], str]:
    answers, elsewhere = [], []
    for cell in read(chapter).cells:
        if cell.cell_type == "code" and SOLUTION_TAG in cell.metadata.get("tags", []):
            inside = BEGIN not in cell.source
            for line in cell.source.splitlines():
                inside = (inside or line.strip() == BEGIN) and line.strip() != END
                if inside and line.strip() != BEGIN:
                    answers.append(line.strip())
        else:
            elsewhere.append(cell.source)
    return answers, "\n".join(elsewhere)


_REST = "\n".join(_answers_and_rest(c)[1] for c in CHAPTERS)


def solution_lines(chapter: Path) -> set[str]:
    """Lines of the chapter's reference answers that no non-answer cell of any chapter contains."""
    return {line for line in _answers_and_rest(chapter)[0] if len(line) >= 20 and line not in _REST}


def site_texts(site: Path) -> dict[Path, str]:
    texts = {}
    for path in site.rglob("*"):
        if path.suffix in (".html", ".ipynb", ".txt", ".py", ".md", ".json", ".js") and path.is_file():
            text = path.read_text(errors="replace")
            texts[path] = html.unescape(_TAG.sub("", text)) if path.suffix == ".html" else text
    return texts


def leaks(site: Path) -> dict[str, list[str]]:
    texts = site_texts(site)
    found: dict[str, list[str]] = {}
    for chapter in CHAPTERS:
        for line in solution_lines(chapter):
            where = [
                str(p.relative_to(site))
                for p, text in texts.items()
                if line in text or line.replace('"', '\\"') in text
            ]
            if where:
                found[line] = where[:3]
    return found


@pytest.mark.skipif(not STUDENT_SITE.is_dir(), reason="run `make book-student` first")
def test_student_edition_has_no_solution_text() -> None:
    assert (STUDENT_SITE / "notebooks").is_dir() and any(STUDENT_SITE.rglob("*.ipynb")), "no notebook downloads"
    found = leaks(STUDENT_SITE)
    assert found == {}, f"{len(found)} solution lines in the student edition, e.g. {list(found.items())[:3]}"


@pytest.mark.skipif(not BOOK_SITE.is_dir(), reason="run `make book` first")
def test_the_leak_finder_finds_the_solutions_of_the_full_book() -> None:
    found = leaks(BOOK_SITE)
    assert len(found) >= 0.5 * sum(len(solution_lines(c)) for c in CHAPTERS), "the search would miss solutions"
