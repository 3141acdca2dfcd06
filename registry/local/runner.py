"""Run a compiled Argo Workflow on this machine: ``creg run``, the embedded default.

The runner interprets the same document ``creg compile`` writes — DAG templates with
``depends``/``when``/``withItems``/``withParam``, nested DAGs (graph components), parameters,
artifacts, volumes, retries, deadlines and the exit handler — so a local run follows the
semantics a cluster would.  Containers run as host processes (see ``process``).  Ready tasks
run in parallel on a thread pool; each DAG honours its own ``parallelism``.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import time
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from registry.argo.check import ArgoError, validate
from registry.errors import ArgumentError, CregError, Problem, did_you_mean, mention
from registry.local.conditions import depends_met, depends_names, evaluate_expression, evaluate_when
from registry.local.process import Container, ContainerTemplate, run_on_host
from registry.local.signals import ProcessGroups, stop_on_signals
from registry.local.steps import as_dag
from registry.local.variables import (NODE_FIELDS, WorkflowIdentity, duration, failures, field_ref, generated_name,
                                      global_values, is_argo_variable, node_name, node_values, rfc3339)
from registry.local.workflow import ArtifactYaml, DagTaskYaml, TemplateYaml, WorkflowSpecYaml, WorkflowYaml
from registry.yamlio import Document, json_path, load_mapping, path_steps, read_limited

if TYPE_CHECKING:
    from registry.index.resolve import RegistryOptions

_EXPRESSION = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")


class RunError(CregError):
    """The workflow cannot be run here (unsupported template kind, bad reference, ...)."""


# What fails one node, not the run: the project's own errors (a bad reference, a program that
# failed) and the machine's (a file that cannot be read).  Anything else is a bug in creg and
# must surface as one (exit 3, --traceback), never pass for a failing user program.
NODE_ERRORS = (CregError, OSError)

# Skipped: its 'when' was false; Omitted: its 'depends' were not met.
Phase = Literal["Succeeded", "Failed", "Skipped", "Omitted"]


@dataclass
class Node:
    """One executed (or skipped) task, or the aggregate of a loop's iterations."""

    id: str
    phase: Phase
    message: str = ""
    parameters: dict[str, str] = field(default_factory=dict)
    artifacts: dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0
    log: Path | None = None
    template: str = ""
    exit_code: int | None = None  # of a container or script that ran
    result: str | None = None  # its standard output (Argo's outputs.result)
    started_at: str = ""  # RFC 3339, as tasks.X.startedAt / finishedAt give them
    finished_at: str = ""

    def shown_outputs(self, limit: int = 80) -> dict[str, str]:
        """Output parameters, plus artifacts small enough to read at a glance (else their path).

        The compiler makes a parameter only of outputs another task reads, so a remainder
        nobody consumes would otherwise never be seen.
        """
        shown = dict(self.parameters)
        for name, path in self.artifacts.items():
            if name not in shown:
                shown[name] = _glance(path, limit)
        return shown


@dataclass
class RunResult:
    name: str
    phase: Phase
    folder: Path
    nodes: list[Node]
    stopped_by: str | None = None  # the signal (SIGINT, SIGTERM) that stopped the run

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "phase": self.phase, "folder": str(self.folder), "stopped_by": self.stopped_by,
                "nodes": [{"id": n.id, "phase": n.phase, "message": n.message,
                           "parameters": n.parameters, "artifacts": {k: str(v) for k, v in n.artifacts.items()},
                           "seconds": round(n.seconds, 3)} for n in self.nodes]}


