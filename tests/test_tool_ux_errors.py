"""Mistakes a pipeline author makes, and the messages they get back (user acceptance findings)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from helpers_pipelines import CREG, ROOT, builtin_loader, write_pipeline
from registry.argo.compiler import compile_pipeline
from registry.errors import CregError
from registry.pipeline.load import PipelineError, load_pipeline


def problems_of(path: Path, **overrides: str) -> list[str]:
    with pytest.raises(PipelineError) as info:
        load_pipeline(path, loader=builtin_loader(), overrides=overrides)
    return [p.format() for p in info.value.problems]


def test_paths_name_dashed_task_ids_with_dots(tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, """
        name: p
        tasks:
          add-1: {component: add@1.0.0, args: {a: {param: aa}, b: 1}}
    """)
    (found,) = problems_of(path)
    assert ":3:51: error: $.tasks.add-1.args.a.param: unknown param 'aa'" in found


def test_a_bad_task_id_is_located_at_that_id(tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, """
        name: p
        tasks:
          good: {image: alpine}
          Bad_Name: {image: alpine}
    """)
    (found,) = problems_of(path)
    assert ":4:3: error: $.tasks.Bad_Name: 'Bad_Name' is not a valid name" in found


def test_pipeline_env_problem_is_reported_once_not_per_task(tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, """
        name: p
        params: {mode: {default: fast}}
        env: {B: {param: mod}}
        tasks:
          a: {image: alpine}
          b: {image: alpine}
          c: {image: alpine}
    """)
    assert problems_of(path) == [f"{path}:3:18: error: $.env.B.param: unknown param 'mod' (did you mean 'mode'?)"]


def test_reading_a_task_without_outputs_says_so(tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, """
        name: p
        tasks:
          a: {image: alpine}
          b: {image: alpine, args: [{output: a}]}
    """)
    (found,) = problems_of(path)
    assert found.endswith("$.tasks.b.args[0].output: task 'a' has no outputs")


def test_loops_over_values_that_cannot_be_lists_are_errors(tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, """
        name: p
        params: {n: {type: Integer, default: 3}, xs: {default: '[1, 2]'}}
        tasks:
          r: {component: random-int@1.0.0, args: {minimum: 0, maximum: 9}}
          a: {image: alpine, args: [{item: null}], loop: {param: n}}
          b: {image: alpine, args: [{item: null}], loop: {output: r}}
          c: {image: alpine, args: [{item: null}], loop: {param: xs}}
    """)
    found = problems_of(path)
    assert len(found) == 2, found
    assert "$.tasks.a.loop.param: cannot loop over param 'n': it has type Integer" in found[0]
    assert "$.tasks.b.loop.output: cannot loop over output 'r.output': it has type Integer" in found[1]
    override = problems_of(path, xs="oops")[-1]
    assert "cannot loop over param 'n'" not in override
    assert "$.tasks.c.loop.param: cannot loop over param 'xs': --param 'oops' is not a JSON list" in override


def test_a_bad_param_override_blames_the_command_line(tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, """
        name: p
        params: {a: {type: Float, default: 1}}
        tasks:
          t: {image: alpine, args: [{param: a}]}
    """)
    # The library names its argument; the CLI spells it --param (test_commands_pipeline checks that).
    assert problems_of(path, a="xyz") == [f"{path}: error: `params` a=xyz: param 'a': expected a Float, got 'xyz'"]


def test_a_bad_cron_expression_points_at_the_pipeline_line(tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, """
        name: p
        schedule: {cron: '0 6 * *'}
        tasks:
          a: {image: alpine}
    """)
    with pytest.raises(CregError) as info:
        compile_pipeline(path)
    assert info.value.problems[0].format().startswith(f"{path}:2:18: error: $.schedule.cron: cron expression")


def test_malformed_resource_quantities_are_errors(tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, """
        name: p
        defaults: {resources: {memory: lots}}
        tasks:
          a: {image: alpine, resources: {cpu: 2 cores, memory: 1Gi}}
          b: {image: alpine, resources: {cpu: 500m, memory: 1.5G}}
    """)
    found = problems_of(path)
    assert len(found) == 2, found
    assert "$.defaults.resources.memory: 'lots' is not a Kubernetes quantity" in found[0]
    assert "$.tasks.a.resources.cpu: '2 cores' is not a Kubernetes quantity" in found[1]


def test_typos_inside_alternatives_get_a_did_you_mean(tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, """
        name: p
        env:
          C: {secrte: s, key: k}
          D: {parm: x}
        volumes:
          bad: {size: 5Gi, accessMode: RW}
          old: {claim: x, readonly: true}
        tasks:
          a: {image: alpine}
    """)
    text = "\n".join(problems_of(path))
    assert ":3:7: error: $.env.C.secrte: unknown key 'secrte' (did you mean 'secret'?)" in text
    assert ":4:7: error: $.env.D.parm: unknown key 'parm' (did you mean 'param'?)" in text
    assert ":6:32: error: $.volumes.bad.accessMode: 'RW' (did you mean 'RWX'?) is not one of 'RWO'" in text
    assert ":7:19: error: $.volumes.old.readonly: unknown key 'readonly' (did you mean 'readOnly'?)" in text


def test_when_typos_get_a_did_you_mean(tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, """
        name: p
        params: {a: {type: Integer, default: 1}}
        tasks:
          x: {image: alpine, when: param.a > 1 adn param.a == 2}
          y: {image: alpine, when: parm.a == 2}
          z: {image: alpine, when: param.a = 2}
    """)
    text = "\n".join(problems_of(path))
    assert "unexpected 'adn' at offset 12 (did you mean 'and'?)" in text
    assert "unknown reference 'parm.a' (did you mean 'param'?)" in text
    assert "unexpected character '=' at offset 8 (did you mean '=='?)" in text


def test_show_accepts_a_bare_component_name(tmp_path: Path) -> None:
    env = {**os.environ}
    shown = subprocess.run([str(CREG), "show", "add"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "a  Float  required" in shown.stdout
    typo = subprocess.run([str(CREG), "show", "ad"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert typo.returncode == 1 and "unknown component 'ad' (did you mean 'add'?)" in typo.stderr


def test_a_task_cannot_read_its_own_output(tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, """
        name: p
        tasks:
          a: {image: alpine, args: [{output: a.out}], outputs: {out: /tmp/o}}
    """)
    (found,) = problems_of(path)
    assert found.endswith("$.tasks.a.args[0].output: task 'a' cannot read its own output; split it into two tasks")


def test_schema_messages_use_yaml_words(tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, """
        tasks:
          a: {image: alpine, command: echo, loop: {items: 5}}
          b:
    """)
    text = "\n".join(problems_of(path))
    assert "$: missing required key 'name'" in text
    assert "$.tasks.a.command: expected a list, found a string ('echo')" in text
    assert "$.tasks.a.loop.items: expected a list, found an integer (5)" in text
    assert "$.tasks.b: expected a mapping, found null" in text


def run_creg(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CREG), *args], capture_output=True, text=True, env={**os.environ}, cwd=cwd)


def test_param_mistakes_are_usage_errors(tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, """
        name: p
        params: {a: {type: Float, default: 1}}
        tasks:
          t: {image: alpine, args: [{param: a}]}
    """)
    unknown = run_creg("compile", str(path), "--param", "aa=1", cwd=tmp_path)
    assert unknown.returncode == 2 and "unknown param 'aa' (did you mean 'a'?)" in unknown.stderr
    wrong_type = run_creg("compile", str(path), "--param", "a=x", cwd=tmp_path)
    assert wrong_type.returncode == 2 and "--param a=x: param 'a': expected a Float" in wrong_type.stderr
    assert "Traceback" not in unknown.stderr + wrong_type.stderr


@pytest.mark.parametrize("command", ["compile", "lint", "graph"])
def test_a_missing_pipeline_file_is_a_usage_error(tmp_path: Path, command: str) -> None:
    result = run_creg(command, "nothere.yaml", cwd=tmp_path)
    assert result.returncode == 2 and "does not exist" in result.stderr


def test_a_component_given_to_compile_and_a_pipeline_given_to_validate_name_the_right_command(
        tmp_path: Path) -> None:
    component = ROOT / "components" / "add" / "1.0.0" / "component.yaml"
    compiled = run_creg("compile", str(component), cwd=tmp_path)
    assert compiled.returncode == 1
    assert compiled.stderr.count("error:") == 1 and "this is a component spec" in compiled.stderr
    validated = run_creg("validate", str(ROOT / "examples" / "calculation.yaml"), cwd=tmp_path)
    assert validated.returncode == 1
    assert "this looks like a creg pipeline (it has 'tasks'), not a component spec; check it with 'creg lint'" \
        in validated.stderr


def test_pattern_failures_say_what_is_expected_not_the_regex(tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, """
        name: p
        volumes: {vol: {size: 5 GB}}
        tasks:
          d: {image: alpine, env: {1BAD: x}, mounts: {data: vol}}
    """)
    text = "\n".join(problems_of(path))
    assert "$.volumes.vol.size: '5 GB' is not a storage size: use e.g. 5Gi" in text
    assert "$.tasks.d.env.1BAD: '1BAD' is not a valid environment variable name" in text
    assert "$.tasks.d.mounts.data: 'data' is not an absolute path" in text
    assert "must match" not in text


def test_show_of_a_folder_without_component_yaml_says_so(tmp_path: Path) -> None:
    (tmp_path / "add").mkdir()
    result = run_creg("show", "add", cwd=tmp_path)
    assert result.returncode == 2 and "add: no component.yaml in this folder" in result.stderr


def test_a_misspelt_reference_is_not_taken_for_a_constant(tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, """
        name: p
        params: {a: {type: Float, default: 1}}
        tasks:
          t: {component: add@1.0.0, args: {a: {parm: a}, b: 1}}
          u: {image: alpine, args: [{items: [1]}, {key: v}, {ouput: t}]}
    """)
    found = problems_of(path)
    assert len(found) == 2, found
    assert found[0].endswith("$.tasks.t.args.a.parm: unknown reference 'parm' (did you mean 'param'?); "
                             "a reference is one of 'param', 'output', 'item', 'file'")
    assert "$.tasks.u.args[2].ouput: unknown reference 'ouput' (did you mean 'output'?)" in found[1]
