"""A pipeline run in the public API: status, per-task outputs, logs and files, and its display.

``Run`` reads one Argo-Workflow-shaped dict (``registry.argo.runview``), the shape every place
a run lives speaks, plus the run's folder when it ran on this machine.  So the same object
serves a run just finished here, one read back from the run store, and one on an Argo Server.
``workflow_of_result`` makes that dict from the local runner's result.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from registry.api.html import Markup, escape, phase_badge, section, shorten, table
from registry.api.svg import GraphEdge, GraphNode, render
from registry.argo.runview import LABEL_PIPELINE, Workflow, progress
from registry.errors import ArgumentError, did_you_mean

__all__ = ["Run", "TaskRun", "workflow_of_result"]

GLANCE_BYTES = 64 * 1024  # an artifact this small is shown as its text among the outputs
LOG_NAME = "log.txt"  # the runner's log of each task, in the task's folder


@dataclass(frozen=True)
class TaskRun:
    """One node of the run: a task, a loop's iteration or a loop's group."""

    name: str  # the path below the workflow: 'add-1', 'loop(0:a)', 'graph.inner'
    node_id: str
    phase: str
    type: str
    message: str = ""
    parameters: Mapping[str, str] = field(default_factory=dict)
    artifacts: Mapping[str, str] = field(default_factory=dict)  # name -> where its bytes are
    started: str = ""
    finished: str = ""
    folder: Path | None = None  # the run's folder, when it ran on this machine

    def local_file(self, artifact: str) -> Path | None:
        """Where an output artifact's bytes are on this machine (inside the run's folder), if they are."""
        where = self.artifacts.get(artifact, "")
        if self.folder is None or not where:
            return None
        path = Path(where)
        return path if path.is_relative_to(self.folder) and path.exists() else None

    @property
    def outputs(self) -> dict[str, str]:
        """Output values: parameters, and artifacts on this machine small enough to read (else where they are)."""
        shown = dict(self.parameters)
        for name, where in self.artifacts.items():
            path = self.local_file(name)
            shown.setdefault(name, _glance(path) if path is not None else where)
        return shown


class Run:
    """A run as its Workflow dict says, with its files when they are on this machine."""

    def __init__(self, workflow: Workflow, folder: str | Path | None = None) -> None:
        self.workflow = workflow
        self.folder = Path(folder) if folder is not None else None

    @property
    def name(self) -> str:
        return str(self.workflow.get("metadata", {}).get("name", ""))

    @property
    def status(self) -> str:
        """The run's phase: Pending, Running, Succeeded, Failed or Error."""
        return str(self._status().get("phase") or "Pending")

    phase = status

    @property
    def succeeded(self) -> bool:
        return self.status == "Succeeded"

    @property
    def message(self) -> str:
        return str(self._status().get("message") or "")

    def _status(self) -> dict[str, Any]:
        return self.workflow.get("status") or {}

    @property
    def tasks(self) -> dict[str, TaskRun]:
        """Every node below the workflow's own, by its path ('add-1', 'loop(0:a)')."""
        prefix = self.name + "."
        out = {}
        for node in (self._status().get("nodes") or {}).values():
            name = str(node.get("name", ""))
            if name.startswith(prefix):
                out[name[len(prefix):]] = _task_run(name[len(prefix):], node, self.folder)
        return out

    @property
    def outputs(self) -> dict[str, dict[str, str]]:
        """``{task: {output: value}}`` for every task that produced outputs."""
        return {name: task.outputs for name, task in self.tasks.items() if task.outputs}

    def task(self, name: str) -> TaskRun:
        """One task by its path; an unknown name is an ``ArgumentError`` naming the known ones."""
        tasks = self.tasks
        if name not in tasks:
            raise ArgumentError.bad_value("task", f"the run has no task {name!r}{did_you_mean(name, tasks)}")
        return tasks[name]

    def logs(self, task: str | None = None) -> str:
        """The log text of one task, or of every task (each headed by its name)."""
        if task is not None:
            return self._log_text(self.task(task))
        parts = [f"== {name}\n{self._log_text(item)}" for name, item in sorted(self.tasks.items())
                 if self._log_path(item) is not None]
        return "".join(parts)

    def _log_path(self, task: TaskRun) -> Path | None:
        if self.folder is None:
            return None
        path = self.folder / "nodes" / re.sub(r"[^\w.()-]", "_", f"{self.name}.{task.name}") / LOG_NAME
        return path if path.is_file() else None

    def _log_text(self, task: TaskRun) -> str:
        path = self._log_path(task)
        if path is None:
            return ""
        return path.read_text(encoding="utf-8", errors="replace")

    def files(self, task: str | None = None) -> dict[str, Path]:
        """Output artifacts on this machine: ``{'task.output': path}`` (one task's by name)."""
        chosen = {task: self.task(task)} if task is not None else self.tasks
        found = {f"{name}.{artifact}": item.local_file(artifact) for name, item in chosen.items()
                 for artifact in item.artifacts}
        return {key: path for key, path in found.items() if path is not None}

    def __repr__(self) -> str:
        return f"<Run {self.name!r} {self.status} {progress(self.workflow)} tasks>"

    def _repr_html_(self) -> str:
        header = Markup(f"<p>{phase_badge(self.status)} {escape(progress(self.workflow))} tasks"
                        f"{' &middot; files in ' + escape(self.folder) if self.folder else ''}"
                        f"{' &middot; ' + escape(self.message) if self.message else ''}</p>")
        rows = [(name, phase_badge(item.phase), shorten(item.message, 120),
                 "; ".join(f"{k}={shorten(v, 60)}" for k, v in item.outputs.items()))
                for name, item in self.tasks.items() if item.type != "DAG" or "." not in name]
        return section(f"run {self.name}", header + table(["task", "phase", "message", "outputs"], rows)
                       + self.to_svg())

    def to_svg(self) -> str:
        """The run's top-level DAG, each task coloured by its phase."""
        nodes, edges = run_graph(self.workflow)
        return render(nodes, edges, f"run {self.name}")


