"""What the catalog pages show: every component of every registry, one version's interface, diffs.

Everything here is plain data (dicts, lists, strings) for the templates; the templates escape
it.  The registries are read through ``registry.index.resolve.Registry`` exactly as the CLI
reads them, so the UI shows what ``creg search``/``versions``/``show`` would.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import yaml

from registry.component.model import ComponentSpec, InputSpec, OutputSpec, load_component_from_text, thaw
from registry.component.naming import slug
from registry.errors import CregError
from registry.index.model import ArchiveSource, IndexEntry, PathSource, ResolveError, UrlSource
from registry.index.resolve import Registry


@dataclass(frozen=True)
class CatalogRow:
    """One component as the catalog table lists it (its newest version)."""

    name: str
    version: str
    description: str
    registry: str
    versions: int
    deprecated: bool
    shadowed: bool  # an earlier registry has the same name, so references never reach this one

    @property
    def search_text(self) -> str:
        """What the search box matches against, lower-cased once here rather than per keystroke."""
        return f"{self.name} {self.description} {self.registry}".lower()


def catalog_rows(registry: Registry) -> tuple[list[CatalogRow], list[str]]:
    """Every component of every readable registry, and one line per registry that could not be read."""
    rows: list[CatalogRow] = []
    skipped: list[str] = []
    seen: set[str] = set()
    for searched in registry.searched:
        try:
            index = searched.index()
        except CregError as exc:
            skipped.append(f"registry {searched.root} skipped: {' '.join(str(exc).split())}")
            continue
        for name in index.names():
            entries = index.versions(name)
            rows.append(_row(name, entries, searched.root, name in seen))
            seen.add(name)
    return rows, skipped


def _row(name: str, entries: list[IndexEntry], root: str, shadowed: bool) -> CatalogRow:
    newest = entries[0]
    return CatalogRow(name, newest.component.version, newest.description, root, len(entries),
                      newest.deprecated is not None, shadowed)


def versions_of(registry: Registry, name: str) -> list[dict[str, Any]]:
    """The versions of ``name`` in the registry that answers for it, newest first, as the page shows them."""
    return [_version(entry) for entry in registry.versions(name)]


def _version(entry: IndexEntry) -> dict[str, Any]:
    deprecated = entry.deprecated
    return {"version": entry.component.version, "digest": entry.component.digest,
            "description": entry.description, "created": entry.created,
            "deprecated": deprecated.message if deprecated else None,
            "replacement": deprecated.replacement if deprecated else None,
            "allow_breaking": entry.allow_breaking, "source": source_text(entry)}


def source_text(entry: IndexEntry) -> dict[str, str]:
    """Where the component.yaml comes from: a path, a URL, or an archive and its member."""
    source = entry.source
    if isinstance(source, ArchiveSource):
        return {"kind": "archive", "archive": source.archive, "member": source.member,
                "archive_digest": source.archive_digest}
    if isinstance(source, UrlSource):
        return {"kind": "url", "url": source.url}
    assert isinstance(source, PathSource)
    return {"kind": "path", "path": source.path}


def load_version(registry: Registry, name: str, version: str) -> ComponentSpec:
    """The verified spec of exactly ``name@version`` (ResolveError when the index lacks it)."""
    if not any(e.component.version == version for e in registry.versions(name)):
        raise ResolveError(f"no version '{version}' of '{name}'")
    with warnings.catch_warnings():  # the page shows deprecations itself
        warnings.simplefilter("ignore")
        resolved, data = registry.fetch(f"{name}@{version}")
    return load_component_from_text(data, resolved.location)


def interface(spec: ComponentSpec) -> dict[str, Any]:
    """Inputs, outputs and implementation as the component page shows them."""
    container = spec.container
    return {"name": spec.name, "description": spec.description or "", "digest": spec.digest,
            "inputs": [_input(i) for i in spec.inputs], "outputs": [_output(o) for o in spec.outputs],
            "image": str(container["image"]) if container is not None else None,
            "graph_tasks": sorted((spec.graph or {}).get("tasks", {})) if spec.graph is not None else None}


def type_text(value: Any) -> str:
    if value is None:
        return "(any)"
    if isinstance(value, str):
        return value
    return yaml.safe_dump(thaw(value), default_flow_style=True, width=10_000).strip()


def _input(item: InputSpec) -> dict[str, Any]:
    return {"name": item.name, "type": type_text(item.type), "required": item.required,
            "optional": item.optional, "default": None if item.default is None else str(item.default),
            "description": item.description or ""}


def _output(item: OutputSpec) -> dict[str, Any]:
    return {"name": item.name, "type": type_text(item.type), "description": item.description or ""}


def snippet(name: str, version: str, spec: ComponentSpec) -> str:
    """A pipeline task using the component, ready to paste: required inputs as params to fill in."""
    args: dict[str, Any] = {}
    for item in spec.inputs:
        if item.required:
            args[item.name] = {"param": slug(item.name, fallback="value")}
    task: dict[str, Any] = {"component": f"{name}@{version}"}
    if args:
        task["args"] = args
    task_id = slug(name.rsplit("/", 1)[-1], fallback="task")
    return yaml.safe_dump({"tasks": {task_id: task}}, sort_keys=False, default_flow_style=None, width=10_000)


# -- the interface diff -------------------------------------------------------------------------

FIELDS = {"inputs": ("type", "required", "default", "description"), "outputs": ("type", "description")}


def interface_diff(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, str]]:
    """What changed from one version's interface to another's, one row per change, in page order.

    A row has ``kind`` (added/removed/changed), ``where`` (``inputs.a``, ``image``...) and
    ``old``/``new`` texts; a removed input or output, or one that became required, is ``breaking``.
    """
    rows: list[dict[str, str]] = []
    for part, fields in FIELDS.items():
        rows += _diff_items(part, fields, old[part], new[part])
    for key in ("image", "description"):
        if old[key] != new[key]:
            rows.append(_change("changed", key, str(old[key] or ""), str(new[key] or ""), key == "image"))
    return rows


def _diff_items(part: str, fields: tuple[str, ...], old: list[dict[str, Any]],
                new: list[dict[str, Any]]) -> list[dict[str, str]]:
    before = {item["name"]: item for item in old}
    after = {item["name"]: item for item in new}
    rows = [_change("removed", f"{part}.{name}", _summary(before[name]), "", True)
            for name in before if name not in after]
    for name, item in after.items():
        if name not in before:
            rows.append(_change("added", f"{part}.{name}", "", _summary(item), bool(item.get("required"))))
            continue
        for field in fields:
            if before[name][field] != item[field]:
                breaking = field == "type" or (field == "required" and bool(item[field]))
                rows.append(_change("changed", f"{part}.{name}.{field}", str(before[name][field]),
                                    str(item[field]), breaking))
    return rows


def _summary(item: dict[str, Any]) -> str:
    note = " (required)" if item.get("required") else ""
    return f"{item['type']}{note}"


def _change(kind: str, where: str, old: str, new: str, breaking: bool) -> dict[str, str]:
    return {"kind": kind, "where": where, "old": old, "new": new, "breaking": "yes" if breaking else ""}
