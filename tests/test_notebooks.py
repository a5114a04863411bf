"""Grade every chapter through the autograder in fast mode: the reference solutions must score 100 %
and the unmodified student copy 0 %, with its stubs run through the checks (which must fail them).

`make colab` runs the reference test in the Colab stand-in's kernel (``AUDIOML_KERNEL``), so every
chapter runs top to bottom under Colab's versions; `make notebooks-fast` runs the student copies in
the book's own environment. Grading runs each notebook in a fresh temporary folder and kernel (see
`audioml.book.grading.run`), so the committed notebooks and the book's `results/` are never touched;
the fast-mode results file is written inside that folder, and its existence is checked.
"""

from __future__ import annotations

import os

import nbformat
import pytest
from chapters import CHAPTERS, read

from audioml.book.grading import student_copy
from audioml.book.grading.gradebook import grade_submission, report
from audioml.settings import cache_dir

FAST_LIMIT_S = 180  # the book's budget for one chapter in fast mode
#: The kernel the reference solutions run in: `make colab` sets the Colab stand-in's (tools/colab).
KERNEL = os.environ.get("AUDIOML_KERNEL", "python3")
WORDS = "the answer is the answer " * 10  # 50 words that argue nothing
#: The lazy answers issue 12 quotes, put in the student copy instead of the stub, and the check's words that
#: must fail each (so it is the check that catches it, not a missing name). They cost no extra kernel.
LAZY = {
    "ex-02-5": ("def my_voice_features(y, params):\n    return np.zeros(3)", "same value on every clip"),
    "ex-04-3": (
        "def augmentation_leak(x, frame, n_copies=3, test_share=0.25, seed=0):\n    return (0.9, 0.7)",
        "another seed, other numbers",
    ),
    "ex-04-4": (
        f"my_groups = {{'dataset': 'UrbanSound8K', 'group_columns': ['fsID'], 'why': {WORDS!r}}}",
        "AssertionError",
    ),
    "ex-08-4": (
        f"my_label_map = {{'frog': ['Speech'], 'cat': ['Speech'], 'hen': ['Speech']}}\nmy_reading = {WORDS!r}",
        "not above chance",
    ),
    "ex-09-4": (f"cry_threshold = 0.0\nmy_reading = {WORDS!r}", "choose the highest threshold"),
    "ex-12-4": (
        f"def my_dogness(table):\n    return np.zeros(len(table))\n\nmy_reading = {WORDS!r}",
        "a constant score",
    ),
    "ex-14-1": ("def slowest_chapter(table):\n    return 'b'", "wrong on"),
    "ex-14-2": ("def interval_width(frame):\n    return pd.Series([0.05, np.nan])", "AssertionError"),
    "ex-14-3": ("def mcnemar_p(truth, pred_a, pred_b):\n    return 0.625", "two identical models never disagree"),
    "ex-14-4": ("def quotable(frame):\n    return frame[frame['split'].str.contains('test')]", "keep exactly"),
    "ex-14-5": (f"my_choice = {{'task': 'fsdd-digits', 'model': 'cnn-logmel', 'why': {WORDS!r}}}", "AssertionError"),
}


def with_lazy_answers(notebook: nbformat.NotebookNode) -> list[str]:
    """Replace the stubs of the exercises in ``LAZY`` by their lazy answers; return their labels."""
    done = []
    for cell in notebook.cells:
        label = cell.metadata.get("audioml", {}).get("exercise")
        if label in LAZY:
            cell.source = LAZY[label][0] if cell.metadata["audioml"].get("part") == 0 else ""
            done.append(label)
    return sorted(set(done))


@pytest.mark.timeout(FAST_LIMIT_S + 180)
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_reference_solutions_score_full_marks_in_fast_mode(chapter, tmp_path) -> None:
    before = chapter.read_bytes()
    grade = grade_submission(
        chapter, read(chapter), chapter.stem, time_limit_s=FAST_LIMIT_S + 60, shared_cache=cache_dir(), kernel=KERNEL
    )
    print(
        report(grade),
        f"\n{chapter.stem}: graded in {grade.seconds:.0f} s ({grade.grader_seconds:.0f} s in the grader's own"
        f" cells), {grade.cpu_seconds:.0f} CPU seconds in the kernel (kernel {KERNEL})",
    )
    assert chapter.read_bytes() == before, "grading must not touch the committed notebook"
    assert len(grade.points) >= 3, f"{chapter.stem} has {len(grade.points)} checked exercises; at least 3 are needed"
    assert grade.total == grade.maximum, (
        f"{chapter.stem}: reference solutions lose points: {grade.reasons} {grade.note}"
    )
    assert f"{chapter.stem}.json" in grade.results_written, f"{chapter.stem} wrote no fast-mode results file"
    # CPU time, not wall time: `make colab` runs two chapters at once, one thread each, so a chapter's
    # wall time depends on its neighbour; its kernel's CPU time does not (with one thread it is what
    # the chapter takes alone on one core, at least as long as alone on two)
    assert grade.cpu_seconds <= FAST_LIMIT_S, (
        f"{chapter.stem} took {grade.cpu_seconds:.0f} CPU seconds in fast mode (budget {FAST_LIMIT_S} s;"
        f" {grade.seconds:.0f} s of wall time)"
    )


@pytest.mark.timeout(FAST_LIMIT_S + 180)
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_student_copy_scores_zero_and_its_checks_fail_the_stubs(chapter, tmp_path) -> None:
    """The stubs fail their checks; so do the lazy answers of ``LAZY``, each on the check that should catch it."""
    path = tmp_path / chapter.name
    copy = student_copy(read(chapter), chapter=chapter.stem)
    lazy = with_lazy_answers(copy)
    nbformat.write(copy, path)
    grade = grade_submission(
        path, read(chapter), chapter.stem, time_limit_s=FAST_LIMIT_S + 60, run_stubs=True, shared_cache=cache_dir()
    )
    print(report(grade))
    assert not grade.note, grade.note
    assert grade.total == 0, f"{chapter.stem}: stubs or lazy answers pass {[k for k, v in grade.points.items() if v]}"
    assert all(r != "passed" and "did not run" not in r for r in grade.reasons.values()), grade.reasons
    for label in lazy:
        assert LAZY[label][1] in grade.reasons[label], (
            f"{label}: the lazy answer failed for another reason: {grade.reasons[label]}"
        )
