"""Grade every chapter through the autograder in fast mode: the reference solutions must score 100 %
and the unmodified student copy 0 %, with its stubs run through the checks (which must fail them).

Grading runs each notebook in a fresh temporary folder and kernel (see `audioml.grading.run`), so
the committed notebooks and the book's `results/` are never touched; the fast-mode results file
is written inside that folder, and its existence is checked.
"""
from __future__ import annotations

import nbformat
import pytest

from audioml.grading import student_copy
from audioml.grading.gradebook import grade_submission, report
from audioml.settings import cache_dir
from chapters import CHAPTERS, read

FAST_LIMIT_S = 180  # the book's budget for one chapter in fast mode


@pytest.mark.timeout(FAST_LIMIT_S + 180)
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_reference_solutions_score_full_marks_in_fast_mode(chapter, tmp_path) -> None:
    before = chapter.read_bytes()
    grade = grade_submission(chapter, read(chapter), chapter.stem, time_limit_s=FAST_LIMIT_S + 60, shared_cache=cache_dir())
    print(report(grade), f"\n{chapter.stem}: graded in {grade.seconds:.0f} s")
    assert chapter.read_bytes() == before, "grading must not touch the committed notebook"
    assert len(grade.points) >= 3, f"{chapter.stem} has {len(grade.points)} checked exercises; at least 3 are needed"
    assert grade.total == grade.maximum, f"{chapter.stem}: reference solutions lose points: {grade.reasons} {grade.note}"
    assert f"{chapter.stem}.json" in grade.results_written, f"{chapter.stem} wrote no fast-mode results file"
    assert grade.seconds <= FAST_LIMIT_S, f"{chapter.stem} took {grade.seconds:.0f} s in fast mode (budget {FAST_LIMIT_S} s)"


@pytest.mark.timeout(FAST_LIMIT_S + 180)
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_student_copy_scores_zero_and_its_checks_fail_the_stubs(chapter, tmp_path) -> None:
    path = tmp_path / chapter.name
    nbformat.write(student_copy(read(chapter), chapter=chapter.stem), path)
    grade = grade_submission(path, read(chapter), chapter.stem, time_limit_s=FAST_LIMIT_S + 60, run_stubs=True,
                             shared_cache=cache_dir())
    print(report(grade))
    assert not grade.note, grade.note
    assert grade.total == 0, f"{chapter.stem}: stubs pass {[k for k, v in grade.points.items() if v]}"
    assert all(r != "passed" and "did not run" not in r for r in grade.reasons.values()), grade.reasons
