"""Component spec + task arguments -> an op: the container a task runs, ready for Argo.

Placeholders resolve the way the KFP v1 compiler resolves them:

* ``{inputValue: X}`` -> the Argo input parameter ``{{inputs.parameters.X}}``;
* ``{inputPath: X}`` / ``{outputPath: X}`` -> artifacts at ``/tmp/inputs/X/data`` and
  ``/tmp/outputs/X/data``;
* ``concat``, ``if`` and ``isPresent`` are decided at compile time;
* an optional input left unset drops out of the command line.

Constants stay task arguments (and component defaults become the template's parameter
defaults), so every task using the same component configuration shares one Argo template.
Problems are reported through a callback so the pipeline can attach file positions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any

from registry.errors import did_you_mean
from registry.component.model import ComponentSpec, InputSpec, thaw
from registry.pipeline.kfptypes import KfpType, compatible, constant_fits, serialize
from registry.component.naming import argo_name, input_path, output_path
from registry.yamlio import PathKey

Report = Callable[[Sequence[PathKey], str], None]  # (path below the task, message)


@dataclass(frozen=True)
class Const:
    """A literal argument value."""

    value: object  # as YAML gave it


@dataclass(frozen=True)
class ParamRef:
    """A pipeline param used as an argument."""

    name: str


@dataclass(frozen=True)
class OutputRef:
    """Another task's output used as an argument."""

    task: str
    output: str


@dataclass(frozen=True)
class ItemRef:
    """The current loop item (or one field of it) used as an argument."""

    field: str | None = None


@dataclass(frozen=True)
class FileRef:
    """A task output handed to an inline container as a file (an Argo input artifact)."""

    output: OutputRef


@dataclass(frozen=True)
class InputRef:
    """Inside a graph component: one of the graph's own inputs."""

    name: str


@dataclass(frozen=True)
class Concat:
    """Inline containers: a string with values inside (``'wget {{param.url}} -O x'``).

    ``parts`` are constants (literal text, or an Argo run variable kept as ``{{...}}``) and
    references; each reference becomes an input of the template, like a whole-argument one.
    """

    parts: tuple[Const | ParamRef | OutputRef | ItemRef | FileRef, ...]


Value = Const | ParamRef | OutputRef | ItemRef | FileRef | InputRef | Concat


@dataclass(frozen=True)
class ComponentInfo:
    """What the annotations record about the component behind an op."""

    name: str
    version: str
    digest: str
    ref: str


TaskComponent = tuple[ComponentSpec, ComponentInfo]  # the component a task runs, and its record


@dataclass
class Op:
    """One task's container: resolved command line plus its inputs and outputs."""

    task_id: str
    component: ComponentInfo
    image: str
    command: tuple[str, ...]
    args: tuple[str, ...]
    parameters: dict[str, Value] = field(default_factory=dict)  # task arguments (input params)
    artifacts: dict[str, Value] = field(default_factory=dict)  # task arguments (input artifacts)
    param_defaults: dict[str, str | None] = field(default_factory=dict)  # every input param
    artifact_defaults: dict[str, str | None] = field(default_factory=dict)  # every input artifact
    outputs: dict[str, str] = field(default_factory=dict)  # output name -> file path
    output_types: dict[str, KfpType] = field(default_factory=dict)


# -- placeholders ---------------------------------------------------------------------------

class _Resolver:
    """Expands one container's command/args against the arguments a task gives."""

    def __init__(self, spec: ComponentSpec, present: set[str], report: Report) -> None:
        self.spec = spec
        self.present = present
        self.report = report
        self.params: set[str] = set()
        self.in_artifacts: set[str] = set()
        self.out_artifacts: set[str] = set()

    def expand_list(self, items: Iterable[object], where: list[PathKey]) -> list[str]:
        out: list[str] = []
        for index, item in enumerate(items or ()):
            out.extend(self.expand(item, where + [index]))
        return out

    def expand(self, item: object, where: list[PathKey]) -> list[str]:
        if isinstance(item, (str, int, float)) and not isinstance(item, bool):
            return [str(item)]
        if not isinstance(item, Mapping) or len(item) != 1:
            self.report(where, f"unsupported command-line item {thaw(item)!r} in {self.spec.source}")
            return []
        kind, body = next(iter(item.items()))
        handler = getattr(self, "_" + kind, None)
        if handler is None:
            self.report(where, f"placeholder '{kind}' is not supported by creg's Argo compiler")
            return []
        return handler(body, where)

    def _inputValue(self, name: str, where: list[PathKey]) -> list[str]:
        if name not in self.present:
            return []
        self.params.add(name)
        return ["{{inputs.parameters.%s}}" % argo_name(name)]

    def _inputPath(self, name: str, where: list[PathKey]) -> list[str]:
        if name not in self.present:
            return []
        self.in_artifacts.add(name)
        return [input_path(name)]

    def _outputPath(self, name: str, where: list[PathKey]) -> list[str]:
        self.out_artifacts.add(name)
        return [output_path(name)]

    def _concat(self, parts: Iterable[object], where: list[PathKey]) -> list[str]:
        return ["".join(self.expand_list(parts, where + ["concat"]))]

    def _if(self, body: Mapping[str, Any], where: list[PathKey]) -> list[str]:
        chosen = body.get("then") if self.condition(body.get("cond"), where) else body.get("else")
        if chosen is None:
            return []
        if isinstance(chosen, (list, tuple)):
            return self.expand_list(chosen, where + ["if"])
        return self.expand(chosen, where + ["if"])

    def condition(self, cond: object, where: list[PathKey]) -> bool:
        if isinstance(cond, Mapping) and "isPresent" in cond:
            return cond["isPresent"] in self.present
        if isinstance(cond, bool):
            return cond
        if isinstance(cond, str) and cond.lower() in ("true", "false"):
            return cond.lower() == "true"
        self.report(where, f"cannot decide the 'if' condition {thaw(cond)!r} at compile time "
                           "(creg supports isPresent and constant conditions)")
        return False


