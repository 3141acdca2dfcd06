"""A Workflow naming a variable Argo could not resolve, or a template a host cannot run, is
refused before any task runs, at the field that holds it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from helpers_registry import creg
from registry.local.references import check_workflow, expression_names

HEAD = """apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: refs-}
spec:
  entrypoint: main
  arguments:
    parameters: [{name: size, value: "1"}]
  templates:
  - name: main
    dag:
      tasks:
      - name: a
        template: echo
        arguments: {parameters: [{name: text, value: "{{workflow.parameters.size}}"}]}
"""
ECHO = """  - name: echo
    inputs: {parameters: [{name: text}]}
    outputs: {parameters: [{name: out, valueFrom: {path: /tmp/out}}]}
    container: {image: busybox, command: [echo, "{{inputs.parameters.text}}"]}
"""


def workflow(tmp_path: Path, task: str, extra: str = "") -> Path:
    path = tmp_path / "workflow.yaml"
    path.write_text(HEAD + task + ECHO + extra, encoding="utf-8")
    return path


@pytest.mark.parametrize("task, line, expected", [
    # A task reading another's output without waiting for it: the misleading "has not run" before.
    ("""      - name: b
        template: echo
        arguments: {parameters: [{name: text, value: "x {{tasks.a.outputs.parameters.out}}"}]}
""", 17, "'a' is not a task this one waits for"),
    ("""      - name: b
        depends: a
        template: echo
        arguments: {parameters: [{name: text, value: "{{tasks.a.outputs.parameters.ot}}"}]}
""", 18, "did you mean 'tasks.a.outputs.parameters.out'"),
    ("""      - name: b
        template: echo
        arguments: {parameters: [{name: text, value: "{{item}}"}]}
""", 17, "'item' exists only in a task with withItems or withParam"),
    ("""      - name: b
        template: echo
        arguments: {parameters: [{name: text, value: "{{workflow.parameters.sise}}"}]}
""", 17, "did you mean 'workflow.parameters.size'"),
    ("""      - name: b
        template: echo
        when: "{{=inputs.parameters['nope'] == 'x'}}"
        arguments: {parameters: [{name: text, value: "1"}]}
""", 17, "unknown variable 'inputs.parameters.nope'"),
    ("""      - name: b
        template: ecko
        arguments: {parameters: [{name: text, value: "1"}]}
""", 16, "no template named 'ecko'"),
])
def test_an_unresolvable_reference_is_refused_before_the_run(tmp_path: Path, task: str, line: int,
                                                            expected: str) -> None:
    path = workflow(tmp_path, task)
    result = creg("run", str(path), "--workdir", str(tmp_path / "run"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert re.match(rf"{re.escape(str(path))}:{line}:\d+: error: \$\.spec\.templates\[0\]\.dag\.tasks\[1\]\.",
                    result.stderr), result.stderr
    assert expected in result.stderr
    assert not (tmp_path / "run" / "nodes").exists()  # nothing ran


def test_undeclared_input_in_a_container_is_refused(tmp_path: Path) -> None:
    path = workflow(tmp_path, "", ECHO.replace("- name: echo", "- name: echo2").replace(
        "{{inputs.parameters.text}}", "{{inputs.parameters.txt}}"))
    result = creg("run", str(path))
    assert result.returncode == 1
    assert "$.spec.templates[2].container.command[1]: {{inputs.parameters.txt}}: unknown variable" in result.stderr
    assert "did you mean 'inputs.parameters.text'" in result.stderr


@pytest.mark.parametrize("extra, expected", [
    ("""  - name: apply
    resource: {action: create, manifest: "kind: ConfigMap"}
""", "is a resource template, which needs a cluster"),
    ("""  - name: apply
    suspend: {}
""", "is a suspend template, which needs a cluster"),
])
def test_a_template_a_host_cannot_run_is_refused_with_the_reason(tmp_path: Path, extra: str, expected: str) -> None:
    path = workflow(tmp_path, "      - {name: b, template: apply}\n", extra)
    result = creg("run", str(path))
    assert result.returncode == 1 and expected in result.stderr and "$.spec.templates[2]" in result.stderr


def test_a_template_nothing_reaches_is_not_refused() -> None:
    doc = {"kind": "Workflow", "spec": {"entrypoint": "a", "templates": [
        {"name": "a", "container": {"command": ["true"]}}, {"name": "b", "suspend": {}}]}}
    assert check_workflow(doc) == []


def test_expression_names_reads_maps_and_skips_functions_and_strings() -> None:
    assert expression_names("jsonpath(workflow.parameters.json, '$[0].value') == 'a.b'") == ["workflow.parameters.json"]
    assert expression_names("inputs.parameters[\"should-print\"] == 'true' && asInt(tasks['a-1'].outputs.result) > 2") == [
        "inputs.parameters.should-print", "tasks.a-1.outputs.result"]
    assert expression_names("sprig.trim(inputs.parameters.x) != nil") == ["inputs.parameters.x"]
