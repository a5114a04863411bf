"""Grade submissions of one chapter into a gradebook: points and a reason per exercise, one CSV row each.

Points live in one table, ``points.csv`` next to this module (``label,points,rubric_points``);
an exercise missing from it gets points by the difficulty in its title (easy 1, medium 2,
hard 3; open-ended exercises also get 3 rubric points for the teacher to award by hand), so a
new chapter needs no manual step. An exercise with several ``exercise_check`` blocks gets
partial credit: its points times the share of its tests that pass.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from audioml.book.grading.assemble import assemble
from audioml.book.grading.chapter import Exercise, chapter_exercises, written_answers
from audioml.book.grading.run import RunResult, run_steps
from audioml.book.grading.screen import bound_names

POINTS_FILE = Path(__file__).with_name("points.csv")
_NAME_ERROR = re.compile(r"NameError: name '(\w+)' is not defined")


@dataclass
class Grade:
    """One submission's row of the gradebook."""

    file: str
    student: str
    points: dict[str, float] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    written: dict[str, str] = field(default_factory=dict)
    maximum: float = 0.0
    note: str = ""
    seconds: float = 0.0
    grader_seconds: float = 0.0  # of ``seconds``, those in the grader's own cells (guard, snapshots, checks)
    cpu_seconds: float = float("nan")  # the kernel's CPU time: the chapter's cost, whatever else ran beside it
    results_written: list[str] = field(default_factory=list)  # results files the run wrote in its folder

    @property
    def total(self) -> float:
        return round(sum(self.points.values()), 2)


def _default_points(exercise: Exercise) -> tuple[float, float]:
    """(auto points, rubric points) of an exercise that ``points.csv`` does not list."""
    title = exercise.title.lower()
    auto = 3.0 if "hard" in title else 2.0 if "medium" in title else 1.0
    return auto, 3.0 if exercise.open_ended else 0.0


def points_table(exercises: dict[str, Exercise], path: Path = POINTS_FILE) -> dict[str, tuple[float, float]]:
    """Auto and rubric points of each exercise: from ``path``, else by difficulty."""
    listed = {}
    if path.is_file():
        with path.open() as handle:
            listed = {
                row["label"]: (float(row["points"]), float(row["rubric_points"] or 0)) for row in csv.DictReader(handle)
            }
    return {label: listed.get(label, _default_points(e)) for label, e in exercises.items()}


def student_id(path: Path, notebook: nbformat.NotebookNode | None, chapter: str) -> str:
    """The id in the notebook's ``metadata.audioml.student_id``, else the file name without the chapter's."""
    meta = notebook.metadata.get("audioml", {}) if notebook is not None else {}
    if isinstance(meta, dict) and str(meta.get("student_id", "")).strip():
        return str(meta["student_id"]).strip()
    stem = path.stem.replace(chapter, "") if chapter else path.stem
    return stem.strip(" _-.") or path.stem