class Scope:
    """What ``{{...}}`` may name inside one DAG (or one container template)."""

    def __init__(self, values: Mapping[str, object], tasks: Mapping[str, Node] | None = None) -> None:
        self.values = dict(values)  # '{{...}}' text -> its value: a string, or a loop's item
        self.tasks = tasks if tasks is not None else {}

    def with_values(self, **values: object) -> Scope:
        return Scope({**self.values, **values}, self.tasks)

    def lookup(self, expression: str) -> object:
        if expression in self.values:
            return self.values[expression]
        if expression.startswith("="):
            return evaluate_expression(expression[1:], self.lookup)
        if not is_argo_variable(expression):
            return "{{" + expression + "}}"  # not Argo's to resolve: left as Argo leaves it
        parts = expression.split(".")
        if parts[0] in ("tasks", "steps") and len(parts) >= 3:
            return self._task_value(parts, expression)
        item = self.values.get("item")
        if parts[0] == "item" and isinstance(item, dict) and ".".join(parts[1:]) in item:
            return item[".".join(parts[1:])]
        known = [k for k in self.values if k != "item"]
        raise RunError(f"unknown reference {{{{{expression}}}}}{did_you_mean(expression, known)}")

    def _task_value(self, parts: list[str], expression: str) -> str | Path:
        node = self.tasks.get(parts[1])
        if node is None:
            raise RunError(f"{{{{{expression}}}}}: task {parts[1]!r} has not run")
        if len(parts) == 3 and parts[2] in NODE_FIELDS:
            return _node_field(node, parts[2])
        if parts[2:] == ["outputs", "result"] and node.result is not None:
            return node.result
        if parts[2:] == ["outputs", "parameters"]:
            return json.dumps(node.parameters)
        table: Mapping[str, str | Path] = node.parameters if parts[3:4] == ["parameters"] else node.artifacts
        value = table.get(".".join(parts[4:])) if len(parts) > 4 else None
        if value is None:
            raise RunError(f"{{{{{expression}}}}}: task {parts[1]!r} ({node.phase}) has no such output")
        return value

    def text(self, value: str) -> str:
        def replace(match: re.Match[str]) -> str:
            found = self.lookup(match.group(1))
            if isinstance(found, (dict, list)):
                return json.dumps(found)
            return str(found) if not isinstance(found, bool) else str(found).lower()

        return _EXPRESSION.sub(replace, value)

    def deep(self, value: object) -> object:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.deep(v) for v in value]
        if isinstance(value, dict):
            return {k: self.deep(v) for k, v in value.items()}
        return value


