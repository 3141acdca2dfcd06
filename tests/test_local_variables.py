"""Argo's template variables in a local run: each given the value, in the form, Argo's
documentation of its variables (docs/variables.md, "Reference") says it has."""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime
from pathlib import Path

from registry.local.runner import Node, RunResult, run_pipeline_file
from registry.local.variables import fnv32a

WORKFLOW = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: vars-
  labels: {app: demo}
  annotations: {owner: team-a}
spec:
  entrypoint: main
  onExit: report
  serviceAccountName: runner
  arguments:
    parameters:
    - {name: message, value: hello}
    - {name: count, value: "3"}
  templates:
  - name: main
    inputs:
      parameters:
      - name: message
    dag:
      tasks:
      - name: ids
        template: show
        arguments:
          parameters:
          - name: text
            value: "{{workflow.name}}|{{workflow.uid}}|{{workflow.namespace}}|{{workflow.serviceAccountName}}|{{workflow.mainEntrypoint}}|{{workflow.labels.app}}|{{workflow.annotations.owner}}|{{inputs.parameters.message}}"
      - name: times
        template: show
        arguments:
          parameters:
          - name: text
            value: "{{workflow.creationTimestamp}}|{{workflow.creationTimestamp.Y}}|{{workflow.creationTimestamp.m}}|{{workflow.creationTimestamp.RFC3339}}"
      - name: params
        template: show
        arguments:
          parameters:
          - name: text
            value: "{{workflow.parameters.json}}"
      - name: pod
        template: where
      - name: retried
        template: third-time-lucky
      - name: after
        depends: ids && retried
        template: show
        arguments:
          parameters:
          - name: text
            value: "{{tasks.ids.status}}|{{tasks.ids.exitCode}}|{{tasks.retried.outputs.result}}|{{=asInt(workflow.parameters.count) > 2}}|{{=tasks.ids.status == 'Succeeded'}}|{{tasks.ids.startedAt}}"
      - name: loop
        template: show
        arguments:
          parameters:
          - {name: text, value: "{{item.key}}={{item.value}}"}
        withItems:
        - {key: a, value: 1}
        - {key: b, value: 2}
  - name: show
    inputs:
      parameters:
      - name: text
    container:
      image: busybox
      command: [printf, "%s", "{{inputs.parameters.text}}"]
  - name: where
    outputs:
      parameters:
      - name: out
        valueFrom: {path: /tmp/where/out.txt}
    container:
      image: busybox
      command: [sh, -c, 'printf "%s|%s|%s" "{{pod.name}}" "{{node.name}}" "{{outputs.parameters.out.path}}" | tee {{outputs.parameters.out.path}}']
  - name: third-time-lucky
    retryStrategy: {limit: 3}
    script:
      image: python:3.12
      command: [python3]
      source: |
        import sys
        print("attempt {{retries}}", end="")
        sys.exit(0 if {{retries}} == 2 else 1)
  - name: report
    container:
      image: busybox
      command: [printf, "%s\\n%s\\n%s", "{{workflow.status}}", "{{workflow.duration}}", "{{workflow.failures}}"]
