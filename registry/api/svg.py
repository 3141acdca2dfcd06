"""A task graph drawn as SVG on the server: no Graphviz, no JavaScript.

A small layered layout (Sugiyama's scheme, cut down): each task's layer is the length of the
longest path reaching it, tasks within a layer are ordered by the barycentre of their
neighbours for a few sweeps down and up, and edges are straight lines with an arrow.  Every
step is linear in the graph's size (plus sorting each layer), so a large pipeline still draws.
Labels are escaped; a run's tasks are filled with their phase's colour.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from registry.api.html import NO_PHASE_COLOUR, PHASE_COLOURS, escape, shorten

SWEEPS = 4  # down-up passes of the barycentre ordering
CHAR_WIDTH = 8  # px per character at font-size 12 (a monospace glyph is about 7.2 px wide)
LINE_HEIGHT = 15
MAX_LABEL = 32  # characters shown per line; the full text is in the node's <title>
PAD_X, PAD_Y = 10, 8
GAP_X, GAP_Y = 24, 46


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
    rows: list[list[str]] = [[] for _ in range(max(layer.values(), default=-1) + 1)]
    for node in nodes:
        rows[layer[node.id]].append(node.id)
    up: dict[str, list[str]] = {node.id: [] for node in nodes}
    down: dict[str, list[str]] = {node.id: [] for node in nodes}
    for edge in edges:
        if edge.source in up and edge.target in up and edge.source != edge.target:
            down[edge.source].append(edge.target)
            up[edge.target].append(edge.source)
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


def render(nodes: Sequence[GraphNode], edges: Sequence[GraphEdge], title: str = "") -> str:
    """The graph as a standalone ``<svg>`` element (well-formed XML, every label escaped)."""
    layer = layers(nodes, edges)
    rows = order(nodes, edges, layer)
    by_id = {node.id: node for node in nodes}
    width = min(MAX_LABEL, max((len(line) for n in nodes for line in n.lines), default=4)) * CHAR_WIDTH + 2 * PAD_X
    height = max((len(n.lines) for n in nodes), default=1) * LINE_HEIGHT + 2 * PAD_Y
    widest = max((len(row) for row in rows), default=0)
    total_w = max(widest * (width + GAP_X) - GAP_X, width) + 2 * GAP_X
    total_h = max(len(rows) * (height + GAP_Y) - GAP_Y, height) + 2 * GAP_X
    boxes = _place(rows, width, height, total_w)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_w}" height="{total_h}" '
             f'viewBox="0 0 {total_w} {total_h}" font-family="monospace" font-size="12" role="img">',
             f"<title>{escape(title)}</title>" if title else "",
             '<defs><marker id="creg-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
             'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>']
    parts += _edges(edges, boxes, width, height)
    parts += [_node(by_id[node_id], x, y, width, height) for node_id, (x, y) in boxes.items()]
    parts.append("</svg>")
    return "".join(parts)


def _place(rows: list[list[str]], width: int, height: int, total_w: int) -> dict[str, tuple[int, int]]:
    """Top-left corner of each box: layers top to bottom, each layer centred."""
    boxes = {}
    for index, row in enumerate(rows):
        row_w = len(row) * (width + GAP_X) - GAP_X
        left = (total_w - row_w) // 2
        for slot, node_id in enumerate(row):
            boxes[node_id] = (left + slot * (width + GAP_X), GAP_X + index * (height + GAP_Y))
    return boxes


def _edges(edges: Iterable[GraphEdge], boxes: dict[str, tuple[int, int]], width: int, height: int) -> list[str]:
    out = []
    for edge in edges:
        if edge.source not in boxes or edge.target not in boxes or edge.source == edge.target:
            continue
        (sx, sy), (tx, ty) = boxes[edge.source], boxes[edge.target]
        x1, y1, x2, y2 = sx + width // 2, sy + height, tx + width // 2, ty
        dash = ' stroke-dasharray="4,3"' if edge.ordering_only else ""
        out.append(f'<g class="edge"><title>{escape(edge.source)} \u2192 {escape(edge.target)}'
                   f'{": " + escape(edge.label) if edge.label else ""}</title>'
                   f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#555"{dash} '
                   'marker-end="url(#creg-arrow)"/>')
        if edge.label:
            out.append(f'<text x="{(x1 + x2) // 2 + 4}" y="{(y1 + y2) // 2}" fill="#555" font-size="10">'
                       f"{escape(shorten(edge.label, MAX_LABEL))}</text>")
        out.append("</g>")
    return out


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