class Run:
    def __init__(self, doc: WorkflowYaml, folder: Path, params: Mapping[str, str] | None = None,
                 parallelism: int = 4, on_node: Callable[[Node], None] | None = None) -> None:
        metadata = doc.get("metadata", {})
        self.name = metadata.get("name") or metadata.get("generateName", "workflow-").rstrip("-")
        spec = doc.get("spec", {})
        self.spec: WorkflowSpecYaml = spec.get("workflowSpec", {}) if doc.get("kind") == "CronWorkflow" else spec
        self.templates = {t["name"]: as_dag(t) for t in self.spec.get("templates", [])}
        self.folder, self.parallelism = folder, max(1, parallelism)
        self.on_node = on_node or (lambda node: None)
        self.nodes: list[Node] = []
        self.groups = ProcessGroups()
        self.identity = _identity(doc, self.spec)
        self.globals = self._globals(params or {})
        self.volumes = self._volumes()
        deadline = self.spec.get("activeDeadlineSeconds")
        self.deadline = time.monotonic() + float(deadline) if deadline else None

    def _globals(self, overrides: Mapping[str, str]) -> dict[str, object]:
        declared = {p["name"]: p.get("value", p.get("default")) for p in
                    self.spec.get("arguments", {}).get("parameters", [])}
        for name in overrides:
            if name not in declared:
                raise ArgumentError("params", f"{mention('params')} {name}: the workflow has no such parameter"
                                              f"{did_you_mean(name, declared)}")
        values = {k: str(v) for k, v in {**declared, **overrides}.items()}
        return dict(global_values(self.identity, values))

    def _volumes(self) -> dict[str, Path]:
        names = [v["metadata"]["name"] for v in self.spec.get("volumeClaimTemplates", [])]
        names += [v["name"] for v in self.spec.get("volumes", [])]
        volumes = {name: self.folder / "volumes" / name for name in names}
        for path in volumes.values():
            path.mkdir(parents=True, exist_ok=True)
        return volumes

    def name_as(self, name: str) -> None:
        """``{{workflow.name}}`` (and pod names) as the place that records the run named it."""
        self.identity.name = name
        self.globals["workflow.name"] = name

    def template(self, name: str) -> TemplateYaml:
        if name not in self.templates:
            raise RunError(f"template {name!r} is not defined{did_you_mean(name, self.templates)}")
        return self.templates[name]

    def run(self) -> RunResult:
        if not self.spec.get("entrypoint"):
            raise RunError("$.spec.entrypoint: the Workflow names no entrypoint template, so nothing would run")
        with stop_on_signals(self.groups):
            # Workflow arguments bind the entrypoint's inputs of the same name, as Argo binds them.
            entry = self.execute(self.spec["entrypoint"], self.name, self._entry_arguments(), self._entry_artifacts())
            phase = entry.phase if entry.phase != "Skipped" else "Succeeded"
            self.groups.resume()  # a stopped run still runs its exit handler, as 'argo stop' does
            if self.spec.get("onExit"):
                self._exit_values(phase)
                if self.execute(self.spec["onExit"], f"{self.name}.onExit", {}, {}).phase == "Failed":
                    phase = "Failed"
        return RunResult(self.name, phase, self.folder, self.nodes, self.groups.stopped_by)

    def _entry_arguments(self) -> dict[str, str]:
        prefix = "workflow.parameters."
        return {k[len(prefix):]: str(v) for k, v in self.globals.items()
                if k.startswith(prefix) and k != "workflow.parameters.json"}

    def _entry_artifacts(self) -> dict[str, Path]:
        """``spec.arguments.artifacts`` given as raw data (KFP's for a pipeline's artifact inputs)."""
        out = {}
        for artifact in self.spec.get("arguments", {}).get("artifacts", []):
            if "raw" in artifact:
                path = self.folder / "arguments" / node_folder(artifact["name"])
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(Scope(self.globals).text(str(artifact["raw"]["data"])), encoding="utf-8")
                out[artifact["name"]] = path
        return out

    def _exit_values(self, phase: Phase) -> None:
        self.globals["workflow.status"] = phase
        self.globals["workflow.duration"] = duration(self.identity)
        self.globals["workflow.failures"] = failures([
            (n.id.rsplit(".", 1)[-1], n.message.split("\n")[0].split(";")[0], n.template, n.finished_at) for n in self.nodes
            if n.phase == "Failed" and "dag" not in self.templates.get(n.template, {})])

    def execute(self, name: str, node_id: str, params: dict[str, str], artifacts: dict[str, Path]) -> Node:
        """Run template ``name`` with the given inputs; record and return its node."""
        template = self.template(name)
        start, started_at = time.monotonic(), _now()
        try:
            scope = Scope({**self.globals, "workflow.duration": duration(self.identity)}).with_values(
                **self._input_values(template, params), **self._input_artifacts(template, artifacts),
                **{"node.name": node_name(self.identity, node_id, self.name)})
            if "dag" in template:
                node = self.run_dag(template, node_id, scope, artifacts)
            elif "container" in template or "script" in template:
                node = self.run_container(template, node_id, scope, artifacts)
            else:
                raise RunError(f"template {name!r}: only container, script, steps and dag templates run locally")
        except NODE_ERRORS as exc:
            node = Node(node_id, "Failed", _reason(exc), exit_code=getattr(exc, "exit_code", None))
        node.seconds, node.template, node.started_at, node.finished_at = (
            time.monotonic() - start, name, started_at, _now())
        self.nodes.append(node)
        self.on_node(node)
        return node

    def _input_values(self, template: TemplateYaml, params: dict[str, str]) -> dict[str, str]:
        values = {}
        for item in template.get("inputs", {}).get("parameters", []):
            value = params.get(item["name"], item.get("value", item.get("default")))
            if value is None:
                raise RunError(f"template {template['name']!r}: input {item['name']!r} has no value")
            # Arguments arrive already substituted; substituting again would let a value that
            # merely contains '{{...}}' be expanded twice.
            values[f"inputs.parameters.{item['name']}"] = str(value)
        values["inputs.parameters"] = json.dumps([{"name": k.rsplit(".", 1)[-1], "value": v}
                                                  for k, v in values.items()])
        return values

    def _input_artifacts(self, template: TemplateYaml, artifacts: dict[str, Path]) -> dict[str, str]:
        """``inputs.artifacts.X`` is the file handed in; a container's ``...path`` is its own path."""
        values = {f"inputs.artifacts.{k}": str(v) for k, v in artifacts.items()}
        for kind in ("inputs", "outputs"):
            section = cast(dict[str, list[dict[str, object]]], template.get(kind, {}))
            for item in section.get("artifacts", []):
                if "path" in item:
                    values[f"{kind}.artifacts.{item['name']}.path"] = str(item["path"])
            for item in section.get("parameters", []) if kind == "outputs" else []:
                path = cast(dict[str, object], item.get("valueFrom", {})).get("path")
                if path:
                    values[f"outputs.parameters.{item['name']}.path"] = str(path)
        return values

    def run_container(self, template: TemplateYaml, node_id: str, scope: Scope,
                      artifacts: dict[str, Path]) -> Node:
        name = str(scope.values["node.name"])
        scope = scope.with_values(**node_values(self.identity, template["name"], name))
        resolved = cast(TemplateYaml, scope.deep(dict(template)))
        self._downward_api(resolved, str(scope.values["pod.name"]))
        folder = self.folder / "nodes" / node_folder(node_id)
        container = Container(ContainerTemplate.of(resolved), folder, self._volumes_of(template, folder),
                              artifacts, self.deadline, self.groups)
        outcome = run_on_host(container)
        self._export_globals(template, outcome.parameters, outcome.artifacts)
        return Node(node_id, "Succeeded", f"{outcome.attempts} attempt(s)", outcome.parameters,
                    outcome.artifacts, log=outcome.log, exit_code=outcome.exit_code, result=outcome.result)

    def _export_globals(self, template: TemplateYaml, parameters: dict[str, str], artifacts: dict[str, Path]) -> None:
        """Outputs with a ``globalName`` become ``workflow.outputs.*`` for every later task."""
        outputs = cast(dict[str, list[dict[str, str]]], template.get("outputs", {}))
        for kind, values in (("parameters", parameters), ("artifacts", artifacts)):
            for item in outputs.get(kind, []):
                if item.get("globalName") and item["name"] in values:
                    self.globals[f"workflow.outputs.{kind}.{item['globalName']}"] = str(values[item["name"]])

    def _downward_api(self, template: TemplateYaml, pod: str) -> None:
        """``env`` from ``fieldRef`` (the pod's name, namespace, ...) gets its value, as the kubelet gives it."""
        for item in template.get("container", template.get("script", {})).get("env", []):
            path = cast(dict[str, dict[str, str]], item.get("valueFrom", {})).get("fieldRef", {}).get("fieldPath")
            if path is not None:
                value = field_ref(path, self.identity, pod)
                if value is None:
                    raise RunError(f"env {item['name']}: fieldRef {path!r} has no value outside a cluster")
                item.pop("valueFrom")
                item["value"] = value

    def _volumes_of(self, template: TemplateYaml, folder: Path) -> dict[str, Path]:
        """The workflow's volumes and the template's own (a secret's, say: an empty folder here)."""
        own = {v["name"]: folder / "volumes" / v["name"] for v in template.get("volumes", [])}
        for path in own.values():
            path.mkdir(parents=True, exist_ok=True)
        return {**self.volumes, **own}

    def run_dag(self, template: TemplateYaml, node_id: str, scope: Scope,
                artifacts: dict[str, Path]) -> Node:
        dag = _Dag(self, template, node_id, scope)
        dag.run()
        phase: Phase = "Failed" if any(n.phase == "Failed" for n in dag.done.values()) else "Succeeded"
        node = Node(node_id, phase, "")
        if phase == "Succeeded":
            node.parameters, node.artifacts = dag.output_values()
        return node


