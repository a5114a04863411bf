"""``python -m audioml.book.grading``: student copies, assignments, and grading into a CSV gradebook::

    python -m audioml.book.grading student [CHAPTER ...] --out _build/student
    python -m audioml.book.grading assignments [CHAPTER ...] --out _build/assignments
    python -m audioml.book.grading student-book --out _build/student-book
    python -m audioml.book.grading grade --chapter notebooks/03_backprop_micrograd.ipynb \\
        --csv grades.csv --time-limit 120 submissions/*.ipynb

``--chapter`` also takes an assignment's ``autograder.zip`` or ``autograder/`` folder. Each
submission is graded in its own temporary folder and kernel; a bad one gets a row with the
reason and the batch goes on.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import zipfile
from pathlib import Path

import nbformat

from audioml.book.grading.assignments import build_assignment
from audioml.book.grading.chapter import chapter_exercises, write_student_copies
from audioml.book.grading.edition import build_student_sources
from audioml.book.grading.gradebook import POINTS_FILE, grade_submission, report, write_gradebook

_CHAPTER = re.compile(r"\d\d_[\w-]+")


def _chapters(given: list[Path]) -> list[Path]:
    return given or sorted(Path("notebooks").glob("[0-9][0-9]_*.ipynb"))


def _resolve_chapter(given: Path | None, first: Path, scratch: Path) -> tuple[Path, Path]:
    """The reference notebook and the points table for ``--chapter`` (a notebook, an autograder zip or folder)."""
    if given is None:
        match = _CHAPTER.match(first.name)
        candidates = sorted(Path("notebooks").glob(f"{match.group(0)[:2]}_*.ipynb")) if match else []
        if not candidates:
            raise SystemExit(f"cannot tell the chapter of {first.name}; pass --chapter notebooks/NN_name.ipynb")
        return candidates[0], POINTS_FILE
    if given.suffix == ".zip":
        with zipfile.ZipFile(given) as archive:
            archive.extractall(scratch)
        given = scratch
    if given.is_dir():
        notebooks = sorted(given.glob("[0-9][0-9]_*.ipynb"))
        if len(notebooks) != 1:
            raise SystemExit(f"{given} must hold exactly one reference notebook, found {len(notebooks)}")
        return notebooks[0], given / "points.csv"
    return given, POINTS_FILE


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    student = commands.add_parser("student", help="write student copies of the chapters")
    student.add_argument("chapters", nargs="*", type=Path)
    student.add_argument("--out", type=Path, default=Path("_build/student"))
    assign = commands.add_parser("assignments", help="student notebooks, public and hidden tests, autograder zips")
    assign.add_argument("chapters", nargs="*", type=Path)
    assign.add_argument("--out", type=Path, default=Path("_build/assignments"))
    assign.add_argument("--no-otter", action="store_true", help="skip otter generate (the Gradescope zip)")
    edition = commands.add_parser("student-book", help="sources of the book's student edition")
    edition.add_argument("--out", type=Path, default=Path("_build/student-book"))
    grade = commands.add_parser("grade", help="grade submissions of one chapter into a CSV gradebook")
    grade.add_argument("submissions", nargs="+", type=Path)
    grade.add_argument("--chapter", type=Path, help="reference notebook, autograder.zip or autograder/ folder")
    grade.add_argument("--csv", type=Path, default=Path("_build/grades.csv"), help="the gradebook to write")
    grade.add_argument("--time-limit", type=float, default=120.0, help="seconds per submission (default 120)")
    grade.add_argument("--full", action="store_true", help="run in full mode instead of fast mode")
    args = parser.parse_args(argv)
    if args.command == "student":
        for path in write_student_copies(_chapters(args.chapters), args.out):
            print(f"wrote {path}")
        return 0
    if args.command == "student-book":
        print(f"wrote {build_student_sources(Path('.'), args.out)}")
        return 0
    if args.command == "assignments":
        for chapter in _chapters(args.chapters):
            print(f"wrote {build_assignment(chapter, args.out, otter=not args.no_otter)}", flush=True)
        return 0
    with tempfile.TemporaryDirectory(prefix="audioml-autograder-") as scratch:
        chapter, points = _resolve_chapter(args.chapter, args.submissions[0], Path(scratch))
        reference = nbformat.read(chapter, as_version=4)
        grades = []
        for submission in args.submissions:
            grades.append(
                grade_submission(
                    submission.resolve(),
                    reference,
                    chapter.stem,
                    fast=not args.full,
                    time_limit_s=args.time_limit,
                    points_file=points,
                )
            )
            print(report(grades[-1]), flush=True)
        written = write_gradebook(grades, chapter_exercises(reference, chapter.stem), args.csv, points_file=points)
    print(f"gradebook: {written} ({len(grades)} submissions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
