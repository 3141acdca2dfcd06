"""Pipeline YAML -> a validated DAG of ops.

``load_pipeline(path, loader=...)`` reads the file, checks it against
``schemas/pipeline.schema.json``, resolves every component, builds one op per task and checks
what a schema cannot: references to params, tasks and outputs, KFP types, ``after``,
``when``, loops, volumes, cycles.  Every problem of the file is collected and raised at once
as a ``PipelineError``, each with ``file:line:col`` and the field path.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, cast

from registry.cycles import find_cycle
from registry.errors import ArgumentError, CregError, Problem, YamlError, did_you_mean, mention, one_of
from registry.pipeline.components import Loader, PipelineComponents
from registry.pipeline.kfptypes import KfpType, constant_fits
from registry.pipeline.model import (ArtifactRepository, ClaimTemplate, ConfigMapRepository, ExistingClaim,
                                     Pipeline, PipelineParam, S3Repository, Schedule, SecretRef, Task, Volume)
from registry.pipeline.ops import TaskComponent
from registry.pipeline.schema import schema_problems
from registry.pipeline.tasks import Finding, TaskBuilder, TaskContext, read_env, resource_findings
from registry.pipeline.units import seconds
from registry.yamlio import Document, PathKey, load_mapping, read_limited

if TYPE_CHECKING:  # types only: defining the TypedDicts costs ~2.5 ms of every compile
    from registry.pipeline.fileformat import (ParamYaml, PipelineYaml, RepositoryYaml, ScheduleYaml, SecretYaml,
                                              TaskYaml, VolumeYaml)


class PipelineError(CregError):
    """A pipeline file has problems; ``problems`` lists all of them."""


class ParamUsageError(PipelineError, ArgumentError):
    """Only the ``overrides`` are wrong: the caller's mistake (the CLI's exit 2), not the file's.

    Its problems' paths mention the argument (the CLI writes ``--param`` there)."""

    def __init__(self, problems: list[Problem]) -> None:
        ArgumentError.__init__(self, "params", None, problems)


def load_pipeline(path: str | Path, loader: Loader | None = None,
                  overrides: Mapping[str, str] | None = None) -> Pipeline:
    """Read, validate and resolve a pipeline file; raise ``PipelineError`` with every problem."""
    path = Path(path)
    try:
        raw = read_limited(path)  # a device, a FIFO or a huge file is refused before reading
    except YamlError as exc:
        raise PipelineError(problems=exc.problems) from None
    return load_pipeline_text(raw, path, loader, overrides)


def load_pipeline_text(text: str | bytes, path: str | Path, loader: Loader | None = None,
                       overrides: Mapping[str, str] | None = None) -> Pipeline:
    """``load_pipeline`` for text already in memory; ``path`` names it in problems, and
    component paths are relative to its folder (as if the text were that file)."""
    doc = load_mapping(text, str(path), positions=False)
    return _Builder(doc, Path(path), loader, dict(overrides or {})).build()


