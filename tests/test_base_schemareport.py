"""The one schema-error reporter: real schemas from ``schemas/``, real YAML documents.

Each format reaches it through its own caller (pipeline, component, index, Argo); the
generic rules are tested here once, through ``report`` and the vendored schemas.
"""

from __future__ import annotations

import textwrap
from typing import Any

import pytest
import yaml

from helpers_pipelines import EXAMPLES, builtin_loader
from registry.argo.check import schema_errors
from registry.argo.compiler import compile_pipeline
from registry.component.model import load_component_from_text
from registry.errors import CregError, Problem
from registry.index.model import load_index
from registry.pipeline.schema import RULES as PIPELINE_RULES
from registry.pipeline.schema import schema_problems
from registry.resources import validator
from registry.schemareport import GENERIC, Rules, expected_types, findings, kind_of, report
from registry.yamlio import Document, load_mapping

DIGEST = "sha256:" + "a" * 64


def document(text: str, file: str = "doc.yaml") -> Document:
    return load_mapping(textwrap.dedent(text).lstrip("\n"), file)


def pipeline_report(text: str, rules: Rules = PIPELINE_RULES) -> list[Problem]:
    doc = document(text, "pipeline.yaml")
    return report(doc, validator("pipeline.schema.json", inline=True).iter_errors(doc.data), rules)


def messages(problems: list[Problem]) -> list[str]:
    return [f"{p.line}:{p.column} {p.path}: {p.message}" for p in problems]


def raised(call: Any, *args: Any) -> list[Problem]:
    with pytest.raises(CregError) as info:
        call(*args)
    return info.value.problems


# -- the four callers ---------------------------------------------------------------------------------

def test_the_four_callers_report_an_unknown_key_the_same_way() -> None:
    """At the key, with the same words, whichever format it is in (Argo's have no positions)."""
    pipeline = document("""
        name: p
        descripton: x
        tasks: {a: {image: alpine}}
    """)
    component = "name: c\ndescripton: x\nimplementation: {container: {image: alpine}}\n"
    index = f"apiVersion: creg/v1\ncomponents:\n  c:\n    - {{version: 1.0.0, digest: '{DIGEST}', " \
            "descripton: x, source: {path: c.yaml}}\n"
    argo = yaml.safe_load(compile_pipeline(EXAMPLES / "calculation.yaml", loader=builtin_loader()))
    argo["spec"]["templates"][1]["inputs"]["parameters"][0]["descripton"] = "x"

    found = {
        "pipeline": [(p.path, p.message, p.line, p.column) for p in schema_problems(pipeline)],
        "component": [(p.path, p.message, p.line, p.column) for p in raised(load_component_from_text, component)],
        "index": [(p.path, p.message, p.line, p.column) for p in raised(load_index, index)],
        "argo": [(path, message, 0, 0) for path, message in schema_errors(argo)],
    }
    expected = {"pipeline": ("$.descripton", 2, 1), "component": ("$.descripton", 2, 1),
                "index": ("$.components.c[0].descripton", 4, 107),
                "argo": ("$.spec.templates[1].inputs.parameters[0].descripton", 0, 0)}
    for caller, (path, line, column) in expected.items():
        assert found[caller] == [(path, "unknown key 'descripton' (did you mean 'description'?)", line, column)], \
            caller


def test_an_unknown_key_without_a_close_match_lists_the_keys_expected() -> None:
    (problem,) = pipeline_report("""
        name: p
        schedule: {cron: '* * * * *', zzz: 1}
        tasks: {a: {image: alpine}}
    """)
    assert problem.path == "$.schedule.zzz" and (problem.line, problem.column) == (2, 31)
    assert problem.message == ("unknown key 'zzz' (expected one of 'cron', 'timezone', 'concurrencyPolicy', "
                               "'suspend', 'startingDeadlineSeconds', 'successfulJobsHistoryLimit', "
                               "'failedJobsHistoryLimit')")


# -- oneOf / anyOf ------------------------------------------------------------------------------------

def test_an_error_inside_a_one_of_is_explained_by_the_closest_alternative() -> None:
    """``volume`` is oneOf {size, accessMode, storageClass} / {claim, readOnly}: a value with
    ``size`` is a new volume, so its bad access mode is the problem, at the access mode."""
    (problem,) = pipeline_report("""
        name: p
        volumes:
          data: {size: 5Gi, accessMode: RW}
        tasks: {a: {image: alpine}}
    """)
    assert problem.path == "$.volumes.data.accessMode" and (problem.line, problem.column) == (3, 33)
    assert problem.message == ("'RW' (did you mean 'RWX'?) is not one of 'RWO', 'ROX', 'RWX', "
                               "'ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany'")


