"""One task of a pipeline file -> a ``Task``: its op, references, ``after``, ``when``, loop,
env, mounts and settings, each checked against what the rest of the file declares.

The pipeline builder (``load``) first settles everything a task may refer to (params, every
task's component and outputs, the pipeline-wide env) and hands it over as a ``TaskContext``.
Building a task returns the ``Task`` together with what was found on the way (problems,
outputs read as values); the pipeline builder locates the problems in the file.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Mapping, Sequence, Set
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from registry.errors import did_you_mean, one_of
from registry.pipeline.graphs import RefLoader, build_op
from registry.pipeline.kfptypes import KfpType, serialize, type_name
from registry.pipeline.model import (NO_SETTINGS, EnvValue, Loop, PipelineParam, Resources, Retries, SecretRef, Task,
                                     TaskSettings)
from registry.component.naming import argo_name, collisions
from registry.pipeline.ops import (Concat, Const, FileRef, ItemRef, Op, OpRequest, OutputRef, ParamRef, TaskComponent,
                                   Value, check_names, inline_op)
from registry.pipeline.strings import Tag, split
from registry.pipeline.units import is_quantity, seconds
from registry.pipeline.when import WhenError, compile_when
from registry.yamlio import PathKey

if TYPE_CHECKING:  # types only: defining the TypedDicts costs ~2.5 ms of every compile
    from registry.pipeline.fileformat import ResourcesYaml, RetriesYaml, SettingsYaml, TaskYaml

_REFERENCES = ("param", "output", "item", "file")
_SETTINGS = ("retries", "timeout", "resources", "nodeSelector", "tolerations")
# Types that can never hold a JSON list; untyped, String and JsonArray values may.
_NOT_LISTS = {"integer", "float", "boolean", "jsonobject"}


@dataclass(frozen=True)
class Finding:
    """A problem in the file at ``path`` (from the document's root), located by the pipeline builder."""

    path: tuple[PathKey, ...]
    message: str
    key: bool = False  # point at the key rather than its value


@dataclass(frozen=True)
class TaskContext:
    """What building a task may read of its pipeline; one per group (``tasks``, ``finally``)."""

    group: str
    siblings: Set[str]  # the task ids of the group
    pipeline_tasks: Collection[str]  # the ids under 'tasks', which a finally task cannot read
    params: Mapping[str, PipelineParam]
    overridden: Collection[str]  # params given with --param
    components: Mapping[str, TaskComponent | None]  # task -> component; None: inline or failed to load
    outputs: Mapping[str, Mapping[str, KfpType]]  # task -> output -> type; no entry: failed to load
    defaults: SettingsYaml
    env: Mapping[str, EnvValue]  # the pipeline-wide env, checked once
    volumes: Sequence[str]
    load_ref: RefLoader


@dataclass
class BuiltTask:
    """What building one task gave: the task (if it could be built) and its findings."""

    task: Task | None  # None when the task's problems leave no op to build
    findings: list[Finding] = field(default_factory=list)
    value_outputs: set[tuple[str, str]] = field(default_factory=set)  # (task, output) read as values


class TaskBuilder:
    """Checks and builds one task, collecting what it finds."""

    def __init__(self, context: TaskContext, task_id: str, body: TaskYaml) -> None:
        self.context = context
        self.params = context.params
        self.id = task_id
        self.body = body
        self.depends: list[str] = []
        self.loop: Loop | None = None
        self.found = BuiltTask(None)

    def problem(self, path: Sequence[PathKey], message: str, key: bool = False) -> None:
        self.found.findings.append(Finding((self.context.group, self.id, *path), message, key))

    def reads_value(self, ref: OutputRef) -> None:
        """Outputs read as values must also be emitted as Argo parameters."""
        self.found.value_outputs.add((ref.task, ref.output))

    def depend(self, task_id: str) -> None:
        if task_id not in self.depends and task_id != self.id:
            self.depends.append(task_id)

    def build(self) -> BuiltTask:
        body = self.body  # most tasks set none of resources, after, when, mounts: no call for those
        resources = body.get("resources")
        if resources is not None:
            self.found.findings += resource_findings((self.context.group, self.id, "resources"), resources)
        self.loop = self.parse_loop()  # before the arguments, which may read the loop's item
        op = self.task_op()
        if body.get("after"):
            self.parse_after()
        when = self.parse_when() if "when" in body else None
        env = self.env()
        mounts = self.mounts() if "mounts" in body else {}
        if op is not None:
            self.found.task = Task(id=self.id, op=op, depends=self.depends, when=when,
                                   when_source=self.body.get("when"), loop=self.loop, env=env, mounts=mounts,
                                   settings=self.settings())
        return self.found

    def settings(self) -> TaskSettings:
        """Retries, timeout, resources, node selector, tolerations: the task's, else the defaults'."""
        body, defaults = self.body, self.context.defaults
        if not defaults and body.keys().isdisjoint(_SETTINGS):
            return NO_SETTINGS  # the usual case, quickly
        timeout = body.get("timeout", defaults.get("timeout"))
        return TaskSettings(retries=_read_retries(body.get("retries", defaults.get("retries"))),
                            timeout=None if timeout is None else seconds(timeout),
                            resources=_read_resources(body.get("resources", defaults.get("resources"))),
                            node_selector=body.get("nodeSelector", defaults.get("nodeSelector", {})),
                            tolerations=body.get("tolerations", defaults.get("tolerations", [])))

    # -- values and references -------------------------------------------------------------

    def argument(self, raw: object, where: list[PathKey]) -> Value | None:
        """A task argument or command-line part: a constant, or a reference (None if it fails)."""
        if isinstance(raw, dict) and len(raw) == 1 and next(iter(raw)) in _REFERENCES:
            kind, target = next(iter(raw.items()))
            if not isinstance(target, str) and not (kind == "item" and target is None):
                self.problem(where + [kind], f"expected the name of a{'n' if kind[0] in 'aeiou' else ''} "
                                            f"{kind} (text), found {_kind_of(target)}")
                return None
            if kind == "param":
                return self.ref_param(target, where)
            if kind == "output":
                return self.ref_output(target, where)
            if kind == "item":
                return self.ref_item(target, where)
            return self.ref_file(target, where)
        if isinstance(raw, str) and "{{" in raw:
            return self.string_with_values(raw, where)
        key = _misspelt_reference(raw)
        if key is not None:
            self.problem(where + [key], f"unknown reference '{key}'{did_you_mean(key, _REFERENCES)}; "
                                        f"a reference is one of {one_of(list(_REFERENCES))}", key=True)
            return None
        return Const(raw)

    def string_with_values(self, raw: str, where: list[PathKey]) -> Value | None:
        """A string with ``{{...}}`` tags: each checked like a whole-argument reference."""
        pieces = split(raw)
        if isinstance(pieces, str):
            self.problem(where, pieces)
            return None
        parts = [Const(piece) if isinstance(piece, str) else self.tag_value(piece, where) for piece in pieces]
        if any(part is None for part in parts):
            return None
        if all(isinstance(part, Const) for part in parts):
            return Const(raw)  # only Argo run variables: Argo fills them in
        if "image" not in self.body:
            self.problem(where, "a value inside a string is for inline containers; a component task takes "
                                "a reference as the whole argument ({param: NAME}, {output: TASK.OUTPUT})")
            return None
        return Concat(tuple(cast(list[Const | ParamRef | OutputRef | ItemRef | FileRef], parts)))

    def tag_value(self, tag: Tag, where: list[PathKey]) -> Const | ParamRef | OutputRef | ItemRef | FileRef | None:
        shown = "{{" + tag.text + "}}"
        if tag.kind is None:
            return Const(shown)
        if tag.kind == "param":
            if tag.target not in self.params:
                self.problem(where, f"{shown}: unknown param '{tag.target}'{did_you_mean(str(tag.target), self.params)}; "
                                    f"declared params: {one_of(list(self.params))}")
                return None
            return ParamRef(str(tag.target))
        if tag.kind == "item":
            return self.string_item(tag, shown, where)
        found = self.find_output(str(tag.target))
        if isinstance(found, str) or found is None:
            if found is not None:
                self.problem(where, f"{shown}: {found}")
            return None
        return FileRef(found) if tag.kind == "file" else found

    def string_item(self, tag: Tag, shown: str, where: list[PathKey]) -> ItemRef | None:
        if self.loop is None:
            self.problem(where, f"{shown}: 'item' is only available in a task with a 'loop'")
            return None
        items = self.loop.items
        if tag.target is not None and items is not None:
            missing = [i for i, item in enumerate(items) if not isinstance(item, dict) or tag.target not in item]
            if missing:
                self.problem(where, f"{shown}: loop item {missing[0]} has no field '{tag.target}'")
                return None
        return ItemRef(tag.target)

    def ref_param(self, name: object, where: list[PathKey]) -> ParamRef | None:
        if name not in self.params:
            self.problem(where + ["param"], f"unknown param '{name}'{did_you_mean(str(name), self.params)}; "
                                            f"declared params: {one_of(list(self.params))}")
            return None
        return ParamRef(str(name))  # a key of params, so already a str

    def ref_output(self, text: object, where: list[PathKey]) -> OutputRef | None:
        found = self.find_output(str(text))
        if isinstance(found, str):
            self.problem(where + ["output"], found)
            return None
        return found

    def find_output(self, text: str) -> OutputRef | str | None:
        """The output ``TASK[.OUTPUT]`` names (and the task now depends on it), why it cannot be
        read, or None when that task failed to load (reported there)."""
        task_id, _, output = text.partition(".")
        if task_id == self.id:  # would compile to a task that waits for itself
            return f"task '{task_id}' cannot read its own output; split it into two tasks"
        context = self.context
        if task_id not in context.siblings:
            hint = did_you_mean(task_id, context.siblings)
            extra = " (finally tasks cannot read outputs of pipeline tasks)" if (
                context.group == "finally" and task_id in context.pipeline_tasks) else ""
            return f"unknown task '{task_id}'{hint}{extra}"
        outputs = context.outputs.get(task_id)
        if outputs is None:
            return None
        found = _named_output(task_id, output, outputs)
        if isinstance(found, OutputRef):
            self.depend(task_id)
        return found

    def ref_file(self, text: object, where: list[PathKey]) -> FileRef | None:
        if "image" not in self.body:
            self.problem(where + ["file"], "{file: ...} is for inline containers; a component "
                                           "input declared with inputPath already receives a file")
            return None
        ref = self.ref_output(text, where)
        return None if ref is None else FileRef(ref)

    def ref_item(self, field_name: object, where: list[PathKey]) -> ItemRef | None:
        if self.loop is None:
            self.problem(where + ["item"], "'item' is only available in a task with a 'loop'")
            return None
        items = self.loop.items
        if field_name is not None and items is not None:
            missing = [i for i, item in enumerate(items)
                       if not isinstance(item, dict) or field_name not in item]
            if missing:
                self.problem(where + ["item"], f"loop item {missing[0]} has no field '{field_name}'")
                return None
        return ItemRef(None if field_name is None else str(field_name))

    def type_of(self, value: Value) -> KfpType:
        if isinstance(value, ParamRef):
            return self.params[value.name].type
        if isinstance(value, OutputRef):
            return self.context.outputs[value.task].get(value.output)
        return None

    # -- op -------------------------------------------------------------------------------------

    def task_op(self) -> Op | None:
        if "image" in self.body:
            return self.inline()
        request = self.op_request()
        if request is None:
            return None
        op = build_op(request, self.problem, self.context.load_ref)
        if op is not None:
            for value in op.parameters.values():
                if isinstance(value, OutputRef):
                    self.reads_value(value)
        return op

    def op_request(self) -> OpRequest | None:
        """The task's component and its resolved arguments, or None after reporting why not."""
        loaded = self.context.components.get(self.id)
        args = self.body.get("args") or {}  # the schema leaves args open: null or empty means none
        if not isinstance(args, dict):
            self.problem(["args"], "a component task's 'args' must be a mapping of input name -> value")
            return None
        values = {name: self.argument(raw, ["args", name]) for name, raw in args.items()}
        if loaded is None:
            return None
        spec, info = loaded
        given = {name: value for name, value in values.items() if value is not None}
        if len(given) < len(values):
            check_names(spec, info, list(values), self.problem)  # still name unknown/missing inputs
            return None
        return OpRequest(self.id, spec, info, given, self.type_of)

    def inline(self) -> Op | None:
        args = self.body.get("args") or []  # the schema leaves args open: null or empty means none
        if not isinstance(args, list):
            self.problem(["args"], "an inline container's 'args' must be a list")
            return None
        parts = [[self.argument(raw, [key, i]) for i, raw in enumerate(items)]
                 for key, items in (("command", self.body.get("command", [])), ("args", args))]
        command, argv = ([value for value in part if value is not None] for part in parts)
        if len(command) + len(argv) < len(parts[0]) + len(parts[1]):
            return None
        for value in command + argv:
            for part in value.parts if isinstance(value, Concat) else (value,):
                if isinstance(part, OutputRef):
                    self.reads_value(part)
        outputs = self.body.get("outputs", {})
        if self.colliding_outputs(list(outputs)):
            return None
        return inline_op(self.id, self.body["image"], command, argv, outputs)

    def colliding_outputs(self, names: list[str]) -> bool:
        """Two outputs that would become one Argo output (``A``/``a``): a wrong value downstream."""
        for index, earlier, made in collisions(names):
            self.problem(["outputs", names[index]], f"output '{names[index]}' and output '{earlier}' both become "
                                                    f"{made}; rename one", key=True)
        return bool(collisions(names))

    # -- after / when / loop ----------------------------------------------------------------------

    def parse_after(self) -> None:
        after = self.body.get("after") or []  # '' names no task
        names = [after] if isinstance(after, str) else after
        for index, name in enumerate(names):
            where: list[PathKey] = ["after"] if isinstance(after, str) else ["after", index]
            if name not in self.context.siblings or name == self.id:
                self.problem(where, f"unknown task '{name}'{did_you_mean(name, self.context.siblings - {self.id})}")
            else:
                self.depend(name)

    def parse_when(self) -> str | None:
        text = self.body.get("when")
        if text is None:
            return None
        try:
            return compile_when(text, self.when_reference)
        except WhenError as exc:
            self.problem(["when"], f"in when {text!r}: {exc}")
            return None

    def when_reference(self, word: str) -> str:
        head, _, rest = word.partition(".")
        if head == "param":
            if rest not in self.params:
                raise WhenError(f"unknown param '{rest}'{did_you_mean(rest, self.params)}")
            return "{{workflow.parameters.%s}}" % rest
        if head == "output":
            ref = self.find_output(rest)
            if not isinstance(ref, OutputRef):
                raise WhenError(ref if ref is not None else f"unknown output {rest!r}")
            self.reads_value(ref)
            return "{{tasks.%s.outputs.parameters.%s}}" % (ref.task, argo_name(ref.output))
        hint = did_you_mean(head, ("param", "output")) if rest else ""
        raise WhenError(f"unknown reference {word!r}{hint}; use param.NAME, output.TASK or output.TASK.OUTPUT")

    def parse_loop(self) -> Loop | None:
        body = self.body.get("loop")
        if body is None:
            return None
        sources = [k for k in ("items", "param", "output") if k in body]
        if len(sources) != 1:
            self.problem(["loop"], "a loop needs exactly one of 'items', 'param' or 'output'")
            return None
        where = _non_finite(body["items"], ("loop", "items")) if "items" in body else None
        if where is not None:
            self.problem(where, "expected a JSON value: Argo passes loop items as JSON, which has no .nan or .inf "
                                "(quote it to pass the text)")
        param = self.loop_param(body["param"]) if "param" in body else None
        output = self.loop_output(body["output"]) if "output" in body else None
        return Loop(items=body.get("items"), param=param, output=output, parallelism=body.get("parallelism"))

    def loop_param(self, name: str) -> str | None:
        if self.ref_param(name, ["loop"]) is None:
            return None
        self.check_loop_param(self.params[name])
        return name

    def loop_output(self, text: str) -> OutputRef | None:
        ref = self.ref_output(text, ["loop"])
        if ref is None or not self.check_loop_output(ref):
            return None
        self.reads_value(ref)
        return ref

    def check_loop_param(self, param: PipelineParam) -> None:
        """Argo fails at run time on ``withParam`` that is not a JSON list; say so now."""
        why = _not_a_list_type(param.type)
        if why is None and param.default is not None and not _is_json_list(param.default):
            origin = "--param" if param.name in self.context.overridden else "its default"
            why = f"{origin} {param.default!r} is not a JSON list"
        if why:
            self.problem(["loop", "param"], f"cannot loop over param '{param.name}': {why}")

    def check_loop_output(self, ref: OutputRef) -> bool:
        why = _not_a_list_type(self.context.outputs[ref.task].get(ref.output))
        if why:
            self.problem(["loop", "output"], f"cannot loop over output '{ref.task}.{ref.output}': {why}")
        return why is None

    # -- env / mounts ----------------------------------------------------------------------------------

    def env(self) -> dict[str, EnvValue]:
        """The pipeline-wide env with the task's own on top."""
        merged = dict(self.context.env)
        own = self.body.get("env", {})
        if own:
            where = (self.context.group, self.id, "env")
            merged.update(read_env(own, where, self.params, self.found.findings))
        return merged

    def mounts(self) -> dict[str, str]:
        volumes = self.context.volumes
        mounts = self.body.get("mounts", {})
        for path, volume in mounts.items():
            if volume not in volumes:
                self.problem(["mounts", path], f"unknown volume '{volume}'{did_you_mean(volume, volumes)}; "
                                               f"declared volumes: {one_of(list(volumes))}")
        return mounts


def resource_findings(where: tuple[PathKey, ...], resources: ResourcesYaml | None) -> list[Finding]:
    """Kubernetes rejects a malformed quantity only when the pod is created; catch it here."""
    found = []
    for key in ("cpu", "memory"):
        value = None if resources is None else resources.get(key)
        if value is not None and not is_quantity(value):
            found.append(Finding(where + (key,), f"{value!r} is not a Kubernetes quantity; expected e.g. "
                                 + ("'500m', '2' or 1.5" if key == "cpu" else "'512Mi', '1Gi' or '1G'")))
    return found


def read_env(env: Mapping[str, object], where: tuple[PathKey, ...], params: Mapping[str, PipelineParam],
             findings: list[Finding]) -> dict[str, EnvValue]:
    """``env`` as the values Argo gets; its problems are added to ``findings``."""
    return {name: _env_value(raw, where + (name,), params, findings) for name, raw in env.items()}


def _env_value(raw: object, where: tuple[PathKey, ...], params: Mapping[str, PipelineParam],
               findings: list[Finding]) -> EnvValue:
    if isinstance(raw, dict) and "secret" in raw:
        return SecretRef(raw["secret"], raw["key"])
    if isinstance(raw, dict) and "param" in raw:
        if raw["param"] not in params:
            findings.append(Finding(where + ("param",), f"unknown param '{raw['param']}'"
                                                        f"{did_you_mean(str(raw['param']), params)}"))
        return "{{workflow.parameters.%s}}" % raw["param"]
    if isinstance(raw, dict):
        findings.append(Finding(where, "env values may be constants, {secret, key} or {param}"))
        return ""
    return serialize(raw)


def _named_output(task_id: str, output: str, outputs: Mapping[str, KfpType]) -> OutputRef | str:
    """``task_id.output`` if the task has it (an omitted name means its only output), else why not."""
    if not outputs:
        return f"task '{task_id}' has no outputs"
    if not output:
        if len(outputs) == 1:
            return OutputRef(task_id, next(iter(outputs)))
        return (f"task '{task_id}' has {len(outputs)} outputs "
                f"({one_of(list(outputs))}); name one as '{task_id}.OUTPUT'")
    if output not in outputs:
        return (f"task '{task_id}' has no output '{output}'"
                f"{did_you_mean(output, outputs)}; it has {one_of(list(outputs))}")
    return OutputRef(task_id, output)


def _misspelt_reference(raw: object) -> str | None:
    """The key of ``{parm: a}``, a typo rather than a JSON constant: one key close to a reference
    word, naming something (a string or null), where a real mapping constant would hold data."""
    if not (isinstance(raw, dict) and len(raw) == 1):
        return None
    key, target = next(iter(raw.items()))
    if isinstance(target, (str, type(None))) and did_you_mean(str(key), _REFERENCES):
        return str(key)
    return None


def _not_a_list_type(kfp_type: KfpType) -> str | None:
    if type_name(kfp_type) in _NOT_LISTS:
        return f"it has type {kfp_type}, but a loop needs a JSON list (type JsonArray, or untyped)"
    return None


def _is_json_list(value: object) -> bool:
    if isinstance(value, (list, tuple)):
        return True
    try:
        return isinstance(json.loads(str(value)), list)
    except ValueError:
        return False


def _read_retries(raw: int | float | RetriesYaml | None) -> Retries | None:
    if raw is None:
        return None
    if isinstance(raw, (int, float)):  # JSON Schema's integer admits 2.0: it means 2
        return Retries(int(raw))
    return Retries(int(raw["limit"]), raw.get("policy"), raw.get("backoff"))


def _read_resources(raw: ResourcesYaml | None) -> Resources | None:
    if not raw:  # absent or empty: no limits
        return None
    return Resources(raw.get("cpu"), raw.get("memory"), raw.get("gpu"), raw.get("gpuVendor"))


def _kind_of(value: object) -> str:
    kinds = {dict: "a mapping", list: "a list", bool: "a boolean", int: "an integer", float: "a number"}
    return "null" if value is None else kinds.get(type(value), type(value).__name__)


def _non_finite(value: object, where: tuple[PathKey, ...]) -> tuple[PathKey, ...] | None:
    """The path of the first NaN or infinity in a loop's items (JSON, hence Argo, has neither)."""
    if isinstance(value, float) and not math.isfinite(value):
        return where
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        found = _non_finite(child, (*where, key))
        if found is not None:
            return found
    return None
