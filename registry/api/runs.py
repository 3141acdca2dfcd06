"""A pipeline run in the public API: status, per-task outputs, logs and files, and its display.

``Run`` reads one Argo-Workflow-shaped dict (``registry.argo.runview``), the shape every place
a run lives speaks, plus the backend it came from (the local run store or an Argo Server: logs,
refreshing) and the run's folder when it ran on this machine.  So the same object serves a run
just finished here, one read back from the store, and one on an Argo Server.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from registry.api.html import Markup, escape, phase_badge, section, shorten, table
from registry.api.svg import GraphEdge, GraphNode, render
from registry.argo.runview import FINISHED_PHASES, RunBackend, Workflow, progress
from registry.errors import ArgumentError, did_you_mean

if TYPE_CHECKING:
    from registry.local.runner import RunResult

__all__ = ["Run", "TaskRun"]

GLANCE_BYTES = 64 * 1024  # an artifact this small is shown as its text among the outputs
WORKDIR_ANNOTATION = "creg.dev/workdir"  # where a local run keeps its files (the run store writes it)


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
    """A run as its Workflow dict says, with its backend and, for a local run, its files."""

    def __init__(self, workflow: Workflow, folder: str | Path | None = None, backend: RunBackend | None = None,
                 result: RunResult | None = None) -> None:
        self.workflow = workflow
        annotated = (workflow.get("metadata", {}).get("annotations") or {}).get(WORKDIR_ANNOTATION)
        where = folder if folder is not None else annotated
        self.folder = Path(where) if where else None
        self.backend = backend
        self.result = result  # the local runner's own result, when the run ran in this process

    @classmethod
    def get(cls, run_id: str, backend: RunBackend | None = None, result: RunResult | None = None) -> "Run":
        """A run by its name (or a unique prefix of it) from ``backend``, by default the local run store."""
        if backend is None:
            from registry.local.store import LocalRuns  # lazy: the store opens SQLite

            backend = LocalRuns()
        return cls(backend.get_run(run_id), backend=backend, result=result)

    def refresh(self) -> "Run":
        """The run as its backend has it now (a detached or remote run moves on)."""
        if self.backend is None:
            return self
        return Run(self.backend.get_run(self.name), self.folder, self.backend, self.result)

    def wait(self, timeout: float = 3600, poll: float = 0.5) -> "Run":
        """The run once it has finished (re-read every ``poll`` seconds), or as it is after ``timeout``."""
        import time  # lazy: only waiting sleeps

        deadline, current = time.monotonic() + timeout, self
        while current.status not in FINISHED_PHASES and current.backend is not None and time.monotonic() < deadline:
            time.sleep(poll)
            current = current.refresh()
        return current

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
        """The log text of one task (by its path, as in ``tasks``), or of every task, each line
        headed by its task, as ``creg runs logs`` shows them."""
        if self.backend is None:
            return ""
        if task is None:
            return "".join(f"{line.task}: {line.text}\n" for line in self.backend.logs(self.name))
        shown = str(self._node_of(self.task(task)).get("displayName") or task)
        return "".join(f"{line.text}\n" for line in self.backend.logs(self.name, shown))

    def _node_of(self, task: TaskRun) -> Mapping[str, Any]:
        nodes = self._status().get("nodes") or {}
        return next((n for n in nodes.values() if n.get("id") == task.node_id), {})

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
        rows = [(name, phase_badge(item.phase), shorten(item.message, 400),
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