# -- building an op -------------------------------------------------------------------------

@dataclass
class OpRequest:
    """Everything needed to turn a component into one task's op."""

    task_id: str
    spec: ComponentSpec
    info: ComponentInfo
    arguments: dict[str, Value]
    type_of: Callable[[Value], KfpType]  # KFP type of a param or a task output; None if unknown


class _Declared:
    """What a component declares about its inputs, worked out once per spec, not once per task."""

    __slots__ = ("spec", "names", "name_set", "by_name", "required", "defaulted")

    def __init__(self, spec: ComponentSpec) -> None:
        self.spec = spec  # held, so the id that finds this entry stays this spec's
        self.names = [i.name for i in spec.inputs]
        self.name_set = frozenset(self.names)
        self.by_name = {declared.name: declared for declared in spec.inputs}
        self.required = tuple(declared for declared in spec.inputs if declared.required)
        self.defaulted = frozenset(i.name for i in spec.inputs if i.default is not None)

    def present(self, arguments: Mapping[str, Value]) -> frozenset[str]:
        """The inputs a task sets, or that have a default."""
        return self.defaulted.union(self.name_set.intersection(arguments))


_DECLARED: dict[int, _Declared] = {}


def declared_inputs(spec: ComponentSpec) -> _Declared:
    found = _DECLARED.get(id(spec))
    if found is None or found.spec is not spec:
        if len(_DECLARED) > 4096:
            _DECLARED.clear()
        found = _DECLARED[id(spec)] = _Declared(spec)
    return found


def check_names(spec: ComponentSpec, info: ComponentInfo, given: Collection[str], report: Report) -> None:
    """Unknown arguments (with did-you-mean) and missing required inputs."""
    declared = declared_inputs(spec)
    for name in given:
        if name not in declared.name_set:
            known = ", ".join(declared.names) or "(none)"
            report(["args", name], f"unknown input '{name}'{did_you_mean(name, declared.names)}; "
                                   f"component '{info.name}' takes: {known}")
    for required in declared.required:
        if required.name not in given:
            report(["args"], f"missing required input '{required.name}' of component "
                             f"'{info.name}' (type {_show(required.type) if required.type else 'any'})")


def check_arguments(request: OpRequest, report: Report) -> None:
    """Unknown arguments, missing required inputs and incompatible types."""
    check_names(request.spec, request.info, request.arguments, report)  # its keys, in order
    inputs = declared_inputs(request.spec).by_name
    for name, value in request.arguments.items():
        declared = inputs.get(name)
        if declared is not None:
            _check_type(declared, value, request, report)


def _check_type(declared: InputSpec, value: Value, request: OpRequest, report: Report) -> None:
    if isinstance(value, Const):
        why = constant_fits(value.value, declared.type)
        if why:
            report(["args", declared.name], f"input '{declared.name}': {why}")
        return
    given = request.type_of(value)
    if not compatible(given, declared.type):
        report(["args", declared.name], f"input '{declared.name}' expects type {_show(declared.type)}, "
                      f"but {_describe(value)} has type {_show(given)}")


def _show(kfp_type: KfpType) -> str:
    return json.dumps(thaw(kfp_type)) if isinstance(kfp_type, Mapping) else str(kfp_type)


def _describe(value: Value) -> str:
    if isinstance(value, ParamRef):
        return f"param '{value.name}'"
    if isinstance(value, OutputRef):
        return f"output '{value.task}.{value.output}'"
    return "the loop item"


def make_op(request: OpRequest, report: Report) -> Op | None:
    """The op for one task, or None when the component cannot run as a container."""
    check_arguments(request, report)
    container = request.spec.container
    if container is None:
        report(["component"], f"component '{request.info.name}' has neither a container nor a "
                              "graph implementation")
        return None
    present = declared_inputs(request.spec).present(request.arguments)
    shape = _op_shape(request.spec, container, present, report)
    given = request.arguments
    return Op(task_id=request.task_id, component=request.info, image=shape.image,
              command=shape.command, args=shape.args,
              parameters={n: given[n] for n in shape.param_defaults if given.get(n) is not None},
              artifacts={n: given[n] for n in shape.artifact_defaults if given.get(n) is not None},
              param_defaults=dict(shape.param_defaults), artifact_defaults=dict(shape.artifact_defaults),
              outputs=dict(shape.outputs), output_types=dict(shape.output_types))


