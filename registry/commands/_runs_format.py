"""How ``creg runs`` shows runs: tables, ``argo get``'s node tree, ages and durations.

Everything here reads the Argo Workflow shape (``registry.argo.runview``), so runs on this
machine and on an Argo Server look the same.  The listing's table is ``_runs_table``'s, which
``creg runs list`` also prints without click (``runs_fast``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from registry.argo.runview import LABEL_EXPERIMENT, LABEL_PIPELINE, Workflow, progress
from registry.commands._runs_table import epoch, span, table
from registry.local.listing import ListRow

SYMBOL = {"Succeeded": "✔", "Failed": "✖", "Error": "⚠", "Running": "●", "Pending": "◷",
          "Skipped": "○", "Omitted": "○"}


def duration(item: Mapping[str, Any], now: float) -> str:
    """A workflow's (its ``status``) or a node's running time; still counting while it runs."""
    started = epoch(item.get("startedAt"))
    if started is None:
        return "-"
    finished = epoch(item.get("finishedAt"))
    return span((finished if finished is not None else now) - started)


def list_rows(workflows: Sequence[Workflow]) -> list[ListRow]:
    """What ``runs list`` shows of each Workflow (an Argo Server's; the local store reads its own)."""
    rows: list[ListRow] = []
    for wf in workflows:
        metadata, status = wf.get("metadata", {}), wf.get("status", {})
        labels = metadata.get("labels") or {}
        rows.append((metadata.get("name", ""), status.get("phase") or "Pending",
                     epoch(metadata.get("creationTimestamp")) or 0.0, epoch(status.get("startedAt")),
                     epoch(status.get("finishedAt")), progress(wf), labels.get(LABEL_EXPERIMENT, ""),
                     labels.get(LABEL_PIPELINE, ""), status.get("message") or ""))
    return rows


# -- argo get --------------------------------------------------------------------------------------

def summary(workflow: Workflow, now: float) -> list[str]:
    """The lines above the node tree: name, status, times, parameters, labels."""
    metadata, status = workflow.get("metadata", {}), workflow.get("status", {})
    lines = [("Name", metadata.get("name", "")), ("Namespace", metadata.get("namespace", "")),
             ("Status", status.get("phase") or "Pending")]
    if status.get("message"):
        lines.append(("Message", status["message"].split("\n", 1)[0]))
    for label, key in (("Created", None), ("Started", "startedAt"), ("Finished", "finishedAt")):
        text = metadata.get("creationTimestamp") if key is None else status.get(key)
        if text:
            lines.append((label, f"{text} ({span(now - (epoch(text) or now))} ago)"))
    lines += [("Duration", duration(status, now)), ("Progress", progress(workflow))]
    out = [f"{label + ':':<16}{value}" for label, value in lines]
    out += _mapping("Parameters", {p.get("name", ""): str(p.get("value", "")) for p in
                                   (workflow.get("spec", {}).get("arguments", {}).get("parameters") or [])})
    out += _mapping("Labels", metadata.get("labels") or {})
    return out


def _mapping(title: str, values: Mapping[str, str]) -> list[str]:
    if not values:
        return []
    return [f"{title}:"] + [f"  {key}: {value}" for key, value in values.items()]


def node_tree(workflow: Workflow) -> list[tuple[str, Mapping[str, Any]]]:
    """(tree prefix + name, node) in display order: each DAG's tasks under it, a loop's iterations
    under its group, the exit handler last, as ``argo get`` nests them."""
    nodes: Mapping[str, Mapping[str, Any]] = workflow.get("status", {}).get("nodes") or {}
    kids = _nesting(nodes)
    roots = sorted((i for i in nodes if i not in kids["parent"]),
                   key=lambda i: (i != workflow.get("metadata", {}).get("name"), nodes[i].get("startedAt") or ""))
    out: list[tuple[str, Mapping[str, Any]]] = []
    for root in roots:
        _walk(root, nodes, kids["children"], "", True, True, out)
    return out


def _nesting(nodes: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    parent: dict[str, str] = {}
    for node_id, node in nodes.items():
        if node.get("type") == "TaskGroup":
            for child in node.get("children") or []:
                parent[child] = node_id
    for node_id, node in nodes.items():
        boundary = node.get("boundaryID")
        if node_id not in parent and boundary and boundary in nodes and boundary != node_id:
            parent[node_id] = boundary
    children: dict[str, list[str]] = {}
    for child, owner in parent.items():
        children.setdefault(owner, []).append(child)
    for owned in children.values():
        owned.sort(key=lambda i: nodes[i].get("startedAt") or "")  # stable: ties keep the backend's order
    return {"parent": parent, "children": children}


def _walk(node_id: str, nodes: Mapping[str, Mapping[str, Any]], children: Mapping[str, list[str]], indent: str,
          last: bool, top: bool, out: list[tuple[str, Mapping[str, Any]]]) -> None:
    node = nodes[node_id]
    branch = "" if top else ("└─" if last else "├─")
    shown = node.get("name", "") if top else node.get("displayName") or node.get("name", "")
    out.append((f"{indent}{branch}{SYMBOL.get(node.get('phase', ''), '?')} {shown}", node))
    inner = indent + ("" if top else ("  " if last else "│ "))
    owned = children.get(node_id, [])
    for index, child in enumerate(owned):
        _walk(child, nodes, children, inner, index == len(owned) - 1, False, out)


def node_rows(workflow: Workflow, now: float) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for step, node in node_tree(workflow):
        rows.append((step, node.get("templateName", ""), node.get("phase", ""), duration(node, now), _detail(node)))
    return rows


NODE_HEADER = ("STEP", "TEMPLATE", "PHASE", "DURATION", "MESSAGE / OUTPUTS")


def _detail(node: Mapping[str, Any]) -> str:
    """A succeeded task's outputs, else its message and (failed) its exit code."""
    outputs = node.get("outputs") or {}
    if node.get("phase") == "Succeeded" and node.get("type") == "Pod":
        shown = [f"{p.get('name')}={_short(str(p.get('value', '')))}" for p in outputs.get("parameters") or []]
        shown += [f"{a.get('name')}: {a.get('path', '')}" for a in outputs.get("artifacts") or []
                  if a.get("name") not in {p.get("name") for p in outputs.get("parameters") or []}]
        return "  ".join(shown)
    message = (node.get("message") or "").split("\n", 1)[0]
    code = outputs.get("exitCode")
    if node.get("phase") in ("Failed", "Error") and code not in (None, "0"):
        message = f"{message} (exit code {code})" if message else f"exit code {code}"
    return message


def _short(text: str, limit: int = 40) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[:limit - 1] + "…"


def get_view(workflow: Workflow, now: float | None = None) -> str:
    now = time.time() if now is None else now
    rows = node_rows(workflow, now)
    text = "\n".join(summary(workflow, now))
    return text + ("\n\n" + table(NODE_HEADER, rows) if rows else "")
