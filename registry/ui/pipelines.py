"""What the pipeline pages show: which files are pipelines, and one pipeline as a graph.

A graph is plain data the page lays out with dagre: ``nodes`` (``id``, ``label``, ``sub`` lines,
``parent`` for a node inside an expandable graph component, ``kind``, ``problems``) and
``edges`` (``source``, ``target``, ``label`` = the outputs that travel along it).  A pipeline
that does not load still gets a graph, drawn from its raw YAML, with its problems on the tasks
they belong to — a broken pipeline is when a picture helps most.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from registry.argo.compiler import compile_document, gc_paused
from registry.argo.draw import edges as task_edges
from registry.argo.emit import to_yaml
from registry.errors import CregError, Problem, YamlError
from registry.pipeline.components import Loader
from registry.pipeline.graphs import GraphOp
from registry.pipeline.load import load_pipeline
from registry.pipeline.model import Pipeline, Task
from registry.pipeline.ops import Const, FileRef, InputRef, ItemRef, OutputRef, ParamRef, Value
from registry.yamlio import load_any, read_limited

SKIPPED_FOLDERS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".mypy_cache", ".pytest_cache",
                   ".hypothesis", "build", "dist", "golden"}
MAX_FILES = 2000  # files looked at under the folder; a home directory must not stall start-up


def discover(folder: Path, given: list[Path]) -> list[Path]:
    """The pipelines the UI offers: the files given, then the pipeline files under ``folder``.

    A YAML file is a pipeline when its top level has ``tasks`` and no ``apiVersion`` (which
    component specs, indexes and compiled Argo documents have).
    """
    found = {path.resolve(): None for path in given}
    for path in _yaml_files(folder):
        if _looks_like_pipeline(path):
            found.setdefault(path.resolve(), None)
    return list(found)


def _yaml_files(folder: Path) -> list[Path]:
    out: list[Path] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_FOLDERS and not d.startswith("."))
        out += [Path(root) / f for f in sorted(files) if f.endswith((".yaml", ".yml"))]
        if len(out) >= MAX_FILES:
            break
    return out[:MAX_FILES]


def _looks_like_pipeline(path: Path) -> bool:
    try:
        head = path.read_bytes()[:65536].decode("utf-8", "replace")
    except OSError:
        return False
    lines = [line for line in head.splitlines() if line[:1].isalpha()]
    return any(line.startswith("tasks:") for line in lines) and not any(
        line.startswith(("apiVersion:", "implementation:")) for line in lines)


def view(path: Path, loader: Loader) -> dict[str, Any]:
    """Everything the pipeline page shows: params, graph, compiled YAML and the problems."""
    text = _source_text(path)
    try:
        with gc_paused():
            pipeline = load_pipeline(path, loader=loader)
            compiled = to_yaml(compile_document(pipeline))
    except CregError as exc:
        problems = exc.problems or [Problem(str(path), 0, 0, "", str(exc))]
        return _broken(path, text, problems)
    return {"name": pipeline.name, "description": pipeline.description or "", "source": text,
            "params": _params(pipeline), "graph": graph_of(pipeline), "compiled": compiled, "problems": []}


def _source_text(path: Path) -> str:
    try:
        return read_limited(path).decode("utf-8", "replace")
    except (YamlError, OSError) as exc:
        return f"(cannot read the file: {exc})"


def _params(pipeline: Pipeline) -> list[dict[str, str]]:
    return [{"name": p.name, "type": p.type or "", "default": p.default_text() or "",
             "description": p.description or ""} for p in pipeline.params.values()]


def graph_of(pipeline: Pipeline) -> dict[str, Any]:
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    for group, tasks in (("", pipeline.tasks), ("exit", pipeline.exit_tasks)):
        _add_tasks(tasks, None, group, nodes, edges)
    return {"nodes": nodes, "edges": edges}


def _add_tasks(tasks: dict[str, Task], parent: str | None, group: str, nodes: list[dict[str, Any]],
               edges: list[dict[str, Any]]) -> None:
    prefix = f"{parent}/" if parent else ""
    for task in tasks.values():
        nodes.append(_task_node(task, prefix, parent, group))
        if isinstance(task.op, GraphOp):
            _add_tasks(task.op.graph.tasks, prefix + task.id, group, nodes, edges)
    edges += [{"source": prefix + e.source, "target": prefix + e.target, "label": e.label}
              for e in task_edges(tasks)]


def _task_node(task: Task, prefix: str, parent: str | None, group: str) -> dict[str, Any]:
    info = task.op.component
    sub = [info.ref if info.version == "inline" else f"{info.name}@{info.version}"]
    if task.when_source:
        sub.append(f"when {task.when_source}")
    if task.loop is not None:
        sub.append(_loop_text(task))
    if group:
        sub.append("exit handler")
    kind = "group" if isinstance(task.op, GraphOp) else "task"
    args = [[name, value_text(value)] for name, value in {**task.op.parameters, **task.op.artifacts}.items()]
    return {"id": prefix + task.id, "label": task.id, "sub": sub, "parent": parent, "kind": kind,
            "cls": group, "problems": [], "args": args}


def value_text(value: Value) -> str:
    """A task argument as the node's panel shows it: where the value comes from."""
    if isinstance(value, Const):
        return str(value.value)
    if isinstance(value, ParamRef):
        return f"param {value.name}"
    if isinstance(value, OutputRef):
        return f"output {value.task}.{value.output}"
    if isinstance(value, FileRef):
        return f"file of output {value.output.task}.{value.output.output}"
    if isinstance(value, ItemRef):
        return "loop item" + (f".{value.field}" if value.field else "")
    assert isinstance(value, InputRef)
    return f"graph input {value.name}"


