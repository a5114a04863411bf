"""Student copies drop solutions; the autograder scores per exercise."""
from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from audioml.exercises import exercise_check
from audioml.grading import exercise_labels, score, student_copy, stub


def chapter() -> nbformat.NotebookNode:
    return new_notebook(cells=[
        new_code_cell("fast: bool = False", metadata={"tags": ["parameters"]}),
        new_markdown_cell("```{exercise} Double it\n:label: ex-1\n\nWrite `double`.\n```"),
        new_markdown_cell("```{solution-start} ex-1\n:class: dropdown\n```"),
        new_code_cell("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION",
                      metadata={"tags": ["solution"]}, outputs=[], execution_count=3),
        new_markdown_cell("```{solution-end}\n```"),
        new_code_cell('with exercise_check("ex-1"):\n    assert double(2) == 4'),
        new_markdown_cell("```{solution-start} ex-2\n```"),
        new_code_cell("answer = 42", metadata={"tags": ["solution"]}),
        new_markdown_cell("```{solution-end}\n```"),
        new_code_cell('with exercise_check("ex-2"):\n    assert answer == 42'),
    ])


def test_stub_keeps_the_signature_and_indent() -> None:
    source = "def f(x):\n    y = 1\n    ### BEGIN SOLUTION\n    return x + y\n    ### END SOLUTION\n"
    assert stub(source, "ex-1") == ('def f(x):\n    y = 1\n'
                                    '    raise NotImplementedError("exercise ex-1: write your answer here")\n')


def test_a_cell_without_markers_is_replaced_whole() -> None:
    assert "answer = 42" not in stub("answer = 42", "ex-2") and "NotImplementedError" in stub("answer = 42", "ex-2")


def test_student_copy_has_no_solutions_gates_or_outputs() -> None:
    copy = student_copy(chapter())
    text = "\n".join(c.source for c in copy.cells)
    assert "return 2 * x" not in text and "answer = 42" not in text and "solution-start" not in text
    assert 'exercise ex-1: write' in text and 'exercise ex-2: write' in text
    assert all(not c.get("outputs") for c in copy.cells if c.cell_type == "code")
    assert exercise_labels(copy) == ["ex-1", "ex-2"]


def test_check_prints_one_parsable_line(capsys) -> None:
    with exercise_check("ex-1"):
        assert 1 + 1 == 2
    with exercise_check("ex-2"):
        raise NotImplementedError
    with exercise_check("ex-3"):
        assert False, "nope"
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("✔ exercise ex-1 passed")
    assert lines[1].startswith("✘ exercise ex-2 failed: not answered yet")
    assert lines[2] == "✘ exercise ex-3 failed: AssertionError: nope"


def test_score_reads_the_check_lines() -> None:
    notebook = chapter()
    notebook.cells[5].outputs = [nbformat.v4.new_output("stream", name="stdout",
                                                        text="✔ exercise ex-1 passed: your answer works\n")]
    notebook.cells[9].outputs = [nbformat.v4.new_output("stream", name="stdout", text="✘ exercise ex-2 failed: x\n")]
    assert score(notebook) == {"ex-1": True, "ex-2": False}


def test_an_unexecuted_notebook_scores_zero() -> None:
    assert score(chapter()) == {"ex-1": False, "ex-2": False}