class _Builder:
    """Turns one parsed document into a ``Pipeline``, collecting problems as it goes."""

    def __init__(self, doc: Document, path: Path, loader: Loader | None,
                 overrides: dict[str, str]) -> None:
        self.doc = doc
        self.path = path
        self.overrides = overrides
        self.problems: list[Problem] = []
        self.components = PipelineComponents(path, loader)
        self.value_outputs: set[tuple[str, str]] = set()

    def problem(self, path: Sequence[PathKey], message: str, key: bool = False) -> None:
        located = self.located()
        self.problems.append(located.positions.problem(located.data, list(path), message, key))

    def report_findings(self, findings: Iterable[Finding]) -> None:
        for finding in findings:
            self.problem(finding.path, finding.message, finding.key)

    def located(self) -> Document:
        """The document with positions, re-read on the first problem (loading skips them)."""
        if not self.doc.positions.marks:
            self.doc = load_mapping(self.doc.text, str(self.path))
        return self.doc

    def fail_if_problems(self) -> None:
        if self.problems and all(p.path.startswith(mention("params")) for p in self.problems):
            raise ParamUsageError(problems=self.problems)  # the file is fine; the command line is not
        if self.problems:
            raise PipelineError(problems=self.problems)

    def build(self) -> Pipeline:
        checked = self.checked()
        params = self.params(checked.get("params", {}))
        defaults = checked.get("defaults", {})
        self.report_findings(resource_findings(("defaults", "resources"), defaults.get("resources")))
        groups = {"tasks": checked["tasks"], "finally": checked.get("finally", {})}
        self.check_unique_ids(groups)
        contexts = self.contexts(checked, params, groups)
        built = {group: self.tasks(contexts[group], tasks) for group, tasks in groups.items()}
        for group, tasks in built.items():
            self.check_cycles(group, tasks)
        self.fail_if_problems()
        return _pipeline(checked, str(self.path), params, built, self.value_outputs)

    def checked(self) -> PipelineYaml:
        """The document, once the schema has passed it (else raise with its problems)."""
        data = self.doc.data
        if "implementation" in data and "tasks" not in data:
            # a component.yaml given where a pipeline belongs: one clear problem, not a screenful
            self.problem([], "this is a component spec (it has 'implementation'), not a pipeline; check "
                             "it with 'creg validate', or use it from a pipeline task as "
                             "'component: ./path/component.yaml'")
            self.fail_if_problems()
        self.problems.extend(schema_problems(self.doc, self.located))
        self.fail_if_problems()
        return cast("PipelineYaml", data)  # from here on the schema vouches for its shape

    # -- params ---------------------------------------------------------------------------

    def params(self, declared: dict[str, ParamYaml]) -> dict[str, PipelineParam]:
        out: dict[str, PipelineParam] = {}
        for name, body in declared.items():
            default = body.get("default")
            if name in self.overrides:
                default = self.overrides[name]
                self.check_override(name, self.overrides[name], body.get("type"))
            elif default is not None:
                why = constant_fits(default, body.get("type"))
                if why:
                    self.problem(["params", name, "default"], f"param '{name}': {why}")
            out[name] = PipelineParam(name, body.get("type"), default, body.get("description"))
        self.check_unknown_overrides(declared)
        return out

    def check_unknown_overrides(self, declared: Mapping[str, ParamYaml]) -> None:
        for name in self.overrides:
            if name not in declared:
                self.problems.append(Problem(str(self.path), 0, 0, mention("params"),
                                             f"unknown param '{name}'{did_you_mean(name, declared)}; "
                                             f"the pipeline declares {one_of(list(declared))}"))

    def check_override(self, name: str, value: str, kfp_type: KfpType) -> None:
        """A ``--param`` value comes from the command line, so say so rather than blame the file."""
        why = constant_fits(value, kfp_type)
        if why:
            self.problems.append(Problem(str(self.path), 0, 0, f"{mention('params')} {name}={value}",
                                         f"param {name!r}: {why}"))

    def check_unique_ids(self, groups: Mapping[str, Mapping[str, TaskYaml]]) -> None:
        for task_id in groups["finally"]:
            if task_id in groups["tasks"]:
                self.problem(["finally", task_id], f"task id '{task_id}' is also used in 'tasks'",
                             key=True)

    # -- tasks ----------------------------------------------------------------------------------

    def contexts(self, checked: PipelineYaml, params: dict[str, PipelineParam],
                 groups: dict[str, dict[str, TaskYaml]]) -> dict[str, TaskContext]:
        """What the tasks of each group may read; every component is loaded first, so a task
        can read the outputs of any other."""
        components, outputs = self.task_components(groups)
        env_findings: list[Finding] = []
        env = read_env(checked.get("env", {}), ("env",), params, env_findings)
        self.report_findings(env_findings)
        return {group: TaskContext(
            group=group, siblings=frozenset(tasks), pipeline_tasks=checked["tasks"].keys(), params=params,
            overridden=self.overrides.keys(), components=components, outputs=outputs,
            defaults=checked.get("defaults", {}), env=env, volumes=tuple(checked.get("volumes", {})),
            load_ref=self.components.for_graph_task) for group, tasks in groups.items()}

    def task_components(self, groups: Mapping[str, Mapping[str, TaskYaml]]
                        ) -> tuple[dict[str, TaskComponent | None], dict[str, dict[str, KfpType]]]:
        """Each task's component (None: inline or failed to load), and each task's outputs."""
        components: dict[str, TaskComponent | None] = {}
        outputs: dict[str, dict[str, KfpType]] = {}
        for group, tasks in groups.items():
            for task_id, body in tasks.items():
                components[task_id] = loaded = self.task_component([group, task_id], body)
                if "image" in body and "component" not in body:
                    outputs[task_id] = {name: None for name in body.get("outputs", {})}
                elif loaded is not None:
                    outputs[task_id] = {o.name: o.type for o in loaded[0].outputs}
        return components, outputs

    def task_component(self, where: list[PathKey], body: TaskYaml) -> TaskComponent | None:
        if ("component" in body) == ("image" in body):
            self.problem(where, "a task needs exactly one of 'component' (NAME@REF or a path) "
                                "or 'image' (an inline container)")
            return None
        if "image" in body:
            return None
        return self.components.for_task(body["component"], lambda message: self.problem(where + ["component"], message))

    def tasks(self, context: TaskContext, tasks: Mapping[str, TaskYaml]) -> dict[str, Task]:
        out: dict[str, Task] = {}
        for task_id, body in tasks.items():
            built = TaskBuilder(context, task_id, body).build()
            self.report_findings(built.findings)
            self.value_outputs |= built.value_outputs
            if built.task is not None:
                out[task_id] = built.task
        return out

    def check_cycles(self, group: str, tasks: dict[str, Task]) -> None:
        cycle = find_cycle({t.id: t.depends for t in tasks.values()})
        if cycle:
            self.problem([group, cycle[0]], "tasks form a cycle: " + " -> ".join(cycle))


