"""``creg compile`` as a library: pipeline file -> validated Argo YAML text."""

from __future__ import annotations

import contextlib
import gc
from dataclasses import replace
from pathlib import Path
from typing import Iterator, Mapping

from registry.argo.check import validate
from registry.argo.emit import Data, build_workflow, to_yaml
from registry.errors import ArgumentError, CregError, Problem, mention
from registry.pipeline.components import LoadedComponent, Loader, registry_loader
from registry.pipeline.load import load_pipeline
from registry.pipeline.model import Pipeline
from registry.yamlio import load_mapping, read_limited

# ``registry_loader`` and ``LoadedComponent`` live in ``pipeline.components``; commands and the
# runner import them from here, so they stay re-exported.
__all__ = ["LoadedComponent", "Loader", "Pipeline", "compile_document", "compile_pipeline", "gc_paused",
           "lint_pipeline", "load_pipeline", "registry_loader"]


def compile_document(pipeline: Pipeline, kind: str = "Workflow") -> Data:
    """Pipeline -> Argo document, validated against Argo's schema and semantics."""
    if pipeline.schedule is not None and kind != "Workflow":
        raise ArgumentError("kind", f"{pipeline.source}: the pipeline has a schedule, so it compiles to a "
                                    f"CronWorkflow; {mention('kind')} {kind} would drop the schedule")
    doc = build_workflow(pipeline, kind)
    try:
        validate(doc, pipeline.source)
    except CregError as exc:
        raise type(exc)(problems=[_locate_schedule(p, pipeline.source) for p in exc.problems]) from None
    return doc


def _locate_schedule(problem: Problem, source: str) -> Problem:
    """A bad cron expression is found in the compiled output; point at it in the pipeline file.

    The Argo checker sees only the output, so its problem has no line; the author needs the
    line of ``schedule.cron`` in the file they wrote.
    """
    field = "cron" if problem.path.startswith("$.spec.schedules") else (
        "timezone" if problem.path == "$.spec.timezone" else None)
    if problem.line or field is None:
        return problem
    try:
        doc = load_mapping(read_limited(source), source)
    except (OSError, CregError):
        return problem
    located = doc.positions.problem(doc.data, ["schedule", field], problem.message)
    return replace(problem, line=located.line, column=located.column, path=located.path)


def compile_pipeline(path: str | Path, loader: Loader | None = None, kind: str = "Workflow",
                     params: Mapping[str, str] | None = None) -> str:
    """Read, check, compile and validate a pipeline; return the Argo YAML text."""
    with gc_paused():
        pipeline = load_pipeline(path, loader=loader, overrides=params)
        return to_yaml(compile_document(pipeline, kind))


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a pipeline is compiled.

    Compiling allocates hundreds of thousands of small containers that live until the end;
    every collection re-scans all of them, which made a 10,000-task pipeline's time grow
    quadratically.  The data has no reference cycles, so nothing is lost by waiting.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            _resume()


def _resume() -> None:
    """Enable the collector again without first walking everything made while it was paused.

    Resuming plainly, the next allocation starts a young-generation collection over every
    object the pause left alive (the pipeline, its document, caches): 3.5 ms after 1,000
    tasks, 30 ms after 10,000.  Frozen and unfrozen, they join the oldest generation as they
    are; a later full collection still looks at them, so no garbage is kept for good.
    """
    if gc.get_freeze_count():  # someone froze objects on purpose (before forking, say): keep them so
        gc.enable()
        return
    gc.freeze()
    gc.enable()
    gc.unfreeze()


def lint_pipeline(path: str | Path, loader: Loader | None = None) -> list[Problem]:
    """Every problem of a pipeline file, including any in its compiled Argo output."""
    from registry.argo.lint import independent_problems  # lazy: only lint needs it

    try:
        with gc_paused():
            compile_document(load_pipeline(path, loader=loader))
    except CregError as exc:
        found = exc.problems or [Problem(str(path), 0, 0, "", str(exc))]
        return sorted(found + independent_problems(path, found))  # every check that can run, runs
    return []