def _task_run(name: str, node: Mapping[str, Any], folder: Path | None) -> TaskRun:
    outputs = node.get("outputs") or {}
    parameters = {str(p.get("name")): str(p.get("value", "")) for p in outputs.get("parameters") or []}
    artifacts = {str(a.get("name")): _artifact_place(a) for a in outputs.get("artifacts") or []
                 if a.get("name") != "main-logs"}
    return TaskRun(name, str(node.get("id", "")), str(node.get("phase", "")), str(node.get("type", "")),
                   str(node.get("message", "")), parameters, artifacts,
                   str(node.get("startedAt") or ""), str(node.get("finishedAt") or ""), folder)


def _artifact_place(artifact: Mapping[str, Any]) -> str:
    """A local path, or the key in the artifact repository (``s3: {key: ...}``) for a server's run."""
    if artifact.get("path"):
        return str(artifact["path"])
    for store in ("s3", "gcs", "oss", "azure", "hdfs", "artifactory", "http"):
        if isinstance(artifact.get(store), Mapping):
            place = artifact[store].get("key") or artifact[store].get("url") or artifact[store].get("blob") or ""
            return f"{store}:{place}"
    return ""


def _glance(path: Path) -> str:
    try:
        if path.is_file() and path.stat().st_size <= GLANCE_BYTES:
            return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        pass
    return str(path)