# -- the pipeline's own settings --------------------------------------------------------------

def _pipeline(checked: PipelineYaml, source: str, params: dict[str, PipelineParam],
              built: dict[str, dict[str, Task]], value_outputs: set[tuple[str, str]]) -> Pipeline:
    timeout = checked.get("timeout")
    return Pipeline(
        name=checked["name"], description=checked.get("description"), source=source, params=params,
        volumes={name: _volume(body) for name, body in checked.get("volumes", {}).items()},
        artifact_repository=_repository(checked.get("artifactRepository")),
        service_account=checked.get("serviceAccount"),
        timeout=None if timeout is None else seconds(timeout),
        schedule=_schedule(checked.get("schedule")), tasks=built["tasks"], exit_tasks=built["finally"],
        value_outputs=value_outputs)


def _volume(body: VolumeYaml) -> Volume:
    if "size" in body:
        return ClaimTemplate(body["size"], body.get("accessMode", "RWO"), body.get("storageClass"))
    return ExistingClaim(body["claim"], body.get("readOnly"))


def _repository(body: RepositoryYaml | None) -> ArtifactRepository | None:
    if body is None:
        return None
    if "s3" not in body:
        return ConfigMapRepository(body["configMap"], body.get("key"))
    s3 = body["s3"]
    return S3Repository(s3["endpoint"], s3["bucket"], s3.get("region"), s3.get("insecure"), s3.get("keyPrefix", ""),
                        _secret(s3.get("accessKey")), _secret(s3.get("secretKey")))


def _secret(body: SecretYaml | None) -> SecretRef | None:
    return None if body is None else SecretRef(body["secret"], body["key"])


def _schedule(body: ScheduleYaml | None) -> Schedule | None:
    if body is None:
        return None
    return Schedule(body["cron"], body.get("timezone"), body.get("concurrencyPolicy"), body.get("suspend"),
                    body.get("startingDeadlineSeconds"), body.get("successfulJobsHistoryLimit"),
                    body.get("failedJobsHistoryLimit"))
