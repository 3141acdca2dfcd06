"""Pipeline YAML -> a validated DAG of ops.

``load_pipeline(path, loader=...)`` reads the file, checks it against
``schemas/pipeline.schema.json``, resolves every component, builds one op per task and checks
what a schema cannot: references to params, tasks and outputs, KFP types, ``after``,
``when``, loops, volumes, cycles.  Every problem of the file is collected and raised at once
as a ``PipelineError``, each with ``file:line:col`` and the field path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from registry.cycles import find_cycle
from registry.errors import CregError, Problem, UsageError, did_you_mean, one_of
from registry.pipeline.graphs import Loop, Task, build_op
from registry.pipeline.components import Loader, registry_loader
from registry.index.lockfile import is_component_path
from registry.pipeline.kfptypes import constant_fits, serialize, type_name
from registry.pipeline.names import argo_name
from registry.pipeline.ops import (ComponentInfo, Const, FileRef, ItemRef, Op, OpRequest, OutputRef, ParamRef, Value,
                                   check_names, inline_op, make_op)
from registry.pipeline.units import is_quantity, seconds
from registry.component.model import ComponentSpec
from registry.pipeline.schema import schema_problems
from registry.pipeline.when import WhenError, compile_when
from registry.yamlio import Document, PathKey
from registry.yamlio import load_mapping


class PipelineError(CregError):
    """A pipeline file has problems; ``problems`` lists all of them."""


class ParamUsageError(PipelineError, UsageError):
    """Only ``--param`` values are wrong: a usage error (exit 2), not an invalid file."""


@dataclass(frozen=True)
class Param:
    name: str
    type: Any
    default: Any
    description: str | None


@dataclass
class Pipeline:
    name: str
    description: str | None
    source: str
    params: dict[str, Param]
    volumes: dict[str, dict[str, Any]]
    artifact_repository: dict[str, Any] | None
    service_account: str | None
    timeout: int | None
    schedule: dict[str, Any] | None
    tasks: dict[str, Task]
    exit_tasks: dict[str, Task]
    value_outputs: set[tuple[str, str]] = field(default_factory=set)  # outputs read as values


# -- loading ---------------------------------------------------------------------------------

def load_pipeline(path: str | Path, loader: Loader | None = None,
                  overrides: Mapping[str, str] | None = None) -> Pipeline:
    """Read, validate and resolve a pipeline file; raise ``PipelineError`` with every problem."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PipelineError.at(str(path), 0, 0, "", f"cannot read: {exc.strerror}") from None
    doc = load_mapping(raw, str(path), positions=False)
    return _Builder(doc, path, loader, dict(overrides or {})).build()


