"""A task graph drawn as SVG on the server: no Graphviz, no JavaScript.

A small layered layout (Sugiyama's scheme, cut down): each task's layer is the length of the
longest path reaching it, tasks within a layer are ordered by the barycentre of their
neighbours for a few sweeps down and up, and edges are straight lines with an arrow.  Every
step is linear in the graph's size (plus sorting each layer), so a large pipeline still draws.
Labels are escaped; a run's tasks are filled with their phase's colour.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from registry.api.html import NO_PHASE_COLOUR, PHASE_COLOURS, escape, shorten

SWEEPS = 4  # down-up passes of the barycentre ordering
CHAR_WIDTH = 8  # px per character at font-size 12 (a monospace glyph is about 7.2 px wide)
LINE_HEIGHT = 15
MAX_LABEL = 32  # characters shown per line; the full text is in the node's <title>
PAD_X, PAD_Y = 10, 8
GAP_X, GAP_Y = 24, 46
WAYPOINT = "\x00"  # starts the id of a long edge's waypoint: no task id holds a NUL
WAYPOINT_WIDTH = 12


@dataclass(frozen=True)
class GraphNode:
    id: str
    lines: tuple[str, ...]  # the first is the task id
    phase: str | None = None  # a run's phase: fills the box with the phase's colour
    dashed: bool = False  # an exit-handler (finally) task


@dataclass(frozen=True)
class GraphEdge:
    source: str
    target: str
    label: str = ""  # the outputs that flow along it
    ordering_only: bool = False  # drawn dashed: the target waits, no data flows


def layers(nodes: Sequence[GraphNode], edges: Sequence[GraphEdge]) -> dict[str, int]:
    """Each node's layer: the longest path from a node with no incoming edge (Kahn's order)."""
    known = {node.id for node in nodes}
    outgoing: dict[str, list[str]] = {node.id: [] for node in nodes}
    incoming = dict.fromkeys(known, 0)
    for edge in edges:
        if edge.source in known and edge.target in known and edge.source != edge.target:
            outgoing[edge.source].append(edge.target)
            incoming[edge.target] += 1
    layer = dict.fromkeys(known, 0)
    ready = [node.id for node in nodes if incoming[node.id] == 0]
    while ready:
        current = ready.pop()
        for target in outgoing[current]:
            layer[target] = max(layer[target], layer[current] + 1)
            incoming[target] -= 1
            if incoming[target] == 0:
                ready.append(target)
    return layer  # a node on a cycle (never in a checked pipeline) keeps the layer it reached


def order(nodes: Sequence[GraphNode], edges: Sequence[GraphEdge], layer: dict[str, int]) -> list[list[str]]:
    """Nodes by layer, each layer ordered to reduce crossings (barycentre heuristic)."""
    known = {node.id for node in nodes}
    pairs = [(e.source, e.target) for e in edges if e.source in known and e.target in known and e.source != e.target]
    return _order([node.id for node in nodes], pairs, layer)


def _order(ids: list[str], pairs: list[tuple[str, str]], layer: dict[str, int]) -> list[list[str]]:
    rows: list[list[str]] = [[] for _ in range(max(layer.values(), default=-1) + 1)]
    for node_id in ids:
        rows[layer[node_id]].append(node_id)
    up: dict[str, list[str]] = {node_id: [] for node_id in ids}
    down: dict[str, list[str]] = {node_id: [] for node_id in ids}
    for source, target in pairs:
        down[source].append(target)
        up[target].append(source)
    for _ in range(SWEEPS):
        for index in range(1, len(rows)):
            rows[index] = _by_barycentre(rows[index], rows[index - 1], up)
        for index in range(len(rows) - 2, -1, -1):
            rows[index] = _by_barycentre(rows[index], rows[index + 1], down)
    return rows


def _by_barycentre(row: list[str], fixed: list[str], neighbours: dict[str, list[str]]) -> list[str]:
    position = {node: i for i, node in enumerate(fixed)}
    keys = {}
    for i, node in enumerate(row):
        placed = [position[n] for n in neighbours[node] if n in position]
        keys[node] = sum(placed) / len(placed) if placed else float(i)  # no neighbour: stay put
    return sorted(row, key=lambda node: keys[node])


def routes(edges: Sequence[GraphEdge], layer: dict[str, int], budget: int) -> dict[int, list[str]]:
    """Edge number -> the waypoints ("dummy" nodes) a long edge takes, one per layer it crosses.

    Waypoints take part in the ordering, so a long edge goes around the boxes between its ends
    instead of through them.  Past ``budget`` waypoints in all (a task that every other task
    depends on makes quadratically many) edges are drawn straight, keeping the work linear.
    """
    long = [(number, edge) for number, edge in enumerate(edges)
            if edge.source in layer and edge.target in layer and layer[edge.target] - layer[edge.source] > 1]
    if sum(layer[e.target] - layer[e.source] - 1 for _, e in long) > budget:
        return {}
    return {number: [f"{WAYPOINT}{number}.{k}" for k in range(layer[edge.source] + 1, layer[edge.target])]
            for number, edge in long}


def render(nodes: Sequence[GraphNode], edges: Sequence[GraphEdge], title: str = "") -> str:
    """The graph as a standalone ``<svg>`` element (well-formed XML, every label escaped)."""
    layer = layers(nodes, edges)
    known = {node.id for node in nodes}
    drawn = [(n, e) for n, e in enumerate(edges) if e.source in known and e.target in known and e.source != e.target]
    ways = routes(edges, layer, 4 * (len(nodes) + len(edges)) + 100)
    pairs = []
    for number, edge in drawn:
        chain = [edge.source, *ways.get(number, []), edge.target]
        for step, waypoint in enumerate(chain[1:-1], 1):
            layer[waypoint] = layer[edge.source] + step
        pairs += list(zip(chain, chain[1:]))
    rows = _order([node.id for node in nodes] + [w for chain in ways.values() for w in chain], pairs, layer)
    by_id = {node.id: node for node in nodes}
    width = min(MAX_LABEL, max((len(line) for n in nodes for line in n.lines), default=4)) * CHAR_WIDTH + 2 * PAD_X
    height = max((len(n.lines) for n in nodes), default=1) * LINE_HEIGHT + 2 * PAD_Y
    boxes, total_w = _place(rows, width, height)
    total_h = max(len(rows) * (height + GAP_Y) - GAP_Y, height) + 2 * GAP_X
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_w}" height="{total_h}" '
             f'viewBox="0 0 {total_w} {total_h}" font-family="monospace" font-size="12" role="img">',
             f"<title>{escape(title)}</title>" if title else "",
             '<defs><marker id="creg-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
             'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>']
    parts += [_edge(edge, _points(edge, ways.get(number, []), boxes, width, height)) for number, edge in drawn]
    parts += [_node(by_id[node_id], x, y, width, height) for node_id, (x, y) in boxes.items() if node_id in by_id]
    parts.append("</svg>")
    return "".join(parts)


def _place(rows: list[list[str]], width: int, height: int) -> tuple[dict[str, tuple[int, int]], int]:
    """Top-left corner of each box and waypoint (layers top to bottom, each centred); the total width."""
    def size(node_id: str) -> int:
        return WAYPOINT_WIDTH if node_id.startswith(WAYPOINT) else width

    row_widths = [sum(size(n) for n in row) + GAP_X * max(0, len(row) - 1) for row in rows]
    total_w = max([width, *row_widths]) + 2 * GAP_X
    boxes = {}
    for index, row in enumerate(rows):
        x = (total_w - row_widths[index]) // 2
        for node_id in row:
            boxes[node_id] = (x, GAP_X + index * (height + GAP_Y))
            x += size(node_id) + GAP_X
    return boxes, total_w


def _points(edge: GraphEdge, waypoints: list[str], boxes: dict[str, tuple[int, int]], width: int,
            height: int) -> list[tuple[int, int]]:
    """From the bottom of the source box, down through each waypoint's layer, to the top of the target."""
    (sx, sy), (tx, ty) = boxes[edge.source], boxes[edge.target]
    points = [(sx + width // 2, sy + height)]
    for waypoint in waypoints:
        x, y = boxes[waypoint]
        points += [(x + WAYPOINT_WIDTH // 2, y), (x + WAYPOINT_WIDTH // 2, y + height)]
    return [*points, (tx + width // 2, ty)]


def _edge(edge: GraphEdge, points: list[tuple[int, int]]) -> str:
    dash = ' stroke-dasharray="4,3"' if edge.ordering_only else ""
    path = " ".join(f"{x},{y}" for x, y in points)
    out = (f'<g class="edge"><title>{escape(edge.source)} \u2192 {escape(edge.target)}'
           f'{": " + escape(edge.label) if edge.label else ""}</title>'
           f'<polyline points="{path}" fill="none" stroke="#555"{dash} marker-end="url(#creg-arrow)"/>')
    if edge.label:
        (x1, y1), (x2, y2) = points[0], points[1]
        out += (f'<text x="{(x1 + x2) // 2 + 4}" y="{(y1 + y2) // 2}" fill="#555" font-size="10">'
                f"{escape(shorten(edge.label, MAX_LABEL))}</text>")
    return out + "</g>"


def _node(node: GraphNode, x: int, y: int, width: int, height: int) -> str:
    fill = PHASE_COLOURS.get(node.phase, NO_PHASE_COLOUR) if node.phase else NO_PHASE_COLOUR
    dash = ' stroke-dasharray="5,3"' if node.dashed else ""
    tooltip = "\n".join(node.lines) + (f"\n{node.phase}" if node.phase else "")
    bold = ' font-weight="bold"'
    lines = "".join(f'<text x="{x + PAD_X}" y="{y + PAD_Y + (i + 1) * LINE_HEIGHT - 3}"'
                    f'{bold if i == 0 else ""}>{escape(shorten(line, MAX_LABEL))}</text>'
                    for i, line in enumerate(node.lines))
    return (f'<g class="node" data-phase="{escape(node.phase or "")}"><title>{escape(tooltip)}</title>'
            f'<rect x="{x}" y="{y}" width="{width}" height="{height}" rx="6" fill="{fill}" '
            f'stroke="#333"{dash}/>{lines}</g>')
