"""Pipelines through the public API: load from a file, text or a dict of component objects;
lint, compile, draw, run and submit, with the same results as the CLI (one path)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Iterator, NamedTuple

import pytest

import registry
from helpers_registry import creg
from registry.errors import ArgumentError
from registry.pipeline.load import ParamUsageError, PipelineError
from test_api_html import parsed
from helpers_argo import TOKEN, ArgoStandIn, start, stop

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
BROKEN = "name: broken\ntasks:\n  a:\n    component: add@1.0.0\n    args: {a: 1, c: 2}\n"


def add(a: int, b: int) -> int:
    return a + b


class Split(NamedTuple):
    whole: int
    rest: int


def split(number: int, by: int) -> Split:
    return divmod(number, by)


def test_load_from_a_file_text_and_a_dict_compiles_the_same() -> None:
    text = (EXAMPLES / "calculation.yaml").read_text()
    from_file = registry.Pipeline.load(EXAMPLES / "calculation.yaml").compile()
    from_text = registry.Pipeline.load(text).compile()
    import yaml
    from_dict = registry.Pipeline.load(yaml.safe_load(text)).compile()
    assert isinstance(from_file, registry.CompiledWorkflow) and from_file.kind == "Workflow"
    assert from_file["spec"] == from_text["spec"] == from_dict["spec"]


def test_compile_is_the_cli_output() -> None:
    cli = creg("compile", str(EXAMPLES / "calculation.yaml"), "--param", "a=3", "--kind", "WorkflowTemplate")
    assert cli.returncode == 0, cli.stderr
    api = registry.Pipeline.load(EXAMPLES / "calculation.yaml").compile("WorkflowTemplate", params={"a": 3})
    assert api.to_yaml() == cli.stdout
    assert api["spec"]["arguments"]["parameters"][0] == {"name": "a", "value": "3"}


def test_lint_returns_the_problems_the_cli_prints(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    result = registry.Pipeline.load(path).lint()
    assert not result.ok and not result and len(result) >= 1
    cli = creg("lint", str(path), "--format", "json")
    assert [p.as_dict() for p in result] == json.loads(cli.stdout)
    assert all(p.file == str(path) and p.line == 5 for p in result)
    cells = parsed(result._repr_html_()).cells
    assert f"{path}:5:{result.problems[0].column}" in cells
    assert registry.Pipeline.load(EXAMPLES / "calculation.yaml").lint().ok


def test_a_broken_pipeline_loads_but_compiling_it_raises_with_positions() -> None:
    pipeline = registry.Pipeline.load(BROKEN)
    with pytest.raises(PipelineError) as caught:
        pipeline.compile()
    assert str(caught.value).startswith("<pipeline>:5:")
    assert "cannot be loaded" in pipeline._repr_html_()


def test_bad_arguments_are_argument_errors(tmp_path: Path) -> None:
    pipeline = registry.Pipeline.load(EXAMPLES / "calculation.yaml")
    with pytest.raises(ArgumentError) as kind:
        pipeline.compile("Deployment")
    assert kind.value.argument == "kind"
    with pytest.raises(ParamUsageError) as param:
        pipeline.compile(params={"aa": 1})
    assert "did you mean 'a'" in str(param.value)
    with pytest.raises(ArgumentError) as missing:
        registry.Pipeline.load(tmp_path / "absent.yaml")
    assert missing.value.argument == "source"
    with pytest.raises(ArgumentError):
        pipeline.graph("png")


def test_graph_formats_and_the_html_display() -> None:
    pipeline = registry.Pipeline.load(EXAMPLES / "calculation.yaml")
    assert pipeline.graph("dot") == creg("graph", str(EXAMPLES / "calculation.yaml")).stdout
    assert pipeline.graph("mermaid").startswith("flowchart TD")
    svg = ET.fromstring(pipeline.graph("svg"))
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert {"add-1", "divmod", "add-2", "add@1.0.0", "divmod@1.0.0", "sum", "quotient"} <= set(texts)
    markup = pipeline._repr_html_()
    cells = parsed(markup).cells
    assert ["a", "Float", "7", "First number."] == cells[cells.index("a"):cells.index("a") + 4]
    ET.fromstring(markup[markup.index("<svg"):markup.index("</svg>") + 6])


def test_a_dict_of_function_components_runs_locally(tmp_path: Path) -> None:
    adder, splitter = registry.component_from_func(add), registry.component_from_func(split)
    pipeline = registry.Pipeline.load({
        "name": "from-functions",
        "description": "<b>not bold</b>",
        "params": {"n": {"type": "Integer", "default": 17}},
        "tasks": {
            "split": {"component": splitter, "args": {"number": {"param": "n"}, "by": 5}},
            "add": {"component": adder, "args": {"a": {"output": "split.whole"}, "b": {"output": "split.rest"}}},
        },
    })
    assert "&lt;b&gt;not bold&lt;/b&gt;" in pipeline._repr_html_()
    seen: list[str] = []
    run = pipeline.run(params={"n": 23}, workdir=tmp_path / "run", on_task=lambda node: seen.append(node.id))
    assert run.status == "Succeeded" and run.succeeded, run.message
    assert run.outputs["split"] == {"whole": "4", "rest": "3"}
    assert run.outputs["add"] == {"output": "7"}  # named as in the Argo Workflow
    assert "from-functions.add" in seen
    assert run.folder == (tmp_path / "run").resolve()
    assert run.workflow["spec"]["arguments"]["parameters"] == [{"name": "n", "value": "23"}]


LOOPS = """
name: loops
tasks:
  make-list:
    image: python:3.11
    command: [python3, -c, "import os, sys; os.makedirs(os.path.dirname(sys.argv[1]), exist_ok=True); open(sys.argv[1], 'w').write('[1, 2.5]')"]
    args: [/tmp/outputs/list/data]
    outputs: {list: /tmp/outputs/list/data}
  scale:
    image: python:3.11
    loop: {output: make-list}
    command: [python3, -c, "import os, sys; print('item', sys.argv[2]); os.makedirs(os.path.dirname(sys.argv[1]), exist_ok=True); open(sys.argv[1], 'w').write(sys.argv[2])"]
    args: [/tmp/outputs/v/data, {item: null}]
    outputs: {v: /tmp/outputs/v/data}