"""


def run(tmp_path: Path, text: str, **params: str) -> RunResult:
    path = tmp_path / "workflow.yaml"
    path.write_text(text, encoding="utf-8")
    return run_pipeline_file(path, None, params, tmp_path / "run")


def node(result: RunResult, suffix: str) -> Node:
    return next(n for n in result.nodes if n.id.endswith(suffix))


def test_every_documented_variable_gets_argos_value(tmp_path: Path) -> None:
    result = run(tmp_path, WORKFLOW)
    assert result.phase == "Succeeded", [(n.id, n.message) for n in result.nodes]
    name, uid, namespace, account, entry, label, annotation, message = str(node(result, ".ids").result).split("|")
    assert re.fullmatch(r"vars-[bcdfghjklmnpqrstvwxz2456789]{5}", name)  # generateName + 5, as the API server
    assert uuid.UUID(uid).version == 4
    assert (namespace, account, entry, label, annotation, message) == (
        "local", "runner", "main", "demo", "team-a", "hello")  # spec.arguments bound the entrypoint's input
    stamp, year, month, rfc = str(node(result, ".times").result).split("|")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp) and rfc == stamp
    created = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")
    assert (year, month) == (f"{created.year:04d}", f"{created.month:02d}")
    assert json.loads(str(node(result, ".params").result)) == [
        {"name": "message", "value": "hello"}, {"name": "count", "value": "3"}]


def test_pod_and_node_names_follow_argos_scheme(tmp_path: Path) -> None:
    result = run(tmp_path, WORKFLOW)
    pod, node_name, path = str(node(result, ".pod").result).split("|")
    workflow = node_name.split(".")[0]
    assert node_name == f"{workflow}.pod"
    assert pod == f"{workflow}-where-{fnv32a(node_name)}"  # Argo's v2 pod names
    assert path == str(result.folder / "nodes" / "vars.pod" / "outputs" / "parameters" / "out")
    assert node(result, ".pod").parameters == {"out": pod + "|" + node_name + "|" + path}


def test_retries_counts_attempts_and_task_fields_reach_later_tasks(tmp_path: Path) -> None:
    result = run(tmp_path, WORKFLOW)
    retried = node(result, ".retried")
    assert retried.result == "attempt 2" and retried.message == "3 attempt(s)"
    status, code, output, compared, expression, started = str(node(result, ".after").result).split("|")
    assert (status, code, output, compared, expression) == ("Succeeded", "0", "attempt 2", "true", "true")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", started)
    assert sorted(str(n.result) for n in result.nodes if ".loop(" in n.id) == ["a=1", "b=2"]


def test_exit_handler_sees_status_duration_and_failures(tmp_path: Path) -> None:
    failing = WORKFLOW.replace("sys.exit(0 if {{retries}} == 2 else 1)", "sys.exit(7)")
    result = run(tmp_path, failing)
    assert result.phase == "Failed"
    assert node(result, ".retried").exit_code == 7
    status, seconds, failures = str(node(result, ".onExit").result).split("\n")
    assert status == "Failed" and 0 < float(seconds) < 60
    failed = json.loads(failures)
    assert [(f["displayName"], f["templateName"], f["phase"]) for f in failed] == [
        ("retried", "third-time-lucky", "Failed")]


def test_a_param_given_on_the_command_line_reaches_the_entrypoint(tmp_path: Path) -> None:
    result = run(tmp_path, WORKFLOW, message="goodbye")
    assert str(node(result, ".ids").result).endswith("|goodbye")


def test_an_output_with_a_global_name_reaches_later_tasks(tmp_path: Path) -> None:
    result = run(tmp_path, """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: globals}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: make, template: make}
    - - {name: use, template: use}
  - name: make
    outputs:
      parameters: [{name: v, globalName: shared, valueFrom: {path: /tmp/v}}]
    container: {image: busybox, command: [sh, -c, 'printf 42 > /tmp/v']}
  - name: use
    container: {image: busybox, command: [printf, '%s', '{{workflow.outputs.parameters.shared}}']}
""")
    assert result.phase == "Succeeded", [(n.id, n.message) for n in result.nodes]
    assert node(result, ".use").result == "42"


def test_workflow_name_is_the_name_the_run_store_gives_the_run(tmp_path: Path) -> None:
    import subprocess

    from helpers_registry import CREG

    path = tmp_path / "p.yaml"
    path.write_text("name: wn\ntasks:\n  a: {image: busybox, command: [sh, -c, 'printf \"%s %s\" {{workflow.name}} {{pod.name}}']}\n")
    done = subprocess.run([CREG, "run", str(path), "--workdir", str(tmp_path / "run"), "--format", "json"],
                          capture_output=True, text=True, timeout=60)
    report = json.loads(done.stdout)
    shown = (tmp_path / "run" / "nodes" / "wn.a" / "log.txt").read_text()
    assert shown == f"{report['run']} {report['run']}-a-{fnv32a(report['run'] + '.a')}"
