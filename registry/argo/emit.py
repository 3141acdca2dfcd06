"""A pipeline -> Argo documents (``Workflow``, ``WorkflowTemplate``, ``CronWorkflow``) as data.

The skeletons are jinja2 templates under ``registry/argo/templates/``, rendered in a
sandbox with ``StrictUndefined``.  Every value reaches the text through the ``q`` filter,
which JSON-encodes it (a JSON value is a valid YAML flow value), and ``finalize`` refuses any
expression that skipped it, so no user string can change the structure of the output.  The
rendered text is parsed back with the safe loader and assembled as data.

Tasks that share a component configuration share one Argo template.  No I/O here and no
clock: the same pipeline gives the same bytes.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, cast

import yaml

from registry.argo.yamlemit import emit, json_text, yaml_json
from registry.pipeline.graphs import GraphOp
from registry.pipeline.kfptypes import serialize
from registry.pipeline.model import (ClaimTemplate, ConfigMapRepository, EnvValue, ExistingClaim, Pipeline, Resources,
                                     Retries, S3Repository, Schedule, SecretRef, Task, Volume)
from registry.component.naming import argo_name, input_path, slug
from registry.pipeline.ops import Const, InputRef, ItemRef, Op, OutputRef, ParamRef, Value

if TYPE_CHECKING:
    from jinja2 import BytecodeCache
    from jinja2.sandbox import ImmutableSandboxedEnvironment

ANNOTATION = "creg.dev/"
# The pipeline file may abbreviate a volume's access mode; Kubernetes wants it spelt out.
ACCESS_MODES = {"RWO": "ReadWriteOnce", "ROX": "ReadOnlyMany", "RWX": "ReadWriteMany"}
_YamlLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Data = dict[str, object]  # a plain-data part of an Argo document, as JSON would hold it


class Quoted(str):
    """Text produced by the ``q`` filter: safe to splice into the YAML skeleton."""


_JSON = json.JSONEncoder(ensure_ascii=True, allow_nan=False, separators=(", ", ": "))


def flow_value(value: object) -> Quoted:
    """Any plain value -> one JSON (hence YAML flow) value; NaN/inf and other types refused.

    Characters beyond U+FFFF leave JSON as surrogate pairs, which YAML refuses: ``yaml_json``
    rewrites them as YAML's own escapes.
    """
    return Quoted(yaml_json(_JSON.encode(value)))


def _key(name: str) -> Quoted:
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", name):
        raise ValueError(f"not a plain key: {name!r}")
    return Quoted(name)


def _finalize(value: object) -> object:
    if isinstance(value, Quoted) or value == "":  # "" is what an {% if %} without output gives
        return value
    raise TypeError(f"template value {value!r} was not passed through |q")


@functools.cache
def jinja_environment() -> ImmutableSandboxedEnvironment:
    """The sandbox that renders the skeletons, built once."""
    from jinja2 import PackageLoader, StrictUndefined  # lazy: start-up
    from jinja2.sandbox import ImmutableSandboxedEnvironment  # lazy: start-up

    env = ImmutableSandboxedEnvironment(
        loader=PackageLoader("registry.argo", "templates"), undefined=StrictUndefined,
        autoescape=False, finalize=_finalize, trim_blocks=False, keep_trailing_newline=True,
        optimized=False,  # the optimizer folds constants our skeletons lack; skipping it saves compile time
        bytecode_cache=_bytecode_cache())
    env.filters["q"] = flow_value
    env.filters["k"] = _key
    return env


def _bytecode_cache() -> BytecodeCache:
    """The skeletons compiled once per creg version and kept in the user's cache folder.

    Parsing and compiling the three skeletons was ~40 ms of every ``creg compile``.  jinja2
    keys each entry by the template's name and checks it against a checksum of the source, so
    an edited skeleton is compiled again: the .j2 files stay the one source of truth.  An
    unwritable or vanished cache folder only costs the time it would have saved.
    """
    from jinja2 import FileSystemBytecodeCache  # lazy: start-up
    from jinja2.bccache import Bucket

    from registry.sources.store import cache_root

    class _Cache(FileSystemBytecodeCache):
        """Never fails a compile: a cache folder that vanished or is read-only is skipped."""

        def load_bytecode(self, bucket: Bucket) -> None:
            try:
                super().load_bytecode(bucket)
            except OSError:
                pass

        def dump_bytecode(self, bucket: Bucket) -> None:
            try:
                Path(self.directory).mkdir(mode=0o700, parents=True, exist_ok=True)
                super().dump_bytecode(bucket)
            except OSError:
                pass

    return _Cache(str(cache_root() / "jinja"), "creg-skeleton-%s.cache")


def render_skeleton(template: str, **context: object) -> Data:
    """Render a skeleton and parse it back as data with a safe loader.

    ``*.json.j2`` skeletons render JSON, which is YAML too, and are read with ``json.loads``
    (plain data only, like the safe loader, and many times faster for a 10,000-row DAG).
    """
    text = jinja_environment().get_template(template).render(**context)
    if template.endswith(".json.j2"):
        return cast(Data, json.loads(json_text(text)))
    return cast(Data, yaml.load(text, Loader=_YamlLoader))


# -- values -------------------------------------------------------------------------------

def param_text(value: Value) -> str:
    """A task argument as the text of an Argo parameter value."""
    if isinstance(value, Const):
        return serialize(value.value)
    if isinstance(value, ParamRef):
        return "{{workflow.parameters.%s}}" % value.name
    if isinstance(value, OutputRef):
        return "{{tasks.%s.outputs.parameters.%s}}" % (value.task, argo_name(value.output))
    if isinstance(value, InputRef):
        return "{{inputs.parameters.%s}}" % argo_name(value.name)
    if isinstance(value, ItemRef):
        return "{{item}}" if value.field is None else "{{item.%s}}" % value.field
    raise TypeError(f"a file reference is not a parameter value: {value!r}")


def artifact_argument(name: str, value: Value) -> Data:
    if isinstance(value, OutputRef):
        source = "{{tasks.%s.outputs.artifacts.%s}}" % (value.task, argo_name(value.output))
        return {"name": argo_name(name), "from": source}
    if isinstance(value, InputRef):
        return {"name": argo_name(name), "from": "{{inputs.artifacts.%s}}" % argo_name(value.name)}
    return {"name": argo_name(name), "raw": {"data": param_text(value)}}


# -- container templates ----------------------------------------------------------------------

class _Templates:
    """Distinct component configurations -> named Argo templates, in first-use order."""

    def __init__(self, pipeline: Pipeline, reserved: set[str]) -> None:
        self.pipeline = pipeline
        self.by_key: dict[tuple[object, ...], str] = {}
        self.contexts: list[Data] = []
        self.graphs: list[Data] = []
        self.used = set(reserved)
        # Output parameters belong to the component, not the task: any task reading an output
        # as a value makes every template of that component emit it, so templates stay shared.
        owners = {task.id: component_key(task) for group in (pipeline.tasks, pipeline.exit_tasks)
                  for task in group.values()}
        self.value_outputs = {(owners.get(t, t), o) for t, o in pipeline.value_outputs}
        for group in (pipeline.tasks, pipeline.exit_tasks):
            for task in group.values():
                self.value_outputs |= _graph_value_outputs(task)

    def name_for(self, task: Task) -> str:
        key = self.template_key(task)
        found = self.by_key.get(key)
        if found is None:
            op = task.op
            found = self.fresh_name(slug(op.component.name if op.component.version != "inline" else task.id))
            self.by_key[key] = found
            if isinstance(op, GraphOp):
                self.graphs.append(self.graph_template(op, found))
            else:
                self.contexts.append(dict(self.context(task), name=found))
        return found

    def graph_template(self, op: GraphOp, name: str) -> Data:
        """A graph component: a DAG template of its inner tasks, inputs in, outputs out."""
        body = op.graph
        rows = [dag_task(inner, self.name_for(inner)) for inner in body.tasks.values()]
        outputs = {
            "parameters": [{"name": argo_name(n), "valueFrom": {"parameter": "{{tasks.%s.outputs.parameters.%s}}"
                                                                  % (r.task, argo_name(r.output))}}
                           for n, r in body.outputs.items()],
            "artifacts": [{"name": argo_name(n), "from": "{{tasks.%s.outputs.artifacts.%s}}"
                           % (r.task, argo_name(r.output))} for n, r in body.outputs.items()]}
        inputs = _input_declarations(op, paths=False) or None
        template = render_skeleton("dag.json.j2", name=name, inputs=inputs, parallelism=None, tasks=rows)
        template["metadata"] = {"annotations": component_annotations(op)}
        if body.outputs:
            template["outputs"] = outputs
        return {k: template[k] for k in ("name", "metadata", "inputs", "outputs", "dag") if k in template}

    def template_key(self, task: Task) -> tuple[object, ...]:
        """What makes two tasks' templates identical: the op's container and the task settings.

        Cheap on purpose (the command tuples are shared between ops of one configuration); the
        settings, usually empty, are compared as JSON.
        """
        op, settings = task.op, task.settings
        custom = (task.env, task.mounts, settings.resources, settings.retries, settings.timeout,
                  settings.node_selector, settings.tolerations)
        return (component_key(task), op.component.ref, op.image, op.command, op.args,
                tuple(op.param_defaults.items()), tuple(op.artifact_defaults.items()),
                tuple(op.outputs.items()),
                json.dumps(custom, sort_keys=True, default=_set_record_fields) if any(custom) else "")

    def fresh_name(self, base: str) -> str:
        name, counter = base, 2
        while name in self.used:
            name = f"{base[:58]}-{counter}"
            counter += 1
        self.used.add(name)
        return name

    def context(self, task: Task) -> Data:
        """What ``container.yaml.j2`` needs; optional fields as the (key, value) pairs that are set."""
        op, settings = task.op, task.settings
        return {
            "annotations": component_annotations(op), "image": op.image,
            "io": _set_fields(inputs=_input_declarations(op), outputs=self.output_declarations(task)),
            "container": _set_fields(command=list(op.command), args=list(op.args), env=_env(task.env),
                                     resources=_resource_limits(settings.resources),
                                     volumeMounts=[{"name": v, "mountPath": p} for p, v in task.mounts.items()]),
            "settings": _set_fields(retryStrategy=_retry_strategy(settings.retries),
                                    activeDeadlineSeconds=settings.timeout, nodeSelector=settings.node_selector,
                                    tolerations=settings.tolerations)}

    def parameter_outputs(self, task: Task) -> list[str]:
        """Argo names of the outputs ``task``'s template hands out as parameters."""
        if isinstance(task.op, GraphOp):
            return [argo_name(n) for n in task.op.graph.outputs]
        return [argo_name(n) for n in task.op.outputs if (component_key(task), n) in self.value_outputs]

    def output_declarations(self, task: Task) -> Data:
        op = task.op
        out: Data = {}
        params = [{"name": argo_name(n), "valueFrom": {"path": p}} for n, p in op.outputs.items()
                  if (component_key(task), n) in self.value_outputs]
        artifacts = [self.artifact(n, p) for n, p in op.outputs.items()]
        if params:
            out["parameters"] = params
        if artifacts:
            out["artifacts"] = artifacts
        return out

    def artifact(self, name: str, path: str) -> Data:
        repo = self.pipeline.artifact_repository
        artifact: Data = {"name": argo_name(name), "path": path}
        if isinstance(repo, S3Repository):
            artifact["s3"] = _s3(repo, argo_name(name))
        return artifact

    def render_all(self) -> list[Data]:
        return self.graphs + [render_skeleton("container.yaml.j2", **context) for context in self.contexts]