def _loop_text(task: Task) -> str:
    loop = task.loop
    assert loop is not None
    if loop.items is not None:
        return f"loop over {len(loop.items)} items"
    if loop.param is not None:
        return f"loop over param {loop.param}"
    return f"loop over {loop.output.task}.{loop.output.output}" if loop.output else "loop"


# -- a pipeline that does not load: its raw YAML, drawn --------------------------------------------

def _broken(path: Path, text: str, problems: list[Problem]) -> dict[str, Any]:
    data = _raw_data(text, str(path))
    graph = _raw_graph(data)
    _attach(problems, graph)
    name = data.get("name") if isinstance(data.get("name"), str) else path.stem
    return {"name": name, "description": "", "source": text, "params": [], "graph": graph,
            "compiled": None, "problems": [p.as_dict() | {"text": p.format()} for p in problems]}


def _raw_data(text: str, source: str) -> dict[str, Any]:
    try:
        data = load_any(text, source)[0]
    except CregError:
        return {}
    return data if isinstance(data, dict) else {}


def _raw_graph(data: dict[str, Any]) -> dict[str, Any]:
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    for group in ("tasks", "finally"):
        tasks = data.get(group)
        if not isinstance(tasks, dict):
            continue
        for task_id, task in tasks.items():
            task = task if isinstance(task, dict) else {}
            component = task.get("component")
            nodes.append({"id": str(task_id), "label": str(task_id), "parent": None, "kind": "task",
                          "sub": [str(component)] if isinstance(component, str) else [],
                          "cls": "exit" if group == "finally" else "", "problems": []})
            edges += _raw_edges(str(task_id), task, set(map(str, tasks)))
    return {"nodes": nodes, "edges": edges}


def _raw_edges(task_id: str, task: dict[str, Any], known: set[str]) -> list[dict[str, Any]]:
    after = task.get("after")
    upstream = {str(a): "" for a in ([after] if isinstance(after, str) else after or []) if a in known}
    args = task.get("args")
    for value in (args.values() if isinstance(args, dict) else []):
        ref = value.get("output") if isinstance(value, dict) else None
        if isinstance(ref, str) and ref.split(".", 1)[0] in known:
            upstream[ref.split(".", 1)[0]] = ref.split(".", 1)[1] if "." in ref else ""
    return [{"source": source, "target": task_id, "label": label} for source, label in upstream.items()]


def _attach(problems: list[Problem], graph: dict[str, Any]) -> None:
    """Each problem onto the task its field path names (``$.tasks.<id>...``), longest id first."""
    by_id = {node["id"]: node for node in graph["nodes"]}
    for problem in problems:
        task_id = task_of(problem.path, list(by_id))
        if task_id is not None:
            by_id[task_id]["problems"].append(problem.format())


def task_of(path: str, task_ids: list[str]) -> str | None:
    for group in ("$.tasks.", "$.finally."):
        if path.startswith(group):
            rest = path[len(group):]
            fits = [t for t in task_ids if rest == t or rest.startswith((t + ".", t + "["))]
            return max(fits, key=len) if fits else None
    return None