def run_graph(workflow: Workflow) -> tuple[list[GraphNode], list[GraphEdge]]:
    """The entrypoint DAG's tasks (and the exit handler's, dashed) with their phases."""
    from registry.local.conditions import depends_names  # lazy: only drawing parses 'depends'

    spec = _workflow_spec(workflow)
    templates = {t.get("name"): t for t in spec.get("templates") or []}
    name = str(workflow.get("metadata", {}).get("name", ""))
    phases = {str(n.get("name")): str(n.get("phase", "")) for n in
              ((workflow.get("status") or {}).get("nodes") or {}).values()}
    nodes, edges = [], []
    for root, prefix, dashed in ((spec.get("entrypoint"), name, False), (spec.get("onExit"), f"{name}.onExit", True)):
        tasks = (templates.get(root) or {}).get("dag", {}).get("tasks") or []
        for task in tasks:
            task_name = str(task.get("name"))
            phase = phases.get(f"{prefix}.{task_name}") or "Pending"
            lines = (task_name, str(task.get("template", "")), phase)
            nodes.append(GraphNode(f"{prefix}.{task_name}", lines, phase, dashed))
            upstream = depends_names(task["depends"]) if task.get("depends") else set(task.get("dependencies") or [])
            edges += [GraphEdge(f"{prefix}.{u}", f"{prefix}.{task_name}") for u in sorted(upstream)]
    return nodes, edges


def _workflow_spec(workflow: Workflow) -> dict[str, Any]:
    spec: dict[str, Any] = workflow.get("spec") or {}
    if workflow.get("kind") == "CronWorkflow":
        inner: dict[str, Any] = spec.get("workflowSpec") or {}
        return inner
    return spec


# -- the local runner's result as a Workflow ------------------------------------------------------


def rfc3339(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def workflow_of_result(doc: Workflow, result: Any, finished_at: Mapping[str, float], started: float,
                       params: Mapping[str, str] | None = None) -> Workflow:
    """The Workflow dict of a local run: ``doc`` is what ran, ``result`` the runner's ``RunResult``.

    ``finished_at`` is each node's end (seconds since the epoch, as the caller saw it).
    """
    spec = dict(_workflow_spec(doc))
    if params:
        spec["arguments"] = {"parameters": [
            {**p, "value": params.get(p["name"], p.get("value"))} for p in (spec.get("arguments") or {}).get("parameters", [])]}
    nodes = {node.id: _node_status(node, result.name, spec, finished_at) for node in result.nodes}
    _add_loop_groups(nodes)
    for node_id, node in nodes.items():
        parent = nodes.get(node.get("boundaryID", ""))
        if parent is not None:
            parent.setdefault("children", []).append(node_id)
    end = max(finished_at.values(), default=started)
    pipeline = str(doc.get("metadata", {}).get("annotations", {}).get("pipelines.kubeflow.org/pipeline_name") or result.name)
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
            "metadata": {"name": result.name, "labels": {LABEL_PIPELINE: _label_value(pipeline)},
                         "creationTimestamp": rfc3339(started)},
            "spec": spec,
            "status": {"phase": result.phase, "startedAt": rfc3339(started), "finishedAt": rfc3339(end),
                       "progress": _progress(nodes), "nodes": nodes,
                       **({"message": _failure(result)} if result.phase != "Succeeded" else {})}}


def _add_loop_groups(nodes: dict[str, dict[str, Any]]) -> None:
    """A loop's TaskGroup node over its iterations ('t(0:a)', 't(1:b)' -> 't'), as Argo shows it.

    The runner hands iterations on to the DAG but records only them, not their group.
    """
    groups: dict[str, list[dict[str, Any]]] = {}
    for node_id, node in nodes.items():
        parts = split_path(node_id)
        if parts[-1].endswith(")") and "(" in parts[-1]:
            groups.setdefault(".".join([*parts[:-1], parts[-1].split("(")[0]]), []).append(node)
    for group_id, items in groups.items():
        if group_id in nodes:
            continue
        phases = {item["phase"] for item in items}
        phase = "Failed" if "Failed" in phases else "Succeeded" if phases - {"Skipped", "Omitted"} else "Skipped"
        nodes[group_id] = {"id": group_id, "name": group_id, "displayName": split_path(group_id)[-1],
                           "type": "TaskGroup", "templateName": items[0]["templateName"], "phase": phase,
                           "boundaryID": items[0]["boundaryID"], "startedAt": min(i["startedAt"] for i in items),
                           "finishedAt": max(i["finishedAt"] for i in items),
                           "message": f"{len(items)} iteration(s)"}