class _Dag:
    """Schedules one DAG template's tasks: ready ones run in parallel, in dependency order."""

    def __init__(self, run: Run, template: TemplateYaml, node_id: str, scope: Scope) -> None:
        self.run_, self.template, self.node_id = run, template, node_id
        self.tasks = {t["name"]: t for t in template["dag"]["tasks"]}
        self.done: dict[str, Node] = {}
        self.scope = Scope(scope.values, self.done)
        self.workers = int(template.get("parallelism") or run.parallelism)
        # Dependencies are parsed once; each task counts what it still waits for, and a task
        # that ends wakes only its followers, so scheduling costs the same per task at any size.
        self.waits = {name: self.waits_for(task) for name, task in self.tasks.items()}
        self.left = {name: len(waits) for name, waits in self.waits.items()}
        self.followers: dict[str, list[str]] = {}
        for name, waits in self.waits.items():
            for earlier in waits:
                self.followers.setdefault(earlier, []).append(name)
        self.ready = deque(name for name, count in self.left.items() if count == 0)

    def waits_for(self, task: DagTaskYaml) -> set[str]:
        if task.get("depends"):
            return depends_names(task["depends"])
        return set(task.get("dependencies", []))

    def run(self) -> None:
        pending = dict(self.tasks)
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            running: dict[Future[Node], str] = {}
            while pending or running:
                while self._start_ready(pending, running, pool):
                    pass  # an omitted task can make its own dependents ready at once
                if not running:
                    if pending:
                        raise RunError(f"{self.node_id}: tasks {sorted(pending)} wait for tasks that do not exist")
                    break
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    self._finish(running.pop(future), future.result())

    def _finish(self, name: str, node: Node) -> None:
        self.done[name] = node
        for follower in self.followers.get(name, ()):
            self.left[follower] -= 1
            if self.left[follower] == 0:
                self.ready.append(follower)

    def _start_ready(self, pending: dict[str, DagTaskYaml], running: dict[Future[Node], str],
                     pool: ThreadPoolExecutor) -> bool:
        """Start (or omit) every task whose dependencies finished; True if any was omitted."""
        omitted = False
        while self.ready:  # an omitted task makes its own followers ready at once
            name = self.ready.popleft()
            task = pending.pop(name)
            if self.run_.groups.stopping:
                self._finish(name, self._record(Node(f"{self.node_id}.{name}", "Omitted", "the run was stopped")))
                omitted = True
            elif self._dependencies_met(task):
                running[pool.submit(self.run_task, task)] = name
            else:
                self._finish(name, self._record(Node(f"{self.node_id}.{name}", "Omitted", "depends not met")))
                omitted = True
        return omitted

    def _dependencies_met(self, task: DagTaskYaml) -> bool:
        results = {name: self.done[name].phase for name in self.waits[task["name"]] if name in self.done}
        if task.get("depends"):
            return depends_met(task["depends"], results)
        return all(results[name] in ("Succeeded", "Skipped") for name in task.get("dependencies", []))

    def _record(self, node: Node) -> Node:
        self.run_.nodes.append(node)
        self.run_.on_node(node)
        return node

    def run_task(self, task: DagTaskYaml) -> Node:
        try:
            items = self._items(task)
        except CregError as exc:
            return self._record(Node(f"{self.node_id}.{task['name']}", "Failed", str(exc)))
        if items is None:
            return self.run_one(task, f"{self.node_id}.{task['name']}", self.scope)
        # Iterations run side by side, as Argo fans them out; the DAG's parallelism bounds them.
        with ThreadPoolExecutor(max_workers=max(1, min(len(items), self.workers))) as pool:
            children = list(pool.map(
                lambda pair: self.run_one(task, f"{self.node_id}.{task['name']}({pair[0]}:{_label(pair[1])})",
                                          self.scope.with_values(item=pair[1])), enumerate(items)))
        return _aggregate(f"{self.node_id}.{task['name']}", children)

    def _items(self, task: DagTaskYaml) -> list[object] | None:
        if "withItems" in task:
            return list(task["withItems"])
        if "withParam" in task:
            text = self.scope.text(task["withParam"])
            try:
                items = json.loads(text)
            except json.JSONDecodeError:
                raise RunError(f"task {task['name']!r}: withParam is not a JSON list: {text[:80]!r}") from None
            if not isinstance(items, list):
                raise RunError(f"task {task['name']!r}: withParam is not a JSON list: {text[:80]!r}")
            return items
        return None

    def run_one(self, task: DagTaskYaml, node_id: str, scope: Scope) -> Node:
        try:
            return self._run_one(task, node_id, scope)
        except NODE_ERRORS as exc:  # a bad reference or expression fails this task, not the run
            return self._record(Node(node_id, "Failed", _reason(exc)))

    def _run_one(self, task: DagTaskYaml, node_id: str, scope: Scope) -> Node:
        if task.get("when") and not evaluate_when(task["when"], scope.lookup):
            return self._record(Node(node_id, "Skipped", f"when {task['when']!r} is false"))
        arguments = task.get("arguments", {})
        params = {p["name"]: scope.text(str(p.get("value", ""))) for p in arguments.get("parameters", [])}
        artifacts = {a["name"]: self._artifact(a, scope, node_id) for a in arguments.get("artifacts", [])}
        if "template" not in task:  # templateRef and inline templates need a cluster's templates
            raise RunError(f"task {task.get('name')!r}: only tasks naming a template of this Workflow run locally")
        return self.run_.execute(task["template"], node_id, params, artifacts)

    def _artifact(self, argument: ArtifactYaml, scope: Scope, node_id: str) -> Path:
        if "from" in argument:
            return _artifact_source(scope, argument["from"])
        if "raw" in argument:
            path = self.run_.folder / "nodes" / node_folder(node_id) / "raw" / argument["name"]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(scope.text(str(argument["raw"]["data"])), encoding="utf-8")
            return path
        raise RunError(f"{node_id}: artifact argument {argument['name']!r} has neither 'from' nor 'raw'")

    def output_values(self) -> tuple[dict[str, str], dict[str, Path]]:
        declared = self.template.get("outputs", {})
        parameters = {p["name"]: self.scope.text(p["valueFrom"]["parameter"])
                      for p in declared.get("parameters", [])}
        artifacts = {a["name"]: _artifact_source(self.scope, a["from"]) for a in declared.get("artifacts", [])}
        return parameters, artifacts


