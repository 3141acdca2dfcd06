"""A local run, recorded in the run store as it happens; started in the foreground or detached.

``prepare_run`` compiles the pipeline, checks what would fail at once (a busy ``--workdir``, an
unknown parameter) and records the run ``Pending``; ``execute_run`` runs it in this process,
recording each node when it starts and ends; ``main`` is the detached runner that
``store.start_detached`` starts (``python -m registry.local.recording NAME``) for ``creg run
--detach`` and a retry.

The runner itself (``runner.Run``) knows nothing of the store: ``RecordedRun`` adds the hooks —
a node starting, a container's exit code, a stopped run (SIGTERM: running tasks end "Stopped",
the exit handler still runs, the run ends Failed "Stopped", as ``argo stop``) and a retry's
succeeded nodes, reused with their outputs instead of run again.  Stopping is per process (a
signal, and the run's ``signals.ProcessGroups``): one recorded run runs in a process at a time.
"""

from __future__ import annotations

import json
import functools
import queue
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, cast

from registry.argo.runlabels import checked_labels
from registry.argo.runview import pipeline_name, run_labels
from registry.errors import ArgumentError, CregError, did_you_mean, mention
from registry.local.conditions import depends_names
from registry.local.process import NodeFailed
from registry.local.runner import Node, RunError, RunResult, Run, Scope, node_folder, prepare_folder, _workflow_of
from registry.local.store import (
    STOPPED, Change, NewRun, RunStore, finish_groups, finish_node, node_id, start_node, task_of,
)
from registry.local.workflow import TemplateYaml, WorkflowYaml

if TYPE_CHECKING:
    from registry.index.resolve import RegistryOptions

RUNNABLE_KINDS = ("Workflow", "WorkflowTemplate", "CronWorkflow")


class Recorder:
    """Turns the runner's node ids (``<workflow>.<task>``) into the store's rows for one run.

    Tasks hand their changes to a writer thread, which commits whatever has queued up in one
    transaction: a task never waits for SQLite, and 100 short tasks cost a few commits, not 200.
    Each change carries the time it happened; the queue is drained before the run is finished.
    """

    def __init__(self, store: RunStore, run: str, runner_name: str, folder: Path) -> None:
        self.store, self.run, self.runner_name, self.folder = store, run, runner_name, folder
        self.changes: queue.SimpleQueue[Change | None] = queue.SimpleQueue()
        self.writer = threading.Thread(target=self._write, name=f"record {run}", daemon=True)
        self.error: BaseException | None = None
        self.dags: set[str] = set()
        self.groups: set[str] = set()
        self.lock = threading.Lock()  # tasks start and end on the runner's worker threads
        self.exit_codes: dict[str, int] = {}
        self.reused: dict[str, Node] = {}  # runner node id -> the earlier attempt's node
        self.stop_requested = False

    def name(self, runner_id: str) -> str:
        return self.run + runner_id[len(self.runner_name):]

    def boundary(self, name: str) -> str | None:
        """The DAG node a node belongs to: the longest DAG name it extends (None at the top)."""
        if name in (self.run, f"{self.run}.onExit"):
            return None
        with self.lock:
            inside = [dag for dag in self.dags if name.startswith(dag + ".")]
        return max(inside, key=len) if inside else None

    def started(self, runner_id: str, template: TemplateYaml) -> None:
        name = self.name(runner_id)
        boundary = self.boundary(name)
        if boundary is not None and "(" in name[len(boundary) + 1:]:
            self._group_started(boundary, name)
        if "dag" in template:
            with self.lock:
                self.dags.add(name)
            tasks = {t["name"]: sorted(depends_names(t["depends"]) if t.get("depends") else t.get("dependencies", []))
                     for t in template["dag"]["tasks"]}
            self._started(name, "DAG", template["name"], boundary, tasks=tasks)
        else:
            log = self.folder / "nodes" / node_folder(runner_id) / "log.txt"  # as the runner names it
            self._started(name, "Pod", template["name"], boundary, log=str(log))

    def _started(self, name: str, kind: str, template: str, boundary: str | None,
                 tasks: Mapping[str, list[str]] | None = None, log: str | None = None) -> None:
        self.changes.put(functools.partial(start_node, run=self.run, name=name, kind=kind, template=template,
                                           boundary=boundary, at=time.time(), tasks=tasks, log=log))

    def _group_started(self, boundary: str, name: str) -> None:
        """A loop's first iteration: its TaskGroup node, as Argo shows a fan-out."""
        group = f"{boundary}.{task_of(boundary, name)}"
        with self.lock:
            first = group not in self.groups
            self.groups.add(group)
        if first:
            self._started(group, "TaskGroup", "", boundary)

    def finished(self, node: Node) -> None:
        if node.id in self.reused:
            return
        name = self.name(node.id)
        outputs: dict[str, Any] = {"parameters": node.parameters,
                                   "artifacts": {k: str(v) for k, v in node.artifacts.items()}}
        if node.id in self.exit_codes:
            outputs["exitCode"] = self.exit_codes[node.id]
        kind = "Skipped" if node.phase in ("Skipped", "Omitted") else "Pod"
        self.changes.put(functools.partial(finish_node, run=self.run, name=name, phase=node.phase,
                                           message=node.message, outputs=outputs,
                                           fallback=(kind, self.boundary(name)), at=time.time()))
        with self.lock:
            dag = name in self.dags
        if dag:
            self.changes.put(functools.partial(finish_groups, run=self.run, boundary=name, at=time.time()))

    def start(self) -> None:
        self.writer.start()

    def close(self) -> None:
        """Every change queued so far is in the store (or the writer's error is raised)."""
        self.changes.put(None)
        self.writer.join()
        if self.error is not None:
            raise self.error

    def _write(self) -> None:
        while True:
            batch = [self.changes.get()]
            while True:  # whatever queued up meanwhile goes in the same transaction
                try:
                    batch.append(self.changes.get_nowait())
                except queue.Empty:
                    break
            changes = [change for change in batch if change is not None]
            if changes and self.error is None:
                try:
                    self.store.apply(self.run, changes)
                except BaseException as exc:  # raised in the runner's thread by close()
                    self.error = exc
            if len(changes) < len(batch):
                return


