"""Pipelines in the public API: load, lint, compile, draw, run and submit, as the CLI does.

The CLI's ``lint``, ``compile`` and ``graph`` call these methods, so a notebook and the command
line take one path through the code and report the same ``file:line:col`` problems.

``Pipeline.load`` only reads its source; the pipeline is checked when something needs it, so a
broken pipeline still loads and ``lint()`` lists its problems (``compile()``, ``run()`` and the
others raise ``PipelineError`` with them).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from registry.component.model import ComponentSpec
from registry.errors import ArgumentError, CregError, Problem, mention
from registry.pipeline import model

if TYPE_CHECKING:
    from registry.api.runs import Run
    from registry.api.svg import GraphEdge, GraphNode
    from registry.argo.server import Server, Submitted
    from registry.index.resolve import RegistryOptions
    from registry.local.runner import Node
    from registry.local.workflow import WorkflowYaml
    from registry.pipeline.components import LoadedComponent, Loader

__all__ = ["CompiledWorkflow", "LintResult", "Pipeline", "Submission"]

KINDS = ("Workflow", "WorkflowTemplate")
FORMATS = ("svg", "dot", "mermaid")
TEXT_SOURCE = "<pipeline>"  # how problems name a pipeline given as text or a dict
NOTEBOOK_VERSION = "local"  # the version a component object passed in shows in graphs and labels


class CompiledWorkflow(dict[str, Any]):
    """An Argo document (Workflow, WorkflowTemplate or CronWorkflow) as plain data."""

    def to_yaml(self) -> str:
        """The YAML text ``creg compile`` writes."""
        from registry.argo.emit import to_yaml  # lazy: the YAML writer is only needed here

        return to_yaml(dict(self))

    @property
    def kind(self) -> str:
        return str(self.get("kind", ""))


@dataclass(frozen=True)
class LintResult:
    """Every problem ``lint`` found, sorted by position; true when there are none."""

    source: str
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def __bool__(self) -> bool:
        return self.ok

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.problems)

    def __len__(self) -> int:
        return len(self.problems)

    def format(self) -> str:
        """One ``file:line:col: error: ...`` line per problem, as the CLI prints them."""
        return "\n".join(p.format() for p in self.problems)

    def __repr__(self) -> str:
        if self.ok:
            return f"<LintResult {self.source}: no problems>"
        return f"<LintResult {self.source}: {len(self.problems)} problem(s)>\n{self.format()}"

    def _repr_html_(self) -> str:
        from registry.api.html import problems_html, section  # lazy: start-up (notebooks only)

        title = f"lint {self.source}: " + ("no problems" if self.ok else f"{len(self.problems)} problem(s)")
        return section(title, problems_html(self.problems))


@dataclass(frozen=True)
class Submission:
    """What ``submit`` created on the Argo Server, and its final phase when it waited."""

    kind: str
    name: str
    namespace: str
    ui: str
    phase: str | None = None
    server: Server | None = field(default=None, repr=False, compare=False)  # where it was created

    def wait(self, timeout: float = 3600, on_phase: Callable[[str], None] | None = None) -> str:
        """Follow a submitted Workflow until it finishes; its final phase (a CronWorkflow's runs
        follow its schedule: its phase is its kind)."""
        from registry.argo.server import Submitted, wait_for  # lazy: start-up

        if self.kind != "Workflow" or self.server is None:
            return self.phase or self.kind
        created = Submitted(self.kind, self.name, self.namespace, self.ui)
        return wait_for(created, self.server, timeout, on_phase or (lambda phase: None))

    def run(self) -> Run:
        """The submitted Workflow as a ``Run`` read from the Argo Server (status, tasks, logs)."""
        from registry.api.runs import Run  # lazy: start-up
        from registry.argo.serverruns import ArgoRuns

        if self.kind != "Workflow" or self.server is None:
            raise ArgumentError("submission", f"a {self.kind} is not a run; its runs are Workflows it creates")
        return Run.get(self.name, ArgoRuns(self.server))

    def _repr_html_(self) -> str:
        from registry.api.html import section, table  # lazy: start-up (notebooks only)

        rows = [("kind", self.kind), ("name", self.name), ("namespace", self.namespace), ("ui", self.ui)]
        if self.phase is not None:
            rows.append(("phase", self.phase))
        return section("submitted", table(["", ""], rows))


class Pipeline:
    """A pipeline file, text or dict, with the registries and components it is resolved against."""

    def __init__(self, text: str | None, source: str, *, path: Path | None = None,
                 components: Mapping[str, ComponentSpec] | None = None,
                 registries: Iterable[str] | None = None, offline: bool = False,
                 allow_rollback: bool = False) -> None:
        self.text = text  # None: read from ``path`` whenever the pipeline is checked
        self.source = source
        self.path = path
        self.components = dict(components or {})
        self.registries = tuple(registries or ())
        self.offline = offline
        self.allow_rollback = allow_rollback
        self._model: model.Pipeline | None = None

    @classmethod
    def load(cls, source: str | Path | Mapping[str, Any], *, components: Mapping[str, ComponentSpec] | None = None,
             registries: Iterable[str] | None = None, offline: bool = False,
             allow_rollback: bool = False, base_dir: str | Path | None = None) -> "Pipeline":
        """A pipeline from a file path, YAML text or a dict.

        In a dict, a task's ``component`` may be a component object (from ``component_from_func``
        or ``load_component``); ``components`` maps other references the text uses
        (``"add@local"``) to objects.  Component paths in text or a dict are relative to
        ``base_dir`` (default: the current folder).  ``registries`` are searched before the
        configured ones; ``offline`` uses the cache only; ``allow_rollback`` accepts a remote
        index older than one seen before (with a warning).
        """
        named = dict(components or {})
        if isinstance(source, Mapping):
            return cls(_dict_text(source, named), _text_source(base_dir), components=named, registries=registries,
                       offline=offline, allow_rollback=allow_rollback)
        if isinstance(source, str) and ("\n" in source or source.lstrip().startswith("{")):
            return cls(source, _text_source(base_dir), components=named, registries=registries, offline=offline,
                       allow_rollback=allow_rollback)
        if not isinstance(source, (str, Path)):
            raise ArgumentError.bad_value("source", f"expected a path, YAML text or a dict, got {type(source).__name__}")
        return cls.from_file(source, components=named, registries=registries, offline=offline,
                             allow_rollback=allow_rollback)

    @classmethod
    def from_file(cls, path: str | Path, *, components: Mapping[str, ComponentSpec] | None = None,
                  registries: Iterable[str] | None = None, offline: bool = False,
                  allow_rollback: bool = False) -> "Pipeline":
        """A pipeline file, read when it is first checked (load it again to see later edits)."""
        if not Path(path).exists():
            raise ArgumentError.in_file("source", str(path), "cannot read: No such file or directory")
        return cls(None, str(path), path=Path(path), components=components, registries=registries, offline=offline,
                   allow_rollback=allow_rollback)

    # -- checking ---------------------------------------------------------------------------

    def _loader(self) -> Loader:
        """Component objects by their references first, then the registries (opened on first use)."""
        from registry.pipeline.components import LoadedComponent, registry_loader  # lazy: start-up

        options = self._options()
        opened: list[Loader] = []

        def load(ref: str) -> ComponentSpec | LoadedComponent:
            if ref in self.components:
                spec = self.components[ref]
                name, _, version = ref.partition("@")
                return LoadedComponent(spec, spec.name or name, version or NOTEBOOK_VERSION)
            if not opened:
                opened.append(registry_loader(options, self.path))  # a creg.lock beside the file pins
            return opened[0](ref)

        return load

    def model(self, params: Mapping[str, object] | None = None) -> model.Pipeline:
        """The checked pipeline (``params`` override defaults); ``PipelineError`` lists every problem."""
        from registry.pipeline.load import load_pipeline, load_pipeline_text  # lazy: start-up

        if params is None and self._model is not None:
            return self._model
        overrides = param_texts(params)
        if self.path is not None:
            loaded = load_pipeline(self.path, loader=self._loader(), overrides=overrides)
        else:
            loaded = load_pipeline_text(self.text or "", self.source, loader=self._loader(), overrides=overrides)
        if params is None:
            self._model = loaded
        return loaded

    @property
    def name(self) -> str:
        return self.model().name

    def lint(self) -> LintResult:
        """Every problem of the pipeline and of its compiled Argo output, as objects."""
        from registry.argo.compiler import compile_document, gc_paused  # lazy: start-up

        try:
            with gc_paused():
                compile_document(self.model())
        except CregError as exc:
            problems = exc.problems or [Problem(self.source, 0, 0, "", str(exc))]
            return LintResult(self.source, tuple(problems))
        return LintResult(self.source, ())

    def compile(self, kind: str = "Workflow", params: Mapping[str, object] | None = None) -> CompiledWorkflow:
        """The Argo document, checked against Argo's schema (a scheduled pipeline: a CronWorkflow)."""
        from registry.argo.compiler import compile_document, gc_paused  # lazy: start-up

        if kind not in KINDS:
            raise ArgumentError.bad_value("kind", f"expected one of {', '.join(KINDS)}, got {kind!r}")
        with gc_paused():
            return CompiledWorkflow(compile_document(self.model(params), kind))

    # -- drawing ----------------------------------------------------------------------------

    def graph(self, fmt: str = "svg") -> str:
        """The task graph as SVG (drawn here, no Graphviz), DOT or Mermaid text."""
        from registry.argo.draw import to_dot, to_mermaid  # lazy: start-up

        if fmt not in FORMATS:
            raise ArgumentError.bad_value("fmt", f"expected one of {', '.join(FORMATS)}, got {fmt!r}")
        if fmt == "dot":
            return to_dot(self.model())
        if fmt == "mermaid":
            return to_mermaid(self.model())
        return self.to_svg()

    def to_svg(self) -> str:
        from registry.api.svg import render  # lazy: start-up (graphs only)

        nodes, edges = pipeline_graph(self.model())
        return render(nodes, edges, f"pipeline {self.model().name}")

    def __repr__(self) -> str:
        return f"<Pipeline {self.source}>"

    def _repr_html_(self) -> str:
        from registry.api.html import escape, problems_html, section, table  # lazy: start-up (notebooks only)

        try:
            pipeline = self.model()
        except CregError as exc:
            return section(f"pipeline {self.source}: cannot be loaded", problems_html(exc.problems))
        rows = [(p.name, p.type or "", p.default_text() or "", p.description or "") for p in pipeline.params.values()]
        params = table(["param", "type", "default", "description"], rows) if rows else ""
        description = f"<p>{escape(pipeline.description)}</p>" if pipeline.description else ""
        return section(f"pipeline {pipeline.name}", description + params + self.to_svg())

    # -- running ----------------------------------------------------------------------------

    def run(self, params: Mapping[str, object] | None = None, workdir: str | Path | None = None,
            parallelism: int = 4, on_task: Callable[[Node], None] | None = None, experiment: str | None = None,
            labels: Mapping[str, str] | None = None, detach: bool = False) -> Run:
        """Run the pipeline on this machine (each container's command as a local process), as ``creg run``.

        The run is recorded in the run store (``creg runs``); ``workdir`` keeps its files (default:
        the run's folder in the store).  ``on_task`` is called as each task finishes;
        ``experiment`` and ``labels`` label the run; ``detach`` starts it in the background and
        returns at once.  A failed run is returned, not raised: look at ``status``.
        A pipeline file may also be a compiled Argo Workflow (``params`` become its arguments).
        """
        from registry.api.runs import Run  # lazy: start-up
        from registry.local.recording import execute_run, prepare_document, prepare_run
        from registry.local.store import LocalRuns, RunStore, start_detached

        if not 1 <= parallelism <= 64:
            raise ArgumentError.bad_value("parallelism", f"expected 1 to 64, got {parallelism}")
        store = RunStore()
        if self.path is not None and not self.components:
            options = self._options()
            name = prepare_run(store, self.path, options, param_texts(params) or {}, workdir, parallelism,
                               experiment, labels)
        else:
            doc = cast("WorkflowYaml", dict(self.compile(params=params)))
            name = prepare_document(store, doc, {}, workdir, parallelism, experiment, labels)
        result = None
        if detach:
            start_detached(store, name)
        else:
            result = execute_run(store, name, on_task)
        return Run.get(name, LocalRuns(store), result=result)

    def _options(self) -> RegistryOptions:
        from registry.index.resolve import RegistryOptions  # lazy: start-up

        return RegistryOptions(self.registries, self.offline, self.allow_rollback)

    def submit(self, server: str | None = None, namespace: str | None = None, experiment: str | None = None,
               labels: Mapping[str, str] | None = None, kind: str = "Workflow",
               params: Mapping[str, object] | None = None, wait: bool = False, timeout: float = 3600,
               on_phase: Callable[[str], None] | None = None) -> Submission:
        """Compile and create the pipeline on an Argo Server, as ``creg submit`` does (which calls this).

        The server is ``server`` or ``$ARGO_SERVER`` (token ``$ARGO_TOKEN``), the namespace
        ``namespace``, ``$ARGO_NAMESPACE`` or ``argo``.  ``experiment`` and ``labels`` label it and
        every run it makes, with the pipeline's name and digest; ``wait`` follows a Workflow to
        its end (``Submission.phase``).
        """
        from registry.argo.runlabels import checked_labels, labelled  # lazy: start-up
        from registry.argo.runview import run_labels
        from registry.argo.server import Server, submit_document

        target = Server.from_options(server, namespace)
        extra = checked_labels(labels or {}, experiment)
        if wait and kind != "Workflow":
            raise ArgumentError("wait", f"{mention('wait')} follows a Workflow's run; a WorkflowTemplate does not "
                                        "run by itself")
        doc = self.compile(kind, params)
        created: Submitted = submit_document(labelled(doc, run_labels(doc, experiment, extra)), target)
        submission = Submission(created.kind, created.name, created.namespace, created.ui, server=target)
        if wait and created.kind == "Workflow":
            return replace(submission, phase=submission.wait(timeout, on_phase))
        return submission


