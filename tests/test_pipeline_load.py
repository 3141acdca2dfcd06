"""Pipeline YAML -> validated DAG: every mistake reported at once with file:line:col."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers_pipelines import DATA, ROOT, builtin_loader, write_pipeline
from registry.errors import CregError, YamlError
from registry.pipeline.ops import Const, ItemRef, OutputRef, ParamRef
from registry.pipeline.load import PipelineError, load_pipeline


def problems_of(path: Path) -> list[str]:
    with pytest.raises(PipelineError) as info:
        load_pipeline(path, loader=builtin_loader())
    return [p.format() for p in info.value.problems]


def test_calculation_tasks_values_and_dependencies(tmp_path: Path) -> None:
    calls: list[str] = []
    pipeline = load_pipeline(Path(__file__).parent.parent / "examples" / "calculation.yaml",
                             loader=builtin_loader(calls))
    assert calls == ["add@1.0.0", "divmod@1.0.0"]  # each reference is loaded once
    assert list(pipeline.tasks) == ["add-1", "divmod", "add-2"]
    assert pipeline.tasks["divmod"].op.parameters == {"dividend": OutputRef("add-1", "sum"),
                                                       "divisor": ParamRef("b")}
    assert pipeline.tasks["add-1"].op.parameters["b"] == Const(4)
    assert pipeline.tasks["add-2"].depends == ["divmod"]
    assert ("divmod", "quotient") in pipeline.value_outputs


def test_every_semantic_problem_is_reported_with_its_position() -> None:
    found = problems_of(DATA / "many-errors.yaml")
    where = str(DATA / "many-errors.yaml")
    expected = [
        f"{where}:7:11: error: $.tasks.first.args: missing required input 'b'",
        f"{where}:7:23: error: $.tasks.first.args.a.param: unknown param 'aa' (did you mean 'a'?)",
        f"{where}:7:31: error: $.tasks.first.args.c: unknown input 'c'",
        f"{where}:10:31: error: $.tasks.second.args.dividend.output: unknown task 'frist' (did you mean 'first'?)",
        f"{where}:10:57: error: $.tasks.second.args.divisor.output: task 'first' has no output 'summ' (did you mean 'sum'?)",
        f"{where}:11:13: error: $.tasks.second.after[0]: unknown task 'thrid' (did you mean 'third'?)",
        f"{where}:14:21: error: $.tasks.third.args.minimum: input 'minimum': expected an Integer, got 'abc'",
        f"{where}:15:11: error: $.tasks.third.when: in when",
        f"{where}:18:27: error: $.tasks.fourth.args[1].output: task 'second' has 2 outputs",
        f"{where}:19:21: error: $.tasks.fourth.mounts['/data']: unknown volume 'dta'",
    ]
    assert len(found) == len(expected), "\n".join(found)
    for line, prefix in zip(found, expected):
        assert line.startswith(prefix), (line, prefix)


def test_schema_problems_name_the_key_and_suggest_a_fix() -> None:
    found = problems_of(DATA / "schema-errors.yaml")
    text = "\n".join(found)
    assert ":5:5: error: $.tasks.first.argz: unknown key 'argz' (did you mean 'args'?)" in text
    assert ":1:7: error: $.name: 'Schema_Errors' is not a valid name" in text
    assert ":6:22: error: $.tasks.first.retries.limit: -1 is less than the minimum of 0" in text
    assert ":9:14: error: $.tasks.second.timeout: '5 minutes' is not a duration" in text


def test_cycles_are_found(tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, """
        name: cyclic
        tasks:
          a: {image: alpine, args: [{output: c}], outputs: {out: /tmp/out}}
          b: {image: alpine, args: [{output: a}], outputs: {out: /tmp/out}}
          c: {image: alpine, after: b, outputs: {out: /tmp/out}}
    """)
    (found,) = problems_of(path)
    assert "tasks form a cycle:" in found and "a" in found and "c" in found


def test_type_mismatch_between_output_and_input(tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, """
        name: types
        tasks:
          add: {component: add@1.0.0, args: {a: 1, b: 2}}
          small: {component: process-small@1.0.0, args: {data: {output: add}}}
    """)
    (found,) = problems_of(path)
    assert "$.tasks.small.args.data: input 'data' expects type Integer, but output 'add.sum' has type Float" in found


def test_when_loop_and_item_problems(tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, """
        name: loops
        params: {n: {type: Integer, default: 1}}
        tasks:
          r: {component: random-int@1.0.0}
          a: {image: alpine, args: [{item: x}]}
          b: {image: alpine, args: [{item: missing}], loop: {items: [{x: 1}, {x: 2}]}}
          c: {image: alpine, when: output.r >, after: r}
          d: {image: alpine, when: param.m == 1}
          e: {image: alpine, loop: {items: [1], param: n}}
          f: {image: alpine, when: output.r = 3}
    """)
    text = "\n".join(problems_of(path))
    assert "$.tasks.a.args[0].item: 'item' is only available in a task with a 'loop'" in text
    assert "$.tasks.b.args[0].item: loop item 0 has no field 'missing'" in text
    assert "$.tasks.c.when: in when 'output.r >': the expression ends too early" in text
    assert "$.tasks.d.when: in when 'param.m == 1': unknown param 'm'" in text
    assert "$.tasks.e.loop: a loop needs exactly one of 'items', 'param' or 'output'" in text
    assert "$.tasks.f.when: in when 'output.r = 3': unexpected character '='" in text


def test_loop_items_that_json_cannot_hold_are_problems_not_crashes(tmp_path: Path) -> None:
    """Argo's withItems is JSON: a NaN or infinity in loop items once crashed compile (exit 3)."""
    path = write_pipeline(tmp_path, """
        name: loops
        tasks:
          a: {image: alpine, args: [{item: null}], loop: {items: [1, .nan]}}
          b: {image: alpine, args: [{item: x}], loop: {items: [{x: 1}, {x: -.inf}]}}
          c: {image: alpine, args: [{item: null}], loop: {items: ['.nan', 1.5]}}
    """)
    problems = problems_of(path)
    assert len(problems) == 2, problems
    assert ":3:62:" in problems[0] and "$.tasks.a.loop.items[1]: expected a JSON value" in problems[0]
    assert ":4:" in problems[1] and "$.tasks.b.loop.items[1].x: expected a JSON value" in problems[1]