def _artifact_source(scope: Scope, reference: str) -> Path:
    """The file an artifact's ``from: '{{...}}'`` names (any other text fails the node)."""
    match = _EXPRESSION.fullmatch(reference.strip())
    if match is None:
        raise RunError(f"artifact from {reference!r}: the local runner takes one '{{{{...}}}}' reference here")
    return Path(str(scope.lookup(match.group(1))))


def _identity(doc: WorkflowYaml, spec: WorkflowSpecYaml) -> WorkflowIdentity:
    metadata = doc.get("metadata", {})
    return WorkflowIdentity(
        name=generated_name(cast(Mapping[str, object], metadata)), entrypoint=spec.get("entrypoint", ""),
        namespace=metadata.get("namespace") or "local",
        service_account=spec.get("serviceAccountName") or "default", priority=int(spec.get("priority") or 0),
        labels=dict(metadata.get("labels") or {}), annotations=dict(metadata.get("annotations") or {}),
        scheduled=doc.get("kind") == "CronWorkflow")


def _now() -> str:
    return rfc3339(datetime.now(timezone.utc))


def _node_field(node: Node, name: str) -> str:
    """``tasks.X.<name>`` for a finished node; the cluster-only ones (ip, host) are empty here."""
    values = {"id": node.id, "status": node.phase, "startedAt": node.started_at, "finishedAt": node.finished_at,
              "exitCode": "" if node.exit_code is None else str(node.exit_code)}
    return values.get(name, "")


