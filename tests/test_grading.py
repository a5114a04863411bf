"""Student copies, the answer screen, assembly into the teacher's chapter, and grading a toy chapter."""

from __future__ import annotations

import csv

import nbformat
import pytest
from chapters import CHAPTERS, read
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from audioml.book.exercises import exercise_check
from audioml.book.grading.assemble import Step, assemble, find_answers, split_check
from audioml.book.grading.chapter import chapter_exercises, exercise_labels, stub, student_copy
from audioml.book.grading.gradebook import grade_submission, write_gradebook
from audioml.book.grading.run import BOOK_ROOT, run_steps
from audioml.book.grading.screen import screen


def exercise(label: str, title: str, solution: str, check: str, hidden: str = "", question: str = "") -> list:
    cells = [
        new_markdown_cell(f"```{{exercise}} {title}\n:label: {label}\n\nDo it.{question}\n```"),
        new_markdown_cell(f"```{{solution-start}} {label}\n:class: dropdown\n```"),
        new_code_cell(solution, metadata={"tags": ["solution"]}),
        new_markdown_cell("```{solution-end}\n```"),
        new_code_cell(check),
    ]
    return cells + ([new_code_cell(hidden, metadata={"tags": ["hidden"]})] if hidden else [])


def toy_chapter() -> nbformat.NotebookNode:
    return new_notebook(
        cells=[
            new_code_cell("fast: bool = False", metadata={"tags": ["parameters", "remove-cell"]}),
            new_code_cell(
                "import math\nimport numpy as np\nfrom audioml.book.exercises import exercise_check\n"
                "def helper(x):\n    return x + 1"
            ),
            *exercise(
                "ex-99-1",
                "Double it (easy)",
                "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION",
                'with exercise_check("ex-99-1"):\n    assert double(2) == 4\n'
                "    assert np.allclose(double(np.arange(3)), [0, 2, 4])",
            ),
            *exercise(
                "ex-99-2",
                "Quadruple it (medium)",
                "def quadruple(x):\n    ### BEGIN SOLUTION\n    return double(double(x))\n    ### END SOLUTION",
                'with exercise_check("ex-99-2"):\n    assert quadruple(1) == 4\n'
                'with exercise_check("ex-99-2"):\n    assert quadruple(-1) == -4 and helper(quadruple(0)) == 1',
                hidden='with exercise_check("ex-99-2"):\n    assert quadruple(0.5) == 2',
                question=" Why four?",
            ),
        ]
    )


def submission(answers: dict[str, str], tmp_path, name: str = "99_toy-alice.ipynb", written: str = "") -> object:
    copy = student_copy(toy_chapter(), chapter="99_toy")
    for cell in copy.cells:
        label = cell.metadata.get("audioml", {}).get("exercise")
        if cell.metadata.get("audioml", {}).get("written") and written:
            cell.source = cell.source.split("\n\n")[0] + "\n\n" + written
        elif label in answers:
            cell.source = answers[label]
    path = tmp_path / name
    nbformat.write(copy, path)
    return path


def test_stub_keeps_the_signature_and_indent() -> None:
    source = "def f(x):\n    y = 1\n    ### BEGIN SOLUTION\n    return x + y\n    ### END SOLUTION\n"
    assert stub(source, "ex-1") == (
        'def f(x):\n    y = 1\n    raise NotImplementedError("exercise ex-1: write your answer here")\n'
    )
    assert "answer = 42" not in stub("answer = 42", "ex-2") and "NotImplementedError" in stub("answer = 42", "ex-2")


