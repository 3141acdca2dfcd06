"""What the run pages show, from the Workflow shape of ``registry.argo.runview``.

The run list, one run's graph (its nodes coloured by phase), each node's details, and the small
state the page polls while the run goes on.  Artifact files are served only from inside the
folder the backend names for the run, after links are followed.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

from registry.argo.runview import (LABEL_EXPERIMENT, LABEL_PIPELINE, PHASES, RUNNING_PHASES, Workflow,
                                   progress)

HIDDEN_TYPES = {"StepGroup"}  # bookkeeping nodes Argo adds, never drawn
GROUP_TYPES = ("TaskGroup", "Retry")  # nodes whose children are their members, not what runs next


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def duration(started: str | None, finished: str | None) -> str:
    """``1m 02s`` between two RFC 3339 times; until now when not finished; '' when not started."""
    start = parse_time(started)
    if start is None:
        return ""
    end = parse_time(finished) or datetime.now(start.tzinfo)
    seconds = max(0, int((end - start).total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def run_row(workflow: Workflow) -> dict[str, str]:
    """One line of the run list."""
    meta, status = workflow.get("metadata") or {}, workflow.get("status") or {}
    labels = meta.get("labels") or {}
    return {"name": str(meta.get("name", "")), "experiment": str(labels.get(LABEL_EXPERIMENT, "")),
            "pipeline": str(labels.get(LABEL_PIPELINE, "")), "phase": str(status.get("phase") or "Pending"),
            "started": str(status.get("startedAt") or meta.get("creationTimestamp") or ""),
            "duration": duration(status.get("startedAt"), status.get("finishedAt")),
            "progress": progress(workflow), "message": str(status.get("message") or "")}


def run_parameters(workflow: Workflow) -> list[list[str]]:
    """The values the run was given (``spec.arguments.parameters``)."""
    arguments = ((workflow.get("spec") or {}).get("arguments") or {})
    return _parameters(arguments)


def phase_choices() -> tuple[str, ...]:
    return PHASES


def _nodes(workflow: Workflow) -> dict[str, dict[str, Any]]:
    nodes = (workflow.get("status") or {}).get("nodes") or {}
    return {str(k): v for k, v in nodes.items() if isinstance(v, dict)}


def _root_id(workflow: Workflow, nodes: dict[str, dict[str, Any]]) -> str | None:
    name = (workflow.get("metadata") or {}).get("name")
    if name in nodes:
        return str(name)
    roots = [i for i, n in nodes.items() if not n.get("boundaryID") and n.get("type") in ("DAG", "Steps")]
    return roots[0] if roots else None


def run_graph(workflow: Workflow) -> dict[str, Any]:
    """The run's nodes as the page draws them: DAG and loop nodes become expandable groups.

    Argo's ``children`` mean two things: a DAG's (or a loop's) children are its members, a
    task's children are the tasks that run after it.  Members get ``parent``; the rest are edges.
    """
    nodes = _nodes(workflow)
    root = _root_id(workflow, nodes)
    parents = _parents(nodes, root)
    drawn = [i for i, n in nodes.items() if i != root and n.get("type") not in HIDDEN_TYPES]
    out_nodes = [_graph_node(i, nodes[i], parents.get(i)) for i in drawn]
    shown = set(drawn)
    # An edge may cross a group's border (a loop's iterations lead to the task after the loop);
    # the page draws it from whatever stands for its end while that group is collapsed.
    edges = [{"source": i, "target": str(c), "label": ""} for i in drawn
             for c in nodes[i].get("children") or [] if str(c) in shown and parents.get(str(c)) != i]
    return {"nodes": out_nodes, "edges": edges}


def _parents(nodes: dict[str, dict[str, Any]], root: str | None) -> dict[str, str]:
    parents: dict[str, str] = {}
    for node_id, node in nodes.items():
        boundary = node.get("boundaryID")
        if boundary and boundary != root and boundary in nodes and boundary != node_id:
            parents[node_id] = str(boundary)
    for node_id, node in nodes.items():  # a loop's iterations (a retried task's attempts) belong to it
        if node.get("type") in GROUP_TYPES:
            for child in node.get("children") or []:
                if str(child) in nodes:
                    parents[str(child)] = node_id
    return parents


def _graph_node(node_id: str, node: dict[str, Any], parent: str | None) -> dict[str, Any]:
    kind = "group" if node.get("type") in ("DAG", "Steps", *GROUP_TYPES) else "task"
    label = str(node.get("displayName") or node.get("name") or node_id)
    template = str(node.get("templateName") or "")
    return {"id": node_id, "label": label, "sub": _sub(label, template), "parent": parent,
            "kind": kind, "cls": str(node.get("phase") or "Pending"), "problems": []}


def _sub(label: str, template: str) -> list[str]:
    """The template a node runs, when its name does not already say it."""
    return [template] if template and template != label else []


def run_state(workflow: Workflow) -> dict[str, Any]:
    """What the run page polls: the run's phase and every node's details."""
    status = workflow.get("status") or {}
    phase = str(status.get("phase") or "Pending")
    return {"name": (workflow.get("metadata") or {}).get("name", ""), "phase": phase,
            "running": phase in RUNNING_PHASES, "progress": progress(workflow),
            "message": str(status.get("message") or ""),
            "duration": duration(status.get("startedAt"), status.get("finishedAt")),
            "nodes": {i: node_detail(n) for i, n in _nodes(workflow).items()}}


def node_detail(node: dict[str, Any]) -> dict[str, Any]:
    outputs, inputs = node.get("outputs") or {}, node.get("inputs") or {}
    return {"name": str(node.get("displayName") or node.get("name") or ""), "type": str(node.get("type") or ""),
            "phase": str(node.get("phase") or "Pending"), "message": str(node.get("message") or ""),
            "started": str(node.get("startedAt") or ""), "finished": str(node.get("finishedAt") or ""),
            "duration": duration(node.get("startedAt"), node.get("finishedAt")),
            "exitCode": "" if outputs.get("exitCode") is None else str(outputs.get("exitCode")),
            "inputs": _parameters(inputs), "outputs": _parameters(outputs),
            "artifacts": [str(a.get("name")) for a in outputs.get("artifacts") or [] if isinstance(a, dict)],
            "inputArtifacts": [str(a.get("name")) for a in inputs.get("artifacts") or [] if isinstance(a, dict)]}


def _parameters(part: dict[str, Any]) -> list[list[str]]:
    return [[str(p.get("name", "")), str(p.get("value", p.get("default", "")))]
            for p in part.get("parameters") or [] if isinstance(p, dict)]


WORKDIR = "creg.dev/workdir"  # the annotation of a local run: the folder holding its files


def run_folder(workflow: Workflow) -> Path | None:
    """The folder of a run recorded on this machine; None for a run elsewhere (on an Argo Server)."""
    folder = ((workflow.get("metadata") or {}).get("annotations") or {}).get(WORKDIR)
    return Path(folder) if folder else None


def artifact_file(workflow: Workflow, node_id: str, name: str) -> Path:
    """The file of output artifact ``name`` of node ``node_id``, only from inside the run's folder.

    The node records where the file is; the path is trusted only once it resolves (links
    followed) to a regular file within the run's folder.
    """
    folder = run_folder(workflow)
    node = _nodes(workflow).get(node_id) or {}
    found = [a for a in (node.get("outputs") or {}).get("artifacts") or []
             if isinstance(a, dict) and a.get("name") == name and isinstance(a.get("path"), str)]
    if folder is None or not found:
        raise OutsideFolder(name)
    root = folder.resolve()
    target = Path(found[0]["path"]).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        raise OutsideFolder(name)
    return target


class OutsideFolder(Exception):
    """A requested file is not inside the run's folder (traversal, an absolute path, a link out)."""


def confined_file(folder: Path, relative: str) -> Path:
    """``folder / relative`` when it is a regular file inside ``folder`` once every link is followed."""
    parts = relative.replace("\\", "/").split("/")
    if relative.startswith("/") or any(p in ("", ".", "..") for p in parts) or "\0" in relative:
        raise OutsideFolder(relative)
    root = folder.resolve()
    target = (root / os.path.join(*parts)).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        raise OutsideFolder(relative)
    return target
