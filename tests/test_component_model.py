"""The component spec: model, digest, placeholders, schema + semantic checks, fast path."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import shutil
import subprocess
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from helpers_spec import BUILTIN_COMPONENTS, INVALID, ROOT, VALID, container_spec, expected_problems
from registry import load_component_from_file, load_component_from_text
from registry.errors import SpecError, YamlError
from registry.resources import validator
from registry.component.model import digest_of, thaw
from registry.component.checks import semantic_findings
from registry.resources import checker
from registry.component.schema import schema_findings
from registry.yamlio import load_mapping


# -- model ---------------------------------------------------------------------------------------

def test_model_fields_and_immutability() -> None:
    spec = load_component_from_file(VALID[0])  # all_placeholders
    assert spec.name == "All placeholders"
    assert [i.name for i in spec.inputs][:3] == ["text", "number", "ratio"]
    assert spec.input("number").default == 3 and not spec.input("number").required
    assert spec.input("text").required and spec.input("extra").optional and not spec.input("extra").required
    assert thaw(spec.input("data").type) == {"GCSPath": {"data_type": "CSV"}}
    assert spec.output("legacy") is not None and spec.output("nope") is None
    assert spec.container["image"] == "python:3.11-slim" and spec.graph is None
    assert spec.metadata["labels"]["team"] == "ml"
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.name = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        spec.implementation["container"]["image"] = "x"  # type: ignore[index]
    assert spec.to_dict() == yaml.safe_load(VALID[0].read_text())


def test_graph_model() -> None:
    spec = load_component_from_file(next(p for p in VALID if p.name.startswith("graph")))
    assert spec.container is None
    assert list(spec.graph["tasks"]) == ["first", "second", "third"]


def test_digest_is_sha256_of_lf_bytes() -> None:
    text = BUILTIN_COMPONENTS[0].read_bytes()
    crlf = text.replace(b"\n", b"\r\n")
    assert digest_of(text) == "sha256:" + hashlib.sha256(text).hexdigest()
    assert digest_of(crlf) == digest_of(text)
    assert load_component_from_text(crlf).digest == load_component_from_text(text).digest
    assert digest_of(text + b"# changed\n") != digest_of(text)


def test_invalid_raises_one_error_with_every_problem() -> None:
    path = next(p for p in INVALID if p.name.startswith("placeholder_shape"))
    with pytest.raises(SpecError) as info:
        load_component_from_file(path)
    assert len(info.value.problems) == 5
    assert info.value.problems == sorted(info.value.problems)
    assert str(info.value).splitlines()[0].startswith(f"{path}:12:7: error: $.implementation.container.args[0]:")


def test_unreadable_file_is_a_spec_error(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="cannot read"):
        load_component_from_file(tmp_path / "missing.yaml")


def test_yaml_problems_surface_with_position() -> None:
    with pytest.raises(YamlError) as info:
        load_component_from_text("name: a\nname: b\n", "x.yaml")
    assert info.value.problems[0].line == 2


# -- placeholders --------------------------------------------------------------------------------

INPUT_KINDS = ["inputValue", "inputPath", "inputUri", "inputMetadata", "inputOutputPortName"]
OUTPUT_KINDS = ["outputPath", "outputUri"]


@pytest.mark.parametrize("args", [
    *[f"[{{{kind}: a}}]" for kind in INPUT_KINDS],
    *[f"[{{{kind}: out}}]" for kind in OUTPUT_KINDS],
    "[{outputMetadata: null}]", "[{executorInput: null}]",
    "[{concat: [x, {inputValue: a}, {concat: [{outputPath: out}]}]}]",
    "[{if: {cond: {isPresent: b}, then: [--b, {inputValue: b}], else: [--no-b]}}]",
    "[{if: {cond: {inputValue: a}, then: {inputValue: a}}}]",
    "[{if: {cond: true, then: x, else: null}}]",
])
def test_every_placeholder_kind_is_valid(args: str) -> None:
    load_component_from_text(container_spec(args))


@pytest.mark.parametrize("kind", INPUT_KINDS + ["isPresent"])
def test_undeclared_input_lists_declared_names(kind: str) -> None:
    args = f"[{{{kind}: nope}}]" if kind != "isPresent" else "[{if: {cond: {isPresent: nope}, then: x}}]"
    with pytest.raises(SpecError) as info:
        load_component_from_text(container_spec(args))
    (problem,) = info.value.problems
    assert problem.message == "undeclared input 'nope' (declared: 'a', 'b')"
    assert problem.path.endswith(f".{kind}") and problem.line == 7


@pytest.mark.parametrize("kind", OUTPUT_KINDS)
def test_undeclared_output_has_did_you_mean(kind: str) -> None:
    with pytest.raises(SpecError) as info:
        load_component_from_text(container_spec(f"[{{{kind}: ot}}]"))
    assert info.value.problems[0].message == "undeclared output 'ot' (declared: 'out') (did you mean 'out'?)"


@pytest.mark.parametrize("typo,meant", [("inputValu", "inputValue"), ("outputpath", "outputPath"),
                                         ("concatt", "concat"), ("inputUrl", "inputUri")])
def test_unknown_placeholder_did_you_mean(typo: str, meant: str) -> None:
    with pytest.raises(SpecError) as info:
        load_component_from_text(container_spec(f"[x, {{{typo}: a}}]"))
    (problem,) = info.value.problems
    assert problem.message == f"unknown placeholder '{typo}' (did you mean '{meant}'?)"
    assert problem.path == f"$.implementation.container.args[1].{typo}"
    assert (problem.line, problem.column) == (7, 16)


def test_unknown_placeholder_without_close_match_lists_choices() -> None:
    with pytest.raises(SpecError) as info:
        load_component_from_text(container_spec("[{zzz: a}]"))
    assert "unknown placeholder 'zzz' (expected one of 'inputValue'" in info.value.problems[0].message


def test_openvino_style_output_value_is_rejected() -> None:
    with pytest.raises(SpecError) as info:
        load_component_from_text(container_spec("[{outputValue: out}]"))
    assert info.value.problems[0].message.startswith("unknown placeholder 'outputValue' (did you mean")


# -- every check, from the data files -------------------------------------------------------------

@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_data(path: Path) -> None:
    load_component_from_file(path)


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_invalid_data_reports_expected_problems(path: Path) -> None:
    expected = expected_problems(path)
    assert expected, f"{path} has no '# expect:' lines"
    with pytest.raises((SpecError, YamlError)) as info:
        load_component_from_file(path)
    assert info.value.problems == expected


# -- built-in components ---------------------------------------------------------------------------

def test_builtin_components_are_valid_and_indexed() -> None:
    index = yaml.safe_load((ROOT / "index.yaml").read_text())
    assert index["apiVersion"] == "creg/v1" and index["registry"]["name"] == "builtin"
    assert list(index["components"]) == sorted(index["components"])
    listed = {(name, e["version"]): e for name, entries in index["components"].items() for e in entries}
    on_disk = {(p.parts[-3], p.parts[-2]): p for p in BUILTIN_COMPONENTS}
    assert set(listed) == set(on_disk)
    assert {"add", "divmod", "random-int", "download", "recommender-train"} <= {n for n, _ in on_disk}
    for key, path in on_disk.items():
        spec = load_component_from_file(path)
        assert listed[key]["digest"] == spec.digest == digest_of(path.read_bytes())
        assert listed[key]["source"] == {"path": path.relative_to(ROOT).as_posix()}
        assert list(listed[key]) == ["version", "digest", "description", "created", "source"]


def _expand(item: Any, values: dict[str, Any], outputs: dict[str, str]) -> list[str]:
    if isinstance(item, str):
        return [item]
    (kind, name), = item.items()
    return [str(values[name])] if kind == "inputValue" else [outputs[name]]


@pytest.mark.parametrize("name,values,expected", [
    ("add", {"a": 1.5, "b": 2}, {"sum": 3.5}),
    ("divmod", {"dividend": 7, "divisor": 2}, {"quotient": 3.0, "remainder": 1.0}),
    ("process-medium", {"data": 4}, {}),
])
def test_builtin_python_components_run(tmp_path: Path, name: str, values: dict[str, Any],
                                       expected: dict[str, float]) -> None:
    if shutil.which("python3") is None:
        pytest.skip("python3 is not on PATH")
    spec = load_component_from_file(ROOT / "components" / name / "1.0.0" / "component.yaml")
    outputs = {o.name: str(tmp_path / "outputs" / o.name / "data") for o in spec.outputs}
    container = thaw(spec.container)
    argv = [arg for item in container["command"] + container.get("args", []) for arg in _expand(item, values, outputs)]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert {k: float(Path(v).read_text()) for k, v in outputs.items()} == expected


# -- the fast checker agrees with the JSON Schema -----------------------------------------------

_REPLACEMENTS: list[Any] = [None, 5, True, "s", [], {}, {"inputValu": "a"}, {"inputValue": "a"},
                            {"graphInput": {"inputName": "x"}}, {"isPresent": "a"}]


def _mutations(data: Any) -> Iterator[Any]:
    """Copies of ``data`` with one value replaced, one key removed or one unknown key added."""
    for path, parent, key in _slots(data, None, None, []):
        for replacement in _REPLACEMENTS:
            mutated = copy.deepcopy(data)
            _at(mutated, path[:-1])[path[-1]] = replacement
            yield mutated
        if isinstance(key, str):
            mutated = copy.deepcopy(data)
            del _at(mutated, path[:-1])[key]
            yield mutated
    for path, value in _containers(data, []):
        if isinstance(value, dict):
            mutated = copy.deepcopy(data)
            _at(mutated, path)["unknownKey"] = "x"
            yield mutated


def _slots(value: Any, parent: Any, key: Any, path: list[Any]) -> Iterator[tuple[list[Any], Any, Any]]:
    if path:
        yield path, parent, key
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for k, v in items:
        yield from _slots(v, value, k, path + [k])


def _containers(value: Any, path: list[Any]) -> Iterator[tuple[list[Any], Any]]:
    if isinstance(value, (dict, list)):
        yield path, value
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for k, v in items:
            yield from _containers(v, path + [k])


def _at(data: Any, path: list[Any]) -> Any:
    for step in path:
        data = data[step]
    return data


def _documents() -> list[Any]:
    return [load_mapping(p.read_bytes(), str(p)).data for p in VALID + BUILTIN_COMPONENTS[:1]]


def test_fast_checker_agrees_with_schema_on_mutations() -> None:
    schema = validator("component.schema.json")
    conforms = checker("component.schema.json").is_valid
    checked = 0
    for document in _documents():
        assert conforms(document) and schema.is_valid(document)
        for mutated in _mutations(document):
            valid = conforms(mutated)
            assert valid == schema.is_valid(mutated), mutated
            semantic_findings(mutated)  # tolerates anything the schema rejects
            if not valid and checked % 4 == 0:  # explaining is slow: a sample of the failures
                assert schema_findings(mutated), mutated
            checked += 1
    assert checked > 2000


def test_fast_checker_agrees_on_invalid_data() -> None:
    schema = validator("component.schema.json")
    conforms = checker("component.schema.json").is_valid
    for path in INVALID:
        try:
            document = load_mapping(path.read_bytes(), str(path)).data
        except YamlError:
            continue
        assert conforms(document) == schema.is_valid(document), path


def test_schema_is_draft_2020_12_with_id() -> None:
    import jsonschema

    schema = validator("component.schema.json").schema
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema" and schema["$id"]
    jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("text,path,message", [
    (container_spec("[{if: {cond: {inputPath: a}, then: x}}]"), "$.implementation.container.args[0].if.cond.inputPath",
     "placeholder 'inputPath' is not allowed here (expected one of 'isPresent', 'inputValue')"),
    ("implementation: {containr: {image: x}}\n", "$.implementation.containr",
     "unknown key 'containr' (did you mean 'container'?)"),
    ("implementation: {graph: {tasks: {t: {componentRef: {spec: 5}}}}}\n",
     "$.implementation.graph.tasks.t.componentRef.spec",
     "expected null or a component mapping such as {name: ..., implementation: ...}, found an integer (5)"),
    ("implementation: {graph: {tasks: {t: {componentRef: {name: x}, arguments: "
     "{a: {taskOutput: {taskId: t, outputName: o}}}}}}}\n",
     "$.implementation.graph.tasks.t", "tasks form a dependency cycle: 't' -> 't'"),
    (container_spec("[{if: {cond: true, then: [x], else: 5}}]"), "$.implementation.container.args[0].if.else",
     "expected null or a string or a list or a placeholder mapping such as {inputValue: NAME}, found an integer (5)"),
])
def test_schema_messages(text: str, path: str, message: str) -> None:
    with pytest.raises(SpecError) as info:
        load_component_from_text(text)
    assert [(p.path, p.message) for p in info.value.problems if p.path == path] == [(path, message)]
