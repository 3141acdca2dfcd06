"""Argo's own examples (../shared/argo/examples) run locally as Argo runs them: steps templates,
script templates, outputs.result, loops over a task's result, exit handlers, conditionals in
both expression forms.  Each example is either run here, or refused before anything runs with
the reason a host process cannot do it; the two lists below cover every example."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from registry.errors import CregError
from registry.local.runner import RunResult, run_pipeline_file
from registry.local.steps import as_dag

EXAMPLES = Path("/work/shared/argo/examples")
if not EXAMPLES.is_dir():  # the shared data sits beside the project's folder
    EXAMPLES = Path(__file__).resolve().parents[2] / "shared" / "argo" / "examples"

SUCCEED = ["arguments-parameters.yaml", "artifact-passing.yaml", "conditionals.yaml", "cron-workflow.yaml",
           "dag-diamond.yaml", "loops-dag.yaml", "loops.yaml", "output-parameter.yaml",
           "volumes-existing.yaml", "volumes-pvc.yaml"]
# Not runnable on a host, and why (checked before any task starts).
REFUSED = {
    "k8s-set-owner-reference.yaml": "is a resource template, which needs a cluster",
    "workflow-template/dag.yaml": "templateRef needs templates the cluster holds",
    "workflow-template/workflow-template-ref.yaml": "workflowTemplateRef needs the cluster's WorkflowTemplates",
    "workflow-template/templates.yaml": "expected a single document",  # a library of WorkflowTemplates
    "cluster-workflow-template/clustertemplates.yaml": "expected a single document",
}
# Run with a particular check each: exit-handlers.yaml fails on purpose, retry-backoff.yaml at
# random, loops-param-result.yaml sleeps 20-30 s per item (run with shorter sleeps).
SPECIAL = ["exit-handlers.yaml", "retry-backoff.yaml", "loops-param-result.yaml"]


def run(path: Path, tmp_path: Path, **params: str) -> RunResult:
    return run_pipeline_file(path, None, params, tmp_path / "run")


@pytest.fixture()
def cowsay(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The program argoproj/argosay's image holds, which this machine lacks: a real one that
    prints its words, first on PATH."""
    folder = tmp_path / "bin"
    folder.mkdir()
    program = folder / "cowsay"
    program.write_text('#!/bin/sh\necho "< $* >"\n')
    program.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return folder


def test_the_lists_cover_every_example() -> None:
    found = {str(p.relative_to(EXAMPLES)) for p in EXAMPLES.rglob("*.yaml")}
    assert found == set(SUCCEED) | set(REFUSED) | set(SPECIAL)


@pytest.mark.parametrize("name", SUCCEED)
def test_an_example_a_host_can_run_succeeds(name: str, tmp_path: Path, cowsay: Path) -> None:
    result = run(EXAMPLES / name, tmp_path)
    assert result.phase == "Succeeded", [(n.id, n.message) for n in result.nodes]
    assert all(n.phase in ("Succeeded", "Skipped") for n in result.nodes)


@pytest.mark.parametrize("name, reason", sorted(REFUSED.items()))
def test_an_example_a_host_cannot_run_is_refused_with_the_reason(name: str, reason: str, tmp_path: Path) -> None:
    with pytest.raises(CregError, match=reason):
        run(EXAMPLES / name, tmp_path)
    assert not (tmp_path / "run" / "nodes").exists()


def test_arguments_bind_the_entrypoint_and_params_override_them(tmp_path: Path) -> None:
    result = run(EXAMPLES / "arguments-parameters.yaml", tmp_path, message="goodbye world")
    assert (result.folder / "nodes" / "arguments-parameters" / "log.txt").read_text() == "goodbye world\n"


def test_conditionals_follow_the_parameter_in_all_three_forms(tmp_path: Path, cowsay: Path) -> None:
    shown = run(EXAMPLES / "conditionals.yaml", tmp_path / "a")
    hidden = run(EXAMPLES / "conditionals.yaml", tmp_path / "b", **{"should-print": "false"})
    steps = ("print-hello-govaluate", "print-hello-expr", "print-hello-expr-json")
    assert {n.id.split(".")[-1]: n.phase for n in shown.nodes if "." in n.id} == dict.fromkeys(steps, "Succeeded")
    assert {n.id.split(".")[-1]: n.phase for n in hidden.nodes if "." in n.id} == dict.fromkeys(steps, "Skipped")
    assert next(n for n in shown.nodes if n.id.endswith("expr")).result == "< hello >"


def test_the_exit_handler_reports_the_failure(tmp_path: Path) -> None:
    result = run(EXAMPLES / "exit-handlers.yaml", tmp_path)
    phases = {n.id: n.phase for n in result.nodes}
    assert result.phase == "Failed" and phases["exit-handlers"] == "Failed"
    assert (phases["exit-handlers.onExit.celebrate"], phases["exit-handlers.onExit.cry"]) == ("Skipped", "Succeeded")
    notify = (result.folder / "nodes" / "exit-handlers.onExit.notify" / "log.txt").read_text()
    assert notify.startswith("send e-mail: exit-handlers-") and " Failed " in notify
    assert "templateName: intentional-fail" in notify  # workflow.failures, as the shell prints it


def test_retries_stop_at_the_limit(tmp_path: Path) -> None:
    result = run(EXAMPLES / "retry-backoff.yaml", tmp_path)
    node = result.nodes[-1]
    if result.phase == "Succeeded":  # 66% failure per attempt: either outcome is Argo's
        assert 1 <= int(node.message.split()[0]) <= 11
    else:  # all 11 attempts failed, or the backoff's maxDuration (1m) ended the retries
        log = (result.folder / "nodes" / "retry-backoff" / "log.txt").read_text()
        assert "failed 11 time(s)" in node.message or "maxDuration has passed" in log


def test_a_loop_over_a_scripts_result(tmp_path: Path) -> None:
    text = (EXAMPLES / "loops-param-result.yaml").read_text()
    quick = tmp_path / "quick.yaml"
    quick.write_text(text.replace("range(20, 31)", "range(0, 3)"))
    assert quick.read_text() != text, "the example changed shape; update this test"
    result = run(quick, tmp_path)
    assert result.phase == "Succeeded", [(n.id, n.message) for n in result.nodes]
    assert next(n for n in result.nodes if n.id.endswith(".generate")).result == "[0, 1, 2]"
    logs = sorted((result.folder / "nodes").glob("*sleep_*/log.txt"))
    assert [p.read_text().splitlines()[0] for p in logs] == [f"sleeping for {i} seconds" for i in range(3)]


def test_steps_become_a_dag_of_groups() -> None:
    template = {"name": "s", "steps": [[{"name": "a", "template": "t"}, {"name": "b", "template": "t"}],
                                       [{"name": "c", "template": "t"}]]}
    dag = as_dag(template)  # type: ignore[arg-type]
    assert [(t["name"], t["dependencies"]) for t in dag["dag"]["tasks"]] == [("a", []), ("b", []), ("c", ["a", "b"])]