def _set_fields(**fields: object) -> list[tuple[str, object]]:
    """The fields that have a value (not None, empty or zero), in the order given."""
    return [(key, value) for key, value in fields.items() if value]


def _set_record_fields(record: object) -> Data:
    """A settings record as JSON for ``template_key``: the fields the file set."""
    if not dataclasses.is_dataclass(record):
        raise TypeError(f"not JSON data: {record!r}")
    values = ((f.name, getattr(record, f.name)) for f in dataclasses.fields(record))
    return {name: value for name, value in values if value is not None}


def component_key(task: Task) -> str:
    return task.op.component.digest or "inline:" + task.id


def component_annotations(op: Op) -> dict[str, str]:
    info = op.component
    out = {ANNOTATION + "component": info.name, ANNOTATION + "component-version": info.version}
    if info.digest:
        out[ANNOTATION + "component-digest"] = info.digest
    out[ANNOTATION + "component-ref"] = info.ref
    return out


def _graph_value_outputs(task: Task) -> set[tuple[str, str]]:
    """(component, output) pairs that tasks inside a graph component (at any depth) read as values."""
    if not isinstance(task.op, GraphOp):
        return set()
    body = task.op.graph
    found = {(component_key(t), o) for t in body.tasks.values() for i, o in body.value_outputs if i == t.id}
    for inner in body.tasks.values():
        found |= _graph_value_outputs(inner)
    return found


