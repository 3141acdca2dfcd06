"""Pipeline -> Argo documents: safety of user strings, shared templates, features, self-validation."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from helpers_pipelines import DATA, builtin_loader, dag_tasks, parse, templates, write_pipeline
from registry.argo.emit import build_workflow, flow_value, jinja_environment, to_yaml
from registry.argo.check import ArgoError, cron_problem, semantic_errors, validate
from registry.argo.compiler import compile_document, compile_pipeline
from registry.pipeline.load import load_pipeline

HOSTILE = ["x\n  evil: true", "{{workflow.name}}", "a: b", "- item", "&anchor", "*alias", "!!python/object x",
           "'single' \"double\"", "# not a comment", "}{", "{% raw %}", "null", "true", "07", "\u2028line", "\t tab"]


def hostile_pipeline(tmp_path: Path, value: str) -> Path:
    import json

    text = json.dumps(value)  # a JSON string is a valid YAML double-quoted scalar
    return write_pipeline(tmp_path, f"""
        name: hostile
        description: {text}
        params:
          p: {{type: String, default: {text}}}
        env:
          E: {text}
        tasks:
          t:
            image: {text}
            command: [{text}]
            args: [{text}, {{param: p}}]
            nodeSelector: {{zone: {text}}}
          l:
            image: alpine
            args: [{{item: null}}]
            loop: {{items: [{text}]}}
    """)


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_strings_come_out_as_the_same_string(tmp_path: Path, value: str) -> None:
    doc = parse(compile_pipeline(hostile_pipeline(tmp_path, value)))
    assert "evil" not in doc["spec"] and set(doc) == {"apiVersion", "kind", "metadata", "spec"}
    assert doc["metadata"]["annotations"]["workflows.argoproj.io/description"] == value
    assert doc["spec"]["arguments"]["parameters"] == [{"name": "p", "value": value}]
    container = templates(doc)["t"]["container"]
    assert container["image"] == value and container["command"] == [value]
    assert container["args"][0] == value and container["env"] == [{"name": "E", "value": value}]
    assert templates(doc)["t"]["nodeSelector"] == {"zone": value}
    assert dag_tasks(doc, "hostile")["l"]["withItems"] == [value]


def test_template_skeletons_refuse_values_that_skip_the_quoting_filter() -> None:
    template = jinja_environment().from_string("name: {{ value }}")
    with pytest.raises(TypeError, match="was not passed through"):
        template.render(value="x\nevil: true")
    assert flow_value("a\nb: c") == '"a\\nb: c"'


def test_one_template_per_component_configuration(tmp_path: Path) -> None:
    tasks = "\n".join(f"  t{i}: {{component: add@1.0.0, args: {{a: {i}, b: {{output: t{i - 1}}}}}}}"
                      for i in range(1, 50))
    path = write_pipeline(tmp_path, "name: chain\ntasks:\n  t0: {component: add@1.0.0, args: {a: 1, b: 2}}\n" + tasks)
    doc = parse(compile_pipeline(path, loader=builtin_loader()))
    assert sorted(templates(doc)) == ["add", "chain"]
    assert len(dag_tasks(doc, "chain")) == 50


def test_output_is_deterministic_and_annotated(tmp_path: Path) -> None:
    first = compile_pipeline(DATA / "features.yaml")
    assert first == compile_pipeline(DATA / "features.yaml")
    notes = templates(parse(first))["echo"]["metadata"]["annotations"]
    assert notes["creg.dev/component"] == "Echo" and notes["creg.dev/component-digest"].startswith("sha256:")


def test_features_land_where_argo_expects_them() -> None:
    doc = parse(compile_pipeline(DATA / "features.yaml"))
    spec, tpl = doc["spec"], templates(doc)
    assert spec["onExit"] == "features-finally" and "notify" in dag_tasks(doc, "features-finally")
    assert spec["activeDeadlineSeconds"] == 7200 and spec["serviceAccountName"] == "pipeline-runner"
    assert spec["volumeClaimTemplates"][0]["spec"]["accessModes"] == ["ReadWriteMany"]
    assert spec["volumes"] == [{"name": "shared", "persistentVolumeClaim": {"claimName": "team-data", "readOnly": True}}]
    first = tpl["echo"]
    assert first["retryStrategy"] == {"limit": "2", "retryPolicy": "OnFailure",
                                      "backoff": {"duration": "10s", "factor": "2", "maxDuration": "5m"}}
    assert first["activeDeadlineSeconds"] == 600
    assert first["container"]["resources"] == {"limits": {"cpu": "500m", "memory": "1Gi", "nvidia.com/gpu": "1"}}
    assert first["container"]["env"][0] == {"name": "LOG_LEVEL", "value": "debug"}
    assert first["outputs"]["artifacts"][0]["s3"]["accessKeySecret"] == {"name": "mlpipeline-minio-artifact",
                                                                         "key": "accesskey"}
    tasks = dag_tasks(doc, "features")
    assert tasks["static-loop"]["withItems"] == [{"name": "a", "n": 1}, {"name": "b", "n": 2}]
    assert tasks["gated"]["depends"] == "first && static-loop"
    assert tasks["gated"]["when"].startswith("{{=(tasks.first.outputs.parameters.said == 'hello' || ")
    wrapper = tpl["output-loop-loop"]
    assert wrapper["parallelism"] == 1
    inner = wrapper["dag"]["tasks"][0]
    assert inner["withParam"] == "{{inputs.parameters.first-items}}"
    assert tasks["output-loop"]["arguments"]["parameters"] == [
        {"name": "first-items", "value": "{{tasks.first.outputs.parameters.items}}"}]
    assert tpl["param-loop-loop"]["dag"]["tasks"][0]["withParam"] == "{{workflow.parameters.names}}"


def test_workflow_template_kind(tmp_path: Path) -> None:
    pipeline = load_pipeline(DATA / "features.yaml")
    doc = compile_document(pipeline, "WorkflowTemplate")
    assert doc["kind"] == "WorkflowTemplate" and doc["metadata"]["name"] == "features"


def calc_doc() -> dict[str, Any]:
    return build_workflow(load_pipeline(Path(__file__).parent.parent / "examples" / "calculation.yaml",
                                        loader=builtin_loader()))


def test_validator_rejects_unknown_keys_but_accepts_numeric_int_or_string() -> None:
    doc = calc_doc()
    validate(doc)
    doc["spec"]["templates"][1]["retryStrategy"] = {"limit": 3}  # IntOrString as a number: fine
    validate(doc)
    doc["spec"]["templtes"] = []
    with pytest.raises(ArgoError, match="templtes"):
        validate(doc)


def test_semantic_checks_the_schema_cannot_express() -> None:
    doc = calc_doc()
    broken = copy.deepcopy(doc)
    broken["spec"]["entrypoint"] = "nope"
    tasks = broken["spec"]["templates"][0]["dag"]["tasks"]
    tasks[0]["depends"] = "add-2"
    tasks[1]["template"] = "missing"
    tasks[2]["depends"] = "divmod && ghost"
    broken["spec"]["templates"].append(copy.deepcopy(broken["spec"]["templates"][1]))
    messages = " | ".join(f"{p}: {m}" for p, m in semantic_errors(broken))
    assert "$.spec.entrypoint: no template named 'nope'" in messages
    assert "no template named 'missing'" in messages
    assert "no task named 'ghost'" in messages
    assert "tasks form a cycle" in messages
    assert "duplicate template name 'add'" in messages


@pytest.mark.parametrize("depends, unknown", [("ghost", ["ghost"]), ("ghost.Succeeded", ["ghost"]),
                                              ("(ghost || add-1) && ghost-2", ["ghost", "ghost-2"]), ("", [])])
def test_depends_names_unknown_tasks_whether_one_word_or_an_expression(depends: str, unknown: list[str]) -> None:
    doc = copy.deepcopy(calc_doc())
    doc["spec"]["templates"][0]["dag"]["tasks"][1]["depends"] = depends
    found = [m for _, m in semantic_errors(doc) if "no task named" in m]
    assert found == [f"no task named {name!r} in this DAG" for name in unknown]


@pytest.mark.parametrize("cron, ok", [("0 6 * * *", True), ("*/15 0-23 1,15 jan-dec mon-fri", True),
                                      ("@daily", True), ("0 6 * *", False), ("61 * * * *", False),
                                      ("* * * * 8", False), ("*/0 * * * *", False), ("5-1 * * * *", False)])
def test_cron_expressions(cron: str, ok: bool) -> None:
    assert (cron_problem(cron) is None) is ok


def test_invalid_cron_is_reported_before_anything_is_written(tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, """
        name: bad-cron
        schedule: {cron: '0 25 * * *'}
        tasks:
          a: {image: alpine}
    """)
    with pytest.raises(ArgoError, match=r"\$.schedule.cron: cron expression '0 25 \* \* \*': hour"):
        compile_pipeline(path)


def test_yaml_text_is_readable_and_round_trips() -> None:
    doc = calc_doc()
    text = to_yaml(doc)
    assert parse(text) == doc
    assert "    - {name: a, value: '7'}\n" in text  # short records stay on one line
    assert "      - |\n        import sys\n" in text  # scripts stay literal blocks


def test_graph_components_expand_into_nested_dags(shared_dir: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    text = compile_pipeline(DATA / "graph.yaml", loader=builtin_loader())
    doc = parse(text)
    graph = templates(doc)["add-twice"]
    assert [t["name"] for t in graph["dag"]["tasks"]] == ["first-add", "second-add", "show"]
    assert graph["inputs"]["parameters"] == [{"name": "a"}, {"name": "b", "default": "1"}]
    assert graph["outputs"]["parameters"] == [
        {"name": "total", "valueFrom": {"parameter": "{{tasks.second-add.outputs.parameters.sum}}"}}]
    inner = {t["name"]: t for t in graph["dag"]["tasks"]}
    assert inner["second-add"]["depends"] == "first-add"
    assert inner["show"]["arguments"]["artifacts"] == [
        {"name": "text", "from": "{{tasks.second-add.outputs.artifacts.sum}}"}]
    outer = dag_tasks(doc, "graph")
    assert outer["twice"]["template"] == outer["again"]["template"] == "add-twice"  # one template, two tasks
    assert outer["report"]["arguments"]["parameters"][0]["value"] == "{{tasks.again.outputs.parameters.total}}"
    assert sorted(templates(doc)) == ["add", "add-twice", "graph", "report", "show"]
    out = tmp_path / "graph.yaml"
    out.write_text(text, encoding="utf-8")
    result = subprocess.run([sys.executable, str(shared_dir / "argo" / "validate.py"), "--strict", "--lenient", str(out)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout


def test_graph_component_problems_are_reported(tmp_path: Path) -> None:
    from registry.pipeline.load import PipelineError

    (tmp_path / "g.yaml").write_text("""
