"""Put a submission's answers into the teacher's chapter: the program the grader runs.

Only the answer cells are taken from the submission, found by the exercise recorded in their
metadata (student copies carry it) or, failing that, by position after the exercise's
statement. Every other cell comes from the teacher's reference: its check cells become one
test step per ``with exercise_check(...)`` block, run without the wrapper, so a failure is an
error the grader sees in the kernel's reply. An exercise that is not answered, or whose answer
fails the screen, gets the reference answer in its place (0 points, so that later exercises that
build on it can still be graded). Used by :mod:`audioml.book.grading.run`.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

import nbformat

from audioml.book.grading.chapter import _EXERCISE, Exercise, chapter_exercises, stub
from audioml.book.grading.guard import VERIFY, snapshot
from audioml.book.grading.screen import bound_names, module_names, screen

_INJECTED = "fast = {fast!r}  # set by the grader"


@dataclass
class Step:
    """One cell the grader runs: chapter code, an answer, or one test of an exercise."""

    kind: str  # "code", "answer", "test", or the guard's "snapshot" and "verify"
    source: str
    label: str = ""


@dataclass
class _Answers:
    """What was found in a submission: answer sources per exercise, and notes on its cells."""

    sources: dict[str, list[str]] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def split_check(source: str, where: str) -> list[Step]:
    """A check cell as steps: plain code, and one unwrapped test per ``with exercise_check(L):``."""
    tree, lines, steps, plain = ast.parse(source), source.splitlines(), [], []
    for node in tree.body:
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
        if not isinstance(node, ast.With):
            plain += lines[start : node.end_lineno]
            continue
        checks = [
            item
            for item in node.items
            if isinstance(item.context_expr, ast.Call) and getattr(item.context_expr.func, "id", "") == "exercise_check"
        ]
        if not checks:
            plain += lines[start : node.end_lineno]
            continue
        call = checks[0].context_expr
        assert isinstance(call, ast.Call)
        if len(checks) > 1 or checks[0].optional_vars or not call.args or not isinstance(call.args[0], ast.Constant):
            raise ValueError(f'{where}: write checks as `with exercise_check("ex-NN-K"):`')
        if plain:
            steps.append(Step("code", "\n".join(plain)))
            plain = []
        others = [ast.unparse(item) for item in node.items if item is not checks[0]]
        header = f"with {', '.join(others)}:" if others else "if True:"
        body = lines[node.body[0].lineno - 1 : node.end_lineno]
        steps.append(Step("test", header + "\n" + "\n".join(body), str(call.args[0].value)))
    if plain:
        steps.append(Step("code", "\n".join(plain)))
    return steps


def find_answers(submission: nbformat.NotebookNode, exercises: dict[str, Exercise]) -> _Answers:
    """The submission's answer sources for each exercise, with what was odd about its cells."""
    found = _Answers()
    by_metadata: dict[tuple[str, int], list[str]] = {}
    for cell in submission.cells:
        meta = cell.get("metadata", {}).get("audioml", {}) if cell.cell_type == "code" else {}
        if isinstance(meta, dict) and meta.get("exercise") in exercises:
            by_metadata.setdefault((meta["exercise"], int(meta.get("part", 0))), []).append(cell.source)
    statements = {
        m["label"]: i
        for i, c in enumerate(submission.cells)
        if c.cell_type == "markdown"
        for m in [_EXERCISE.search(c.source)]
        if m
    }
    for label, exercise in exercises.items():
        wanted = len(exercise.solutions)
        if any((label, part) in by_metadata for part in range(wanted)):
            per_part = [by_metadata.get((label, part), []) for part in range(wanted)]
            if any(len(c) != 1 for c in per_part):
                found.problems[label] = f"expected {wanted} answer cell(s), found {[len(c) for c in per_part]} per part"
            else:
                found.sources[label] = [c[0] for c in per_part]
            continue
        if label not in statements:  # no metadata: the code cells after the statement, up to the check
            found.problems[label] = "no answer cell found (its statement and answer cells were removed)"
            continue
        cells: list[str] = []
        for cell in submission.cells[statements[label] + 1 :]:
            if cell.cell_type == "markdown" and _EXERCISE.search(cell.source):
                break
            if cell.cell_type == "code":
                if f'exercise_check("{label}")' in cell.source or f"exercise_check('{label}')" in cell.source:
                    break
                cells.append(cell.source)
        if len(cells) == wanted:
            found.sources[label] = cells
        else:
            found.problems[label] = f"expected {wanted} answer cell(s) after the statement, found {len(cells)}"
    known = {label for label, _ in by_metadata} | set(statements)
    if extra := sorted(known - set(exercises)):
        found.notes.append(f"ignored exercises that are not in this chapter: {', '.join(extra)}")
    return found