def test_finally_cannot_read_pipeline_outputs_and_ids_are_unique(tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, """
        name: exits
        tasks:
          r: {component: random-int@1.0.0}
          s: {image: alpine}
        finally:
          s: {image: alpine}
          tell: {image: alpine, args: [{output: r}]}
    """)
    text = "\n".join(problems_of(path))
    assert "$.finally.s: task id 's' is also used in 'tasks'" in text
    assert "finally tasks cannot read outputs of pipeline tasks" in text


def test_component_reference_problems(tmp_path: Path) -> None:
    def failing(ref: str):
        raise CregError(f"unknown component '{ref.split('@')[0]}' (did you mean 'add'?)")

    path = write_pipeline(tmp_path, """
        name: refs
        tasks:
          a: {component: ad@1.0.0}
          b: {component: add}
          c: {component: ./missing/component.yaml}
          d: {image: alpine, component: add@1.0.0}
    """)
    with pytest.raises(PipelineError) as info:
        load_pipeline(path, loader=failing)
    text = "\n".join(p.format() for p in info.value.problems)
    assert "$.tasks.a.component: cannot load component 'ad@1.0.0': unknown component 'ad' (did you mean 'add'?)" in text
    assert "$.tasks.b.component: component reference 'add' must be NAME@REF" in text
    assert "$.tasks.c.component: cannot load component './missing/component.yaml'" in text
    assert "$.tasks.d: a task needs exactly one of 'component'" in text


def test_param_overrides_are_type_checked_and_must_exist(tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, """
        name: params
        params: {n: {type: Integer, default: 1}}
        tasks:
          a: {image: alpine, args: [{param: n}]}
    """)
    assert load_pipeline(path, overrides={"n": "5"}).params["n"].default == "5"
    with pytest.raises(PipelineError) as info:
        load_pipeline(path, overrides={"n": "five", "m": "1"})
    text = "\n".join(p.format() for p in info.value.problems)
    assert "param 'n': expected an Integer, got 'five'" in text and "unknown param 'm'" in text


def test_yaml_errors_keep_their_position(tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, "name: x\ntasks:\n  a: {image: alpine}\n  a: {image: busybox}\n")
    with pytest.raises(YamlError) as info:
        load_pipeline(path)
    assert "duplicate key 'a'" in str(info.value) and ":4:" in str(info.value)


