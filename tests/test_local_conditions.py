"""Argo's ``when`` and ``depends`` expressions, as the local runner evaluates them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from registry.local.conditions import ExpressionError, depends_met, depends_names, evaluate_when


def NOTHING(reference: str) -> object:
    raise AssertionError(f"nothing should be looked up, but {reference!r} was")


INJECTION = 'x" == "x" || "a'
VALUES = {"tasks.check.outputs.parameters.result": INJECTION, "tasks.n.outputs.result": "7",
          "workflow.parameters.quote": 'say "hi"', "item": {"a": "2"}, "item.a": "2"}


@pytest.mark.parametrize("text, expected", [
    ("5 < 10", True),
    ("48 > 10 && 48 < 50", True),
    ("50 > 10 && 50 < 50", False),
    ("'heads' == 'heads'", True),
    ("heads == heads", True),            # bare words are text, as in Argo's coinflip example
    ("tails != 'heads'", True),
    ("!(1 == 1) || 2 >= 2", True),
    ("1.0 == 1", True),
    ("'1' == 1", True),                   # text against number compares as text
    ("true == true && false != true", True),
    ("-3 < -2", True),
])
def test_when(text: str, expected: bool) -> None:
    assert evaluate_when(text, NOTHING) is expected


@pytest.mark.parametrize("text", ["5 <", "(1 == 1", "1 == 1 1", "'a' < 'b'", "5 $ 3"])
def test_when_errors_name_the_expression(text: str) -> None:
    with pytest.raises(ExpressionError, match="expression|compares|cannot read"):
        evaluate_when(text, NOTHING)


def test_depends() -> None:
    results = {"a": "Succeeded", "b": "Failed", "c": "Skipped"}
    assert depends_met("a && c", results)
    assert not depends_met("a && b", results)
    assert depends_met("a && b.Failed", results)
    assert depends_met("b.Completed && (c || b)", results)
    assert not depends_met("!a", results)
    assert depends_names("a && (b.Failed || c)") == {"a", "b", "c"}
    with pytest.raises(ExpressionError, match="unknown task 'd'"):
        depends_met("d", results)


@pytest.mark.parametrize("text", [
    '"{{tasks.check.outputs.parameters.result}}" == "approve"',   # creg's old output, hand-written Workflows
    "{{tasks.check.outputs.parameters.result}} == approve",
    "'{{tasks.check.outputs.parameters.result}}' == 'approve'",
    "{{=tasks['check'].outputs.parameters['result'] == 'approve'}}",  # what creg compiles to now
    '"{{workflow.parameters.quote}}" == "approve"',                # a quote in a value: false, no error
])
def test_values_are_data_and_never_rewrite_the_condition(text: str) -> None:
    assert evaluate_when(text, VALUES.__getitem__) is False
    approving = {**VALUES, "tasks.check.outputs.parameters.result": "approve", "workflow.parameters.quote": "approve"}
    assert evaluate_when(text, approving.__getitem__) is True  # the same condition does compare


@pytest.mark.parametrize("text, expected", [
    ("{{=asFloat(tasks['n'].outputs['result']) > 5}}", True),
    ("{{=asFloat(tasks['n'].outputs['result']) > 5 and not (item['a'] == '3')}}", True),
    ("{{=!(asFloat(item['a']) == 2) || tasks['n'].outputs['result'] == '8'}}", False),
    ("{{tasks.n.outputs.result}} < 10 && {{item.a}} == 2", True),
    ("'pre-{{item.a}}' == 'pre-2'", True),
])
def test_expression_tags_and_references(text: str, expected: bool) -> None:
    assert evaluate_when(text, VALUES.__getitem__) is expected


@pytest.mark.parametrize("text", ["(" * 500 + "1 == 1" + ")" * 500, "!" * 3000 + "(1 == 1)",
                                  "{{=" + "(" * 500 + "1 == 1" + ")" * 500 + "}}", "{{=" + "not " * 3000 + "true}}"])
def test_deep_nesting_is_an_error_not_a_crash(text: str) -> None:
    with pytest.raises(ExpressionError, match="nests deeper than 64 levels"):
        evaluate_when(text, NOTHING)


GATED = """\
name: gated
params:
  mode: {type: String, default: review}
tasks:
  check:
    image: sh
    command: [sh, -c, 'printf %s "$0" > /tmp/verdict.txt', {param: mode}]
    outputs: {verdict: /tmp/verdict.txt}
  deploy:
    image: sh
    command: [sh, -c, 'echo deployed']
    after: [check]
    when: output.check == 'approve' and param.mode != 'off'
"""


@pytest.mark.parametrize("mode, deployed", [("approve", True), ('x" == "x" || "a', False),
                                            ("x' == 'x' || 'a", False), ('say "hi"', False)])
def test_a_value_with_quotes_cannot_open_a_gated_deploy(tmp_path: Path, mode: str, deployed: bool) -> None:
    from helpers_registry import creg

    source = tmp_path / "gated.yaml"
    source.write_text(GATED, encoding="utf-8")
    ran = creg("run", str(source), "--param", f"mode={mode}", "--workdir", str(tmp_path / "run"), "--format", "json")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    phases = {node["id"]: node["phase"] for node in json.loads(ran.stdout)["nodes"]}
    assert phases["gated.deploy"] == ("Succeeded" if deployed else "Skipped")
