"""Component spec + arguments -> op: placeholders, defaults, argument and type checks."""

from __future__ import annotations

from typing import Any

import pytest

from registry.component.naming import argo_name
from registry.pipeline.ops import ComponentInfo, Const, OpRequest, OutputRef, ParamRef, make_op
from registry.component.model import load_component_from_text

SPEC = """
name: Echo
inputs:
- {name: message, type: String}
- {name: prefix, type: String, optional: true}
- {name: times, type: Integer, default: '1'}
- {name: data, type: Dataset, optional: true}
- {name: GCS path, type: URI, optional: true}
outputs:
- {name: said, type: String}
implementation:
  container:
    image: alpine:3.19
    command:
    - echo
    - {inputValue: message}
    - if:
        cond: {isPresent: prefix}
        then: [--prefix, {inputValue: prefix}]
        else: [--no-prefix]
    - {concat: ['--times=', {inputValue: times}, 'x']}
    - if: {cond: {isPresent: data}, then: [--data, {inputPath: data}]}
    - if: {cond: {isPresent: GCS path}, then: [{inputValue: GCS path}]}
    - {outputPath: said}
"""


def build(arguments: dict[str, Any], types: dict[Any, Any] | None = None, spec_text: str = SPEC):
    spec = load_component_from_text(spec_text, "echo.yaml")
    problems: list[tuple[list[Any], str]] = []
    request = OpRequest("t", spec, ComponentInfo("echo", "1.0.0", spec.digest, "echo@1.0.0"), arguments,
                        lambda value: (types or {}).get(value))
    op = make_op(request, lambda path, message: problems.append((list(path), message)))
    return op, problems


def test_input_value_becomes_an_argo_input_parameter_and_constants_stay_task_arguments() -> None:
    op, problems = build({"message": Const("hi")})
    assert problems == []
    assert op.command == ("echo", "{{inputs.parameters.message}}", "--no-prefix",
                          "--times={{inputs.parameters.times}}x", "/tmp/outputs/said/data")
    assert op.parameters == {"message": Const("hi")}
    assert op.param_defaults == {"message": None, "times": "1"}  # the default lives on the template
    assert op.outputs == {"said": "/tmp/outputs/said/data"}


def test_if_is_present_picks_then_and_adds_the_optional_input() -> None:
    op, problems = build({"message": Const("hi"), "prefix": Const(">"), "data": OutputRef("up", "d")})
    assert problems == []
    assert op.command[2:4] == ("--prefix", "{{inputs.parameters.prefix}}")
    assert op.command[5:7] == ("--data", "/tmp/inputs/data/data")
    assert op.artifacts == {"data": OutputRef("up", "d")}
    assert "prefix" in op.param_defaults


def test_unset_optional_inputs_drop_out_entirely() -> None:
    op, _ = build({"message": Const("hi")})
    assert "--data" not in op.command and "prefix" not in op.param_defaults and op.artifacts == {}


def test_names_with_spaces_are_sanitized_like_kfp() -> None:
    op, problems = build({"message": Const("hi"), "GCS path": Const("gs://b/o")})
    assert problems == []
    assert "{{inputs.parameters.gcs-path}}" in op.command
    assert argo_name("GCS path") == "gcs-path"


def test_unknown_argument_gets_did_you_mean_and_missing_required_is_reported() -> None:
    _, problems = build({"mesage": Const("hi")})
    messages = [m for _, m in problems]
    assert any("unknown input 'mesage' (did you mean 'message'?)" in m for m in messages)
    assert any("missing required input 'message'" in m for m in messages)
    assert [p for p, m in problems if "unknown" in m] == [["args", "mesage"]]


@pytest.mark.parametrize("given, ok", [("String", True), (None, True), ("Integer", False),
                                       ({"GCSPath": {"data_type": "CSV"}}, False), ("str", True)])
def test_type_of_a_param_or_output_must_match_the_input(given: Any, ok: bool) -> None:
    _, problems = build({"message": ParamRef("p")}, types={ParamRef("p"): given})
    assert (problems == []) is ok, problems


def test_constant_must_fit_the_input_type() -> None:
    _, problems = build({"message": Const("hi"), "times": Const("many")})
    assert problems == [(["args", "times"], "input 'times': expected an Integer, got 'many'")]


def test_unsupported_placeholder_and_runtime_condition_are_errors() -> None:
    text = SPEC.replace("- {outputPath: said}", "- {outputUri: said}\n    - if: {cond: {inputValue: prefix}, then: [x]}")
    _, problems = build({"message": Const("hi")}, spec_text=text)
    messages = " | ".join(m for _, m in problems)
    assert "placeholder 'outputUri' is not supported" in messages
    assert "cannot decide the 'if' condition" in messages


def test_file_outputs_of_a_component_become_output_paths() -> None:
    text = SPEC.replace("    - {outputPath: said}\n", "    fileOutputs: {said: /tmp/said.txt}\n")
    op, problems = build({"message": Const("hi")}, spec_text=text)
    assert problems == [] and op.outputs == {"said": "/tmp/said.txt"}
