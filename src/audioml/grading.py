"""Student copies of the chapters and an autograder that reports per exercise.

Conventions in a chapter (see CONTRIBUTING.md): a solution code cell is tagged
``solution`` and may mark its answer lines between ``### BEGIN SOLUTION`` and
``### END SOLUTION``; the markdown cells ``{solution-start}`` / ``{solution-end}`` around it
hide it in the book; a check cell calls :func:`audioml.exercises.exercise_check`.

``python -m audioml.grading student`` writes ``_build/student/*.ipynb``;
``python -m audioml.grading grade NOTEBOOK`` executes a submission in fast mode and scores it.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

from audioml.exercises import PASSED, RESULT_LINE

SOLUTION_TAG = "solution"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
_GATE = re.compile(r"^\s*```\{solution-(start|end)\}\s*([\w.-]*)")
_LABEL = re.compile(r'exercise_check\(\s*["\']([\w.-]+)["\']')


def exercise_labels(notebook: nbformat.NotebookNode) -> list[str]:
    """The labels of the exercises a notebook checks, in order."""
    return [m.group(1) for cell in notebook.cells if cell.cell_type == "code" for m in _LABEL.finditer(cell.source)]


def stub(source: str, label: str) -> str:
    """Replace the answer lines of a solution cell by a ``NotImplementedError`` at the same indent."""
    message = f'raise NotImplementedError("exercise {label}: write your answer here")'
    if BEGIN not in source:
        return f"# Exercise {label}: your answer here.\n{message}\n"
    lines, out, inside = source.splitlines(), [], False
    for line in lines:
        if line.strip() == BEGIN:
            inside = True
            out.append(line[: len(line) - len(line.lstrip())] + message)
        elif line.strip() == END:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out) + "\n"


def student_copy(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy without solutions and outputs: solution cells become stubs, their gates go."""
    copy = nbformat.from_dict(notebook)
    label, cells = "?", []
    for cell in copy.cells:
        gate = _GATE.match(cell.source) if cell.cell_type == "markdown" else None
        if gate:
            label = gate.group(2) or label
            continue
        if cell.cell_type == "code":
            if SOLUTION_TAG in cell.metadata.get("tags", []):
                cell.source = stub(cell.source, label)
            cell.outputs, cell.execution_count = [], None
        cells.append(cell)
    copy.cells = cells
    for key in ("papermill", "audioml"):
        copy.metadata.pop(key, None)
    return copy


def write_student_copies(chapters: list[Path], out_dir: Path) -> list[Path]:
    """Write the student copy of each chapter into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for chapter in chapters:
        target = out_dir / chapter.name
        nbformat.write(student_copy(nbformat.read(chapter, as_version=4)), target)
        written.append(target)
    return written


def score(executed: nbformat.NotebookNode) -> dict[str, bool]:
    """Per exercise, whether its check passed, read from an executed notebook's outputs."""
    results = {label: False for label in exercise_labels(executed)}
    for cell in executed.cells:
        for output in cell.get("outputs", []):
            for match in RESULT_LINE.finditer(output.get("text", "")):
                results[match["label"]] = match["status"] == PASSED
    return results


def execute_submission(path: Path, fast: bool = True, timeout_s: int = 600,
                       cwd: Path | None = None) -> nbformat.NotebookNode:
    """Run a submitted notebook top to bottom, errors allowed, with the ``fast`` parameter."""
    from nbclient import NotebookClient
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    notebook = parameterize_notebook(load_notebook_node(str(path)), {"fast": fast})
    client = NotebookClient(notebook, timeout=timeout_s, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(cwd or path.parent)}})
    return client.execute()


def report(name: str, results: dict[str, bool]) -> str:
    """A per-exercise report with the total score."""
    lines = [f"{name}"] + [f"  {'✔' if ok else '✘'} {label}" for label, ok in results.items()]
    passed = sum(results.values())
    lines.append(f"  score: {passed}/{len(results)} ({100 * passed / max(len(results), 1):.0f}%)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    student = commands.add_parser("student", help="write student copies of the chapters")
    student.add_argument("chapters", nargs="*", type=Path)
    student.add_argument("--out", type=Path, default=Path("_build/student"))
    grade = commands.add_parser("grade", help="execute submitted notebooks and score each exercise")
    grade.add_argument("submissions", nargs="+", type=Path)
    grade.add_argument("--full", action="store_true", help="run in full mode instead of fast mode")
    grade.add_argument("--cwd", type=Path, default=Path("notebooks"), help="working directory of the run")
    args = parser.parse_args(argv)
    if args.command == "student":
        chapters = args.chapters or sorted(Path("notebooks").glob("[0-9][0-9]_*.ipynb"))
        for path in write_student_copies(chapters, args.out):
            print(f"wrote {path}")
        return 0
    for submission in args.submissions:
        executed = execute_submission(submission, fast=not args.full, cwd=args.cwd)
        print(report(submission.name, score(executed)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