class _Builder:
    """Turns one parsed document into a ``Pipeline``, collecting problems as it goes."""

    def __init__(self, doc: Document, path: Path, loader: Loader | None,
                 overrides: dict[str, str]) -> None:
        self.doc = doc
        self.data = doc.data
        self.path = path
        self.loader = loader
        self.overrides = overrides
        self.problems: list[Problem] = []
        self.specs: dict[str, tuple[ComponentSpec, ComponentInfo] | None] = {}
        self.components: dict[str, tuple[ComponentSpec, ComponentInfo] | None] = {}
        self.outputs: dict[str, dict[str, Any]] = {}  # task -> output name -> type
        self.value_outputs: set[tuple[str, str]] = set()

    def problem(self, path: Sequence[PathKey], message: str, key: bool = False) -> None:
        located = self.located()
        self.problems.append(located.positions.problem(located.data, list(path), message, key))

    def located(self) -> Document:
        """The document with positions, re-read on the first problem (loading skips them)."""
        if not self.doc.positions.marks:
            self.doc = load_mapping(self.doc.text, str(self.path))
        return self.doc

    def fail_if_problems(self) -> None:
        if self.problems and all(p.path.startswith("--param") for p in self.problems):
            raise ParamUsageError(problems=self.problems)  # the file is fine; the command line is not
        if self.problems:
            raise PipelineError(problems=self.problems)

    def build(self) -> Pipeline:
        if "implementation" in self.data and "tasks" not in self.data:
            # a component.yaml given where a pipeline belongs: one clear problem, not a screenful
            self.problem([], "this is a component spec (it has 'implementation'), not a pipeline; check "
                             "it with 'creg validate', or use it from a pipeline task as "
                             "'component: ./path/component.yaml'")
            self.fail_if_problems()
        self.problems.extend(schema_problems(self.doc, self.located))
        self.fail_if_problems()
        params = self.params()
        self.check_resources(["defaults", "resources"], (self.data.get("defaults") or {}).get("resources"))
        groups = {"tasks": self.data["tasks"], "finally": self.data.get("finally") or {}}
        self.check_unique_ids(groups)
        for group, tasks in groups.items():
            for task_id, body in tasks.items():
                self.resolve_component(group, task_id, body)
        built = {group: self.tasks(group, tasks, params) for group, tasks in groups.items()}
        for group, tasks in built.items():
            self.check_cycles(group, tasks)
        self.fail_if_problems()
        return self.assemble(params, built)

    def assemble(self, params: dict[str, Param], built: dict[str, dict[str, Task]]) -> Pipeline:
        data = self.data
        timeout = data.get("timeout")
        return Pipeline(
            name=data["name"], description=data.get("description"), source=str(self.path),
            params=params, volumes=dict(data.get("volumes") or {}),
            artifact_repository=data.get("artifactRepository"),
            service_account=data.get("serviceAccount"),
            timeout=None if timeout is None else seconds(timeout),
            schedule=data.get("schedule"), tasks=built["tasks"], exit_tasks=built["finally"],
            value_outputs=self.value_outputs)

    # -- params ---------------------------------------------------------------------------

    def params(self) -> dict[str, Param]:
        out: dict[str, Param] = {}
        declared = self.data.get("params") or {}
        for name, body in declared.items():
            default = body.get("default")
            if name in self.overrides:
                default = self.overrides[name]
                self.check_override(name, default, body.get("type"))
            elif default is not None:
                why = constant_fits(default, body.get("type"))
                if why:
                    self.problem(["params", name, "default"], f"param '{name}': {why}")
            out[name] = Param(name, body.get("type"), default, body.get("description"))
        for name in self.overrides:
            if name not in declared:
                self.problems.append(Problem(str(self.path), 0, 0, "--param",
                                             f"unknown param '{name}'{did_you_mean(name, declared)}; "
                                             f"the pipeline declares {one_of(list(declared))}"))
        return out

    def check_override(self, name: str, value: str, kfp_type: Any) -> None:
        """A ``--param`` value comes from the command line, so say so rather than blame the file."""
        why = constant_fits(value, kfp_type)
        if why:
            self.problems.append(Problem(str(self.path), 0, 0, f"--param {name}={value}", f"param {name!r}: {why}"))

    def check_resources(self, where: list[PathKey], resources: Any) -> None:
        """Kubernetes rejects a malformed quantity only when the pod is created; catch it here."""
        for key in ("cpu", "memory"):
            value = (resources or {}).get(key)
            if value is not None and not is_quantity(value):
                self.problem(where + [key], f"{value!r} is not a Kubernetes quantity; expected e.g. "
                                            + ("'500m', '2' or 1.5" if key == "cpu" else "'512Mi', '1Gi' or '1G'"))

    def check_unique_ids(self, groups: dict[str, dict[str, Any]]) -> None:
        for task_id in groups["finally"]:
            if task_id in groups["tasks"]:
                self.problem(["finally", task_id], f"task id '{task_id}' is also used in 'tasks'",
                             key=True)

    # -- components ---------------------------------------------------------------------------

    def resolve_component(self, group: str, task_id: str, body: dict[str, Any]) -> None:
        where = [group, task_id]
        has_component, has_image = "component" in body, "image" in body
        if has_component == has_image:
            self.problem(where, "a task needs exactly one of 'component' (NAME@REF or a path) "
                                "or 'image' (an inline container)")
            self.specs[task_id] = None
            return
        if has_image:
            self.specs[task_id] = None
            self.outputs[task_id] = {name: None for name in body.get("outputs") or {}}
            return
        ref = body["component"]
        if ref not in self.components:  # each reference is loaded once, however many tasks use it
            self.components[ref] = self.load_component(where + ["component"], ref)
        loaded = self.specs[task_id] = self.components[ref]
        if loaded is not None:
            self.outputs[task_id] = {o.name: o.type for o in loaded[0].outputs}

    def load_component(self, where: list[PathKey], ref: str) -> tuple[ComponentSpec, ComponentInfo] | None:
        try:
            if is_component_path(ref):
                return self._load_file(ref)
            if "@" not in ref:
                self.problem(where, f"component reference {ref!r} must be NAME@REF "
                                    "(e.g. add@1.0.0) or a path such as ./add/component.yaml")
                return None
            return self._load_ref(ref)
        except CregError as exc:
            detail = "; ".join(p.format() for p in exc.problems) or str(exc)
            self.problem(where, f"cannot load component {ref!r}: {detail}")
            return None

    def load_component_ref(self, ref: Mapping[str, Any], report: Callable[[Sequence[PathKey], str], None]
                           ) -> tuple[ComponentSpec, ComponentInfo] | None:
        """A graph task's ``componentRef``: ``spec`` inline, or ``name`` + ``tag`` from a registry."""
        if "spec" in ref:
            return self._inline_spec(ref["spec"], report)
        if "name" in ref and "tag" in ref:
            text = f"{ref['name']}@{ref['tag']}"
            if text not in self.components:
                try:
                    self.components[text] = self._load_ref(text)
                except CregError as exc:
                    report([], f"cannot load component {text!r}: " + "; ".join(p.format() for p in exc.problems))
                    self.components[text] = None
            return self.components[text]
        report([], "creg resolves a componentRef given as 'spec' (inline) or 'name' + 'tag' "
                   "(a registry reference); publish url/digest-only components to a registry")
        return None

    def _inline_spec(self, spec: Any, report: Callable[[Sequence[PathKey], str], None]
                     ) -> tuple[ComponentSpec, ComponentInfo] | None:
        from registry.component.model import load_component_from_text, thaw
        from registry.yamlio import dump

        try:
            loaded = load_component_from_text(dump(thaw(spec)), f"{self.path}#inline")
        except CregError as exc:
            report(["spec"], "invalid inline component: " + "; ".join(p.message for p in exc.problems))
            return None
        return loaded, ComponentInfo(loaded.name or "inline", "inline", loaded.digest, "inline")

    def _load_file(self, ref: str) -> tuple[ComponentSpec, ComponentInfo]:
        from registry.component.model import load_component_from_file

        spec = load_component_from_file(self.path.parent / ref)
        version = str((spec.metadata.get("annotations") or {}).get("version", "local"))
        return spec, ComponentInfo(spec.name or Path(ref).parent.name, version, spec.digest, ref)

    def _load_ref(self, ref: str) -> tuple[ComponentSpec, ComponentInfo]:
        if self.loader is None:
            self.loader = _default_loader()
        result = self.loader(ref)
        spec: ComponentSpec = getattr(result, "spec", result)
        name, _, tag = ref.partition("@")
        version = str(getattr(result, "version", None) or tag)
        return spec, ComponentInfo(getattr(result, "name", name), version, spec.digest, ref)

    # -- tasks ----------------------------------------------------------------------------------

    def tasks(self, group: str, tasks: dict[str, Any], params: dict[str, Param]) -> dict[str, Task]:
        out: dict[str, Task] = {}
        siblings = set(tasks)
        for task_id, body in tasks.items():
            task = _TaskBuilder(self, group, task_id, body, params, siblings).build()
            if task is not None:
                out[task_id] = task
        return out

    def check_cycles(self, group: str, tasks: dict[str, Task]) -> None:
        cycle = find_cycle({t.id: t.depends for t in tasks.values()})
        if cycle:
            self.problem([group, cycle[0]], "tasks form a cycle: " + " -> ".join(cycle))