def param_texts(params: Mapping[str, object] | None) -> dict[str, str] | None:
    """Param values as the text a workflow argument carries: strings as they are, others as JSON."""
    if params is None:
        return None
    if not isinstance(params, Mapping):
        raise ArgumentError.bad_value("params", f"expected a mapping of param names to values, got {type(params).__name__}")
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}


def _text_source(base_dir: str | Path | None) -> str:
    return str(Path(base_dir) / TEXT_SOURCE) if base_dir is not None else TEXT_SOURCE


def _dict_text(data: Mapping[str, Any], named: dict[str, ComponentSpec]) -> str:
    """YAML text of a pipeline dict; each component object becomes a reference kept in ``named``."""
    from registry.yamlio import dump  # lazy: start-up

    tasks = {}
    for group in ("tasks", "finally"):
        body = data.get(group)
        if isinstance(body, Mapping):
            tasks[group] = {task: _with_reference(spec, named) for task, spec in body.items()}
    try:
        return dump({**data, **tasks})
    except Exception as exc:  # yaml's RepresenterError: a value that is not plain data
        raise ArgumentError.bad_value("source", f"the pipeline dict holds a value YAML cannot write: {exc}") from None


def _with_reference(task: object, named: dict[str, ComponentSpec]) -> object:
    if not isinstance(task, Mapping) or not isinstance(task.get("component"), ComponentSpec):
        return task
    spec: ComponentSpec = task["component"]
    ref = f"{_slug(spec.name or 'component')}@{NOTEBOOK_VERSION}-{spec.digest.split(':')[-1][:12]}"
    named[ref] = spec
    return {**task, "component": ref}


def _slug(name: str) -> str:
    import re  # lazy: only component objects in dicts need it

    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "component"


def pipeline_graph(pipeline: model.Pipeline) -> tuple[list[GraphNode], list[GraphEdge]]:
    """The pipeline's tasks and edges (exit-handler tasks dashed), labelled as ``creg graph`` labels them."""
    from registry.api.svg import GraphEdge, GraphNode  # lazy: start-up
    from registry.argo.draw import edges, label

    nodes: list[GraphNode] = []
    links: list[GraphEdge] = []
    for dashed, tasks in ((False, pipeline.tasks), (True, pipeline.exit_tasks)):
        nodes += [GraphNode(task.id, tuple(label(task).split("\n")), None, dashed) for task in tasks.values()]
        links += [GraphEdge(e.source, e.target, e.label, not e.label) for e in edges(tasks)]
    return nodes, links