def test_loops_and_items_resolve(tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, """
        name: loops
        params: {names: {type: JsonArray, default: '["a"]'}}
        tasks:
          a: {image: alpine, args: [{item: x}], loop: {items: [{x: 1}], parallelism: 2}}
          b: {image: alpine, args: [{item: null}], loop: {param: names}}
    """)
    pipeline = load_pipeline(path)
    assert pipeline.tasks["a"].op.parameters == {"item-x": ItemRef("x")}
    assert pipeline.tasks["a"].loop.parallelism == 2 and pipeline.tasks["b"].loop.param == "names"


@pytest.mark.parametrize("text, message", [
    ("", "the file is empty"), ("a: 1\na: 2\n", "duplicate key 'a'"), ("- 1\n", "found a list"),
    ("<<: {a: 1}\n", "merge keys"), ("a: !!python/object x\n", "unsupported YAML tag"),
    ("a: *nope\n", "undefined alias"), ("a: 1\n---\nb: 2\n", "single document"),
    ("? [1]\n: 2\n", "must be a scalar"), ("a: [\n", "invalid YAML"),
    ("a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
     "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
     "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e]\n", "alias/anchor bomb"),
])
def test_the_loader_refuses_with_and_without_position_tables(text: str, message: str) -> None:
    from registry import yamlio

    for positions in (True, False):
        with pytest.raises(YamlError, match=message.replace("(", r"\(")) as info:
            yamlio.load_mapping(text, "f.yaml", positions=positions)
        assert info.value.problems[0].file == "f.yaml"


def test_positions_point_at_each_value_and_can_be_left_out() -> None:
    import yaml

    from registry import yamlio

    root = Path(__file__).parent.parent
    files = sorted(root.glob("examples/*.yaml")) + sorted(DATA.glob("*.yaml"))
    for path in files:
        text = path.read_text(encoding="utf-8")
        doc = yamlio.load_mapping(text, str(path))
        assert doc.data == yaml.safe_load(text)
        lines = text.splitlines()
        for trail in filter(None, _paths(doc.data, [])):
            line, column = doc.positions.locate(doc.data, trail, key=isinstance(trail[-1], str))
            if isinstance(trail[-1], str):  # a key's position is where its name is written
                assert lines[line - 1][column - 1:].lstrip("'\"").startswith(trail[-1]), (path, trail)
        bare = yamlio.load_mapping(text, str(path), positions=False)
        assert bare.data == doc.data and bare.positions.marks == {}


def _paths(value, trail):
    yield trail
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        yield from _paths(item, trail + [key])


@pytest.mark.parametrize("value, is_path", [
    ("./add/component.yaml", True), ("../shared/add", True), ("/abs/component", True),
    ("add.yaml", True), ("sub/add.yml", True),
    ("add@1.0.0", False), ("google-cloud/storage/download@0.2.5", False), ("add", False),
    (".hidden@1", False), ("https://host/add", False),
])
def test_one_rule_decides_whether_a_component_value_is_a_path(value: str, is_path: bool) -> None:
    from registry.index.lockfile import is_component_path

    assert is_component_path(value) is is_path


def test_pipeline_and_lock_agree_on_which_components_are_files(tmp_path: Path) -> None:
    """A file without ``./`` is loaded from disk and left out of the lock; a registry reference
    that the old lock rule skipped (``https:...``) is now locked, as ``compile`` resolves it."""
    from registry.index.lockfile import refs_in_file

    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "add.yaml").write_bytes((ROOT / "components/add/1.0.0/component.yaml").read_bytes())
    path = write_pipeline(tmp_path, """
        name: files
        tasks:
          local: {component: sub/add.yaml, args: {a: 1, b: 2}}
          remote: {component: add@1.0.0, args: {a: 3, b: 4}}
    """)
    calls: list[str] = []
    pipeline = load_pipeline(path, loader=builtin_loader(calls))
    assert calls == ["add@1.0.0"]
    assert pipeline.tasks["local"].op.component.ref == "sub/add.yaml"
    assert refs_in_file(path) == ["add@1.0.0"]
    odd = write_pipeline(tmp_path, "name: odd\ntasks:\n  t: {component: 'https:add@1'}\n", "odd.yaml")
    assert refs_in_file(odd) == ["https:add@1"]


def test_the_pipeline_builder_does_not_import_the_compiler() -> None:
    """pipeline -> loader is downward; pipeline -> compiler would be an upward import."""
    import subprocess
    import sys

    code = ("import sys, registry.pipeline.load, registry.pipeline.components as c; c.registry_loader(None); "
            "sys.exit('registry.argo.compiler' in sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=120)