def _default_loader() -> Loader:
    """The configured registries, with default settings (the CLI passes its own loader)."""
    return registry_loader(None)


class _TaskBuilder:
    """Checks and builds one task; reports problems through the pipeline builder."""

    def __init__(self, owner: _Builder, group: str, task_id: str, body: dict[str, Any],
                 params: dict[str, Param], siblings: set[str]) -> None:
        self.owner = owner
        self.group = group
        self.id = task_id
        self.body = body
        self.params = params
        self.siblings = siblings
        self.depends: list[str] = []
        self.loop: Loop | None = None

    def problem(self, path: Sequence[PathKey], message: str, key: bool = False) -> None:
        self.owner.problem([self.group, self.id, *path], message, key)

    def depend(self, task_id: str) -> None:
        if task_id not in self.depends and task_id != self.id:
            self.depends.append(task_id)

    def build(self) -> Task | None:
        self.owner.check_resources([self.group, self.id, "resources"], self.body.get("resources"))
        self.loop = self.parse_loop()
        op = self.make_op()
        self.parse_after()
        when = self.parse_when()
        env, mounts = self.env(), self.mounts()
        if op is None:
            return None
        return Task(id=self.id, op=op, depends=self.depends, when=when, when_source=self.body.get("when"),
                    loop=self.loop, env=env, mounts=mounts, **self.settings())

    def settings(self) -> dict[str, Any]:
        """Retries, timeout, resources, node selector, tolerations: the task's, else the defaults'."""
        defaults = self.owner.data.get("defaults") or {}
        if not defaults and self.body.keys().isdisjoint(_SETTINGS):
            return {"resources": {}, "node_selector": {}, "tolerations": []}  # the usual case, quickly
        pick = {key: self.body.get(key, defaults.get(key)) for key in _SETTINGS}
        return {"retries": _retries(pick["retries"]),
                "timeout": None if pick["timeout"] is None else seconds(pick["timeout"]),
                "resources": dict(pick["resources"] or {}), "node_selector": dict(pick["nodeSelector"] or {}),
                "tolerations": list(pick["tolerations"] or [])}

    # -- values and references -------------------------------------------------------------

    def value(self, raw: Any, where: list[PathKey]) -> Value | None:
        if isinstance(raw, dict) and len(raw) == 1 and next(iter(raw)) in _REFERENCES:
            kind, target = next(iter(raw.items()))
            return getattr(self, "ref_" + kind)(target, where)
        if _misspelt_reference(raw):
            key = str(next(iter(raw)))
            self.problem(where + [key], f"unknown reference '{key}'{did_you_mean(key, _REFERENCES)}; "
                                        f"a reference is one of {one_of(list(_REFERENCES))}", key=True)
            return None
        return Const(raw)

    def ref_param(self, name: Any, where: list[PathKey]) -> Value | None:
        if name not in self.params:
            self.problem(where + ["param"], f"unknown param '{name}'{did_you_mean(str(name), self.params)}; "
                                            f"declared params: {one_of(list(self.params))}")
            return None
        return ParamRef(name)

    def ref_output(self, text: Any, where: list[PathKey]) -> Value | None:
        task_id, _, output = str(text).partition(".")
        if task_id == self.id:  # would compile to a task that waits for itself
            self.problem(where + ["output"], f"task '{task_id}' cannot read its own output; "
                                             "split it into two tasks")
            return None
        if task_id not in self.siblings:
            hint = did_you_mean(task_id, self.siblings)
            extra = " (finally tasks cannot read outputs of pipeline tasks)" if (
                self.group == "finally" and task_id in self.owner.data["tasks"]) else ""
            self.problem(where + ["output"], f"unknown task '{task_id}'{hint}{extra}")
            return None
        outputs = self.owner.outputs.get(task_id)
        if outputs is None:
            return None  # the producer itself failed to load; reported there
        output = self.output_name(task_id, output, outputs, where)
        if output is None:
            return None
        self.depend(task_id)
        return OutputRef(task_id, output)

    def output_name(self, task_id: str, output: str, outputs: dict[str, Any], where: list[PathKey]) -> str | None:
        """``output`` if the task has it; an omitted name means the task's only output."""
        if not outputs:
            self.problem(where + ["output"], f"task '{task_id}' has no outputs")
            return None
        if not output:
            if len(outputs) == 1:
                return next(iter(outputs))
            self.problem(where + ["output"], f"task '{task_id}' has {len(outputs)} outputs "
                         f"({one_of(list(outputs))}); name one as '{task_id}.OUTPUT'")
            return None
        if output not in outputs:
            self.problem(where + ["output"], f"task '{task_id}' has no output '{output}'"
                         f"{did_you_mean(output, outputs)}; it has {one_of(list(outputs))}")
            return None
        return output

    def ref_file(self, text: Any, where: list[PathKey]) -> Value | None:
        if "image" not in self.body:
            self.problem(where + ["file"], "{file: ...} is for inline containers; a component "
                                           "input declared with inputPath already receives a file")
            return None
        ref = self.ref_output(text, where)
        return FileRef(ref) if isinstance(ref, OutputRef) else None

    def ref_item(self, field_name: Any, where: list[PathKey]) -> Value | None:
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

    def type_of(self, value: Value) -> Any:
        if isinstance(value, ParamRef):
            return self.params[value.name].type
        if isinstance(value, OutputRef):
            return self.owner.outputs[value.task].get(value.output)
        return None

    # -- op -------------------------------------------------------------------------------------

    def make_op(self) -> Op | None:
        if "image" in self.body:
            return self.inline()
        request = self.op_request()
        if request is None:
            return None
        if request.spec.graph is not None:
            op = build_op(request, self.problem, self.owner.load_component_ref)
        else:
            op = make_op(request, self.problem)
        if op is not None:
            self.mark_values(op)
        return op

    def op_request(self) -> OpRequest | None:
        """The task's component and its resolved arguments, or None after reporting why not."""
        loaded = self.owner.specs.get(self.id)
        args = self.body.get("args") or {}
        if not isinstance(args, dict):
            self.problem(["args"], "a component task's 'args' must be a mapping of input name -> value")
            return None
        values = {name: self.value(raw, ["args", name]) for name, raw in args.items()}
        if loaded is None:
            return None
        spec, info = loaded
        if any(v is None for v in values.values()):
            check_names(spec, info, list(values), self.problem)  # still name unknown/missing inputs
            return None
        return OpRequest(self.id, spec, info, values, self.type_of)  # type: ignore[arg-type]

    def mark_values(self, op: Op) -> None:
        """Outputs consumed through inputValue must also be emitted as Argo parameters."""
        for value in op.parameters.values():
            if isinstance(value, OutputRef):
                self.owner.value_outputs.add((value.task, value.output))

    def inline(self) -> Op | None:
        command = self.body.get("command") or []
        args = self.body.get("args") or []
        if not isinstance(args, list):
            self.problem(["args"], "an inline container's 'args' must be a list")
            return None
        parts = [[self.value(raw, [key, i]) for i, raw in enumerate(items)]
                 for key, items in (("command", command), ("args", args))]
        if any(p is None for part in parts for p in part):
            return None
        for value in parts[0] + parts[1]:
            if isinstance(value, OutputRef):
                self.owner.value_outputs.add((value.task, value.output))
        return inline_op(self.id, self.body["image"], parts[0], parts[1],  # type: ignore[arg-type]
                         self.body.get("outputs") or {})

    # -- after / when / loop ----------------------------------------------------------------------

    def parse_after(self) -> None:
        after = self.body.get("after") or []
        names = [after] if isinstance(after, str) else after
        for index, name in enumerate(names):
            where = ["after"] if isinstance(after, str) else ["after", index]
            if name not in self.siblings or name == self.id:
                self.problem(where, f"unknown task '{name}'{did_you_mean(name, self.siblings - {self.id})}")
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
            ref = self._when_output(rest)
            self.owner.value_outputs.add((ref.task, ref.output))
            return "{{tasks.%s.outputs.parameters.%s}}" % (ref.task, argo_name(ref.output))
        hint = did_you_mean(head, ("param", "output")) if rest else ""
        raise WhenError(f"unknown reference {word!r}{hint}; use param.NAME, output.TASK or output.TASK.OUTPUT")

    def _when_output(self, text: str) -> OutputRef:
        problems_before = len(self.owner.problems)
        ref = self.ref_output(text, ["when"])
        if not isinstance(ref, OutputRef):
            reported = self.owner.problems[problems_before:]
            del self.owner.problems[problems_before:]
            raise WhenError(reported[0].message if reported else f"unknown output {text!r}")
        return ref

    def parse_loop(self) -> Loop | None:
        body = self.body.get("loop")
        if body is None:
            return None
        sources = [k for k in ("items", "param", "output") if k in body]
        if len(sources) != 1:
            self.problem(["loop"], "a loop needs exactly one of 'items', 'param' or 'output'")
            return None
        loop = Loop(items=body.get("items"), parallelism=body.get("parallelism"))
        if "param" in body and self.ref_param(body["param"], ["loop"]) is not None:
            loop.param = body["param"]
            self.check_loop_param(self.params[loop.param])
        if "output" in body:
            ref = self.ref_output(body["output"], ["loop"])
            if isinstance(ref, OutputRef) and self.check_loop_output(ref):
                loop.output = ref
                self.owner.value_outputs.add((ref.task, ref.output))
        return loop

    def check_loop_param(self, param: Param) -> None:
        """Argo fails at run time on ``withParam`` that is not a JSON list; say so now."""
        why = _not_a_list_type(param.type)
        if why is None and param.default is not None and not _is_json_list(param.default):
            origin = "--param" if param.name in self.owner.overrides else "its default"
            why = f"{origin} {param.default!r} is not a JSON list"
        if why:
            self.problem(["loop", "param"], f"cannot loop over param '{param.name}': {why}")

    def check_loop_output(self, ref: OutputRef) -> bool:
        why = _not_a_list_type(self.owner.outputs[ref.task].get(ref.output))
        if why:
            self.problem(["loop", "output"], f"cannot loop over output '{ref.task}.{ref.output}': {why}")
        return why is None

    # -- env / mounts ----------------------------------------------------------------------------------

    def env(self) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for where, env in ((["env"], self.owner.data.get("env") or {}), (None, self.body.get("env") or {})):
            for name, raw in env.items():
                merged[name] = self.env_value(raw, where or [self.group, self.id, "env"], name)
        return merged

    def report_env(self, where: list[PathKey], message: str) -> None:
        """Report once: the pipeline-wide env is read by every task."""
        problem = self.owner.located().positions.problem(self.owner.located().data, where, message)
        if problem not in self.owner.problems:
            self.owner.problems.append(problem)

    def env_value(self, raw: Any, where: list[PathKey], name: str) -> Any:
        if isinstance(raw, dict) and "secret" in raw:
            return {"secret": raw["secret"], "key": raw["key"]}
        if isinstance(raw, dict) and "param" in raw:
            if raw["param"] not in self.params:
                self.report_env(where + [name, "param"], f"unknown param '{raw['param']}'"
                                   f"{did_you_mean(str(raw['param']), self.params)}")
            return "{{workflow.parameters.%s}}" % raw["param"]
        if isinstance(raw, dict):
            self.report_env(where + [name], "env values may be constants, {secret, key} or {param}")
            return ""
        return serialize(raw)

    def mounts(self) -> dict[str, str]:
        volumes = self.owner.data.get("volumes") or {}
        mounts = dict(self.body.get("mounts") or {})
        for path, volume in mounts.items():
            if volume not in volumes:
                self.problem(["mounts", path], f"unknown volume '{volume}'{did_you_mean(volume, volumes)}; "
                                               f"declared volumes: {one_of(list(volumes))}")
        return mounts