@dataclass(frozen=True)
class _OpShape:
    """What every op of one component with one set of present inputs has in common."""

    image: str
    command: tuple[str, ...]
    args: tuple[str, ...]
    param_defaults: dict[str, str | None]  # inputs read as values -> serialized default
    artifact_defaults: dict[str, str | None]  # inputs read as files -> serialized default
    outputs: dict[str, str]
    output_types: dict[str, KfpType]


# The shape depends only on the component and on which inputs are present, so a pipeline
# with thousands of tasks of one component expands its placeholders once.
_SHAPES: dict[tuple[str, str, frozenset[str]], _OpShape] = {}


def _op_shape(spec: ComponentSpec, container: Mapping[str, Any], present: frozenset[str],
              report: Report) -> _OpShape:
    key = (spec.digest, spec.source, present)
    found = _SHAPES.get(key)
    if found is not None:
        return found
    problems: list[tuple[Sequence[PathKey], str]] = []
    resolver = _Resolver(spec, set(present), lambda path, message: problems.append((path, message)))
    command = tuple(resolver.expand_list(container.get("command") or (), ["component", "command"]))
    args = tuple(resolver.expand_list(container.get("args") or (), ["component", "args"]))
    shape = _OpShape(str(container.get("image", "")), command, args, *_input_defaults(spec, resolver),
                     *_outputs(spec, resolver, container))
    for path, message in problems:
        report(path, message)
    if not problems:
        if len(_SHAPES) > 4096:
            _SHAPES.clear()
        _SHAPES[key] = shape
    return shape


def _input_defaults(spec: ComponentSpec, resolver: _Resolver
                    ) -> tuple[dict[str, str | None], dict[str, str | None]]:
    params: dict[str, str | None] = {}
    artifacts: dict[str, str | None] = {}
    for declared in spec.inputs:
        default = None if declared.default is None else serialize(declared.default)
        if declared.name in resolver.params:
            params[declared.name] = default
        if declared.name in resolver.in_artifacts:
            artifacts[declared.name] = default
    return params, artifacts


def _outputs(spec: ComponentSpec, resolver: _Resolver, container: Mapping[str, Any]
             ) -> tuple[dict[str, str], dict[str, KfpType]]:
    file_outputs = container.get("fileOutputs") or {}  # the spec schema allows null
    paths: dict[str, str] = {}
    for declared in spec.outputs:
        if declared.name in resolver.out_artifacts:
            paths[declared.name] = output_path(declared.name)
        elif declared.name in file_outputs:
            paths[declared.name] = str(file_outputs[declared.name])
    return paths, {declared.name: declared.type for declared in spec.outputs}


def inline_op(task_id: str, image: str, command: Sequence[Value], args: Sequence[Value],
              outputs: Mapping[str, str]) -> Op:
    """An op for an existing image: references in command/args become input parameters."""
    op = Op(task_id=task_id, component=ComponentInfo(task_id, "inline", "", f"image:{image}"),
            image=image, command=(), args=())
    op.command = tuple(_inline_part(op, part) for part in command)
    op.args = tuple(_inline_part(op, part) for part in args)
    op.outputs = dict(outputs)
    op.output_types = {name: None for name in outputs}
    return op


def _inline_part(op: Op, part: Value) -> str:
    if isinstance(part, Const):
        return serialize(part.value)
    if isinstance(part, Concat):
        return "".join(_inline_part(op, piece) for piece in part.parts)
    if isinstance(part, FileRef):
        name = _reference_slug(part.output)
        op.artifacts[name] = part.output
        op.artifact_defaults[name] = None
        return input_path(name)
    name = _free_name(op, argo_name(_reference_slug(part)), part)
    op.parameters[name] = part
    op.param_defaults[name] = None
    return "{{inputs.parameters.%s}}" % name


def _free_name(op: Op, name: str, part: Value) -> str:
    """``name``, or ``name-2``, ... when another reference already took it: params ``P`` and
    ``p`` are two inputs, never one (the emitter declares inputs by their Argo names)."""
    candidate, number = name, 1
    while candidate in op.parameters and op.parameters[candidate] != part:
        number += 1
        candidate = f"{name}-{number}"
    return candidate


def _reference_slug(value: Value) -> str:
    """A readable Argo parameter name for a reference used in an inline command line."""
    if isinstance(value, ParamRef):
        return value.name
    if isinstance(value, OutputRef):
        return f"{value.task}-{argo_name(value.output)}"
    if isinstance(value, ItemRef):
        return "item" if value.field is None else f"item-{value.field}"
    raise TypeError(f"not a reference: {value!r}")
