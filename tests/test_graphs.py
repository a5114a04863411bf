"""audioml.plotting.graphs: tracing and drawing micrograd graphs (chapter 3)."""

import re

import graphviz
import pytest
from micrograd.engine import Value

from audioml.plotting.graphs import draw_dot, trace, value_label


def tiny_graph():
    """d = a * b + c with a=2, b=-3, c=10, labelled like Karpathy's demo."""
    a, b, c = Value(2.0), Value(-3.0), Value(10.0)
    e = a * b
    d = e + c
    for value, name in ((a, "a"), (b, "b"), (c, "c"), (e, "e"), (d, "d")):
        value.label = name
    return a, b, c, e, d


def test_trace_finds_every_value_and_edge_inputs_first():
    a, b, c, e, d = tiny_graph()
    nodes, edges = trace(d)
    assert len(nodes) == 5 and {id(n) for n in nodes} == {id(v) for v in (a, b, c, e, d)}
    assert nodes[-1] is d
    position = {id(n): i for i, n in enumerate(nodes)}
    assert all(position[id(child)] < position[id(parent)] for child, parent in edges)
    assert {(value_label(x), value_label(y)) for x, y in edges} == {("a", "e"), ("b", "e"), ("e", "d"), ("c", "d")}
    assert len(edges) == 4


def test_trace_of_a_leaf_is_the_leaf():
    leaf = Value(1.5)
    assert trace(leaf) == ([leaf], [])


def test_draw_dot_has_a_record_per_value_and_a_node_per_operation():
    *_, d = tiny_graph()
    dot = draw_dot(d)
    assert isinstance(dot, graphviz.Digraph)
    source = dot.source
    records = re.findall(r'^\s*(v\d+) \[label="\{ (.*?) \}" shape=record\]$', source, re.M)
    ops = re.findall(r'^\s*(v\d+_op) \[label="(.*?)" shape=ellipse\]$', source, re.M)
    edges = re.findall(r"^\s*(v\d+(?:_op)?) -> (v\d+(?:_op)?)$", source, re.M)
    assert len(records) == 5 and len(ops) == 2 and len(edges) == 6
    shown = {label for _, label in records}
    assert shown == {
        "a | data 2.0000 | grad 0.0000",
        "b | data -3.0000 | grad 0.0000",
        "c | data 10.0000 | grad 0.0000",
        "e | data -6.0000 | grad 0.0000",
        "d | data 4.0000 | grad 0.0000",
    }
    assert sorted(label for _, label in ops) == ["*", "+"]
    # every operation node has exactly one outgoing edge, to its own result
    assert sorted((a, b) for a, b in edges if a.endswith("_op")) == sorted((n, n[: -len("_op")]) for n, _ in ops)
    assert dot.graph_attr["rankdir"] == "LR"


def test_draw_dot_shows_gradients_after_backward():
    a, b, c, e, d = tiny_graph()
    d.backward()
    source = draw_dot(d, rankdir="TB").source
    assert "a | data 2.0000 | grad -3.0000" in source
    assert "b | data -3.0000 | grad 2.0000" in source
    assert "c | data 10.0000 | grad 1.0000" in source
    assert "rankdir=TB" in source


def test_labels_from_a_mapping_and_missing_labels():
    x, y = Value(1.0), Value(2.0)
    z = x + y
    source = draw_dot(z, labels={x: "x", z: "z"}).source
    assert "x | data 1.0000" in source and "z | data 3.0000" in source
    assert '"{ data 2.0000 | grad 0.0000 }"' in source  # y has no label: data and grad only


def test_record_special_characters_are_escaped():
    x = Value(1.0)
    x.label = "a|b{c}"
    assert r"a\|b\{c\}" in draw_dot(x * 2).source


def test_draw_dot_is_deterministic_whatever_the_memory_layout():
    # The same computation built many times (at different addresses, so micrograd's
    # sets iterate in different orders) must give byte-identical DOT source.
    sources = set()
    keep = []  # keep graphs alive so that new ones get fresh addresses
    for _ in range(20):
        xs = [Value(v) for v in (0.5, -1.0, 2.0)]
        ws = [Value(v) for v in (1.0, 0.25, -0.5)]
        out = sum((w * x for w, x in zip(ws, xs)), Value(0.1)).relu()
        out.backward()
        keep.append(out)
        sources.add(draw_dot(out).source)
    assert len(sources) == 1


def test_svg_is_deterministic():
    try:
        first = draw_dot(tiny_graph()[-1]).pipe(format="svg")
    except graphviz.ExecutableNotFound:
        pytest.skip("graphviz's dot binary is not installed")
    assert first == draw_dot(tiny_graph()[-1]).pipe(format="svg")
    assert first.count(b'class="node"') == 7 and first.count(b'class="edge"') == 6


def test_bad_rankdir_is_refused():
    with pytest.raises(ValueError, match="rankdir"):
        draw_dot(Value(1.0), rankdir="RL")
