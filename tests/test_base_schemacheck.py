"""The fast schema checker agrees with jsonschema: on Argo documents (strict + lenient), on
pipeline files, on seeded mutations of both, and on keyword edge cases; it refuses schemas it
cannot honour; and compiling a valid pipeline never imports jsonschema."""

from __future__ import annotations

import copy
import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import jsonschema
import pytest
import yaml

from helpers_pipelines import DATA, EXAMPLES, GOLDEN, builtin_loader
from registry.argo import check as argo_check
from registry.argo.compiler import compile_pipeline
from registry.resources import checker, inline_refs, load_schema, validator
from registry.schemacheck import SchemaChecker, UnsupportedSchema

ARGO_KINDS = ("Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow",
              "WorkflowEventBinding")
MUTATIONS_PER_DOC = 60


class _TextTimestamps(yaml.SafeLoader):
    """Timestamps stay strings, as Kubernetes (and validate.py) read them."""


_TextTimestamps.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def yaml_documents(path: Path) -> list[Any]:
    return [d for d in yaml.load_all(path.read_text(encoding="utf-8"), Loader=_TextTimestamps) if d is not None]


def argo_documents(shared: Path) -> list[tuple[str, dict[str, Any]]]:
    """Compiled examples, goldens, Argo's own examples and the KFP v1 compiler's outputs."""
    found = [(f"compiled:{p.stem}", yaml.safe_load(compile_pipeline(p, loader=builtin_loader())))
             for p in sorted(EXAMPLES.glob("*.yaml")) if p.stem != "gcs-download"]
    files = sorted(GOLDEN.glob("*.yaml")) + sorted((shared / "argo" / "examples").rglob("*.yaml")) + \
        sorted((shared / "corpus" / "kfp-compiler-golden").rglob("*.yaml"))
    for path in files:
        for index, doc in enumerate(yaml_documents(path)):
            if isinstance(doc, dict) and doc.get("kind") in ARGO_KINDS:
                found.append((f"{path.relative_to(path.parents[2])}#{index}", doc))
    return found


def jsonschema_accepts(kind: str, doc: Any) -> bool:
    return next(iter(argo_check.schema_validator(kind).iter_errors(doc)), None) is None


# -- seeded mutations -----------------------------------------------------------------------------

def _paths(node: Any, here: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield here
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, here + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, here + (index,))