class RecordedRun(Run):
    """The runner, with the store's hooks (see the module docstring)."""

    recorder: Recorder

    def execute(self, name: str, node_id: str, params: dict[str, str], artifacts: dict[str, Path]) -> Node:
        reused = self.recorder.reused.get(node_id)
        if reused is not None:
            self.nodes.append(reused)
            self.on_node(reused)
            return reused
        if name in self.templates:
            self.recorder.started(node_id, self.templates[name])
        return super().execute(name, node_id, params, artifacts)

    def run_container(self, template: TemplateYaml, node_id: str, scope: Scope,
                      artifacts: dict[str, Path]) -> Node:
        if self.groups.stopping:
            raise NodeFailed(STOPPED)
        try:
            node = super().run_container(template, node_id, scope, artifacts)
        except NodeFailed as exc:
            if exc.exit_code is not None:  # killed by signal N: 128 + N, as a shell and Argo report it
                self.recorder.exit_codes[node_id] = exc.exit_code if exc.exit_code >= 0 else 128 - exc.exit_code
            if self.groups.stopping:
                raise NodeFailed(STOPPED) from None
            raise
        self.recorder.exit_codes[node_id] = 0
        return node


# -- preparing a run --------------------------------------------------------------------------------

def prepare_run(store: RunStore, path: str | Path, registries: RegistryOptions | None, params: Mapping[str, str],
                workdir: str | Path | None = None, parallelism: int = 4, experiment: str | None = None,
                labels: Mapping[str, str] | None = None) -> str:
    """Compile and check the pipeline, record a ``Pending`` run of it; the run's name."""
    doc, overrides = _workflow_of(Path(path), registries, params)
    return prepare_document(store, doc, overrides, workdir, parallelism, experiment, labels)


def prepare_document(store: RunStore, doc: WorkflowYaml, overrides: Mapping[str, str],
                     workdir: str | Path | None = None, parallelism: int = 4, experiment: str | None = None,
                     labels: Mapping[str, str] | None = None) -> str:
    """``prepare_run`` for a Workflow already compiled (the Python API compiles pipelines held in
    memory); ``overrides`` are applied to its arguments."""
    if doc.get("kind") not in RUNNABLE_KINDS:
        raise RunError(f"cannot run a {doc.get('kind')!r}; expected an Argo Workflow")
    declared = _declared_parameters(doc)
    _check_overrides(overrides, declared)
    wanted = run_labels(doc, experiment, checked_labels(labels or {}, experiment))
    folder = Path(workdir).resolve() if workdir else None  # absolute: each task runs in its own folder
    if folder is not None:
        prepare_folder(folder)
    metadata = doc.get("metadata", {})
    runner_name = metadata.get("name") or metadata.get("generateName", "workflow-").rstrip("-")  # as Run names it
    parameters = [{"name": k, "value": v} for k, v in {**declared, **overrides}.items()]
    name = store.create(_name_prefix(doc), doc, NewRun(runner_name, parameters, overrides, wanted,
                                                       str(folder) if folder else None, parallelism))
    if folder is None:
        prepare_folder(store.folder(name))
    return name


def _name_prefix(doc: WorkflowYaml) -> str:
    """``<pipeline>``, in the characters a Workflow's name allows (the run's name appends 6)."""
    prefix = re.sub(r"[^a-z0-9-]+", "-", pipeline_name(cast(Mapping[str, Any], doc)).lower()).strip("-")
    return prefix[:57].rstrip("-") or "workflow"


