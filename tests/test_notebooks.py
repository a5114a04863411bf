"""Execute every chapter in fast mode with papermill, into a scratch folder, under a time limit;
then grade it: the reference solutions must pass every exercise check, and the student copy
(solutions replaced by stubs) must fail every one.

The committed notebooks are never overwritten: outputs go to $AUDIOML_SCRATCH (default: a
temporary folder), and so do the fast-mode results files.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import nbformat
import pytest

from audioml.execute import execute
from audioml.grading import execute_submission, report, score, write_student_copies
from chapters import CHAPTERS

FAST_LIMIT_S = 180  # the book's budget for one chapter in fast mode


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("AUDIOML_SCRATCH") or tmp_path_factory.mktemp("scratch"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.timeout(FAST_LIMIT_S + 120)  # hard stop; the budget itself is asserted below
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_runs_in_fast_mode_and_its_solutions_pass(chapter: Path, scratch: Path, monkeypatch) -> None:
    results = scratch / "results"
    monkeypatch.setenv("AUDIOML_RESULTS", str(results))
    before = chapter.read_bytes()
    start = time.perf_counter()
    executed = execute(chapter, fast=True, out_dir=scratch / "notebooks")
    elapsed = time.perf_counter() - start
    print(f"{chapter.stem}: fast mode in {elapsed:.0f} s")
    assert chapter.read_bytes() == before, "fast mode must not touch the committed notebook"
    written = json.loads((results / f"{chapter.stem}.json").read_text())
    assert written["fast"] is True and written["runs"]
    assert elapsed <= FAST_LIMIT_S, f"{chapter.stem} took {elapsed:.0f} s in fast mode (budget {FAST_LIMIT_S} s)"
    scores = score(nbformat.read(executed, as_version=4))
    print(report(f"{chapter.stem} (reference solutions)", scores))
    assert len(scores) >= 3, f"{chapter.stem} has {len(scores)} checked exercises; at least 3 are needed"
    assert all(scores.values()), f"{chapter.stem}: reference solutions fail {[k for k, v in scores.items() if not v]}"


@pytest.mark.timeout(FAST_LIMIT_S + 120)
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_student_copy_fails_every_exercise(chapter: Path, scratch: Path, monkeypatch) -> None:
    monkeypatch.setenv("AUDIOML_RESULTS", str(scratch / "student-results"))
    [student] = write_student_copies([chapter], scratch / "student")
    scores = score(execute_submission(student, fast=True, cwd=chapter.parent))
    print(report(f"{chapter.stem} (unmodified student copy)", scores))
    assert scores and not any(scores.values()), f"{chapter.stem}: stubs pass {[k for k, v in scores.items() if v]}"
