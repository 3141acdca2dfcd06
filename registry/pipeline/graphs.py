"""Graph components (``implementation.graph``) -> an op whose body is a nested DAG of ops.

Each inner task names its component with ``componentRef``: ``spec`` (the component inline) or
``name`` (+ ``tag``), resolved through the same loader as pipeline tasks.  Arguments are
constants, ``graphInput`` (an input of the graph) or ``taskOutput`` (an output of a sibling
task); ``outputValues`` map the graph's outputs to inner task outputs.  Graphs may nest.
The graph itself is the component floor's data (``ComponentSpec.graph``), checked by the
component schema, whence the ``Any`` of its mappings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Callable, Mapping
from typing import Any

from registry.component.model import ComponentSpec, thaw
from registry.pipeline.kfptypes import KfpType, serialize
from registry.pipeline.model import Task
from registry.component.naming import slug
from registry.pipeline.ops import (Const, InputRef, Op, OpRequest, OutputRef, Report, TaskComponent, Value,
                                   check_arguments, make_op)
from registry.yamlio import PathKey

MAX_NESTING = 8

# (componentRef mapping, report) -> the component, or None after reporting why not
RefLoader = Callable[[Mapping[str, Any], Report], TaskComponent | None]


@dataclass
class GraphBody:
    """The inner tasks of a graph component and the outputs it hands out."""

    tasks: dict[str, Task]
    outputs: dict[str, OutputRef]  # graph output -> inner task output
    value_outputs: set[tuple[str, str]] = field(default_factory=set)  # inner outputs read as values


@dataclass
class GraphOp(Op):
    """The op of a graph component: no container of its own, a nested DAG of inner tasks."""

    graph: GraphBody = field(kw_only=True)


class _Expander:
    def __init__(self, spec: ComponentSpec, load_ref: RefLoader, report: Report, depth: int) -> None:
        self.spec = spec
        self.load_ref = load_ref
        self.report = report
        self.depth = depth
        self.types: dict[str, dict[str, KfpType]] = {}  # inner task -> output -> type
        # Inner tasks get their Argo names here, since references between them name these.
        self.ids: dict[str, str] = {}  # KFP task id -> Argo task name

    def where(self, *path: PathKey) -> list[PathKey]:
        return ["component", "graph", *path]

    def graph_body(self, graph: Mapping[str, Any], present: set[str]) -> GraphBody:
        tasks = graph["tasks"]
        self.ids = {task_id: slug(task_id, fallback="task") for task_id in tasks}
        body = GraphBody({}, {})
        for task_id, task in tasks.items():
            inner = self.inner_task(task_id, task, present, body)
            if inner is not None:
                body.tasks[inner.id] = inner
        for name, value in (graph.get("outputValues") or {}).items():  # the schema allows null
            ref = self.task_output(value.get("taskOutput") or {}, ["outputValues", name])
            if ref is not None:
                body.outputs[name] = ref
                body.value_outputs.add((ref.task, ref.output))
        return body

    def inner_task(self, task_id: str, task: Mapping[str, Any], present: set[str],
                   body: GraphBody) -> Task | None:
        loaded = self.load_ref(task["componentRef"], lambda p, m: self.report(  # the schema requires it
            self.where("tasks", task_id, "componentRef", *p), m))
        if loaded is None:
            return None
        spec, info = loaded
        self.types[self.ids[task_id]] = {o.name: o.type for o in spec.outputs}
        values, depends = self.arguments(task_id, task, present)
        request = OpRequest(self.ids[task_id], spec, info, values, self.type_of)
        report: Report = lambda p, m: self.report(self.where("tasks", task_id, *p), m)  # noqa: E731
        op = build_op(request, report, self.load_ref, self.depth + 1)
        if op is None:
            return None
        body.value_outputs.update((v.task, v.output) for v in op.parameters.values() if isinstance(v, OutputRef))
        return Task(self.ids[task_id], op, depends)

    def arguments(self, task_id: str, task: Mapping[str, Any], present: set[str]
                  ) -> tuple[dict[str, Value], list[str]]:
        """The inner task's arguments, and the sibling tasks they read (in order)."""
        values: dict[str, Value] = {}
        depends: list[str] = []
        for name, raw in (task.get("arguments") or {}).items():  # the schema allows null
            value = self.argument(raw, present, ["tasks", task_id, "arguments", name])
            if isinstance(value, OutputRef) and value.task not in depends:
                depends.append(value.task)
            if value is not None:
                values[name] = value
        return values, depends

    def argument(self, raw: object, present: set[str], where: list[PathKey]) -> Value | None:
        if isinstance(raw, Mapping) and "graphInput" in raw:
            name: str = raw["graphInput"]["inputName"]  # the component schema requires both
            if self.spec.input(name) is None:
                self.report(self.where(*where), f"graph input {name!r} is not an input of the component")
                return None
            return InputRef(name) if name in present else None  # unset optional inputs drop out
        if isinstance(raw, Mapping) and "taskOutput" in raw:
            return self.task_output(raw["taskOutput"], where)
        if isinstance(raw, Mapping):
            self.report(self.where(*where), f"unsupported graph argument {thaw(raw)!r}")
            return None
        return Const(raw)

    def task_output(self, ref: Mapping[str, Any], where: list[PathKey]) -> OutputRef | None:
        task_id, output = ref.get("taskId"), ref.get("outputName")
        if task_id not in self.ids:
            self.report(self.where(*where), f"graph task {task_id!r} does not exist")
            return None
        return OutputRef(self.ids[task_id], str(output))

    def type_of(self, value: Value) -> KfpType:
        if isinstance(value, InputRef):
            declared = self.spec.input(value.name)
            return None if declared is None else declared.type
        if isinstance(value, OutputRef):
            return self.types.get(value.task, {}).get(value.output)
        return None


def build_op(request: OpRequest, report: Report, load_ref: RefLoader, depth: int = 0) -> Op | None:
    """``make_op`` for container components, a nested-DAG op for graph components."""
    graph = request.spec.graph
    if graph is None:
        return make_op(request, report)
    if depth >= MAX_NESTING:
        report(["component"], f"graph components nest deeper than {MAX_NESTING} levels")
        return None
    check_arguments(request, report)
    present = {i.name for i in request.spec.inputs if i.name in request.arguments or i.default is not None}
    body = _Expander(request.spec, load_ref, report, depth).graph_body(graph, present)
    op = GraphOp(task_id=request.task_id, component=request.info, image="", command=(), args=(), graph=body,
                 outputs={name: "" for name in body.outputs},
                 output_types={o.name: o.type for o in request.spec.outputs})
    _bind_graph_inputs(op, request, body)
    return op


def _bind_graph_inputs(op: Op, request: OpRequest, body: GraphBody) -> None:
    """The graph's inputs become the op's parameters/artifacts as its inner tasks read them."""
    as_value = {v.name for t in body.tasks.values() for v in t.op.parameters.values() if isinstance(v, InputRef)}
    as_file = {v.name for t in body.tasks.values() for v in t.op.artifacts.values() if isinstance(v, InputRef)}
    for declared in request.spec.inputs:
        default = None if declared.default is None else serialize(declared.default)
        value = request.arguments.get(declared.name)
        for used, values, defaults in ((as_value, op.parameters, op.param_defaults),
                                       (as_file, op.artifacts, op.artifact_defaults)):
            if declared.name in used:
                defaults[declared.name] = default
                if value is not None:
                    values[declared.name] = value
