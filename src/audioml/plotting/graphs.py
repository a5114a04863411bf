"""Drawings of micrograd computation graphs (chapter 3).

Chapter 3 builds one neuron from micrograd ``Value`` objects and draws its graph
before and after ``backward()`` with :func:`draw_dot`: one record per value (its
label, ``data`` and ``grad``) and one small node per operation (``+``, ``*``,
``ReLU``, ...) between the values it combines and the value it makes, as in the
demo notebook of Karpathy's micrograd.

micrograd keeps a value's inputs in a ``set``, whose order follows memory
addresses and so changes from run to run. :func:`trace` therefore orders the
graph by content (operation, label, numbers and inputs), and :func:`draw_dot`
names the nodes ``v0, v1, ...`` in that order, never by ``id()``: the same graph
gives the same DOT source, and the same SVG, on every run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import graphviz

__all__ = ["trace", "draw_dot", "value_label"]


def _children(value: Any) -> Iterable[Any]:
    return getattr(value, "_prev", ())


def value_label(value: Any, labels: Mapping[Any, str] | None = None) -> str:
    """The name shown for ``value``: ``labels[value]`` if given, else its ``label`` attribute, else ``""``.

    micrograd 0.1.0's ``Value`` has no ``label``; chapter 3 sets one (``w1.label = "w1"``)
    or passes a dict ``{value: name}``.
    """
    if labels is not None and value in labels:
        return str(labels[value])
    return str(getattr(value, "label", "") or "")


def _signatures(root: Any, labels: Mapping[Any, str] | None) -> dict[int, str]:
    """A content hash per reachable value (by ``id``), computed children first without recursion."""
    signatures: dict[int, str] = {}
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        value, children_done = stack.pop()
        if id(value) in signatures:
            continue
        children = list(_children(value))
        if not children_done:
            stack.append((value, True))
            stack.extend((child, False) for child in children if id(child) not in signatures)
            continue
        parts = [
            getattr(value, "_op", ""),
            value_label(value, labels),
            repr(value.data),
            repr(value.grad),
            *sorted(signatures[id(child)] for child in children),
        ]
        signatures[id(value)] = hashlib.sha1("\x1f".join(parts).encode()).hexdigest()
    return signatures


def trace(root: Any, labels: Mapping[Any, str] | None = None) -> tuple[list[Any], list[tuple[Any, Any]]]:
    """All values that ``root`` was computed from, and the edges ``(input, output)`` between them.

    Both lists come in a fixed order that depends only on the graph's content: inputs
    before the values made from them (a topological order, ``root`` last), siblings
    sorted by label, then by a hash of their content. Identical sub-graphs are interchangeable in
    the drawing, so their relative order does not matter.
    """
    signatures = _signatures(root, labels)

    def ordered(value: Any) -> list[Any]:
        return sorted(_children(value), key=lambda child: (value_label(child, labels), signatures[id(child)]))

    nodes: list[Any] = []
    placed: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        value, children_done = stack.pop()
        if id(value) in placed:
            continue
        if not children_done:
            stack.append((value, True))
            stack.extend((child, False) for child in reversed(ordered(value)) if id(child) not in placed)
            continue
        placed.add(id(value))
        nodes.append(value)
    edges = [(child, value) for value in nodes for child in ordered(value)]
    return nodes, edges


def _escape(text: str) -> str:
    """Escape the characters that are special inside a graphviz record label."""
    for char in '\\{}|<>"':
        text = text.replace(char, "\\" + char)
    return text


def draw_dot(
    root: Any, rankdir: str = "LR", labels: Mapping[Any, str] | None = None, fmt: str = "%.4f"
) -> graphviz.Digraph:
    """The computation graph of a micrograd ``Value`` as a ``graphviz.Digraph``.

    Each value is a record ``label | data | grad`` (numbers formatted with ``fmt``);
    each operation is its own small node, with arrows from its inputs to it and from it
    to its result. Jupyter renders the returned object inline (SVG). ``rankdir`` is
    ``"LR"`` (left to right) or ``"TB"`` (top to bottom); ``labels`` maps values to
    names (see :func:`value_label`).

    >>> from micrograd.engine import Value
    >>> a, b = Value(2.0), Value(-3.0)
    >>> len(draw_dot(a * b + 1).body)  # 5 values (the 1 too), 2 operations, 6 edges
    13
    """
    import graphviz

    if rankdir not in ("LR", "TB"):
        raise ValueError(f"rankdir must be 'LR' or 'TB', got {rankdir!r}")
    nodes, edges = trace(root, labels)
    names = {id(value): f"v{i}" for i, value in enumerate(nodes)}
    dot = graphviz.Digraph(
        name="micrograd",
        format="svg",
        graph_attr={"rankdir": rankdir},
        node_attr={"fontname": "Helvetica", "fontsize": "11"},
    )
    for value in nodes:
        name = names[id(value)]
        fields = [_escape(value_label(value, labels))] if value_label(value, labels) else []
        fields += [f"data {fmt % value.data}", f"grad {fmt % value.grad}"]
        dot.node(name, label="{ " + " | ".join(fields) + " }", shape="record")
        op = getattr(value, "_op", "")
        if op:
            dot.node(name + "_op", label=op, shape="ellipse")
            dot.edge(name + "_op", name)
    for child, value in edges:
        dot.edge(names[id(child)], names[id(value)] + "_op")
    return dot