finally:
  report:
    image: python:3.11
    command: [python3, -c, "import sys; print('status', sys.argv[1])"]
    args: ['{{workflow.status}}']
"""


def test_a_run_of_loops_and_an_exit_handler_has_argo_shaped_nodes(tmp_path: Path) -> None:
    run = registry.Pipeline.load(LOOPS).run(workdir=tmp_path / "run")
    assert run.status == "Succeeded", run.message
    tasks = run.tasks
    assert tasks["scale"].type == "TaskGroup" and tasks["make-list"].type == "Pod"
    assert tasks["scale(1:2.5)"].outputs == {"v": "2.5"} and tasks["scale(1:2.5)"].type == "Pod"
    assert tasks["onExit.report"].phase == "Succeeded"
    assert "status Succeeded" in run.logs("onExit.report")
    assert run.logs("scale(1:2.5)") == "item 2.5\n"
    assert run.logs() == "scale(0:1): item 1\nscale(1:2.5): item 2.5\nreport: status Succeeded\n"
    nodes = {node["name"]: node for node in run.workflow["status"]["nodes"].values()}
    root = nodes[run.name]
    assert root["type"] == "DAG" and root["id"] == run.name
    assert nodes[f"{run.name}.scale(1:2.5)"]["boundaryID"] == run.name
    assert run.workflow["status"]["progress"] == "4/4"
    assert run.refresh().workflow == run.workflow
    assert registry.Run.get(run.name[:-2]).name == run.name  # from the run store, by a unique prefix
    assert set(run.files("make-list")) == {"make-list.list"}


def test_a_failed_run_is_returned_with_its_phases_and_logs(tmp_path: Path) -> None:
    text = """