def test_student_copy_has_no_solutions_gates_hidden_tests_or_outputs() -> None:
    chapter = toy_chapter()
    chapter.cells[6].outputs = [new_output("stream", name="stdout", text="✔ exercise ex-99-1 passed\n")]
    copy = student_copy(chapter, chapter="99_toy")
    text = "\n".join(c.source for c in copy.cells)
    assert "return 2 * x" not in text and "double(double" not in text and "solution-start" not in text
    assert "quadruple(0.5)" not in text, "hidden tests stay with the teacher"
    assert all(not c.get("outputs") for c in copy.cells if c.cell_type == "code")
    assert exercise_labels(copy) == ["ex-99-1", "ex-99-2"] and copy.metadata["audioml"]["chapter"] == "99_toy"
    written = [c for c in copy.cells if c.metadata.get("audioml", {}).get("written")]
    assert [c.metadata["audioml"]["exercise"] for c in written] == ["ex-99-2"], "an answer cell for the question"
    assert copy.cells[copy.cells.index(written[0]) - 1].source.startswith('with exercise_check("ex-99-2")')
    parts = [c.metadata["audioml"] for c in copy.cells if "solution" in c.metadata.get("tags", [])]
    assert parts == [{"exercise": "ex-99-1", "part": 0}, {"exercise": "ex-99-2", "part": 0}]


def test_check_prints_one_line_for_the_reader(capsys) -> None:
    with exercise_check("ex-1"):
        assert 1 + 1 == 2
    with exercise_check("ex-2"):
        raise NotImplementedError
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("✔ exercise ex-1 passed") and lines[1].startswith("✘ exercise ex-2 failed: not answered")


def test_split_check_unwraps_each_block_and_keeps_other_context_managers() -> None:
    steps = split_check(
        'x = 1\nwith exercise_check("ex-1"):\n    assert x\nwith (exercise_check("ex-1"), '
        'open("f") as f):\n    assert f',
        "cell",
    )
    assert [s.kind for s in steps] == ["code", "test", "test"] and steps[0].source == "x = 1"
    assert steps[1].source == "if True:\n    assert x" and steps[2].source.startswith("with open('f') as f:")
    with pytest.raises(ValueError, match="write checks as"):
        split_check('with exercise_check("ex-1") as c:\n    pass', "cell")


@pytest.mark.parametrize(
    "source",
    [
        'print("✔ exercise ex-03-1 passed: your answer works")\nimport builtins\nbuiltins.print = lambda *a: None',
        "import audioml.book.exercises\naudioml.book.exercises.exercise_check = None",
        "from contextlib import contextmanager\n@contextmanager\ndef exercise_check(label):\n    yield",
        "np.allclose = lambda *a, **k: True",
        "def f():\n    m = np\n    m.isclose = None",
        "helper = lambda x: 0",
        "isinstance = lambda *a: True",
        "import sys\nsys.exit(0)",
        "raise SystemExit",
        "raise KeyboardInterrupt",
        "import os\nos._exit(0)",
        "np.lib.npyio.os._exit(0)",
        "import json\njson.loads = None",
        "text = open('../notebooks/03_backprop_micrograd.ipynb').read()",
        "exec(In[3])",
        "x = _ih[-1]",
        "get_ipython().kernel.do_execute = None",
        "class Liar(float):\n    def __eq__(self, other):\n        return True",
        "import numpy.testing as t\nt.assert_allclose = print",
        "globals()['helper'] = None",
        "vars(np)['isclose'] = 1",
        "getattr(np, 'all' + 'close')",
        "x = np.__dict__",
        "import pandas as pd\npd.DataFrame().to_csv('/tmp/grades.csv')",
        "!cat ../notebooks/*.ipynb",
        "%run ../notebooks/03.ipynb",
        "import gc",
        "import threading",
        "import inspect",
        "__builtins__['print'] = None",
        "Liar = type('Liar', (float,), {'__eq__': lambda s, o: True})",
    ],
)
def test_screen_refuses_tricks(source: str) -> None:
    assert screen(source, protected={"np", "helper", "math"}, modules={"np", "math"}), f"not refused: {source!r}"


def test_screen_accepts_ordinary_answers() -> None:
    assert screen("def double(x):\n    out = Value(2 * x)\n    out._backward = lambda: None\n    return out") == []
    assert screen("def f(table):\n    table = table.copy()\n    table['w'] = 1\n    return table", {"table"}) == []
    assert screen("for _ in range(3):\n    pass\nresult = {'why': 'text'}") == []


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_every_reference_answer_passes_the_screen_and_assembles(chapter) -> None:
    reference = read(chapter)
    steps, unscored, _ = assemble(reference, reference, name=chapter.stem)
    assert unscored == {}, f"{chapter.name}: reference answers refused: {unscored}"
    labels = set(chapter_exercises(reference, chapter.name))
    assert {s.label for s in steps if s.kind == "test"} == labels, "every exercise needs at least one test"
    _, unscored, _ = assemble(reference, student_copy(reference, chapter=chapter.stem), name=chapter.stem)
    assert set(unscored) == labels and set(unscored.values()) == {"not answered"}


