"""Alt text for the figures a chapter draws, from the code that draws them (issue 15).

A screen reader, or a reader whose images do not load, gets a sentence instead of a hashed
file name: the figure's titles and axis labels as the code writes them (f-string fields
become "…"), or, for a figure without titles, the section it belongs to. :func:`add_alt_text`
writes it into each figure cell's ``metadata.mystnb.image.alt``, where Jupyter Book reads it;
:func:`audioml.book.execute.execute` calls it after every full run.
"""

from __future__ import annotations

import ast

import nbformat

_TITLE_CALLS = {"set_title", "suptitle", "title"}
_LABEL_CALLS = {"set_xlabel": "x", "set_ylabel": "y", "xlabel": "x", "ylabel": "y"}
_IMAGE_TYPES = ("image/png", "image/svg+xml", "image/jpeg")


def _text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(str(v.value) if isinstance(v, ast.Constant) else "…" for v in node.values)
    return None


def describe_figure(source: str) -> tuple[list[str], dict[str, str]]:
    """The titles and the first x and y labels that the code of one cell gives its figures."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return [], {}
    titles: list[str] = []
    labels: dict[str, str] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name in _TITLE_CALLS and node.args and (text := _text(node.args[0])):
            titles.append(text)
        if name in _LABEL_CALLS and node.args and (text := _text(node.args[0])):
            labels.setdefault(_LABEL_CALLS[name], text)
        for keyword in node.keywords:
            text = _text(keyword.value)
            if text and keyword.arg == "title":
                titles.append(text)
            elif text and keyword.arg in ("xlabel", "ylabel"):
                labels.setdefault(keyword.arg[0], text)
    return list(dict.fromkeys(t.strip() for t in titles if t.strip())), labels


def alt_text(source: str, section: str) -> str:
    """One sentence that says what the cell's figure shows."""
    titles, labels = describe_figure(source)
    if not titles:
        return f"Figure of the section “{section}”." if section else "Figure."
    text = "Figure: " + "; ".join(titles[:4]) + ("; …" if len(titles) > 4 else "")
    axes = [f"{axis} axis: {labels[axis]}" for axis in ("x", "y") if axis in labels]
    return text + (f" ({', '.join(axes)})" if axes else "") + "."


def add_alt_text(notebook: nbformat.NotebookNode) -> int:
    """Write alt text into every code cell with an image output; returns how many cells got one."""
    section, count = "", 0
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            headings = [line.lstrip("#").strip() for line in cell.source.splitlines() if line.startswith("#")]
            section = headings[-1] if headings else section
        elif any(kind in output.get("data", {}) for output in cell.get("outputs", []) for kind in _IMAGE_TYPES):
            image = cell.metadata.setdefault("mystnb", {}).setdefault("image", {})
            image["alt"] = alt_text(cell.source, section)
            count += 1
    return count