def node_folder(node_id: str) -> str:
    """A node's folder name: letters, digits, '.', '-' and '_' only, so a path relocated into
    it stays one word in the shell commands that held the template's own path unquoted."""
    return re.sub(r"[^\w.-]", "_", node_id)


def _reason(exc: Exception) -> str:
    return str(exc) if isinstance(exc, CregError) else f"{type(exc).__name__}: {exc}"


def _glance(path: Path, limit: int) -> str:
    try:
        if path.is_file() and path.stat().st_size <= limit:
            return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        pass
    return str(path)


def _label(item: object) -> str:
    text = item if isinstance(item, str) else json.dumps(item, sort_keys=True)
    return text[:40]


def _aggregate(node_id: str, children: list[Node]) -> Node:
    """A loop's node: failed if any iteration failed; outputs become JSON lists, as in Argo."""
    ran = [c for c in children if c.phase not in ("Skipped", "Omitted")]
    phase: Phase = "Failed" if any(c.phase == "Failed" for c in ran) else (
        "Succeeded" if ran or not children else "Skipped")
    names = {name for child in ran for name in child.parameters}
    parameters = {name: json.dumps([_json_value(c.parameters.get(name)) for c in ran]) for name in sorted(names)}
    return Node(node_id, phase, f"{len(ran)} of {len(children)} iterations ran", parameters)


def _json_value(text: str | None) -> object:
    try:
        return json.loads(text) if text is not None else None
    except json.JSONDecodeError:
        return text


