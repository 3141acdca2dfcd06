"""A pipeline's task graph as DOT or Mermaid text, or SVG/PNG through Graphviz's ``dot``."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

from registry.errors import CregError, mention
from registry.pipeline.ops import FileRef, OutputRef
from registry.pipeline.model import Pipeline, Task


class GraphError(CregError):
    """Rendering needs a tool that is missing or failed."""


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str  # the outputs that flow along it; '' for an ordering-only edge


def edges(tasks: dict[str, Task]) -> list[Edge]:
    """One edge per upstream task, labelled with the outputs the task reads from it."""
    out = []
    for task in tasks.values():
        flows: dict[str, list[str]] = {}
        for value in [*task.op.parameters.values(), *task.op.artifacts.values()]:
            ref = value.output if isinstance(value, FileRef) else value
            if isinstance(ref, OutputRef):
                flows.setdefault(ref.task, []).append(ref.output)
        for upstream in task.depends:
            out.append(Edge(upstream, task.id, ", ".join(dict.fromkeys(flows.get(upstream, [])))))
    return out


def label(task: Task) -> str:
    info = task.op.component
    lines = [task.id, info.ref if info.version == "inline" else f"{info.name}@{info.version}"]
    if task.when_source:
        lines.append(f"when {task.when_source}")
    if task.loop is not None:
        lines.append("loop")
    return "\n".join(lines)


def _dot_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(pipeline: Pipeline) -> str:
    lines = [f"digraph {_dot_string(pipeline.name)} {{", "  rankdir=TB;",
             '  node [shape=box, style="rounded"];']
    for group, tasks in (("", pipeline.tasks), ("finally", pipeline.exit_tasks)):
        for task in tasks.values():
            shape = ", style=\"rounded,dashed\"" if group else ""
            lines.append(f"  {_dot_string(task.id)} [label={_dot_string(label(task))}{shape}];")
        for edge in edges(tasks):
            attrs = f" [label={_dot_string(edge.label)}]" if edge.label else " [style=dashed]"
            lines.append(f"  {_dot_string(edge.source)} -> {_dot_string(edge.target)}{attrs};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    escaped = text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
    return '"' + escaped.replace("\n", "<br/>") + '"'


def to_mermaid(pipeline: Pipeline) -> str:
    every = {**pipeline.tasks, **pipeline.exit_tasks}
    ids = {task_id: f"t{i}" for i, task_id in enumerate(every)}
    lines = ["flowchart TD"]
    for task_id, task in every.items():
        lines.append(f"  {ids[task_id]}[{_mermaid_text(label(task))}]")
    for tasks in (pipeline.tasks, pipeline.exit_tasks):
        for edge in edges(tasks):
            arrow = f"-->|{_mermaid_text(edge.label)}|" if edge.label else "-.->"
            lines.append(f"  {ids[edge.source]} {arrow} {ids[edge.target]}")
    return "\n".join(lines) + "\n"


def render_image(dot_text: str, fmt: str) -> bytes:
    """SVG or PNG bytes from DOT text, through Graphviz's ``dot``."""
    dot = shutil.which("dot")
    if dot is None:
        raise GraphError(f"{mention('fmt')} {fmt} needs Graphviz's 'dot' program, which is not on PATH; "
                         f"install Graphviz, or use {mention('fmt')} dot or {mention('fmt')} mermaid",
                         arguments=("fmt",))
    result = subprocess.run([dot, f"-T{fmt}"], input=dot_text.encode("utf-8"),
                            capture_output=True, timeout=60, check=False)
    if result.returncode != 0:
        raise GraphError(f"dot failed: {result.stderr.decode('utf-8', 'replace').strip()}")
    return result.stdout