def test_the_alternative_that_knows_most_keys_is_the_closest() -> None:
    """{secrte, key} is a secret reference with a typo, not a broken {param} reference."""
    (problem,) = pipeline_report("""
        name: p
        env: {TOKEN: {secrte: s, key: k}}
        tasks: {a: {image: alpine}}
    """)
    assert (problem.path, problem.message) == ("$.env.TOKEN.secrte", "unknown key 'secrte' (did you mean 'secret'?)")
    assert (problem.line, problem.column) == (2, 15)


def test_the_closest_alternative_is_followed_into_nested_choices() -> None:
    """``command`` items are anyOf [scalar, reference (itself a oneOf), list, mapping]."""
    (problem,) = pipeline_report("""
        name: p
        tasks: {a: {image: alpine, command: [{param: 1}]}}
    """)
    assert (problem.path, problem.message) == ("$.tasks.a.command[0].param", "expected a string, found an integer (1)")


def test_keys_no_alternative_declares_are_each_unknown_at_the_key() -> None:
    (problem,) = pipeline_report("""
        name: p
        tasks: {a: {image: alpine, retries: {limt: 2}}}
    """)
    assert (problem.path, problem.message) == ("$.tasks.a.retries.limt", "unknown key 'limt' (did you mean 'limit'?)")
    assert (problem.line, problem.column) == (2, 38)


def test_a_value_no_alternative_takes_gets_every_type_expected() -> None:
    found = messages(pipeline_report("""
        name: p
        env: {A: [1]}
        tasks: {a: {image: alpine, timeout: true, after: 5}}
    """))
    assert found == ["2:10 $.env.A: expected a string, a number, a boolean or a mapping, found a list",
                     "3:37 $.tasks.a.timeout: expected an integer or a string, found a boolean (true)",
                     "3:50 $.tasks.a.after: expected a string or a list, found an integer (5)"]


def test_the_closest_alternative_of_a_scalar_is_the_one_of_its_type() -> None:
    (problem,) = pipeline_report("""
        name: p
        tasks: {a: {image: alpine, timeout: 5 minutes}}
    """)
    assert problem.message == "'5 minutes' is not a duration: use seconds (an integer) or e.g. 30s, 5m, 2h, 1d"


# -- keys -----------------------------------------------------------------------------------------------

def test_a_bad_mapping_key_is_located_at_the_key() -> None:
    """``propertyNames`` failures: jsonschema reports them at the mapping; the key is what to fix."""
    found = messages(pipeline_report("""
        name: p
        params:
          ok: {default: 1}
          1st: {default: 2}
        tasks:
          Bad_Task: {image: alpine}
    """))
    assert found == [
        "4:3 $.params.1st: '1st' is not a valid param name: use letters, digits, '_' and '-', not starting with a digit",
        "6:3 $.tasks.Bad_Task: 'Bad_Task' is not a valid name: use lowercase letters, digits and '-', starting and "
        "ending with a letter or digit, at most 63 characters"]


def test_a_key_of_the_wrong_type_is_refused_by_the_loader_at_the_key() -> None:
    """A key YAML reads as a number never reaches the schema: the loader names it, in place."""
    from registry.errors import YamlError

    with pytest.raises(YamlError) as caught:
        pipeline_report("""
            name: p
            env: {1: x}
            tasks: {a: {image: alpine}}
        """)
    (problem,) = caught.value.problems
    assert (problem.line, problem.column) == (2, 7)
    assert problem.message.startswith("the key '1' is read as an integer (1), not as text")


def test_every_missing_required_key_is_named_once() -> None:
    found = messages(pipeline_report("""
        description: nothing else
    """))
    assert found == ["1:1 $: missing required key 'name'", "1:1 $: missing required key 'tasks'"]


# -- wording ---------------------------------------------------------------------------------------------

def test_patterns_are_worded_by_the_format_and_the_shared_table() -> None:
    text = """
        name: Not_A_Name
        tasks: {a: {image: alpine, mounts: {data: v}}}
    """
    worded = messages(pipeline_report(text))
    assert worded == [
        "1:7 $.name: 'Not_A_Name' is not a valid name: use lowercase letters, digits and '-', starting and ending "
        "with a letter or digit, at most 63 characters",
        "2:37 $.tasks.a.mounts.data: 'data' is not an absolute path: mount paths start with '/' (e.g. /data)"]
    bare = messages(pipeline_report(text, GENERIC))
    assert bare[0] == worded[0]  # the DNS name's wording is shared by every format
    assert bare[1] == "2:37 $.tasks.a.mounts.data: 'data' must match '^/'"


def test_types_are_named_in_yaml_words() -> None:
    found = messages(pipeline_report("""
        name: p
        tasks:
          a: {image: alpine, command: echo, loop: {items: 5}, resources: {gpu: 1.5}}
          b:
    """))
    assert found == ["3:31 $.tasks.a.command: expected a list, found a string ('echo')",
                     "3:51 $.tasks.a.loop.items: expected a list, found an integer (5)",
                     "3:72 $.tasks.a.resources.gpu: expected an integer, found a number (1.5)",
                     "4:5 $.tasks.b: expected a mapping, found null"]


