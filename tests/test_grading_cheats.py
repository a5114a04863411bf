"""Cheating submissions of chapter 3 score no more than the unmodified student copy (0), and a batch
with a broken submission finishes, writes its CSV and leaves the book untouched.

Each cheat starts from the student copy. Most are refused by the answer screen or ignored by
assembly and cost no kernel run; the three that get past the screen run the chapter in fast
mode and are caught while running. This module runs in the notebooks-fast stage.
"""

from __future__ import annotations

import csv
import hashlib

import nbformat
import pytest
from chapters import ROOT, read
from nbformat.v4 import new_code_cell, new_markdown_cell, new_output

from audioml.book.grading import student_copy
from audioml.book.grading.chapter import chapter_exercises
from audioml.book.grading.gradebook import grade_submission, report, write_gradebook

CHAPTER = ROOT / "notebooks" / "03_backprop_micrograd.ipynb"
LABELS = [f"ex-03-{k}" for k in range(1, 6)]
PASS_LINE = "✔ exercise {label} passed: your answer works"
ALWAYS = "lambda *args, **kwargs: True"


def everywhere(source: str) -> dict[str, str]:
    return {label: source.replace("{label}", label) for label in LABELS}


def prefilled_outputs(notebook: nbformat.NotebookNode) -> None:
    """An empty code cell whose stored output says every exercise passed; and the checks' outputs too."""
    text = "".join(PASS_LINE.format(label=label) + "\n" for label in LABELS)
    notebook.cells.append(new_code_cell("", outputs=[new_output("stream", name="stdout", text=text)]))
    for cell in notebook.cells:
        if cell.cell_type == "code" and "exercise_check" in cell.source:
            cell.outputs = [new_output("stream", name="stdout", text=text)]


def delete_checks(notebook: nbformat.NotebookNode) -> None:
    notebook.cells = [c for c in notebook.cells if "exercise_check(" not in c.source]


def invent_labels(notebook: nbformat.NotebookNode) -> None:
    for n in range(1, 19):
        label = f"ex-03-{100 + n}"
        notebook.cells += [
            new_markdown_cell(f"```{{exercise}} Mine (easy)\n:label: {label}\n```"),
            new_code_cell("x = 1", metadata={"tags": ["solution"], "audioml": {"exercise": label}}),
            new_code_cell(f'with exercise_check("{label}"):\n    pass'),
        ]


def edit_checks(notebook: nbformat.NotebookNode) -> None:
    for cell in notebook.cells:
        if cell.cell_type == "code" and "with exercise_check(" in cell.source:
            label = cell.source.split('exercise_check("')[1].split('"')[0]
            cell.source = (
                f'from audioml.book.exercises import exercise_check\nwith exercise_check("{label}"):\n    pass'
            )


#: name -> (answers by label, or a function that edits the whole student copy)
CHEATS = {
    "print the success line": everywhere(f'print("{PASS_LINE}")'),
    "redefine exercise_check": everywhere(
        f"import audioml.book.exercises\naudioml.book.exercises.exercise_check = {ALWAYS}"
    ),
    "define exercise_check": everywhere(
        "from contextlib import contextmanager\n\n@contextmanager\n"
        "def exercise_check(label):\n    try:\n        yield\n    except Exception:\n"
        "        print('✔ exercise', label, 'passed')"
    ),
    "replace builtins.print": everywhere("import builtins\nbuiltins.print = lambda *a, **k: None"),
    "delete the check cells": delete_checks,
    "invent labels": invent_labels,
    "pre-filled outputs": prefilled_outputs,
    "edit the check cells": edit_checks,
    "read the reference notebook": everywhere(
        "import json\nnb = json.load(open('03_backprop_micrograd.ipynb'))\n"
        "exec(''.join(c['source'] for c in nb['cells'] if 'solution' in str(c)))"
    ),
    "patch numpy and math": everywhere(f"np.allclose = np.isclose = math.isclose = {ALWAYS}"),
    "rebind the chapter's helpers": everywhere("relative_error = lambda *a: 0.0\nnumerical_gradient = lambda f, p: 0"),
    "shadow builtins": everywhere("isinstance = all = len = lambda *a: True"),
    "exit the kernel": everywhere("import sys\nsys.exit(0)"),
    "os._exit through numpy": everywhere("np.lib.npyio.os._exit(0)"),
    "raise SystemExit": everywhere("raise SystemExit(0)"),
    "raise KeyboardInterrupt": everywhere("raise KeyboardInterrupt"),
    "patch json and open": everywhere("import json\njson.dump = json.dumps = None\nopen = None"),
    "write the result file": everywhere("pd.DataFrame({'total': [100]}).to_csv('/tmp/grades.csv')"),
    "a liar that equals anything": everywhere(
        "class Liar(float):\n    def __eq__(self, other):\n        return True\n    __le__ = __ge__ = __lt__ = __eq__"
    ),
    "the kernel behind the checks": everywhere("get_ipython().kernel.do_execute = None"),
    "IPython history": everywhere("source = In[-1]"),
    "magics and shell": everywhere("%run ../notebooks/03_backprop_micrograd.ipynb\n!cp x y"),
    # past the screen: caught while running
    "read the notebook by a built path": everywhere(
        "cheat_file = '03_backprop_micrograd.ipy' + 'nb'\n"
        "cheat_text = pd.read_csv('/'.join(['..', 'notebooks', cheat_file]), sep='\\x01', header=None)"
    ),
    "patch numpy through a list": everywhere(f"[np][0].allclose = {ALWAYS}\n[math][0].isclose = {ALWAYS}"),
}