def _input_declarations(op: Op, paths: bool = True) -> Data:
    out: Data = {}
    params = [_with_default({"name": argo_name(n)}, "default", d) for n, d in op.param_defaults.items()]
    artifacts = [_raw_default({"name": argo_name(n), **({"path": input_path(n)} if paths else {})}, d)
                 for n, d in op.artifact_defaults.items()]
    if params:
        out["parameters"] = params
    if artifacts:
        out["artifacts"] = artifacts
    return out


def _with_default(item: Data, key: str, value: str | None) -> Data:
    if value is not None:
        item[key] = value
    return item


def _raw_default(item: Data, value: str | None) -> Data:
    if value is not None:
        item["raw"] = {"data": value}
    return item


def _env(env: Mapping[str, EnvValue]) -> list[Data]:
    out: list[Data] = []
    for name, value in env.items():
        if isinstance(value, SecretRef):
            ref = {"secretKeyRef": {"name": value.secret, "key": value.key}}
            out.append({"name": name, "valueFrom": ref})
        else:
            out.append({"name": name, "value": value})
    return out


def _resource_limits(resources: Resources | None) -> Data:
    if resources is None:
        return {}
    limits = {key: str(value) for key, value in (("cpu", resources.cpu), ("memory", resources.memory))
              if value is not None}
    if resources.gpu:
        vendor = "nvidia.com" if resources.gpu_vendor is None else resources.gpu_vendor
        limits[vendor + "/gpu"] = str(resources.gpu)
    return {"limits": limits} if limits else {}