def run_workflow(doc: WorkflowYaml, folder: Path, params: Mapping[str, str] | None = None,
                 parallelism: int = 4, on_node: Callable[[Node], None] | None = None) -> RunResult:
    """Run an Argo Workflow (or a CronWorkflow's workflow once) with its files under ``folder``."""
    if doc.get("kind") not in ("Workflow", "WorkflowTemplate", "CronWorkflow"):
        raise RunError(f"cannot run a {doc.get('kind')!r}; expected an Argo Workflow")
    refuse_unresolvable(cast(dict[str, Any], doc))
    prepare_folder(folder)
    return Run(doc, folder, params, parallelism, on_node).run()


RUN_MARKER = ".creg-run"


def prepare_folder(folder: Path) -> None:
    """A new or empty folder, or one an earlier run made: its old task files go first.

    Any other non-empty folder is refused, since clearing it could delete the user's files.
    """
    if folder.exists() and any(folder.iterdir()) and not (folder / RUN_MARKER).is_file():
        raise ArgumentError("workdir", f"{folder}: {mention('workdir')} must be a new or empty folder, "
                                       "or one creg run used before")
    for part in ("nodes", "volumes"):
        shutil.rmtree(folder / part, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / RUN_MARKER).write_text("files of a creg run; creg run may clear this folder\n")


def run_pipeline_file(path: str | Path, registries: RegistryOptions | None, params: Mapping[str, str], workdir: str | Path | None,
                      parallelism: int = 4, on_node: Callable[[Node], None] | None = None) -> RunResult:
    """Compile a pipeline file (or read a compiled Workflow) and run it locally.

    ``registries`` resolve the pipeline's components (None: the configured ones).
    """
    doc, overrides = _workflow_of(Path(path), registries, params)
    # Absolute: every task runs in its own folder, so a relative path would mean another place.
    folder = Path(workdir).resolve() if workdir else Path(tempfile.mkdtemp(prefix="creg-run-"))
    return run_workflow(doc, folder, overrides, parallelism, on_node)


def _check_workflow(doc: Document) -> None:
    """A hand-written Workflow gets the checks a compiled one gets, located in its file."""
    try:
        validate(doc.data, doc.positions.file)
    except ArgoError as exc:
        problems = [doc.positions.problem(doc.data, path_steps(p.path), p.message) for p in exc.problems]
        try:  # what a host cannot run says why (a templateRef), beside the schema's finding
            refuse_unresolvable(doc.data, doc)
        except RunError as more:
            problems += more.problems
        raise RunError(problems=problems) from None
    refuse_unresolvable(doc.data, doc)


def refuse_unresolvable(data: dict[str, Any], doc: Document | None = None) -> None:
    """Every ``{{...}}`` Argo could not resolve, and every template a host cannot run, before
    anything runs: located in the file when there is one."""
    from registry.local.references import check_workflow  # lazy: only runs need it

    findings = check_workflow(data)
    if findings:
        raise RunError(problems=[doc.positions.problem(doc.data, path, message) if doc is not None
                                 else Problem(path=json_path(path), message=message) for path, message in findings])


def _workflow_of(path: Path, registries: RegistryOptions | None,
                 params: Mapping[str, str]) -> tuple[WorkflowYaml, Mapping[str, str]]:
    """The Workflow to run and the param overrides still to apply to it.

    A pipeline takes its overrides at compile time, where they are type-checked; a compiled
    Workflow takes them as Argo would, as workflow arguments.
    """
    if not path.exists():
        raise ArgumentError.in_file("path", str(path), "cannot read: No such file or directory")
    doc = load_mapping(read_limited(path), str(path))  # devices, FIFOs, huge files refused unread
    if str(doc.data.get("apiVersion", "")).startswith("argoproj.io/"):
        _check_workflow(doc)
        return cast(WorkflowYaml, doc.data), params
    # lazy: start-up (running a Workflow file needs none of the pipeline compiler)
    from registry.argo.compiler import compile_document, gc_paused, load_pipeline, registry_loader

    with gc_paused():
        pipeline = load_pipeline(path, loader=registry_loader(registries, path), overrides=params)
        return cast(WorkflowYaml, compile_document(pipeline)), {}
