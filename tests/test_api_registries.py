"""``Registry`` in the public API: publish into a folder, then search, list versions, load and
deprecate, as the CLI does (and the CLI's answers agree)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import registry
from helpers_publish import component_text, creg, make_component
from registry.errors import ArgumentError
from test_api_html import parsed


def test_publish_search_versions_load_and_deprecate(tmp_path: Path) -> None:
    folder = tmp_path / "reg"
    first = make_component(tmp_path / "src", "adder", "1.0.0")
    second = make_component(tmp_path / "src2", "adder", "1.1.0", component_text(description="Adds, faster."))
    reg = registry.Registry([str(folder)])
    result = reg.publish(first, to=folder)
    assert result.status == "published" and result.component.ref == "adder@1.0.0"
    folder_only = registry.Registry([str(folder)])
    folder_only.publish(second)  # the only folder registry it searches is the default target
    assert [e.component.version for e in registry.Registry([str(folder)]).versions("adder")] == ["1.1.0", "1.0.0"]

    rows = registry.Registry([str(folder)]).search_rows("faster")
    assert rows == [{"name": "adder", "version": "1.1.0", "description": "Adds, faster.", "registry": str(folder)}]
    cli = creg("--registry", str(folder), "search", "faster", "--format", "json")
    assert json.loads(cli.stdout) == rows

    component = registry.Registry([str(folder)]).load("adder@^1")
    assert isinstance(component, registry.Component) and component.name == "Add"
    assert component.description == "Adds, faster."  # ^1 resolves to the newest, 1.1.0

    message = registry.Registry([str(folder)]).deprecate("adder@1.0.0", "use 1.1", "adder@^1.1")
    assert message == "deprecated adder@1.0.0 (use adder@^1.1)"
    (old,) = [e for e in registry.Registry([str(folder)]).versions("adder") if e.component.version == "1.0.0"]
    assert old.deprecated is not None and old.deprecated.message == "use 1.1"


def test_publishing_needs_one_folder_to_write_to(tmp_path: Path) -> None:
    two = registry.Registry([str(tmp_path / "a"), str(tmp_path / "b")])
    with pytest.raises(ArgumentError) as caught:
        two.publish(make_component(tmp_path / "src", "x", "1.0.0"))
    assert caught.value.argument == "to"


def test_display_lists_the_searched_registries_built_in_last(tmp_path: Path) -> None:
    reg = registry.Registry([str(tmp_path / "<mine>")])
    cells = parsed(reg._repr_html_()).cells
    assert cells[1] == str(tmp_path / "<mine>") and len(cells) == 3
    assert repr(reg).startswith(f"<Registry {tmp_path / '<mine>'}, ")