def _retry_strategy(retries: Retries | None) -> Data | None:
    if retries is None:
        return None
    out: Data = {"limit": str(retries.limit)}
    if retries.policy is not None:
        out["retryPolicy"] = retries.policy
    if retries.backoff:
        out["backoff"] = {k: str(v) for k, v in retries.backoff.items()}
    return out


def _s3(repo: S3Repository, name: str) -> Data:
    out: Data = {"endpoint": repo.endpoint, "bucket": repo.bucket}
    for key, value in (("region", repo.region), ("insecure", repo.insecure)):
        if value is not None:
            out[key] = value
    prefix = repo.key_prefix.strip("/") + "/" if repo.key_prefix.strip("/") else ""  # 'runs' is a folder
    out["key"] = f"{prefix}{{{{workflow.name}}}}/{{{{pod.name}}}}/{name}.tgz"
    for theirs, secret in (("accessKeySecret", repo.access_key), ("secretKeySecret", repo.secret_key)):
        if secret is not None:
            out[theirs] = {"name": secret.secret, "key": secret.key}
    return out


# -- DAGs -----------------------------------------------------------------------------------

def dag_task(task: Task, template: str) -> Data:
    """One DAG row with Argo's key names, in Argo's order; empty settings are left out."""
    out: Data = {"name": task.id, "template": template}
    depends = " && ".join(task.depends)
    if depends:  # ``_put``, written out: this runs once per task
        out["depends"] = depends
    if task.when:
        out["when"] = task.when
    arguments = task_arguments(task.op)
    if arguments:
        out["arguments"] = arguments
    loop = task.loop
    if loop is not None and loop.items is not None:
        _put(out, "withItems", loop.items)
    elif loop is not None and loop.param:
        out["withParam"] = "{{workflow.parameters.%s}}" % loop.param
    elif loop is not None and loop.output is not None:
        out["withParam"] = "{{tasks.%s.outputs.parameters.%s}}" % (loop.output.task, argo_name(loop.output.output))
    return out


def _put(row: Data, key: str, value: object) -> None:
    if value:
        row[key] = value


def task_arguments(op: Op) -> Data:
    out: Data = {}
    if op.parameters:
        out["parameters"] = [{"name": argo_name(n), "value": param_text(v)} for n, v in op.parameters.items()]
    if op.artifacts:
        out["artifacts"] = [artifact_argument(n, v) for n, v in op.artifacts.items()]
    return out


