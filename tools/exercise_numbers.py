"""Sphinx extension: number each exercise by its chapter, "Exercise 5.2" for the label ``ex-05-2``.

sphinx-exercise numbers exercises through the whole book (``numfig``); the grader, the course
plan and the labels count per chapter. After Sphinx assigns the figure numbers, this replaces
the number of every exercise labelled ``ex-NN-K`` by ``(NN, K)``. It also drops the grader's
``### BEGIN/END SOLUTION`` lines from the rendered answers. Loaded from ``_config.yml``.
"""

from __future__ import annotations

import json
import re

LABEL = re.compile(r"^ex-(\d\d)-(\d+)$")
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def renumber(app, env) -> list[str]:  # noqa: ANN001 (Sphinx event signature)
    """Per-chapter numbers for the exercises; returns the documents whose numbers this changed."""
    changed = []
    for docname, numbers in env.toc_fignumbers.items():
        for node_id, number in list(numbers.get("exercise", {}).items()):
            if (match := LABEL.match(node_id)) and number != (int(match[1]), int(match[2])):
                numbers["exercise"][node_id] = (int(match[1]), int(match[2]))
                changed.append(docname)
    return sorted(set(changed))


def strip_solution_markers(app, docname: str, source: list[str]) -> None:  # noqa: ANN001
    """Opened solutions in the book show the answer, not the grader's ``### BEGIN/END SOLUTION`` lines."""
    if not docname.startswith("notebooks/") or "### BEGIN SOLUTION" not in source[0]:
        return
    notebook = json.loads(source[0])
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "code" and isinstance(cell.get("source"), list):
            cell["source"] = [line for line in cell["source"] if line.strip() not in MARKERS]
            if cell["source"]:
                cell["source"][-1] = cell["source"][-1].rstrip("\n")
    source[0] = json.dumps(notebook)


def setup(app) -> dict:  # noqa: ANN001
    app.connect("env-get-updated", renumber, priority=900)  # after the toctree collector numbers the figures
    app.connect("source-read", strip_solution_markers)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
