"""The catalog's data: every registry's components, one version's interface, interface diffs."""

from __future__ import annotations

from pathlib import Path

import yaml

from helpers_ui import ui_registry
from registry.index.resolve import Registry
from registry.pipeline.load import load_pipeline
from registry.pipeline.components import registry_loader
from registry.index.resolve import RegistryOptions
from registry.ui import catalog


def test_rows_cover_every_registry_and_mark_shadowed_names(tmp_path: Path) -> None:
    first = ui_registry(tmp_path / "one")
    second = ui_registry(tmp_path / "two")
    rows, skipped = catalog.catalog_rows(Registry([str(first), str(second), str(tmp_path / "missing")]))
    calc = [r for r in rows if r.name == "calc"]
    assert [(r.registry, r.shadowed, r.version, r.versions) for r in calc] == [
        (str(first), False, "2.0.0", 4), (str(second), True, "2.0.0", 4)]
    assert "add" in {r.name for r in rows}  # the built-in registry, searched last
    assert len(skipped) == 1 and str(tmp_path / "missing") in skipped[0]


def test_versions_show_deprecations_and_allow_breaking(tmp_path: Path) -> None:
    versions = catalog.versions_of(Registry([str(ui_registry(tmp_path))]), "calc")
    assert [v["version"] for v in versions] == ["2.0.0", "1.2.0", "1.1.0", "1.0.0"]
    assert [v["allow_breaking"] for v in versions] == [False, True, False, False]
    assert versions[3]["deprecated"] == "use 1.1.0: it takes c" and versions[3]["replacement"] == "calc@1.1.0"
    assert versions[0]["source"]["kind"] == "archive"  # publish packs a tar.gz
    assert versions[0]["source"]["member"].endswith("component.yaml")


def test_interface_and_diff_between_versions(tmp_path: Path) -> None:
    registry = Registry([str(ui_registry(tmp_path))])
    old = catalog.interface(catalog.load_version(registry, "calc", "1.0.0"))
    new = catalog.interface(catalog.load_version(registry, "calc", "1.1.0"))
    assert [(i["name"], i["type"], i["required"], i["default"]) for i in new["inputs"]] == [
        ("a", "Float", True, None), ("b", "Float", True, None), ("c", "Integer", False, "3")]
    assert catalog.interface_diff(old, new) == [
        {"kind": "added", "where": "inputs.c", "old": "", "new": "Integer", "breaking": ""}]
    newest = catalog.interface(catalog.load_version(registry, "calc", "2.0.0"))
    rows = {(r["kind"], r["where"]): r["breaking"] for r in catalog.interface_diff(new, newest)}
    assert rows == {("removed", "inputs.b"): "yes", ("removed", "inputs.c"): "yes", ("changed", "image"): "yes"}
    assert catalog.interface_diff(newest, newest) == []


def test_snippet_is_a_pipeline_that_loads(tmp_path: Path) -> None:
    registry_dir = ui_registry(tmp_path)
    spec = catalog.load_version(Registry([str(registry_dir)]), "calc", "1.1.0")
    text = catalog.snippet("calc", "1.1.0", spec)
    assert yaml.safe_load(text)["tasks"]["calc"]["args"] == {"a": {"param": "a"}, "b": {"param": "b"}}
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text("name: p\nparams:\n  a: {type: Float}\n  b: {type: Float}\n" + text)
    loaded = load_pipeline(pipeline, loader=registry_loader(RegistryOptions((str(registry_dir),)), pipeline))
    assert list(loaded.tasks) == ["calc"]


def test_an_unknown_version_is_a_resolve_error(tmp_path: Path) -> None:
    import pytest

    from registry.index.model import ResolveError

    with pytest.raises(ResolveError, match="no version '9.9.9' of 'calc'"):
        catalog.load_version(Registry([str(ui_registry(tmp_path))]), "calc", "9.9.9")
