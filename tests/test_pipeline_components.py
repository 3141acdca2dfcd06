"""The components one pipeline names: each reference loaded once, problems reported once."""

from __future__ import annotations

from pathlib import Path

from helpers_pipelines import builtin_loader
from registry.pipeline.components import LoadedComponent, PipelineComponents


def test_each_reference_is_loaded_once_and_a_graph_task_shares_it(tmp_path: Path) -> None:
    calls: list[str] = []
    components = PipelineComponents(tmp_path / "pipeline.yaml", builtin_loader(calls))
    first = components.for_task("add@1.0.0", lambda message: None)
    assert first is not None and components.for_task("add@1.0.0", lambda message: None) is first
    assert components.for_graph_task({"name": "add", "tag": "1.0.0"}, lambda path, message: None) is first
    assert calls == ["add@1.0.0"]
    assert (first[1].version, first[1].ref) == ("1.0.0", "add@1.0.0")


def test_a_registry_answer_names_and_versions_the_component(tmp_path: Path) -> None:
    spec_of = builtin_loader()
    components = PipelineComponents(tmp_path / "pipeline.yaml",
                                    lambda ref: LoadedComponent(spec_of("add@1.0.0"), "add", "1.0.0"))
    loaded = components.for_task("add@1", lambda message: None)  # a range, resolved by the registry
    assert loaded is not None and (loaded[1].name, loaded[1].version, loaded[1].ref) == ("add", "1.0.0", "add@1")


def test_a_bad_reference_is_reported_once_however_many_tasks_use_it(tmp_path: Path) -> None:
    problems: list[str] = []
    components = PipelineComponents(tmp_path / "pipeline.yaml", builtin_loader())
    assert components.for_task("add", problems.append) is None
    assert components.for_task("add", problems.append) is None
    assert problems == ["component reference 'add' must be NAME@REF (e.g. add@1.0.0) "
                        "or a path such as ./add/component.yaml"]
