"""Editing a registry folder's ``index.yaml``: read, modify, validate, write, under one lock.

Publishing, deprecating and importing all change the same file, possibly from several
processes at once.  ``editing(DIR)`` holds ``DIR/.index.lock`` for the whole
read -> modify -> validate -> write cycle, so no writer loses another's entry, and writes
only when the rendered bytes differ: a no-op or a failed edit leaves ``index.yaml``
byte-identical.  The file is always written in one canonical form (key order of the schema,
components sorted by name, versions newest first) so diffs stay small and rebuilds are
reproducible.
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Sequence

if TYPE_CHECKING:
    from registry.errors import Problem

INDEX_FILE = "index.yaml"
LOCK_FILE = ".index.lock"
API_VERSION = "creg/v1"
ENTRY_KEYS = ("version", "digest", "description", "created", "deprecated", "allowBreaking", "source")
SOURCE_KEYS = ("path", "url", "archive", "archiveDigest", "member")
REGISTRY_KEYS = ("name", "description", "homepage")


@dataclass
class IndexEdit:
    """The index being edited: plain data, changed in place by the caller."""

    path: Path
    data: dict[str, Any]
    original: bytes | None = None
    changed: bool = False  # set by every modification; an unchanged index is never rewritten

    @property
    def components(self) -> dict[str, list[dict[str, Any]]]:
        return self.data["components"]

    def entry(self, name: str, version: str) -> dict[str, Any] | None:
        return next((e for e in self.components.get(name, []) if e.get("version") == version), None)

    def problem(self, path: Sequence[str | int], message: str) -> "Problem":
        """A problem at ``path`` (e.g. ``['components', 'add', 0]``), positioned in the file as read."""
        from registry.errors import Problem
        from registry.yamlio import json_path

        if self._document is None:
            return Problem(str(self.path), 0, 0, json_path(path), message)
        return self._document.positions.problem(self._document.data, path, message)

    @functools.cached_property
    def _document(self) -> Any:
        """The file as read, with positions (parsed again only when a problem needs a place)."""
        from registry.index.model import INDEX_MAX_BYTES, INDEX_MAX_NODES
        from registry.yamlio import load_mapping

        if self.original is None:
            return None
        return load_mapping(self.original, str(self.path), max_bytes=INDEX_MAX_BYTES, max_nodes=INDEX_MAX_NODES)

    def position(self, name: str, version: str) -> list[str | int]:
        """The JSON path of ``name@version`` in the file as read (of ``name`` when the version is absent)."""
        entries = self.components.get(name, [])
        index = next((i for i, e in enumerate(entries) if e.get("version") == version), None)
        return ["components", name] + ([index] if index is not None else [])

    def put(self, name: str, entry: dict[str, Any]) -> None:
        """Add or replace the entry of ``entry['version']``."""
        versions = [e for e in self.components.get(name, []) if e.get("version") != entry["version"]]
        self.components[name] = versions + [entry]
        self.changed = True


def empty_index(registry_name: str) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "registry": {"name": registry_name or "local"}, "components": {}}


def read_index(registry_dir: Path) -> tuple[dict[str, Any], bytes | None]:
    """The index of ``registry_dir`` as plain data (validated) and its raw bytes (None if absent)."""
    from registry.index.model import load_index

    path = Path(registry_dir) / INDEX_FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return empty_index(Path(registry_dir).resolve().name), None
    index = load_index(raw, str(path))
    data = dict(index.data)
    data["components"] = dict(data.get("components") or {})
    return data, raw


def canonical(data: dict[str, Any]) -> dict[str, Any]:
    """Schema key order, components by name, versions newest first (non-semver tags after)."""
    out: dict[str, Any] = {"apiVersion": data.get("apiVersion", API_VERSION)}
    if data.get("registry"):
        out["registry"] = _ordered(data["registry"], REGISTRY_KEYS)
    components = data.get("components") or {}
    out["components"] = {name: _ordered_versions(components[name]) for name in sorted(components)}
    return out


def _ordered(mapping: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    ordered = {k: mapping[k] for k in keys if k in mapping}
    ordered.update({k: v for k, v in mapping.items() if k not in ordered})  # schema rejects these later
    return ordered


def _ordered_entry(entry: dict[str, Any]) -> dict[str, Any]:
    out = _ordered(entry, ENTRY_KEYS)
    if isinstance(out.get("source"), dict):
        out["source"] = _ordered(out["source"], SOURCE_KEYS)
    return out


def _ordered_versions(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from registry.component.version import parse_semver

    semver = [e for e in entries if parse_semver(str(e.get("version"))) is not None]
    semver.sort(key=lambda e: parse_semver(str(e["version"])), reverse=True)  # type: ignore[arg-type,return-value]
    tags = [e for e in entries if parse_semver(str(e.get("version"))) is None]
    return [_ordered_entry(e) for e in semver + tags]


def render(data: dict[str, Any], source: str = INDEX_FILE) -> bytes:
    """Canonical, schema-validated YAML bytes of an index."""
    from registry.index.model import load_index
    from registry.yamlio import dump

    raw = dump(canonical(data)).encode("utf-8")
    load_index(raw, source)  # validates the result; raises with positions in the rendered text
    return raw


@contextlib.contextmanager
def editing(registry_dir: str | Path) -> Iterator[IndexEdit]:
    """Lock, read, hand the index to the caller, then validate and write it if it changed.

    An exception inside the ``with`` block leaves ``index.yaml`` untouched.
    """
    from registry.sources.store import atomic_write, file_lock

    registry_dir = Path(registry_dir)
    with file_lock(registry_dir / LOCK_FILE):
        data, original = read_index(registry_dir)
        edit = IndexEdit(registry_dir / INDEX_FILE, data, original)
        yield edit
        if not edit.changed:
            return
        raw = render(edit.data, str(edit.path))
        if raw != original:
            atomic_write(edit.path, raw)