def test_answers_are_found_by_position_when_metadata_is_lost() -> None:
    copy = student_copy(toy_chapter(), chapter="99_toy")
    for cell in copy.cells:
        cell.metadata.pop("audioml", None)
    copy.cells[3].source = "def double(x):\n    return x + x"
    found = find_answers(copy, chapter_exercises(toy_chapter()))
    assert found.sources["ex-99-1"] == ["def double(x):\n    return x + x"] and not found.problems
    del copy.cells[3]
    assert "found 0" in find_answers(copy, chapter_exercises(toy_chapter())).problems["ex-99-1"]


def test_grading_gives_points_partial_credit_reasons_and_a_csv(tmp_path) -> None:
    reference = toy_chapter()
    subs = [
        submission(
            {"ex-99-1": "def double(x):\n    return 2 * x", "ex-99-2": "def quadruple(x):\n    return 4 * abs(x)"},
            tmp_path,
            "99_toy-alice.ipynb",
        ),
        submission(
            {"ex-99-2": "def quadruple(x):\n    return double(double(x))"},
            tmp_path,
            "99_toy-bob.ipynb",
            written="Because doubling twice is four times.",
        ),
        submission({}, tmp_path, "99_toy-carol.ipynb"),
    ]
    (tmp_path / "99_toy-dave.ipynb").write_text('{"cells": [')
    grades = [
        grade_submission(p, reference, "99_toy", time_limit_s=60) for p in subs + [tmp_path / "99_toy-dave.ipynb"]
    ]
    alice, bob, carol, dave = grades
    assert alice.points == {"ex-99-1": 1.0, "ex-99-2": 1.33}, alice.reasons
    assert alice.reasons["ex-99-2"].startswith("2/3 tests") and alice.student == "alice"
    assert bob.points == {"ex-99-1": 0.0, "ex-99-2": 2.0}, "a skipped exercise does not fail the one that uses it"
    assert bob.reasons["ex-99-1"] == "not answered"
    assert carol.total == 0 and carol.seconds == 0, "nothing answered: nothing to run"
    assert dave.total == 0 and dave.note.startswith("cannot read the notebook")
    path = write_gradebook(grades, chapter_exercises(reference), tmp_path / "grades.csv")
    rows = list(csv.DictReader(path.open()))
    assert [r["student_id"] for r in rows] == ["alice", "bob", "carol", "dave"]
    assert rows[0]["total"] == "2.33" and rows[0]["max"] == "3.0" and rows[1]["ex-99-1 reason"] == "not answered"
    assert (
        rows[1]["ex-99-2 written answer"] == "Because doubling twice is four times."
        and "ex-99-1 written answer" not in rows[0]
    )


def test_another_chapter_and_dynamic_tricks_score_zero(tmp_path) -> None:
    reference, outside = toy_chapter(), BOOK_ROOT / "results" / "written-by-a-submission.json"
    other = student_copy(toy_chapter(), chapter="98_other")
    nbformat.write(other, tmp_path / "98_other.ipynb")
    assert "not a submission of 99_toy" in grade_submission(tmp_path / "98_other.ipynb", reference, "99_toy").note
    # past the screen, caught while running: a write outside the folder, and numpy patched through a list
    sneaky = {
        "ex-99-1": f"x = np.lib.format.open_memmap({str(outside)!r}, mode='w+', shape=(1,))\n"
        "def double(x):\n    return 2 * x",
        "ex-99-2": "[np][0].allclose = lambda *a, **k: True\ndef quadruple(x):\n    return 0",
    }
    grade = grade_submission(submission({"ex-99-1": sneaky["ex-99-1"]}, tmp_path), reference, "99_toy")
    assert grade.total == 0 and "tried to leave its folder" in grade.note, grade.note
    assert not outside.exists()
    grade = grade_submission(submission({"ex-99-2": sneaky["ex-99-2"]}, tmp_path), reference, "99_toy")
    assert grade.total == 0 and "replaced numpy.allclose" in grade.note, grade.note


