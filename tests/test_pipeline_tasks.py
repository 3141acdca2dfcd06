"""One task of a pipeline file -> a Task, with what building it found (problems, values read)."""

from __future__ import annotations

from typing import Any, cast

import pytest

from registry.pipeline.fileformat import TaskYaml
from registry.pipeline.model import NO_SETTINGS, Resources, Retries
from registry.pipeline.tasks import BuiltTask, TaskBuilder, TaskContext, resource_findings


def build(body: dict[str, Any], **context: Any) -> BuiltTask:
    settings: dict[str, Any] = dict(group="tasks", siblings=frozenset({"a", "b"}), pipeline_tasks=("a", "b"),
                                    params={}, overridden=(), components={}, outputs={"a": {"out": "String"}},
                                    defaults={}, env={}, volumes=(), load_ref=lambda ref, report: None)
    settings.update(context)
    return TaskBuilder(TaskContext(**settings), "b", cast(TaskYaml, body)).build()


def test_a_task_comes_back_with_the_outputs_it_reads_as_values() -> None:
    built = build({"image": "alpine", "command": ["echo", {"output": "a"}]})
    assert built.findings == [] and built.value_outputs == {("a", "out")}
    assert built.task is not None and built.task.depends == ["a"]
    assert built.task.op.command == ("echo", "{{inputs.parameters.a-out}}")


def test_problems_come_back_as_findings_with_their_path_from_the_root() -> None:
    built = build({"image": "alpine", "args": [{"output": "c"}], "when": "output.a == 'x' and param.p == 1"})
    assert built.task is None
    assert [(f.path, f.message) for f in built.findings] == [
        (("tasks", "b", "args", 0, "output"), "unknown task 'c'"),
        (("tasks", "b", "when"), "in when \"output.a == 'x' and param.p == 1\": unknown param 'p'")]


def test_a_when_naming_an_unreadable_output_says_why_in_one_finding() -> None:
    built = build({"image": "alpine", "when": "output.a.nope == 1"})
    assert [f.message for f in built.findings] == [
        "in when 'output.a.nope == 1': task 'a' has no output 'nope'; it has 'out'"]


def test_settings_are_the_tasks_own_else_the_defaults() -> None:
    assert build({"image": "alpine"}).task.settings is NO_SETTINGS  # type: ignore[union-attr]
    defaults = {"retries": 2, "timeout": "5m", "resources": {"cpu": 1}}
    settings = build({"image": "alpine", "timeout": 30}, defaults=defaults).task.settings  # type: ignore[union-attr]
    assert (settings.retries, settings.timeout, settings.resources) == (Retries(2), 30, Resources(cpu=1))


def test_malformed_quantities_are_found_where_they_are() -> None:
    found = resource_findings(("defaults", "resources"), {"cpu": "lots", "memory": "1Gi"})
    assert [(f.path, f.message[:30]) for f in found] == [(("defaults", "resources", "cpu"), "'lots' is not a Kubernetes qua")]


def test_inline_outputs_that_become_one_argo_output_are_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from registry.pipeline.load import PipelineError, load_pipeline

    path = tmp_path / "p.yaml"
    path.write_text("name: u\ntasks:\n  t: {image: sh, command: [sh, -c, 'true'], outputs: {A: /tmp/a, a: /tmp/b}}\n")
    with pytest.raises(PipelineError) as caught:
        load_pipeline(path)
    (problem,) = caught.value.problems
    assert (problem.line, problem.path) == (3, "$.tasks.t.outputs.a")
    assert problem.message == "output 'a' and output 'A' both become the Argo name 'a'; rename one"