def _label_value(text: str) -> str:
    """Kubernetes label values: at most 63 of [A-Za-z0-9_.-], alphanumeric at both ends."""
    return re.sub(r"[^A-Za-z0-9_.-]", "-", text)[:63].strip("-_.")


def _progress(nodes: Mapping[str, Mapping[str, Any]]) -> str:
    pods = [n for n in nodes.values() if n["type"] == "Pod"]
    done = sum(1 for n in pods if n["phase"] in ("Succeeded", "Failed", "Error"))
    return f"{done}/{len(pods)}"


def _failure(result: Any) -> str:
    failed = [n for n in result.nodes if n.phase == "Failed" and n.message and n.id != result.name]
    return f"{failed[0].id}: {failed[0].message.splitlines()[0]}" if failed else "the run failed"


def _node_status(node: Any, root: str, spec: Mapping[str, Any], finished_at: Mapping[str, float]) -> dict[str, Any]:
    template, kind, boundary = _place(node.id, root, spec)
    end = finished_at.get(node.id, 0.0)
    status: dict[str, Any] = {
        "id": node.id, "name": node.id, "displayName": split_path(node.id)[-1],
        "type": "Skipped" if node.phase in ("Skipped", "Omitted") else kind,
        "templateName": template, "phase": node.phase, "boundaryID": boundary,
        "startedAt": rfc3339(end - node.seconds), "finishedAt": rfc3339(end), "message": node.message,
    }
    outputs: dict[str, Any] = {}
    if node.parameters:
        outputs["parameters"] = [{"name": k, "value": v} for k, v in node.parameters.items()]
    if node.artifacts:
        outputs["artifacts"] = [{"name": k, "path": str(v)} for k, v in node.artifacts.items()]
    if outputs:
        status["outputs"] = outputs
    return status


def split_path(node_id: str) -> list[str]:
    """``'wf.loop(0:1.5).inner'`` -> ``['wf', 'loop(0:1.5)', 'inner']``: dots inside () stay."""
    parts, depth, current = [], 0, ""
    for char in node_id:
        if char == "." and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        current += char
    return [*parts, current]


def _place(node_id: str, root: str, spec: Mapping[str, Any]) -> tuple[str, str, str]:
    """The node's template, Argo node type and boundary (the id of the DAG node around it)."""
    templates = {t.get("name"): t for t in spec.get("templates") or []}
    if node_id == root:
        return str(spec.get("entrypoint", "")), "DAG", ""
    parts = split_path(node_id[len(root) + 1:]) if node_id.startswith(root + ".") else [node_id]
    current, boundary = str(spec.get("entrypoint", "")), root
    if parts[0] == "onExit":
        current, boundary, parts = str(spec.get("onExit", "")), f"{root}.onExit", parts[1:]
        if not parts:
            return current, _kind(templates.get(current)), root
    path, task = boundary, None
    for index, part in enumerate(parts):
        task = _dag_task(templates.get(current), part.split("(")[0])
        current = str((task or {}).get("template", ""))
        if index < len(parts) - 1:
            path = f"{path}.{part}"
            boundary = path if "(" not in part else boundary
    looped = task is not None and ("withItems" in task or "withParam" in task) and "(" not in parts[-1]
    return current, "TaskGroup" if looped else _kind(templates.get(current)), boundary


def _dag_task(template: Mapping[str, Any] | None, name: str) -> Mapping[str, Any] | None:
    tasks = ((template or {}).get("dag") or {}).get("tasks") or []
    return next((t for t in tasks if t.get("name") == name), None)


def _kind(template: Mapping[str, Any] | None) -> str:
    return "DAG" if template and "dag" in template else "Pod"