def test_time_outs_and_dead_kernels_end_only_that_submission() -> None:
    assert "time limit of 8 s" in run_steps([Step("answer", "while True:\n    pass")], time_limit_s=8).fatal
    assert "kernel died" in run_steps([Step("answer", "import os\nos._exit(3)")], time_limit_s=60).fatal


def test_each_submission_gets_a_cache_of_its_own_unless_a_trusted_one_is_shared(tmp_path, monkeypatch) -> None:
    """A planted cache entry must not reach the next submission; the caller's cache need not exist yet."""
    callers = tmp_path / "book" / "_build" / "cache"  # CI's AUDIOML_CACHE: inside the book, not created yet
    monkeypatch.setenv("AUDIOML_CACHE", str(callers))
    plant = (
        "import os, pathlib\nfolder = pathlib.Path(os.environ['AUDIOML_CACHE'])\n"
        "(folder / 'features').mkdir(exist_ok=True)\n(folder / 'features' / 'planted.npz').write_text('x')"
    )
    check = f"import os\nassert os.environ['AUDIOML_CACHE'] != {str(callers)!r}"
    result = run_steps([Step("answer", plant), Step("test", check, label="ex-99-1")], time_limit_s=60)
    assert result.tests == {"ex-99-1": [None]} and not result.fatal, result
    assert not callers.exists(), "the submission's cache entry landed in the caller's cache"
    trusted = tmp_path / "trusted" / "cache"
    result = run_steps([Step("answer", plant)], time_limit_s=60, shared_cache=trusted)
    assert (trusted / "features" / "planted.npz").is_file() and not result.fatal, result


def test_no_submission_plants_bytecode_and_numba_caches_stay_in_its_folder() -> None:
    """A .pyc planted in the package's __pycache__ would run in every later kernel; numba's cache (librosa
    compiles with cache=True) goes to the submission's folder, not to site-packages."""
    plant = (
        "import audioml, pathlib\n"
        "(pathlib.Path(audioml.__file__).parent / '__pycache__' / 'settings.cpython-311.pyc').write_bytes(b'x')"
    )
    assert "tried to leave its folder" in run_steps([Step("answer", plant)], time_limit_s=60).fatal
    check = "import os\nassert os.environ['NUMBA_CACHE_DIR'] == os.path.join(os.getcwd(), 'numba')"
    result = run_steps([Step("test", check, label="ex-99-1")], time_limit_s=60)
    assert result.tests == {"ex-99-1": [None]} and not result.fatal, result


def test_assignment_has_student_notebook_otter_tests_and_autograder(tmp_path) -> None:
    from otter.test_files.exception_test import ExceptionTestFile

    from audioml.book.grading.assignments import build_assignment

    chapter = tmp_path / "99_toy.ipynb"
    nbformat.write(toy_chapter(), chapter)
    folder = build_assignment(chapter, tmp_path / "assignments", otter=False)
    assert (folder / "autograder.zip").is_file() and (folder / "autograder" / "points.csv").is_file()
    student = nbformat.read(folder / "student" / "99_toy.ipynb", as_version=4)
    assert "return 2 * x" not in str(student) and "quadruple(0.5)" not in str(student)
    assert "quadruple(0.5)" not in (folder / "student" / "tests" / "ex-99-2.py").read_text(), "public tests only"
    hidden = ExceptionTestFile.from_file(str(folder / "autograder" / "tests" / "ex-99-2.py"))
    import numpy as np

    env = {"np": np, "exercise_check": exercise_check, "helper": lambda x: x + 1}
    good = hidden.run({**env, "double": lambda x: 2 * x, "quadruple": lambda x: 4 * x})
    assert len(hidden.test_cases) == 3 and hidden.all_or_nothing is False and good is None
    assert hidden.grade == 1.0 and hidden.possible == 2.0
    hidden.run({**env, "quadruple": lambda x: 4 * abs(x)})
    assert 0 < hidden.grade < 1, "one of three tests fails: partial credit"
