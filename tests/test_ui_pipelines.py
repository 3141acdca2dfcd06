"""Pipelines as the UI shows them: which files are pipelines, their graphs, problems on tasks."""

from __future__ import annotations

import shutil
from pathlib import Path

from registry.pipeline.components import registry_loader
from registry.ui import pipelines

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "pipelines"


def _view(path: Path) -> dict:
    return pipelines.view(path, registry_loader(None, path))


def test_discovery_finds_pipelines_but_not_specs_indexes_or_argo_files(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    shutil.copytree(ROOT / "components" / "add", tmp_path / "components" / "add")
    (tmp_path / "index.yaml").write_text((ROOT / "index.yaml").read_text())
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "p.yaml").write_text("name: hidden\ntasks: {}\n")
    given = DATA / "graph.yaml"
    found = pipelines.discover(tmp_path, [given])
    names = [p.relative_to(tmp_path).as_posix() if p.is_relative_to(tmp_path) else p.name for p in found]
    assert names[0] == "graph.yaml"  # the files given come first
    assert sorted(names[1:]) == sorted(f"examples/{p.name}" for p in (ROOT / "examples").glob("*.yaml"))


def test_graph_of_a_pipeline_labels_edges_with_the_outputs_that_travel() -> None:
    graph = _view(ROOT / "examples" / "calculation.yaml")["graph"]
    assert [n["id"] for n in graph["nodes"]] == ["add-1", "divmod", "add-2"]
    assert {(e["source"], e["target"], e["label"]) for e in graph["edges"]} == {
        ("add-1", "divmod", "sum"), ("divmod", "add-2", "quotient")}


def test_graph_components_become_groups_with_their_inner_tasks() -> None:
    view = _view(DATA / "graph.yaml")
    nodes = {n["id"]: n for n in view["graph"]["nodes"]}
    assert nodes["twice"]["kind"] == "group"
    assert sorted(i for i, n in nodes.items() if n["parent"] == "twice") == [
        "twice/first-add", "twice/second-add", "twice/show"]
    edges = {(e["source"], e["target"]) for e in view["graph"]["edges"]}
    assert ("twice/first-add", "twice/second-add") in edges and ("twice", "again") in edges
    assert view["compiled"].startswith("apiVersion: argoproj.io/v1alpha1")


def test_conditions_loops_and_the_exit_handler_are_shown() -> None:
    nodes = {n["id"]: n for n in _view(DATA / "features.yaml")["graph"]["nodes"]}
    assert "loop over 2 items" in nodes["static-loop"]["sub"]
    assert "loop over param names" in nodes["param-loop"]["sub"]
    assert any(line.startswith("when ") for line in nodes["gated"]["sub"])
    assert nodes["notify"]["cls"] == "exit"


def test_a_broken_pipeline_is_drawn_from_its_yaml_with_problems_on_its_tasks(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: broken\ntasks:\n  first:\n    component: add@1.0.0\n    args: {a: 1, b: 2}\n"
                    "  second:\n    component: add@1.0.0\n    after: [first]\n    args: {a: {output: first.sum}, bb: 2}\n")
    view = _view(path)
    assert view["compiled"] is None and view["problems"]
    nodes = {n["id"]: n for n in view["graph"]["nodes"]}
    assert nodes["first"]["problems"] == [] and nodes["second"]["problems"]
    assert all("bb" in p or "'b'" in p for p in nodes["second"]["problems"])
    assert view["graph"]["edges"] == [{"source": "first", "target": "second", "label": "sum"}]


def test_problems_attach_to_the_longest_matching_task_id() -> None:
    assert pipelines.task_of("$.tasks.a.b.args.x", ["a", "a.b"]) == "a.b"
    assert pipelines.task_of("$.tasks.a.args", ["a", "a.b"]) == "a"
    assert pipelines.task_of("$.finally.n[0]", ["n"]) == "n"
    assert pipelines.task_of("$.params.a", ["a"]) is None
