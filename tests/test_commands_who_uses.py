"""``creg who-uses``: the uses of a component a publisher checks before a breaking change."""

from __future__ import annotations

import json
from pathlib import Path

from helpers_currency import moved_registry
from helpers_registry import creg

PIPELINE = """\
name: p
tasks:
  first:
    component: add@^1
    args: {a: 1, b: 2}
  second:
    component: add@1.0.0
    args: {a: {output: first}, b: 3}
  other: {component: divide@1.0.0, args: {a: {output: second.sum}, b: 1}}
"""
GRAPH = """\
name: g
implementation:
  graph:
    tasks:
      inner:
        componentRef: {name: add, tag: ~1.1}
        arguments: {a: 1}
"""


def test_every_use_with_version_and_interface(tmp_path: Path) -> None:
    registry = moved_registry(tmp_path / "registry")
    work = tmp_path / "work"
    work.mkdir()
    (work / "p.yaml").write_text(PIPELINE, encoding="utf-8")
    (work / "g.yaml").write_text(GRAPH, encoding="utf-8")
    done = creg("--registry", str(registry), "who-uses", "add", cwd=work)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "g.yaml:6:40  graph task 'inner'  add@~1.1 -> 1.1.0", "    inputs: a; outputs: -",
        "p.yaml:4:16  task first  add@^1 -> 1.3.0", "    inputs: a, b; outputs: sum",
        "p.yaml:7:16  task second  add@1.0.0 -> 1.0.0", "    inputs: a, b; outputs: sum"]
    assert "3 uses of add in 2 file(s)" in done.stderr


def test_a_range_keeps_the_uses_it_allows_and_json(tmp_path: Path) -> None:
    registry = moved_registry(tmp_path / "registry")
    (tmp_path / "p.yaml").write_text(PIPELINE, encoding="utf-8")
    done = creg("--registry", str(registry), "who-uses", "add@~1.0", str(tmp_path), "--format", "json")
    (use,) = json.loads(done.stdout)
    assert use == {"file": str(tmp_path / "p.yaml"), "line": 7, "column": 16, "used_by": "task second",
                   "reference": "add@1.0.0", "resolves_to": "1.0.0", "locked": False, "inputs": ["a", "b"],
                   "outputs": ["sum"]}


def test_no_use_is_not_an_error(tmp_path: Path) -> None:
    registry = moved_registry(tmp_path / "registry")
    done = creg("--registry", str(registry), "who-uses", "echo", str(tmp_path))
    assert done.returncode == 0 and done.stdout == "" and "0 uses of echo" in done.stderr
