"""creg compile / lint / graph as real subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import yaml

from helpers_pipelines import CREG, DATA, EXAMPLES, GOLDEN, write_pipeline


def creg(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CREG), *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})}, cwd=cwd)


def test_compile_to_stdout_matches_the_golden_file() -> None:
    result = creg("compile", str(EXAMPLES / "calculation.yaml"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == (GOLDEN / "calculation.yaml").read_text(encoding="utf-8")


def test_compile_writes_the_file_atomically_with_params_and_kind(tmp_path: Path) -> None:
    out = tmp_path / "out" / "wf.yaml"
    result = creg("compile", str(EXAMPLES / "calculation.yaml"), "-o", str(out), "--kind", "WorkflowTemplate",
                  "--param", "a=11", "--param", "c=2.5")
    assert result.returncode == 0, result.stderr
    doc = yaml.safe_load(out.read_text())
    assert doc["kind"] == "WorkflowTemplate" and doc["metadata"]["name"] == "calculation"
    assert {p["name"]: p["value"] for p in doc["spec"]["arguments"]["parameters"]} == {"a": "11", "b": "8", "c": "2.5"}
    assert [p.name for p in out.parent.iterdir()] == ["wf.yaml"]  # no temp file left behind


def test_a_failed_compile_leaves_the_old_output_untouched(tmp_path: Path) -> None:
    out = tmp_path / "wf.yaml"
    out.write_text("old\n")
    result = creg("compile", str(DATA / "many-errors.yaml"), "-o", str(out))
    assert result.returncode == 1
    assert "many-errors.yaml:7:23: error: $.tasks.first.args.a.param: unknown param 'aa'" in result.stderr
    assert "Traceback" not in result.stderr
    assert out.read_text() == "old\n"


def test_bad_param_syntax_is_a_usage_error() -> None:
    result = creg("compile", str(EXAMPLES / "calculation.yaml"), "--param", "novalue")
    assert result.returncode == 2 and "expected NAME=VALUE" in result.stderr


def test_lint_reports_everything_as_text_and_json() -> None:
    text = creg("lint", str(DATA / "many-errors.yaml"), str(DATA / "schema-errors.yaml"))
    assert text.returncode == 1
    lines = [l for l in text.stderr.splitlines() if ": error: " in l]
    assert len(lines) == 14 and "2 pipelines, 14 problem(s)" in text.stderr
    as_json = creg("lint", "--format", "json", str(DATA / "schema-errors.yaml"))
    problems = json.loads(as_json.stdout)
    assert as_json.returncode == 1
    assert {"line": 5, "column": 5, "path": "$.tasks.first.argz"}.items() <= problems[1].items()


def test_lint_passes_clean_pipelines() -> None:
    result = creg("lint", *(str(EXAMPLES / f"{n}.yaml") for n in ("calculation", "conditional", "volume")))
    assert result.returncode == 0 and "3 pipelines, 0 problem(s)" in result.stderr


def test_lint_catches_invalid_yaml_with_position(tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, "name: x\ntasks: [unclosed\n")
    result = creg("lint", str(path))
    assert result.returncode == 1 and f"{path}:" in result.stderr and "invalid YAML" in result.stderr


def test_graph_dot_and_mermaid(tmp_path: Path) -> None:
    dot = creg("graph", str(EXAMPLES / "calculation.yaml"))
    assert dot.returncode == 0
    assert '"add-1" -> "divmod" [label="sum"];' in dot.stdout and dot.stdout.startswith('digraph "calculation"')
    out = tmp_path / "g.mmd"
    mermaid = creg("graph", str(EXAMPLES / "conditional.yaml"), "--format", "mermaid", "-o", str(out))
    assert mermaid.returncode == 0
    text = out.read_text()
    assert text.startswith("flowchart TD") and 't0 -->|"output"| t1' in text and "#lt; 10" in text


def test_graph_svg_without_graphviz_is_a_clear_error(tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    result = creg("graph", str(EXAMPLES / "calculation.yaml"), "--format", "svg", env={"PATH": str(empty)})
    assert result.returncode == 1
    assert "needs Graphviz's 'dot' program, which is not on PATH" in result.stderr


def test_graph_svg_with_a_dot_program(tmp_path: Path) -> None:
    # A stand-in 'dot' on PATH proves creg pipes DOT text to it and keeps its output.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "dot"
    fake.write_text("#!/bin/sh\necho \"<svg format=$1>\"; cat\n")
    fake.chmod(0o755)
    out = tmp_path / "g.svg"
    result = creg("graph", str(EXAMPLES / "calculation.yaml"), "--format", "svg", "-o", str(out),
                  env={"PATH": f"{bin_dir}:{os.environ['PATH']}"})
    assert result.returncode == 0, result.stderr
    assert out.read_text().startswith("<svg format=-Tsvg>\ndigraph")


def test_compile_honours_creg_lock_next_to_the_pipeline(tmp_path: Path) -> None:
    pipeline = write_pipeline(tmp_path, "name: locked\ntasks:\n  r: {component: 'random-int@>=1.0.0'}\n")
    assert creg("lock", str(pipeline)).returncode == 0
    lock = yaml.safe_load((tmp_path / "creg.lock").read_text())
    entry = lock["components"][0]
    assert entry["ref"] == "random-int@>=1.0.0"
    result = creg("compile", str(pipeline))
    assert result.returncode == 0, result.stderr
    notes = yaml.safe_load(result.stdout)["spec"]["templates"][1]["metadata"]["annotations"]
    assert notes["creg.dev/component-version"] == entry["version"]
    assert notes["creg.dev/component-digest"] == entry["digest"]
    # a lock that no longer matches the index is an error, not a silent re-resolve
    entry["digest"] = "sha256:" + "0" * 64
    (tmp_path / "creg.lock").write_text(yaml.safe_dump(lock))
    stale = creg("compile", str(pipeline))
    assert stale.returncode == 1 and "run 'creg lock'" in stale.stderr


def test_a_scheduled_pipeline_cannot_become_a_workflow_template() -> None:
    result = creg("compile", str(EXAMPLES / "calculation-schedule.yaml"), "--kind", "WorkflowTemplate")
    assert result.returncode == 2 and "compiles to a CronWorkflow" in result.stderr
