"""The YAML writer round-trips every string, characters beyond the BMP included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from registry.argo.yamlemit import double_quoted, emit, yaml_json

ASTRAL = ["🚀", "launch 🚀 now", "a\n🚀\x07", "\U0010ffff\n\t", "\\ud83d", "x\\\\ud83d\\ude80", "🚀\u2028\x85"]


@pytest.mark.parametrize("value", ASTRAL)
def test_strings_beyond_the_bmp_round_trip(value: str) -> None:
    doc = {"k": value, "list": [value, {"m": value}], value: 1}
    assert yaml.safe_load(emit(doc)) == doc
    assert yaml.load(emit(doc), Loader=yaml.CSafeLoader) == doc


@pytest.mark.parametrize("value", ASTRAL)
def test_json_text_becomes_yaml_that_reads_back_the_same(value: str) -> None:
    data = {"k": [value, value]}
    assert yaml.load(yaml_json(json.dumps(data)), Loader=yaml.CSafeLoader) == data
    assert yaml.load(double_quoted(value), Loader=yaml.CSafeLoader) == value


def test_escaped_backslashes_before_a_u_are_left_as_text() -> None:
    text = json.dumps("\\ud83d\\ude80")  # the characters backslash, u, d, 8 ... (no emoji)
    assert yaml_json(text) == text


PIPELINE = """\
name: rocket
description: "launch \U0001F680 now"
params:
  msg: {type: String, default: "hi \U0001F680"}
tasks:
  say:
    image: alpine
    command: [sh, -c, 'printf "%s %s" "$0" "$X"', {param: msg}]
    env: {X: "\U0001F680\\u0007"}
"""


def test_a_pipeline_with_emoji_everywhere_compiles_lints_and_runs(tmp_path: Path) -> None:
    from helpers_registry import creg

    source = tmp_path / "rocket.yaml"
    source.write_text(PIPELINE, encoding="utf-8")
    compiled = creg("compile", str(source))
    assert compiled.returncode == 0, compiled.stderr
    doc = yaml.safe_load(compiled.stdout)
    assert doc["metadata"]["annotations"]["workflows.argoproj.io/description"] == "launch \U0001F680 now"
    assert doc["spec"]["arguments"]["parameters"] == [{"name": "msg", "value": "hi \U0001F680"}]
    container = next(t["container"] for t in doc["spec"]["templates"] if "container" in t)
    assert container["env"] == [{"name": "X", "value": "\U0001F680\x07"}]
    assert creg("lint", str(source)).returncode == 0
    ran = creg("run", str(source), "--workdir", str(tmp_path / "run"))
    assert ran.returncode == 0, ran.stdout + ran.stderr
    log = (tmp_path / "run" / "nodes" / "rocket.say" / "log.txt").read_text(encoding="utf-8")
    assert log == "hi \U0001F680 \U0001F680\x07"


def test_a_loop_over_emoji_items_compiles(tmp_path: Path) -> None:
    """Loop items land in a JSON skeleton: the YAML escape must be turned back for json.loads."""
    from registry.argo.compiler import compile_pipeline

    source = tmp_path / "loop.yaml"
    source.write_text("name: l\ntasks:\n  t: {image: sh, command: [echo, {item: null}], loop: {items: ['\U0001F680', b]}}\n",
                      encoding="utf-8")
    doc = yaml.safe_load(compile_pipeline(source))
    dag = next(t["dag"] for t in doc["spec"]["templates"] if "dag" in t)
    assert dag["tasks"][0]["withItems"] == ["\U0001F680", "b"]