def build(name: str, tmp_path) -> object:
    copy = student_copy(read(CHAPTER), chapter=CHAPTER.stem)
    cheat = CHEATS[name]
    if callable(cheat):
        cheat(copy)
    else:
        for cell in copy.cells:
            label = cell.metadata.get("audioml", {}).get("exercise")
            if label in cheat and cell.metadata["audioml"].get("part") == 0:
                cell.source = cheat[label]
    path = tmp_path / f"{CHAPTER.stem}-{name.replace(' ', '_')}.ipynb"
    nbformat.write(copy, path)
    return path


@pytest.mark.timeout(900)
def test_cheats_score_no_more_than_the_student_copy(tmp_path) -> None:
    reference = read(CHAPTER)
    grades = {
        name: grade_submission(build(name, tmp_path), reference, CHAPTER.stem, time_limit_s=180) for name in CHEATS
    }
    for name, grade in grades.items():
        print(f"[{name}] " + report(grade))
    assert {name: g.total for name, g in grades.items() if g.total > 0} == {}
    caught = {name: g.note for name, g in grades.items() if name.startswith(("read the notebook by", "patch numpy th"))}
    assert "tried to leave its folder" in caught["read the notebook by a built path"]
    assert "replaced" in caught["patch numpy through a list"]


@pytest.mark.timeout(600)
def test_a_batch_with_a_broken_submission_finishes_and_leaves_the_book_alone(tmp_path) -> None:
    watched = [ROOT / "results" / f"{CHAPTER.stem}.json", CHAPTER]
    before = [hashlib.sha256(p.read_bytes()).hexdigest() for p in watched]
    answered = tmp_path / f"{CHAPTER.stem}_alice.ipynb"
    nbformat.write(read(CHAPTER), answered)
    stub = build("pre-filled outputs", tmp_path)
    broken = tmp_path / f"{CHAPTER.stem}_carol.ipynb"
    broken.write_text('{"cells": [{"cell_type": "code", "source": ')
    grades = [grade_submission(p, read(CHAPTER), CHAPTER.stem, time_limit_s=120) for p in (answered, stub, broken)]
    path = write_gradebook(grades, chapter_exercises(read(CHAPTER)), tmp_path / "grades.csv")
    rows = list(csv.DictReader(path.open()))
    assert [r["student_id"] for r in rows] == ["alice", "pre-filled_outputs", "carol"]
    assert float(rows[0]["percent"]) == 100 and float(rows[1]["total"]) == 0 and float(rows[2]["total"]) == 0
    assert rows[2]["note"].startswith("cannot read the notebook")
    assert grades[0].seconds <= 120, f"grading one chapter-3 submission took {grades[0].seconds:.0f} s"
    assert [hashlib.sha256(p.read_bytes()).hexdigest() for p in watched] == before, "grading wrote into the book"