def _declared_parameters(doc: WorkflowYaml) -> dict[str, str]:
    spec = doc.get("spec", {})
    spec = spec.get("workflowSpec", {}) if doc.get("kind") == "CronWorkflow" else spec
    declared = spec.get("arguments", {}).get("parameters", [])
    return {p["name"]: str(p.get("value", p.get("default", ""))) for p in declared}


def _check_overrides(overrides: Mapping[str, str], declared: Mapping[str, str]) -> None:
    """The runner's own check, made before anything is recorded."""
    for name in overrides:
        if name not in declared:
            raise ArgumentError("params", f"{mention('params')} {name}: the workflow has no such parameter"
                                          f"{did_you_mean(name, declared)}")


# -- running it -------------------------------------------------------------------------------------

def execute_run(store: RunStore, name: str, on_node: Callable[[Node], None] | None = None) -> RunResult:
    """Run the ``Pending`` run ``name`` in this process, recording it; the runner's result."""
    row = store.claim(name)
    folder = Path(row["workdir"])
    recorder = Recorder(store, name, row["runner_name"], folder)
    if row["attempt"] > 1:
        recorder.reused = _succeeded_nodes(store, recorder)
    shown = on_node or (lambda node: None)

    def report(node: Node) -> None:
        recorder.finished(node)
        shown(node)

    recorder.start()
    with _stop_on_signals(recorder):
        try:
            run = RecordedRun(json.loads(row["workflow"]), folder, json.loads(row["overrides"]), row["parallelism"],
                              report)
            run.recorder = recorder
            run.name_as(name)  # {{workflow.name}} is the run's name in the store, as in Argo
            if recorder.stop_requested:  # told to stop while it was being prepared
                run.groups.stop("SIGTERM")
            result = run.run()
        except BaseException as exc:
            recorder.close()
            store.finish(name, "Error" if not isinstance(exc, CregError) else "Failed", _why(exc))
            raise
    recorder.close()
    store.finish(name, *_outcome(result, recorder))
    return result


def _why(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    return str(exc) if isinstance(exc, CregError) else f"{type(exc).__name__}: {exc}"


def _outcome(result: RunResult, recorder: Recorder) -> tuple[str, str]:
    """The run's phase and message: Argo's ``child '<node id>' failed`` names the first failed task."""
    if recorder.stop_requested or result.stopped_by:  # Run.run's handlers stop it (SIGTERM, SIGINT)
        return "Failed", STOPPED
    if result.phase == "Succeeded":
        return "Succeeded", ""
    failed = [n for n in result.nodes if n.phase == "Failed" and recorder.name(n.id) not in recorder.dags]
    first = recorder.name(failed[0].id) if failed else recorder.run
    return "Failed", f"child '{node_id(recorder.run, first)}' failed"


def _succeeded_nodes(store: RunStore, recorder: Recorder) -> dict[str, Node]:
    """What a retry reuses: every task that succeeded (the exit handler runs again, as in Argo)."""
    rows = store.rows("SELECT name, message, outputs, log FROM nodes WHERE run = ? AND type = 'Pod'"
                      " AND phase = 'Succeeded' AND name NOT LIKE ?", (recorder.run, f"{recorder.run}.onExit%"))
    reused = {}
    for row in rows:
        runner_id = recorder.runner_name + row["name"][len(recorder.run):]
        outputs = json.loads(row["outputs"] or "{}")
        reused[runner_id] = Node(runner_id, "Succeeded", row["message"], dict(outputs.get("parameters", {})),
                                 {k: Path(v) for k, v in outputs.get("artifacts", {}).items()},
                                 log=Path(row["log"]) if row["log"] else None)
    return reused


class _stop_on_signals:
    """While a run runs in the main thread, SIGTERM (``creg runs stop``) and a first Ctrl-C stop it
    as ``argo stop`` does, instead of killing creg and leaving its tasks running in their own
    sessions; a second Ctrl-C interrupts at once.

    The handler only sets flags and signals task processes: it may interrupt the main thread
    anywhere, even inside the store's lock.
    """

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.previous: dict[int, Any] = {}

    def handle(self, signum: int, frame: FrameType | None) -> None:
        # Before the run starts (once it runs, Run.run's own handlers stop its process groups).
        self.recorder.stop_requested = True
        if signum == signal.SIGINT:
            signal.signal(signal.SIGINT, signal.default_int_handler)  # the next Ctrl-C interrupts

    def __enter__(self) -> None:
        if threading.current_thread() is threading.main_thread():
            self.previous = {signum: signal.signal(signum, self.handle) for signum in self.SIGNALS}

    def __exit__(self, *exc: object) -> None:
        for signum, previous in self.previous.items():
            signal.signal(signum, previous)


# -- in the background ------------------------------------------------------------------------------

def main(argv: list[str]) -> int:
    """``python -m registry.local.recording NAME``: a detached runner."""
    try:
        result = execute_run(RunStore(), argv[0])
    except CregError as exc:
        print(f"creg run: {exc}", file=sys.stderr)
        return 1
    return 0 if result.phase == "Succeeded" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