def _dag(name: str, tasks: dict[str, Task], templates: _Templates) -> list[Data]:
    """The DAG template for a group of tasks, plus loop wrappers (for parallelism limits)."""
    rows, wrappers = [], []
    for task in tasks.values():
        row = dag_task(task, templates.name_for(task))
        if task.loop is not None and task.loop.parallelism:
            row, wrapper = _loop_wrapper(task, task.loop.parallelism, row, templates)
            wrappers.append(wrapper)
        rows.append(row)
    return [render_skeleton("dag.json.j2", name=name, inputs=None, parallelism=None, tasks=rows), *wrappers]


_TASK_REF = re.compile(r"\{\{tasks\.([a-z0-9-]+)\.outputs\.(parameters|artifacts)\.([^}]+)\}\}")


def _loop_wrapper(task: Task, parallelism: int, row: Data, templates: _Templates) -> tuple[Data, Data]:
    """Argo limits parallelism per template: the loop runs inside a wrapper DAG that has it.

    Task outputs the loop reads are handed to the wrapper as its own inputs, since a nested
    DAG cannot see the outer DAG's tasks.
    """
    inner, params, artifacts = _as_wrapper_inputs({k: v for k, v in row.items() if k not in ("depends", "when")})
    wrapper_name = templates.fresh_name(slug(task.id + "-loop"))
    outer: Data = {"name": task.id, "template": wrapper_name}
    for key in ("depends", "when"):
        _put(outer, key, row.get(key))
    _put(outer, "arguments", _wrapper_arguments(params, artifacts))
    inputs = {k: [{"name": n} for n in v] for k, v in (("parameters", params), ("artifacts", artifacts)) if v}
    wrapper = render_skeleton("dag.json.j2", name=wrapper_name, inputs=inputs, parallelism=parallelism, tasks=[inner])
    # Hand the loop's (aggregated) output parameters out, or later tasks could not read them.
    outputs = [{"name": n, "valueFrom": {"parameter": "{{tasks.%s.outputs.parameters.%s}}" % (inner["name"], n)}}
               for n in templates.parameter_outputs(task)]
    if outputs:
        wrapper = {"name": wrapper["name"], "inputs": wrapper.get("inputs"), "outputs": {"parameters": outputs},
                   "parallelism": wrapper["parallelism"], "dag": wrapper["dag"]}
        wrapper = {k: v for k, v in wrapper.items() if v is not None}
    return outer, wrapper


def _as_wrapper_inputs(row: Data) -> tuple[Data, dict[str, str], dict[str, str]]:
    """``row`` with each task output reference swapped for a wrapper input, and those inputs
    (name -> the original reference), parameters and artifacts apart."""
    found: dict[str, dict[str, str]] = {"parameters": {}, "artifacts": {}}

    def swap(match: re.Match[str]) -> str:
        name = f"{match.group(1)}-{match.group(3)}"
        found[match.group(2)][name] = match.group(0)
        return "{{inputs.%s.%s}}" % (match.group(2), name)

    inner = json.loads(_TASK_REF.sub(swap, json.dumps(row)))
    return inner, found["parameters"], found["artifacts"]


def _wrapper_arguments(params: dict[str, str], artifacts: dict[str, str]) -> Data:
    out: Data = {}
    if params:
        out["parameters"] = [{"name": n, "value": v} for n, v in params.items()]
    if artifacts:
        out["artifacts"] = [{"name": n, "from": v} for n, v in artifacts.items()]
    return out


# -- documents --------------------------------------------------------------------------------

def build_workflow(pipeline: Pipeline, kind: str = "Workflow") -> Data:
    """The Argo document for a pipeline: a CronWorkflow when it has a schedule."""
    entry = slug(pipeline.name)
    exit_name = slug(pipeline.name + "-finally") if pipeline.exit_tasks else None
    templates = _Templates(pipeline, {entry} | ({exit_name} if exit_name else set()))
    dags = _dag(entry, pipeline.tasks, templates)
    if exit_name:
        dags += _dag(exit_name, pipeline.exit_tasks, templates)
    doc, body = _document(pipeline, kind, workflow_spec(pipeline, entry, exit_name))
    body["templates"] = dags + templates.render_all()
    return doc


