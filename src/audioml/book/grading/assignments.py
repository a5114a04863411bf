"""``make assignments``: every chapter as an assignment, derived from the chapter alone.

For ``notebooks/NN_name.ipynb`` it writes ``_build/assignments/NN_name/``:

- ``student/NN_name.ipynb``: the student notebook (stubs, no outputs of checks, no hidden tests),
  and ``student/tests/ex-NN-K.py``: its public tests in Otter-Grader's format, for
  ``grader = otter.Notebook(tests_dir="tests"); grader.check("ex-NN-K")``;
- ``autograder/``: the teacher's reference ``NN_name.ipynb``, ``points.csv`` (this chapter's rows)
  and ``tests/`` with every test, hidden ones included, with points; ``autograder.zip`` is the same
  folder zipped, what ``python -m audioml.book.grading grade --chapter`` accepts;
- ``otter-autograder.zip``: the Gradescope / ``otter grade`` (Docker) autograder from
  ``otter generate``, where otter-grader is installed.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat

from audioml.book.grading.assemble import split_check
from audioml.book.grading.chapter import HIDDEN_TAG, chapter_exercises, student_copy
from audioml.book.grading.gradebook import points_table

PACKAGE = "audioml @ git+https://github.com/audioml-book/ml-for-audio"
_TEST_FILE = '''"""Otter-Grader test of exercise {label}, made by `make assignments` from the chapter's check cell."""
from otter.test_files import test_case

OK_FORMAT = False
name = {label!r}
points = {points!r}
{cases}'''
_CASE = """

CHECK_{n} = {source!r}


@test_case(points=None, hidden={hidden!r})
def test_{n}(env):
    exec(compile(CHECK_{n}, "{label} test {n}", "exec"), env)
"""


def _otter_tests(
    reference: nbformat.NotebookNode, folder: Path, include_hidden: bool, points: dict[str, tuple[float, float]]
) -> list[Path]:
    """One Otter test file per exercise, one test case per ``exercise_check`` block."""
    folder.mkdir(parents=True, exist_ok=True)
    cases: dict[str, list[tuple[str, bool]]] = {}
    for index, cell in enumerate(reference.cells):
        hidden = HIDDEN_TAG in cell.metadata.get("tags", [])
        if cell.cell_type != "code" or "exercise_check" not in cell.source or (hidden and not include_hidden):
            continue
        prelude: list[str] = []
        for step in split_check(cell.source, f"cell {index}"):
            if step.kind == "test":
                cases.setdefault(step.label, []).append(("\n".join(prelude + [step.source]), hidden))
            else:
                prelude.append(step.source)
    written = []
    for label, tests in cases.items():
        body = "".join(
            _CASE.format(n=n, source=source, hidden=hidden, label=label) for n, (source, hidden) in enumerate(tests, 1)
        )
        path = folder / f"{label}.py"
        path.write_text(_TEST_FILE.format(label=label, points=points[label][0], cases=body))
        written.append(path)
    return written


def build_assignment(chapter: Path, out_root: Path, otter: bool = True) -> Path:
    """Write the assignment folder of one chapter and return it."""
    reference = nbformat.read(chapter, as_version=4)
    exercises = chapter_exercises(reference, chapter.name)
    points = points_table(exercises)
    folder = out_root / chapter.stem
    shutil.rmtree(folder, ignore_errors=True)
    student, grader = folder / "student", folder / "autograder"
    student.mkdir(parents=True)
    nbformat.write(student_copy(reference, chapter=chapter.stem), student / chapter.name)
    _otter_tests(reference, student / "tests", include_hidden=False, points=points)
    grader.mkdir()
    shutil.copy(chapter, grader / chapter.name)
    _otter_tests(reference, grader / "tests", include_hidden=True, points=points)
    with (grader / "points.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["label", "points", "rubric_points"])
        writer.writerows([label, auto, rubric] for label, (auto, rubric) in points.items())
    with zipfile.ZipFile(folder / "autograder.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(grader.rglob("*")):
            archive.write(path, path.relative_to(grader))
    if otter and (shutil.which("otter", path=str(Path(sys.executable).parent)) or shutil.which("otter")):
        requirements = grader / "requirements.txt"  # what Gradescope's image installs
        pins = chapter.parent.parent / "requirements.txt"
        requirements.write_text((pins.read_text() if pins.is_file() else "") + f"\nmicrograd==0.1.0\n{PACKAGE}\n")
        command = [
            shutil.which("otter", path=str(Path(sys.executable).parent)) or "otter",
            "generate",
            "--tests-dir",
            "tests",
            "--output-path",
            str((folder / "otter-autograder.zip").resolve()),
            "--no-config",
            "--no-environment",
            "--requirements",
            "requirements.txt",
        ]
        done = subprocess.run(command, cwd=grader, capture_output=True, text=True, timeout=120)
        if done.returncode:
            print(f"{chapter.name}: otter generate failed, no otter-autograder.zip: {done.stderr[-300:]}")
    return folder