def assemble(
    reference: nbformat.NotebookNode,
    submission: nbformat.NotebookNode,
    fast: bool = True,
    name: str = "chapter",
    run_stubs: bool = False,
) -> tuple[list[Step], dict[str, str], list[str]]:
    """The steps to run, the exercises scored 0 before running (with the reason), and notes.

    ``run_stubs`` runs unanswered stubs through their checks (CI proves that they fail) instead
    of scoring them 0 unrun and putting the reference answer in their place.
    """
    exercises = chapter_exercises(reference, name)
    answers = find_answers(submission, exercises)
    unscored = dict(answers.problems)
    solution_cells = {i for e in exercises.values() for i in e.solutions}
    protected: set[str] = set()
    checks = {i for e in exercises.values() for i in e.checks}
    chapter_names: set[str] = set()  # bound by the chapter's own cells, not by checks or answers
    chapter_modules: set[str] = set()
    first = min(e.statement for e in exercises.values())  # the snapshot holds what the chapter bound before
    later: set[str] = set()  # ...and that no teacher cell from the exercises on binds again
    for index, cell in enumerate(reference.cells):
        if cell.cell_type == "code" and index not in solution_cells:  # a check's own names are rebound by it
            protected |= module_names(cell.source) if index in checks else bound_names(cell.source)
            chapter_names |= bound_names(cell.source) if index < first else set()
            later |= bound_names(cell.source) if index >= first else set()
            chapter_modules |= module_names(cell.source)
    all_answers = set().union(*(bound_names(reference.cells[i].source) for i in solution_cells))
    use_reference = set(unscored)
    for label, sources in answers.sources.items():
        exercise = exercises[label]
        own = set().union(*(bound_names(reference.cells[i].source) for i in exercise.solutions))
        stubs = [stub(reference.cells[i].source, label).strip() for i in exercise.solutions]
        if not run_stubs and all(s.strip() in ("", t) for s, t in zip(sources, stubs)):
            unscored[label] = "not answered"
            use_reference.add(label)
        elif problems := [p for s in sources for p in screen(s, protected - own, chapter_modules)]:
            unscored[label] = "answer not run: it " + "; ".join(problems[:4]) + " (not allowed in an answer)"
            use_reference.add(label)
    steps: list[Step] = []
    owner = {i: label for label, e in exercises.items() for i in e.solutions}
    for index, cell in enumerate(reference.cells):
        if cell.cell_type != "code":
            continue
        tags = cell.metadata.get("tags", [])
        if index in owner:
            label = owner[index]
            if not any(s.kind == "snapshot" for s in steps):
                steps.append(Step("snapshot", snapshot(chapter_names - all_answers - later)))
            part = exercises[label].solutions.index(index)
            source = cell.source if label in use_reference else answers.sources[label][part]
            steps.append(Step("code" if label in use_reference else "answer", source, label))
        elif any(index in e.checks for e in exercises.values()):
            for step in split_check(cell.source, f"{name} cell {index}"):
                steps += [Step("verify", VERIFY), step] if step.kind == "test" else [step]
        elif "injected-parameters" in tags:
            continue
        else:
            steps.append(Step("code", cell.source))
            if "parameters" in tags:
                steps.append(Step("code", _INJECTED.format(fast=fast)))
    return steps, unscored, answers.notes