name: Remote graph
inputs: [{name: a}]
implementation:
  graph:
    tasks:
      one:
        componentRef: {url: 'https://example.org/c.yaml'}
      two:
        componentRef: {name: add, tag: 9.9.9}
        arguments: {a: {graphInput: {inputName: a}}, b: 2}
""", encoding="utf-8")
    path = write_pipeline(tmp_path, "name: p\ntasks:\n  g: {component: ./g.yaml, args: {a: 1}}\n")

    def loader(ref: str):
        if ref == "add@9.9.9":
            raise PipelineError("no version 9.9.9 of 'add'")
        return builtin_loader()(ref)

    with pytest.raises(PipelineError) as info:
        load_pipeline(path, loader=loader)
    text = "\n".join(p.format() for p in info.value.problems)
    assert ":3:18: error: $.tasks.g.component.graph.tasks.one.componentRef: creg resolves a componentRef" in text
    assert "$.tasks.g.component.graph.tasks.two.componentRef: cannot load component 'add@9.9.9'" in text


@pytest.mark.parametrize("prefix, key", [("runs", "runs/"), ("runs/", "runs/"), ("a/b", "a/b/"), ("", "")])
def test_a_key_prefix_is_a_folder_of_the_artifact_keys(tmp_path: Path, prefix: str, key: str) -> None:
    path = write_pipeline(tmp_path, f"""
        name: p
        artifactRepository:
          s3: {{endpoint: 'minio:9000', bucket: b, keyPrefix: '{prefix}'}}
        tasks:
          a: {{image: alpine, command: [sh, -c, 'echo > /tmp/o'], outputs: {{o: /tmp/o}}}}
    """)
    text = compile_pipeline(path)
    assert f"key: '{key}{{{{workflow.name}}}}/{{{{pod.name}}}}/o.tgz'" in text, text


@pytest.mark.parametrize("zone, message", [
    ("Mars/Olympus", "timezone 'Mars/Olympus' is not in the IANA time zone database (e.g. 'Europe/Berlin', 'UTC')"),
    ("Europe/Berln", "did you mean 'Europe/Berlin'?"),
    ("../../etc/passwd", "is not in the IANA time zone database"),
])
def test_a_schedule_timezone_is_checked_against_the_iana_database(tmp_path: Path, zone: str, message: str) -> None:
    path = write_pipeline(tmp_path, f"""
        name: p
        schedule: {{cron: '0 6 * * *', timezone: '{zone}'}}
        tasks:
          a: {{image: alpine}}
    """)
    with pytest.raises(ArgoError) as info:
        compile_pipeline(path)
    assert info.value.problems[0].format().startswith(f"{path}:2:41: error: $.schedule.timezone: ")
    assert message in str(info.value)
    good = write_pipeline(tmp_path, "name: p\nschedule: {cron: '0 6 * * *', timezone: America/Los_Angeles}\n"
                                    "tasks:\n  a: {image: alpine}\n")
    assert "timezone: America/Los_Angeles" in compile_pipeline(good)


def test_compiled_skeletons_are_cached_and_checked_against_their_source(tmp_path: Path) -> None:
    from jinja2 import FileSystemLoader
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    from registry.argo.emit import _bytecode_cache
    from registry.sources.store import cache_root

    cache = _bytecode_cache()
    source = tmp_path / "t.j2"

    def render() -> str:
        env = ImmutableSandboxedEnvironment(loader=FileSystemLoader(str(tmp_path)), bytecode_cache=cache)
        return env.get_template("t.j2").render(x=1)

    source.write_text("one {{ x }}")
    assert render() == "one 1"
    entries = sorted((cache_root() / "jinja").iterdir())
    assert entries, "nothing was cached"
    source.write_text("two {{ x }}")  # an edited skeleton is compiled again, not read from the cache
    assert render() == "two 1"
    for entry in entries:
        entry.write_bytes(b"garbage")  # a damaged entry costs a compile, never a wrong result
    assert render() == "two 1"
    pipeline = write_pipeline(tmp_path, "name: p\ntasks:\n  a: {image: alpine, command: [echo, hi]}\n")
    warm = compile_pipeline(pipeline)  # in this process: skeletons from the cache written above
    cold = subprocess.run([sys.executable, "-c", "import sys; from registry.argo.compiler import compile_pipeline; "
                           "sys.stdout.write(compile_pipeline(sys.argv[1]))", str(pipeline)],
                          capture_output=True, text=True, env={**os.environ, "CREG_CACHE_DIR": str(tmp_path / "empty")})
    assert cold.returncode == 0 and cold.stdout == warm
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    locked = subprocess.run(cold.args, capture_output=True, text=True,
                            env={**os.environ, "CREG_CACHE_DIR": str(not_a_folder / "cache")})
    assert locked.returncode == 0 and locked.stdout == warm, locked.stderr  # no cache: slower, same output