name: broken
tasks:
  fail:
    image: python:3.11
    command: [python3, -c, "import sys; print('about to <fail>'); sys.exit(3)"]
  after-fail:
    image: python:3.11
    command: [python3, -c, "print('never')"]
    after: fail
"""
    run = registry.Pipeline.load(text).run(workdir=tmp_path / "run")
    assert run.status == "Failed" and run.message == f"child '{run.tasks['fail'].node_id}' failed"  # as Argo says
    assert run.tasks["after-fail"].phase == "Omitted" and run.tasks["after-fail"].type == "Skipped"
    assert "about to <fail>" in run.logs("fail")
    markup = run._repr_html_()
    assert "about to <fail>" not in markup and "about to &lt;fail&gt;" in markup  # the log's tail, escaped
    cells = parsed(markup).cells
    assert ["fail", "Failed"] == cells[cells.index("fail"):cells.index("fail") + 2]
    svg = ET.fromstring(markup[markup.index("<svg"):markup.index("</svg>") + 6])
    phases = {g.get("data-phase") for g in svg.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "node"}
    assert phases == {"Failed", "Omitted"}
    with pytest.raises(ArgumentError, match="did you mean 'fail'"):
        run.logs("fali")


@pytest.fixture
def server() -> Iterator[ArgoStandIn]:
    argo = start()
    yield argo
    stop(argo)
    assert argo.violations == []


def test_submit_labels_waits_and_reads_the_run_back(server: ArgoStandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARGO_TOKEN", TOKEN)
    monkeypatch.setenv("CREG_SUBMIT_POLL", "0.05")
    phases: list[str] = []
    submitted = registry.Pipeline.load(EXAMPLES / "calculation.yaml").submit(
        server=server.url, namespace="ml", experiment="tuning-1", labels={"team": "a"}, params={"a": 1},
        wait=True, on_phase=phases.append)
    (created,) = server.created()
    labels = created["metadata"]["labels"]
    assert labels["creg.dev/experiment"] == "tuning-1" and labels["team"] == "a"
    assert labels["creg.dev/pipeline"] == "calculation"
    assert (submitted.kind, submitted.namespace) == ("Workflow", "ml")
    assert submitted.name == created["metadata"]["name"]
    assert submitted.phase == "Succeeded" and phases[-1] == "Succeeded"
    assert submitted.name in parsed(submitted._repr_html_()).cells
    assert TOKEN not in repr(submitted) and TOKEN not in submitted._repr_html_()
    run = submitted.run()  # the same Run, over the Argo Server's answer
    assert run.status == "Succeeded" and set(run.tasks) >= {"add-1", "divmod", "add-2"}
    with pytest.raises(ArgumentError) as bad:
        registry.Pipeline.load(EXAMPLES / "calculation.yaml").submit(server=server.url, experiment="no spaces")
    assert bad.value.argument == "experiment" and len(server.created()) == 1


def test_a_pipeline_without_params_shows_no_params_table() -> None:
    cells = parsed(registry.Pipeline.load(EXAMPLES / "conditional.yaml")._repr_html_()).cells
    assert cells == []  # the graph only: its labels are SVG text, not table cells


def test_a_detached_run_is_followed_with_refresh_and_wait(tmp_path: Path) -> None:
    run = registry.Pipeline.load(EXAMPLES / "calculation.yaml").run(detach=True, experiment="bg",
                                                                     labels={"team": "ml"})
    assert run.result is None and run.status in ("Pending", "Running", "Succeeded")
    finished = run.wait(timeout=120, poll=0.1)
    assert finished.status == "Succeeded", finished.message
    assert finished.outputs["add-2"] == {"sum": "18.0"}
    labels = finished.workflow["metadata"]["labels"]
    assert labels["creg.dev/experiment"] == "bg" and labels["team"] == "ml"