def grade_submission(
    path: Path,
    reference: nbformat.NotebookNode,
    chapter: str,
    fast: bool = True,
    time_limit_s: float = 120.0,
    env: dict[str, str] | None = None,
    points_file: Path = POINTS_FILE,
    run_stubs: bool = False,
    shared_cache: Path | None = None,
    kernel: str = "python3",
) -> Grade:
    """Grade one submitted notebook against the reference chapter; never raises for a bad submission.

    ``shared_cache``: a feature cache to share, for trusted notebooks only; ``kernel``: the Jupyter
    kernel to run in (the Colab stage's ``audioml-colab``); see :func:`~audioml.book.grading.run.run_steps`.

    A submission with no answer to run is not executed at all (every exercise scores 0 with its
    reason), unless ``run_stubs``: then the stubs run through the checks, which must fail them.
    """
    exercises = chapter_exercises(reference, chapter)
    table = points_table(exercises, points_file)
    grade = Grade(path.name, student_id(path, None, chapter), maximum=sum(p for p, _ in table.values()))
    zero = dict.fromkeys(exercises, 0.0)
    try:
        submission = nbformat.read(path, as_version=4)
        nbformat.validate(submission)
    except Exception as error:  # corrupt JSON, not a notebook, unreadable file
        grade.points, grade.note = zero, f"cannot read the notebook: {type(error).__name__}: {str(error)[:160]}"
        grade.reasons = dict.fromkeys(exercises, "not graded")
        return grade
    grade.student = student_id(path, submission, chapter)
    grade.written = written_answers(submission)
    claimed = str(submission.metadata.get("audioml", {}).get("chapter", "") or "")
    steps, unscored, notes = assemble(reference, submission, fast=fast, name=chapter, run_stubs=run_stubs)
    if (
        (claimed and claimed != chapter)
        or len(unscored) == len(exercises)
        and all("no answer cell" in r for r in unscored.values())
    ):
        grade.points, grade.reasons = zero, dict.fromkeys(exercises, "not graded")
        grade.note = f"not a submission of {chapter}" + (
            f": it is {claimed}" if claimed else ": none of its exercises is in the notebook"
        )
        return grade
    nothing_to_run = len(unscored) == len(exercises)
    result = (
        RunResult()
        if nothing_to_run
        else run_steps(steps, time_limit_s=time_limit_s, env=env, shared_cache=shared_cache, kernel=kernel)
    )
    grade.seconds, grade.note = round(result.seconds, 1), "; ".join(notes + ([result.fatal] if result.fatal else []))
    grade.grader_seconds, grade.cpu_seconds = round(result.grader_seconds, 1), round(result.cpu_seconds, 1)
    grade.results_written = result.results_written
    names = {
        label: set().union(*(bound_names(reference.cells[i].source) for i in e.solutions))
        for label, e in exercises.items()
    }
    for label in exercises:
        auto = table[label][0]
        tests = result.tests.get(label, [])
        if result.fatal:
            grade.points[label], grade.reasons[label] = 0.0, "submission scored 0: " + result.fatal
        elif label in unscored:
            grade.points[label], grade.reasons[label] = 0.0, unscored[label]
        elif not tests:
            grade.points[label], grade.reasons[label] = 0.0, "its checks did not run"
        else:
            passed = sum(t is None for t in tests)
            grade.points[label] = round(auto * passed / len(tests), 2)
            failures = [t for t in tests if t is not None]
            reason = "passed" if not failures else failures[0]
            if failures and "NotImplementedError" in reason:
                reason = "not answered yet (the answer still raises NotImplementedError)"
            if failures and (missing := _NAME_ERROR.search(reason)):
                owners = [other for other, bound in names.items() if missing[1] in bound and other != label]
                reason += "".join(f" (it depends on {o}, whose answer did not run)" for o in owners)
            grade.reasons[label] = reason if len(tests) == 1 else f"{passed}/{len(tests)} tests: {reason}"
    return grade


def write_gradebook(
    grades: list[Grade], exercises: dict[str, Exercise], path: Path, points_file: Path = POINTS_FILE
) -> Path:
    """One row per submission: file, student id, points and reason per exercise, total, note."""
    table = points_table(exercises, points_file)
    header = ["file", "student_id"]
    for label in exercises:
        header += (
            [f"{label} points", f"{label} reason"]
            + ([f"{label} rubric"] if table[label][1] else [])
            + ([f"{label} written answer"] if exercises[label].question else [])
        )
    header += ["total", "max", "percent", "seconds", "note"]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for g in grades:
            row: list[object] = [g.file, g.student]
            for label in exercises:
                row += (
                    [g.points.get(label, 0.0), g.reasons.get(label, "")]
                    + ([f"/{table[label][1]:g}"] if table[label][1] else [])
                    + ([g.written.get(label, "")] if exercises[label].question else [])
                )
            row += [g.total, g.maximum, round(100 * g.total / g.maximum, 1) if g.maximum else 0, g.seconds, g.note]
            writer.writerow(row)
    return path


def report(grade: Grade) -> str:
    """A short text report of one submission."""
    lines = [
        f"{grade.file} (student {grade.student}): {grade.total:g}/{grade.maximum:g}"
        + (f"  [{grade.note}]" if grade.note else "")
    ]
    lines += [
        f"  {'✔' if r == 'passed' else '✘'} {label} {grade.points[label]:g}: {r}" for label, r in grade.reasons.items()
    ]
    return "\n".join(lines)