_REFERENCES = ("param", "output", "item", "file")


def _misspelt_reference(raw: Any) -> bool:
    """``{parm: a}`` is a typo, not a JSON constant: one key close to a reference word, naming
    something (a string or null), where a real mapping constant would hold data."""
    if not (isinstance(raw, dict) and len(raw) == 1):
        return False
    key, target = next(iter(raw.items()))
    return isinstance(target, (str, type(None))) and bool(did_you_mean(str(key), _REFERENCES))


# Types that can never hold a JSON list; untyped, String and JsonArray values may.
_NOT_LISTS = {"integer", "float", "boolean", "jsonobject"}


def _not_a_list_type(kfp_type: Any) -> str | None:
    if type_name(kfp_type) in _NOT_LISTS:
        return f"it has type {kfp_type}, but a loop needs a JSON list (type JsonArray, or untyped)"
    return None


def _is_json_list(value: Any) -> bool:
    import json

    if isinstance(value, (list, tuple)):
        return True
    try:
        return isinstance(json.loads(str(value)), list)
    except ValueError:
        return False


_SETTINGS = ("retries", "timeout", "resources", "nodeSelector", "tolerations")


def _retries(raw: Any) -> dict[str, Any] | None:
    if raw is None:
        return None
    if isinstance(raw, int):
        return {"limit": raw}
    return dict(raw)


def param_value(param: Param) -> str | None:
    return None if param.default is None else serialize(param.default)