def _document(pipeline: Pipeline, kind: str, spec: Data) -> tuple[Data, Data]:
    """The document around the templates, and the part of it that holds them.

    The templates join it after rendering: passing them through the skeleton would encode and
    parse them once more.
    """
    schedule = pipeline.schedule if kind == "Workflow" else None  # compile_document refuses the rest
    document_kind = "CronWorkflow" if schedule is not None else kind
    fields = _cron_fields(schedule, spec) if schedule is not None else list(spec.items())
    doc = render_skeleton("workflow.yaml.j2", kind=document_kind, annotations=_workflow_annotations(pipeline),
                          name_key="generateName" if document_kind == "Workflow" else "name",
                          name=pipeline.name + "-" if document_kind == "Workflow" else pipeline.name, spec=fields)
    body = cast(Data, doc["spec"])
    return doc, cast(Data, body["workflowSpec"]) if schedule is not None else body


def _cron_fields(schedule: Schedule, spec: Data) -> list[tuple[str, object]]:
    """A CronWorkflow's spec: the schedule, Argo's default concurrency policy made explicit."""
    fields: list[tuple[str, object]] = [("schedules", [schedule.cron])]
    if schedule.timezone is not None:
        fields.append(("timezone", schedule.timezone))
    policy = schedule.concurrency_policy
    fields.append(("concurrencyPolicy", "Allow" if policy is None else policy))
    optional = (("suspend", schedule.suspend), ("startingDeadlineSeconds", schedule.starting_deadline_seconds),
                ("successfulJobsHistoryLimit", schedule.successful_jobs_history_limit),
                ("failedJobsHistoryLimit", schedule.failed_jobs_history_limit))
    fields += [(key, value) for key, value in optional if value is not None]
    return fields + [("workflowSpec", spec)]


def _workflow_annotations(pipeline: Pipeline) -> dict[str, str]:
    out = {ANNOTATION + "pipeline": pipeline.name}
    if pipeline.description:
        out["workflows.argoproj.io/description"] = pipeline.description
    return out


def workflow_spec(pipeline: Pipeline, entry: str, exit_name: str | None) -> Data:
    """Everything of the spec except ``templates``, in reading order."""
    spec: Data = {"entrypoint": entry}
    if exit_name:
        spec["onExit"] = exit_name
    if pipeline.params:
        spec["arguments"] = {"parameters": [_with_default({"name": p.name}, "value", p.default_text())
                                            for p in pipeline.params.values()]}
    if pipeline.service_account:
        spec["serviceAccountName"] = pipeline.service_account
    if pipeline.timeout:
        spec["activeDeadlineSeconds"] = pipeline.timeout
    _add_volumes(spec, pipeline.volumes)
    repo = pipeline.artifact_repository
    if isinstance(repo, ConfigMapRepository):
        spec["artifactRepositoryRef"] = _with_default({"configMap": repo.config_map}, "key", repo.key)
    return spec


def _add_volumes(spec: Data, volumes: Mapping[str, Volume]) -> None:
    claims = [_claim_template(name, v) for name, v in volumes.items() if isinstance(v, ClaimTemplate)]
    existing = [{"name": name, "persistentVolumeClaim": _existing_claim(v)}
                for name, v in volumes.items() if isinstance(v, ExistingClaim)]
    if claims:
        spec["volumeClaimTemplates"] = claims
    if existing:
        spec["volumes"] = existing


def _existing_claim(volume: ExistingClaim) -> Data:
    claim: Data = {"claimName": volume.claim}
    if volume.read_only is not None:
        claim["readOnly"] = volume.read_only
    return claim


def _claim_template(name: str, volume: ClaimTemplate) -> Data:
    spec: Data = {"accessModes": [ACCESS_MODES.get(volume.access_mode, volume.access_mode)],
                  "resources": {"requests": {"storage": volume.size}}}
    if volume.storage_class is not None:
        spec["storageClassName"] = volume.storage_class
    return {"metadata": {"name": name}, "spec": spec}


# -- text --------------------------------------------------------------------------------------

def to_yaml(doc: Data) -> str:
    """Deterministic, readable YAML: block style, short collections inline, scripts as blocks."""
    return emit(doc)