@pytest.mark.parametrize("value,kind", [(None, "null"), (True, "a boolean (true)"), (5, "an integer (5)"),
                                        (2.5, "a number (2.5)"), ("x", "a string ('x')"), ("y" * 41, "a string"),
                                        ([1], "a list"), ({"a": 1}, "a mapping")])
def test_kind_of(value: Any, kind: str) -> None:
    assert kind_of(value) == kind


def test_expected_types() -> None:
    assert expected_types("object") == "a mapping"
    assert expected_types(["string", "number", "boolean", "null"]) == "a string, a number, a boolean or null"


def test_empty_values_and_constants() -> None:
    found = messages(pipeline_report("""
        apiVersion: creg/v2
        name: ''
        serviceAccount: ''
        tasks: {}
    """))
    assert found == ["1:13 $.apiVersion: expected 'creg/v1', found a string ('creg/v2')",
                     "2:7 $.name: must not be empty",  # not also "'' is not a valid name"
                     "3:17 $.serviceAccount: must not be empty",
                     "4:8 $.tasks: must not be empty"]


def test_a_mapping_of_exactly_one_key_says_so() -> None:
    doc = document("""
        implementation: {container: {image: a}, graph: {tasks: {}}}
    """)
    (problem,) = report(doc, validator("component.schema.json").iter_errors(doc.data))
    assert (problem.path, problem.message) == ("$.implementation", "expected exactly one of the keys 'container', 'graph'")


# -- a format's own hooks ------------------------------------------------------------------------------

def test_a_special_rule_replaces_the_generic_one_and_none_falls_back() -> None:
    def durations(error: Any) -> list[tuple[list[Any], str, bool]] | None:
        if error.validator == "oneOf" and list(error.absolute_path)[-1:] == ["timeout"]:
            return [(list(error.absolute_path), "a timeout is seconds or 30s/5m/2h/1d", False)]
        return None

    found = messages(pipeline_report("""
        name: p
        tasks: {a: {image: alpine, timeout: soon, argz: 1}}
    """, Rules(patterns=PIPELINE_RULES.patterns, special=durations)))
    assert found == ["2:37 $.tasks.a.timeout: a timeout is seconds or 30s/5m/2h/1d",
                     "2:43 $.tasks.a.argz: unknown key 'argz' (did you mean 'args'?)"]


def test_the_index_spells_out_the_kinds_of_source_only_for_a_mixed_one() -> None:
    entries = ["{path: x.yaml, url: 'https://x'}", "{archive: a.tar.gz, member: m}", "x.yaml"]
    text = "apiVersion: creg/v1\ncomponents:\n  c:\n" + "".join(
        f"    - {{version: 1.0.{i}, digest: '{DIGEST}', source: {source}}}\n" for i, source in enumerate(entries))
    found = [(p.path, p.message) for p in raised(load_index, text)]
    spelt = ("expected exactly one of {path: FILE}, {url: https://...} or "
             "{archive: URL, archiveDigest: sha256:<hex>, member: PATH}")
    assert found == [("$.components.c[0].source", spelt),
                     ("$.components.c[1].source", "missing required key 'archiveDigest'"),
                     ("$.components.c[2].source", spelt)]


def test_findings_are_relative_to_a_base_and_reported_once() -> None:
    doc = document("""
        name: p
        tasks: {a: {image: alpine, argz: 1}}
    """)
    errors = list(validator("pipeline.schema.json", inline=True).iter_errors(doc.data))
    assert findings(errors + errors, PIPELINE_RULES, base=["x", 0]) == [
        (["x", 0, "tasks", "a", "argz"], "unknown key 'argz' (did you mean 'args'?)", True)]


def test_a_valid_document_has_no_problems() -> None:
    doc = load_mapping((EXAMPLES / "calculation.yaml").read_text(encoding="utf-8"), "calculation.yaml")
    assert report(doc, validator("pipeline.schema.json", inline=True).iter_errors(doc.data)) == []


def test_a_document_invalid_in_many_places_stops_after_a_bounded_number(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """An index wrong in 20,000 places: the first 200 problems and a note, quickly."""
    import time

    from registry.index.model import IndexFormatError, load_index
    from registry.schemareport import MAX_REPORTED

    rows = "".join(f"  c{i}: [{{version: 1.0.0, digest: nope, source: {{path: x}}}}]\n" for i in range(20_000))
    started = time.process_time()
    with pytest.raises(IndexFormatError) as caught:
        load_index("apiVersion: creg/v1\ncomponents:\n" + rows)
    assert time.process_time() - started < 20  # all 20,000 explained took minutes and gigabytes
    problems = caught.value.problems
    assert len(problems) <= MAX_REPORTED + 1
    assert f"stopped after {MAX_REPORTED} problems; fix these first" in [p.message for p in problems]