def _get(node: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        node = node[step]
    return node


_REPLACEMENTS = ["text", "7", 7, 7.5, 3.0, True, False, None, [], {}, ["x"], {"name": "x"}, [{"name": "x"}]]


def mutate(doc: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """One random edit: drop a key, add an unknown key, retype a value, or empty a container."""
    out = copy.deepcopy(doc)
    paths = [p for p in _paths(out) if p]
    path = rng.choice(paths)
    parent, last = _get(out, path[:-1]), path[-1]
    action = rng.randrange(4)
    if action == 0 and isinstance(parent, dict):
        del parent[last]
    elif action == 1 and isinstance(_get(out, path), dict):
        _get(out, path)[rng.choice(["unknownKey", "templtes", "name", "value"])] = rng.choice(_REPLACEMENTS)
    elif action == 2 and isinstance(parent, list):
        parent.append(copy.deepcopy(rng.choice(_REPLACEMENTS)))
    else:
        parent[last] = copy.deepcopy(rng.choice(_REPLACEMENTS))
    return out


def agreement(docs: list[tuple[str, Any]], fast: Any, slow: Any, seed: int) -> dict[str, int]:
    """Compare fast and slow on every doc and MUTATIONS_PER_DOC mutations of each; count outcomes."""
    rng = random.Random(seed)
    counts = {"valid": 0, "invalid": 0}
    for label, doc in docs:
        for variant in [doc] + [mutate(doc, rng) for _ in range(MUTATIONS_PER_DOC)]:
            expected = slow(variant)
            assert fast(variant) == expected, f"{label}: fast={not expected} jsonschema={expected}: {json.dumps(variant)[:300]}"
            counts["valid" if expected else "invalid"] += 1
    return counts


# -- Argo -------------------------------------------------------------------------------------------

def test_fast_argo_checker_agrees_with_jsonschema_on_real_and_mutated_documents(shared_dir: Path) -> None:
    docs = argo_documents(shared_dir)
    originals = {label: jsonschema_accepts(doc["kind"], doc) for label, doc in docs}
    assert len(docs) >= 60 and len(originals) == len(docs)
    counts = agreement([(label, doc) for label, doc in docs],
                       lambda d: argo_check.fast_checker(d["kind"]).is_valid(d) if isinstance(d, dict) and
                       d.get("kind") in ARGO_KINDS else False,
                       lambda d: jsonschema_accepts(d["kind"], d) if isinstance(d, dict) and
                       d.get("kind") in ARGO_KINDS else False, seed=4)
    rejected = [label for label, ok in originals.items() if not ok]
    print(f"argo: {len(docs)} documents ({sum(originals.values())} valid; rejected: {rejected}), {counts}")
    assert counts["valid"] > 500 and counts["invalid"] > 1000  # both outcomes, many times


def test_schema_errors_still_come_from_jsonschema_with_positions() -> None:
    doc = yaml.safe_load(compile_pipeline(EXAMPLES / "calculation.yaml", loader=builtin_loader()))
    doc["spec"]["templates"][1]["container"]["imagePullPolicy"] = 3
    doc["spec"]["templtes"] = []
    errors = argo_check.schema_errors(doc)
    assert ("$.spec.templates[1].container.imagePullPolicy", "expected a string, found an integer (3)") in errors
    assert ("$.spec.templtes", "unknown key 'templtes' (did you mean 'templates'?)") in errors


# -- pipelines ------------------------------------------------------------------------------------

def pipeline_documents() -> list[tuple[str, Any]]:
    files = sorted(EXAMPLES.glob("*.yaml")) + sorted(DATA.glob("*.yaml"))
    return [(path.name, doc) for path in files for doc in yaml_documents(path)]


def test_fast_pipeline_checker_agrees_with_jsonschema(tmp_path: Path) -> None:
    docs = pipeline_documents()
    raw = jsonschema.Draft202012Validator(load_schema("pipeline.schema.json"))
    counts = agreement(docs, checker("pipeline.schema.json").is_valid, raw.is_valid, seed=7)
    inlined = agreement(docs, checker("pipeline.schema.json").is_valid,
                        validator("pipeline.schema.json", inline=True).is_valid, seed=8)
    print(f"pipeline: {len(docs)} documents, {counts} / {inlined}")
    assert counts["valid"] > 100 and counts["invalid"] > 100


# -- keyword semantics, refusals ----------------------------------------------------------------------

EDGE_SCHEMAS: list[dict[str, Any]] = [
    {"type": "integer"}, {"type": "number"}, {"type": ["string", "null"]}, {"const": True},
    {"const": 1}, {"enum": [1, "a", [1], {"k": False}]}, {"pattern": "b+"}, {"minLength": 2},
    {"minimum": 2}, {"minItems": 1, "items": {"type": "string"}}, {"minProperties": 1},
    {"propertyNames": {"pattern": "^[a-z]+$"}}, {"not": {"type": "string"}},
    {"oneOf": [{"type": "integer"}, {"minimum": 0}]}, {"anyOf": [{"type": "string"}, {"const": 0}]},
    {"properties": {"a": {"type": "string"}}, "required": ["a"], "additionalProperties": {"type": "integer"}},
    {"$defs": {"n": {"type": "array", "items": {"$ref": "#/$defs/n"}}}, "$ref": "#/$defs/n"},
]
EDGE_VALUES: list[Any] = [0, 1, 1.0, 2.5, -3, float("nan"), float("inf"), True, False, None, "", "a", "abc", "ABC", [], [1], ["x"], [[]],
                          [[[]], []], {}, {"a": "x"}, {"a": 1}, {"a": "x", "b": 2}, {"b": "x"}, {"A": 1},
                          {"k": False}, {"k": 0}, {1: "x"}]


@pytest.mark.parametrize("schema", EDGE_SCHEMAS, ids=lambda s: json.dumps(s)[:40])
def test_edge_cases_match_jsonschema(schema: dict[str, Any]) -> None:
    fast, slow = SchemaChecker(schema).is_valid, jsonschema.Draft202012Validator(schema)
    for value in EDGE_VALUES:
        assert fast(value) == slow.is_valid(value), (schema, value)


@pytest.mark.parametrize("schema", [
    {"maxLength": 3}, {"properties": {"a": {"patternProperties": {}}}}, {"items": [{}]},
    {"type": "strnig"}, {"$ref": "https://example.com/s.json"}, {"$ref": "#/$defs/missing"},
    {"anyOf": [{"uniqueItems": True}]}, {"$defs": {"unused": {"if": {}}}}])
def test_unsupported_schemas_are_refused_when_the_checker_is_built(schema: dict[str, Any]) -> None:
    with pytest.raises(UnsupportedSchema):
        SchemaChecker(schema)


def test_annotations_and_extensions_are_accepted() -> None:
    schema = {"description": "d", "title": "t", "x-kubernetes-list-type": "map", "format": "int32",
              "default": {"maxLength": 1}, "type": "string"}
    assert SchemaChecker(schema).is_valid("a") and not SchemaChecker(schema).is_valid(1)


def test_the_vendored_schemas_are_within_the_subset() -> None:
    SchemaChecker({"definitions": argo_check._lenient_definitions()})
    SchemaChecker(load_schema("pipeline.schema.json"))


# -- no jsonschema on the success path -------------------------------------------------------------

STEP = """\
name: step
inputs: [{name: x, type: Integer}]
outputs: [{name: y, type: Integer}]
implementation:
  container: {image: alpine, command: [sh, -c, 'echo $(($0 + 1)) > $1', {inputValue: x}, {outputPath: y}]}
"""
_PROBE = """
import sys
from registry.commands.group import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    assert not exc.code, exc.code
print("jsonschema" in sys.modules)
"""


@pytest.mark.parametrize("args", [["compile", "pipeline.yaml", "-o", "out.yaml"], ["lint", "pipeline.yaml"],
                                  ["graph", "pipeline.yaml", "--format", "dot"]])
def test_valid_pipeline_commands_do_not_import_jsonschema(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "step.yaml").write_text(STEP, encoding="utf-8")
    tasks = "".join(f"  t{i}: {{component: ./step.yaml, args: {{x: {{output: t{i - 1}}}}}}}\n" for i in range(1, 20))
    (tmp_path / "pipeline.yaml").write_text("name: chain\ntasks:\n  t0: {component: ./step.yaml, args: {x: 0}}\n"
                                            + tasks, encoding="utf-8")
    result = subprocess.run([sys.executable, "-c", _PROBE, *args], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_an_invalid_pipeline_still_gets_jsonschema_messages(tmp_path: Path) -> None:
    (tmp_path / "pipeline.yaml").write_text("name: x\ntasks:\n  a: {image: alpine, retries: -1}\n",
                                            encoding="utf-8")
    probe = _PROBE.replace("assert not exc.code, exc.code", "pass")
    result = subprocess.run([sys.executable, "-c", probe, "lint", "pipeline.yaml"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert "pipeline.yaml:3:" in result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1] == "True"


def test_strict_only_schema_agrees_on_real_documents_it_rejects(shared_dir: Path) -> None:
    """Without --lenient, real documents fail (integer retry limits, numeric quantities):
    the fast checker rejects exactly those jsonschema rejects."""
    raw = {"definitions": json.loads(json.dumps(load_schema("argo/schema.json")["definitions"]))}
    argo_check.close_objects(raw["definitions"])
    slow = {k: jsonschema.Draft202012Validator(dict(raw, **{"$ref": f"#/definitions/{argo_check.PREFIX}{k}"}))
            for k in ARGO_KINDS}
    fast = {k: SchemaChecker({"definitions": load_schema("argo/schema.json")["definitions"]},
                             {"$ref": f"#/definitions/{argo_check.PREFIX}{k}"}, close_objects=True) for k in ARGO_KINDS}
    verdicts = [(fast[d["kind"]].is_valid(d), slow[d["kind"]].is_valid(d)) for _, d in argo_documents(shared_dir)]
    assert all(f == s for f, s in verdicts)
    assert sum(not s for _, s in verdicts) >= 3 and sum(s for _, s in verdicts) >= 3


def test_fast_index_checker_agrees_with_jsonschema(tmp_path: Path) -> None:
    """load_index trusts the fast checker's yes; it must never say yes where jsonschema says no."""
    import yaml

    root = Path(__file__).resolve().parent.parent
    built_in = yaml.safe_load((root / "index.yaml").read_text(encoding="utf-8"))
    archived = {"apiVersion": "creg/v1", "components": {"google-cloud/storage/download": [
        {"version": "0.2.5", "digest": "sha256:" + "a" * 64, "deprecated": {"message": "old"},
         "source": {"archive": "a.tar.gz", "archiveDigest": "sha256:" + "b" * 64,
                    "member": "pipelines-0.2.5/components/x/component.yaml"}}]}}
    raw = jsonschema.Draft202012Validator(load_schema("index.schema.json"))
    counts = agreement([("index.yaml", built_in), ("archived", archived)],
                       checker("index.schema.json").is_valid, raw.is_valid, seed=9)
    assert counts["valid"] > 10 and counts["invalid"] > 10


# -- the validators' $ref inlining ------------------------------------------------------------------

def _component_documents() -> list[tuple[str, Any]]:
    root = Path(__file__).resolve().parent.parent
    paths = sorted((root / "components").glob("*/*/component.yaml")) + \
        sorted((Path(__file__).resolve().parent / "data" / "specs").rglob("*.yaml"))
    return [(path.name, doc) for path in paths for doc in yaml_documents(path)]


@pytest.mark.parametrize("name", ["component.schema.json", "pipeline.schema.json", "index.schema.json"])
def test_inlined_schemas_judge_as_the_originals(name: str) -> None:
    """Inlining keeps recursive references (a component's componentRef.spec is a component)."""
    root = Path(__file__).resolve().parent.parent
    docs = {"component.schema.json": _component_documents(), "pipeline.schema.json": pipeline_documents(),
            "index.schema.json": [("index.yaml", yaml.safe_load((root / "index.yaml").read_text(encoding="utf-8")))]}
    raw = jsonschema.Draft202012Validator(load_schema(name))
    inlined = jsonschema.Draft202012Validator(inline_refs(load_schema(name)))
    counts = agreement(docs[name], inlined.is_valid, raw.is_valid, seed=11)
    assert counts["valid"] > 5 and counts["invalid"] > 5


@pytest.mark.parametrize("schema", [
    {"$defs": {"n": {"type": "array", "items": {"$ref": "#/$defs/n"}}}, "$ref": "#/$defs/n"},
    {"$defs": {"s": {"type": "string", "minLength": 2}}, "properties": {"a": {"$ref": "#/$defs/s", "minLength": 3}}},
    {"$defs": {"s": {"type": "string"}}, "properties": {"a": {"$ref": "#/$defs/s", "pattern": "b"}}},
    {"properties": {"self": {"$ref": "#"}, "a": {"type": "integer"}}}])
def test_inlining_keeps_recursion_and_keywords_beside_a_ref(schema: dict[str, Any]) -> None:
    slow, inlined = jsonschema.Draft202012Validator(schema), jsonschema.Draft202012Validator(inline_refs(schema))
    for value in EDGE_VALUES + [{"a": "bb"}, {"a": "bbb"}, {"a": "ab"}, {"self": {"a": "x"}}, {"self": {"a": 1}}]:
        assert inlined.is_valid(value) == slow.is_valid(value), (schema, value)
