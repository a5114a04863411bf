"""A chapter's exercises as the grader sees them, and the student copy made from them.

Conventions (CONTRIBUTING.md): an ``{exercise}`` markdown cell with ``:label: ex-NN-K``; the
``{solution-start}`` / ``{solution-end}`` gates around one or more code cells tagged
``solution`` (the answer between ``### BEGIN SOLUTION`` and ``### END SOLUTION``); a check cell
with ``with exercise_check("ex-NN-K"):`` blocks. A check cell tagged ``hidden`` is a teacher-only
test: the grader runs it, student copies and the student book leave it out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

SOLUTION_TAG, HIDDEN_TAG = "solution", "hidden"
#: The answer cell for the questions of an exercise's statement (compare, listen, explain), graded by hand.
_WRITTEN = (
    "**Your answer to the questions of Exercise {number}** (graded by hand, with the rubric of the "
    "teaching page)\n\n*Write your answer here.*"
)
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
_GATE = re.compile(r"^\s*```\{solution-(start|end)\}\s*([\w.-]*)")
_EXERCISE = re.compile(r"^\s*```\{exercise\}\s*(?P<title>.*)\n(?:.*\n)*?\s*:label:\s*(?P<label>[\w.-]+)", re.MULTILINE)
_CHECK = re.compile(r'exercise_check\(\s*["\']([\w.-]+)["\']')
LABEL = re.compile(r"^ex-(?P<chapter>\d\d)-(?P<number>\d+)$")


@dataclass
class Exercise:
    """One exercise of a chapter: where its statement, answer cells and check cells are."""

    label: str
    title: str = ""
    statement: int = -1
    solutions: list[int] = field(default_factory=list)
    checks: list[int] = field(default_factory=list)

    question: bool = False

    @property
    def open_ended(self) -> bool:
        return "open-ended" in self.title

    @property
    def number(self) -> str:
        """ "5.2" for ex-05-2, as the book numbers it."""
        match = LABEL.match(self.label)
        return f"{int(match['chapter'])}.{match['number']}" if match else self.label


def exercise_labels(notebook: nbformat.NotebookNode) -> list[str]:
    """The labels that a notebook's code cells check, in order of first appearance."""
    found = [m.group(1) for cell in notebook.cells if cell.cell_type == "code" for m in _CHECK.finditer(cell.source)]
    return list(dict.fromkeys(found))


def chapter_exercises(notebook: nbformat.NotebookNode, name: str = "chapter") -> dict[str, Exercise]:
    """Every exercise of a reference chapter; raises ``ValueError`` where the conventions are broken."""
    exercises: dict[str, Exercise] = {}
    gate: str | None = None
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "markdown":
            if match := _EXERCISE.search(cell.source):
                label = match["label"]
                exercises.setdefault(label, Exercise(label)).title = match["title"].strip()
                exercises[label].statement = index
                exercises[label].question = "?" in cell.source
            if match := _GATE.match(cell.source):
                gate = (match.group(2) or gate) if match.group(1) == "start" else None
            continue
        if cell.cell_type != "code":
            continue
        if SOLUTION_TAG in cell.metadata.get("tags", []):
            if gate is None:
                raise ValueError(f"{name}: solution cell {index} is outside a {{solution-start}} gate")
            exercises.setdefault(gate, Exercise(gate)).solutions.append(index)
        for label in dict.fromkeys(_CHECK.findall(cell.source)):
            exercises.setdefault(label, Exercise(label)).checks.append(index)
    for exercise in exercises.values():
        if not LABEL.match(exercise.label):
            raise ValueError(f"{name}: exercise label {exercise.label!r} is not of the form ex-NN-K")
        if not exercise.checks or not exercise.solutions or exercise.statement < 0:
            raise ValueError(f"{name}: exercise {exercise.label} needs a statement, a solution cell and a check cell")
    return exercises


