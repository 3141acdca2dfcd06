"""Values inside strings (``'wget {{param.url}} -O x'``): compiled into the template's inputs,
run locally, and every ``{{...}}`` checked at its position like a structured reference."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers_pipelines import builtin_loader, parse, templates, write_pipeline
from registry.argo.compiler import compile_pipeline, lint_pipeline
from registry.local.runner import run_pipeline_file
from registry.pipeline.strings import classify, split

PIPELINE = """
    name: strings
    params:
      url: {type: String, default: 'https://example.com/a'}
    tasks:
      make:
        image: busybox
        command: [sh, -c, 'printf 7 > /tmp/o; echo {{workflow.uid}} > /tmp/f']
        outputs: {o: /tmp/o, f: /tmp/f}
      each:
        image: busybox
        loop: {items: [{k: a}, {k: b}]}
        command: [sh, -c, 'echo "{{item.k}} {{param.url}} {{output.make.o}} $(cat {{file.make.f}})"']
"""


def test_values_inside_strings_become_template_inputs(tmp_path: Path) -> None:
    doc = parse(compile_pipeline(write_pipeline(tmp_path, PIPELINE)))
    each = templates(doc)["each"]
    assert each["container"]["command"][2] == ('echo "{{inputs.parameters.item-k}} {{inputs.parameters.url}} '
                                               '{{inputs.parameters.make-o}} $(cat /tmp/inputs/make-f/data)"')
    assert "{{workflow.uid}}" in templates(doc)["make"]["container"]["command"][2]  # Argo fills it in


def test_values_inside_strings_run_locally(tmp_path: Path) -> None:
    result = run_pipeline_file(write_pipeline(tmp_path, PIPELINE), None, {}, tmp_path / "run")
    assert result.phase == "Succeeded", [(n.id, n.message) for n in result.nodes]
    uid = (result.folder / "nodes" / "strings.make" / "outputs" / "f" / "data").read_text().strip()
    lines = sorted(str(n.result) for n in result.nodes if "each(" in n.id)
    assert lines == [f"a https://example.com/a 7 {uid}", f"b https://example.com/a 7 {uid}"]


@pytest.mark.parametrize("value, message", [
    ("{{param.ulr}}", "{{param.ulr}}: unknown param 'ulr' (did you mean 'url'?)"),
    ("x {{item}}", "{{item}}: 'item' is only available in a task with a 'loop'"),
    ("{{output.b.oops}}", "{{output.b.oops}}: task 'b' has no output 'oops'"),
    ("{{output.nope}}", "{{output.nope}}: unknown task 'nope'"),
    ("{{workflow.parameters.url}}", "write {{param.url}} for a pipeline param"),
    ("{{tasks.b.outputs.parameters.out}}", "write {{output.b.out}} for a task's output"),
    ("{{inputs.parameters.x}}", "creg writes Argo's inputs and outputs itself"),
    ("{{=1 + 1}}", "expression tags are not taken in values"),
    ("{{workflow.uidd}}", "unknown variable 'workflow.uidd' (did you mean 'workflow.uid'?)"),
])
def test_every_tag_is_checked_at_its_position(tmp_path: Path, value: str, message: str) -> None:
    path = write_pipeline(tmp_path, f"""
        name: bad
        params:
          url: {{type: String, default: x}}
        tasks:
          a:
            image: busybox
            command: [echo]
            args: ['ok', '{value}']
          b:
            image: busybox
            command: [echo]
            outputs: {{out: /tmp/o}}
    """)
    problems = lint_pipeline(path)
    assert [p.format() for p in problems] == [f"{path}:8:18: error: $.tasks.a.args[1]: " + problems[0].message]
    assert message in problems[0].message


def test_a_component_task_takes_references_whole(tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, """
        name: comp
        params:
          n: {type: Float, default: 1}
        tasks:
          c:
            component: add@1.0.0
            args: {a: 'x{{param.n}}', b: '{{workflow.uid}}'}
    """)
    problems = lint_pipeline(path, loader=builtin_loader())
    assert [p.path for p in problems] == ["$.tasks.c.args.a"]
    assert "a component task takes a reference as the whole argument" in problems[0].message


def test_split_and_classify() -> None:
    assert split("a {{ param.p }} b") == ["a ", classify(" param.p "), " b"]
    assert split("{{item}}") == [classify("item")]
    assert isinstance(split("{{nope}}"), str)
    assert classify("pod.name") == classify("pod.name") and classify("pod.name").kind is None  # type: ignore[union-attr]
