"""The server-side SVG drawing: layers, ordering, escaping, well-formed XML, phase colours."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from registry.api.html import PHASE_COLOURS
from registry.api.svg import GraphEdge, GraphNode, layers, order, render

SVG = "{http://www.w3.org/2000/svg}"


def node(name: str, *extra: str, phase: str | None = None, dashed: bool = False) -> GraphNode:
    return GraphNode(name, (name, *extra), phase, dashed)


def boxes(svg: str) -> dict[str, tuple[float, float]]:
    """Task id (the first text line) -> the top-left corner of its box."""
    root = ET.fromstring(svg)
    out = {}
    for group in root.iter(f"{SVG}g"):
        if group.get("class") == "node":
            rect = group.find(f"{SVG}rect")
            first = group.find(f"{SVG}text")
            assert rect is not None and first is not None
            out[str(first.text)] = (float(rect.get("x", 0)), float(rect.get("y", 0)))
    return out


def test_layers_are_longest_paths() -> None:
    nodes = [node(n) for n in "abcd"]
    edges = [GraphEdge("a", "b"), GraphEdge("b", "c"), GraphEdge("a", "c"), GraphEdge("a", "d")]
    assert layers(nodes, edges) == {"a": 0, "b": 1, "c": 2, "d": 1}


def test_barycentre_ordering_removes_a_crossing() -> None:
    # a1 -> b2 and a2 -> b1 cross in file order; the sweeps put b2 under a1.
    nodes = [node("a1"), node("a2"), node("b1"), node("b2")]
    edges = [GraphEdge("a1", "b2"), GraphEdge("a2", "b1")]
    rows = order(nodes, edges, layers(nodes, edges))
    assert rows[0].index("a1") == rows[1].index("b2")
    assert rows[0].index("a2") == rows[1].index("b1")


def test_drawing_is_well_formed_and_places_layers_top_to_bottom() -> None:
    nodes = [node("fetch", "download@1.0.0"), node("train", "train@2"), node("eval", "eval@1")]
    edges = [GraphEdge("fetch", "train", "data"), GraphEdge("train", "eval", "model")]
    svg = render(nodes, edges, "pipeline demo")
    where = boxes(svg)
    assert where["fetch"][1] < where["train"][1] < where["eval"][1]
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert [t.text for t in root.iter(f"{SVG}text") if t.text in ("data", "model")] == ["data", "model"]
    assert len(list(root.iter(f"{SVG}polyline"))) == 2


def test_user_text_is_escaped_and_xml_forbidden_characters_replaced() -> None:
    evil = '<script>alert("x")</script> & \x00\x1b'
    svg = render([node("a", evil), node("b&c")], [GraphEdge("a", "b&c", evil)], evil)
    assert "<script>" not in svg and "\x00" not in svg and "\x1b" not in svg
    root = ET.fromstring(svg)  # parses: nothing unescaped broke the markup
    texts = [t.text or "" for t in root.iter(f"{SVG}text")]
    assert "b&c" in texts
    assert any(t.startswith('<script>alert("x")') for t in texts)  # shown as text, not markup


def test_phases_fill_the_boxes_and_exit_tasks_are_dashed() -> None:
    svg = render([node("ok", phase="Succeeded"), node("bad", phase="Failed"), node("cleanup", dashed=True)],
                 [GraphEdge("ok", "bad")])
    root = ET.fromstring(svg)
    fills = {}
    for group in root.iter(f"{SVG}g"):
        rect = group.find(f"{SVG}rect")
        if rect is not None:
            fills[group.get("data-phase")] = (rect.get("fill"), rect.get("stroke-dasharray"))
    assert fills["Succeeded"][0] == PHASE_COLOURS["Succeeded"]
    assert fills["Failed"][0] == PHASE_COLOURS["Failed"]
    assert fills[""] == ("#ffffff", "5,3")


def test_a_large_graph_draws_every_node_and_edge() -> None:
    """A 3,000-task chain of diamonds: every node and edge is in the drawing (no time limit here;
    bench/ measures speed)."""
    nodes = [node(f"t{i}") for i in range(3000)]
    edges = [GraphEdge(f"t{i}", f"t{i + j}") for i in range(0, 2997, 3) for j in (1, 2)]
    edges += [GraphEdge(f"t{i + j}", f"t{i + 3}") for i in range(0, 2997, 3) for j in (1, 2)]
    root = ET.fromstring(render(nodes, edges))
    assert len([g for g in root.iter(f"{SVG}g") if g.get("class") == "node"]) == 3000
    assert len(list(root.iter(f"{SVG}polyline"))) == len(edges)


def test_an_empty_graph_is_still_an_svg() -> None:
    assert ET.fromstring(render([], [])).tag == f"{SVG}svg"


def polylines(svg: str) -> dict[str, list[tuple[float, float]]]:
    """'source -> target' (from the edge's title) -> the points of its line."""
    out = {}
    for group in ET.fromstring(svg).iter(f"{SVG}g"):
        if group.get("class") == "edge":
            title, line = group.find(f"{SVG}title"), group.find(f"{SVG}polyline")
            assert title is not None and line is not None
            points = [tuple(float(v) for v in p.split(",")) for p in str(line.get("points")).split()]
            out[str(title.text).split(":")[0].replace(" \u2192 ", "->")] = points
    return out


def test_a_long_edge_goes_around_the_box_between_its_ends() -> None:
    nodes = [node("a", "x" * 20), node("b", "x" * 20), node("c", "x" * 20)]
    svg = render(nodes, [GraphEdge("a", "b"), GraphEdge("b", "c"), GraphEdge("a", "c")])
    where = boxes(svg)
    lines = polylines(svg)
    assert len(lines["a->c"]) == 4 and len(lines["a->b"]) == 2  # the long edge bends through a waypoint
    left, top = where["b"]
    right = left + 20 * 8 + 20
    crossing_b = [x for x, y in lines["a->c"] if top <= y <= top + 60]
    assert crossing_b and all(not left <= x <= right for x in crossing_b)


def test_too_many_waypoints_fall_back_to_straight_edges() -> None:
    """A hub every task depends on, in a chain: waypoints would grow with the square of the size."""
    count = 400
    nodes = [node(f"t{i}") for i in range(count)]
    edges = [GraphEdge(f"t{i}", f"t{i + 1}") for i in range(count - 1)]
    edges += [GraphEdge("t0", f"t{i}") for i in range(2, count)]
    lines = polylines(render(nodes, edges))
    assert all(len(points) == 2 for points in lines.values()) and len(lines) == len(edges)