def stub(source: str, label: str) -> str:
    """Replace the answer lines of a solution cell by a ``NotImplementedError`` at the same indent."""
    message = f'raise NotImplementedError("exercise {label}: write your answer here")'
    if BEGIN not in source:
        return f"# Exercise {label}: your answer here.\n{message}\n"
    out, inside = [], False
    for line in source.splitlines():
        if line.strip() == BEGIN:
            inside = True
            out.append(line[: len(line) - len(line.lstrip())] + message)
        elif line.strip() == END:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out) + "\n"


def strip_markers(source: str) -> str:
    """The reference answer without its ``### BEGIN/END SOLUTION`` lines (for the rendered book)."""
    return "\n".join(line for line in source.splitlines() if line.strip() not in (BEGIN, END))


def student_copy(
    notebook: nbformat.NotebookNode, keep_outputs: bool = False, chapter: str = ""
) -> nbformat.NotebookNode:
    """A copy without solutions: answer cells become stubs, gates and hidden tests go.

    Answer cells keep the ``solution`` tag and record their exercise in ``metadata.audioml``,
    which is how the grader finds them again. ``keep_outputs`` keeps the outputs of the
    chapter's other cells (the student edition of the book); check cells lose theirs anyway.
    """
    copy = nbformat.from_dict(notebook)
    exercises = chapter_exercises(notebook, chapter or "chapter")
    public = {
        label: [i for i in e.checks if HIDDEN_TAG not in notebook.cells[i].metadata.get("tags", [])]
        for label, e in exercises.items()
    }
    last = {public[label][-1]: e for label, e in exercises.items() if e.question and public[label]}
    for index, cell in enumerate(copy.cells):
        cell.metadata["_index"] = index
    gate, inside, parts, cells = "?", False, dict[str, int](), []
    for cell in copy.cells:
        match = _GATE.match(cell.source) if cell.cell_type == "markdown" else None
        if match:
            gate, inside = match.group(2) or gate, match.group(1) == "start"
            continue
        if inside and cell.cell_type != "code":  # a written solution between the gates
            continue
        if cell.cell_type == "code":
            tags = cell.metadata.get("tags", [])
            if HIDDEN_TAG in tags:
                continue
            if SOLUTION_TAG in tags:
                cell.source = stub(cell.source, gate)
                cell.metadata["audioml"] = {"exercise": gate, "part": parts.setdefault(gate, 0)}
                parts[gate] += 1
            if not keep_outputs or SOLUTION_TAG in tags or _CHECK.search(cell.source):
                cell.outputs, cell.execution_count = [], None
        cells.append(cell)
        if cell.cell_type == "code" and (done := last.get(cell.metadata.get("_index", -1))):
            cells.append(
                nbformat.v4.new_markdown_cell(
                    _WRITTEN.format(number=done.number), metadata={"audioml": {"exercise": done.label, "written": True}}
                )
            )
    copy.cells = cells
    for cell in cells:
        cell.metadata.pop("_index", None)
    copy.metadata.pop("papermill", None)
    copy.metadata["audioml"] = {"chapter": chapter, "student_id": ""}
    return copy


def written_answers(submission: nbformat.NotebookNode) -> dict[str, str]:
    """The text of each answer cell for an exercise's questions, where the student wrote one."""
    found = {}
    for cell in submission.cells:
        meta = cell.get("metadata", {}).get("audioml", {})
        if cell.cell_type == "markdown" and isinstance(meta, dict) and meta.get("written"):
            text = cell.source.split("\n\n", 1)[-1].strip()
            if text and text != "*Write your answer here.*":
                found[str(meta.get("exercise"))] = text
    return found


def write_student_copies(chapters: list[Path], out_dir: Path) -> list[Path]:
    """Write the student copy of each chapter into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in chapters:
        target = out_dir / path.name
        nbformat.write(student_copy(nbformat.read(path, as_version=4), chapter=path.stem), target)
        written.append(target)
    return written
