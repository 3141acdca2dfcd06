"""Editing a registry folder's ``index.yaml``: read, modify, validate, write, under one lock.

Publishing, deprecating and importing all change the same file, possibly from several
processes at once.  ``editing(DIR)`` holds ``DIR/.index.lock`` for the whole
read -> modify -> validate -> write cycle, so no writer loses another's entry, and writes
only when the written bytes differ: a no-op or a failed edit leaves ``index.yaml``
byte-identical.  The file is always written in one canonical form (key order of the schema,
components sorted by name, versions newest first) so diffs stay small and rebuilds are
reproducible.

Every write raises the index's ``serial`` by one and stamps ``generated`` (UTC, or
``$SOURCE_DATE_EPOCH`` for reproducible builds): readers remember the highest serial they saw
and refuse an older index (rollback), and can warn about an index that stopped changing
(freeze).  An edit that changes nothing keeps both, so the file stays byte-identical.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

from registry.errors import Problem
from registry.index.model import INDEX_MAX_BYTES, INDEX_MAX_NODES, IndexEntry, load_index, order_versions
from registry.sources.store import atomic_write, file_lock
from registry.yamlio import Document, dump, json_path, load_mapping

INDEX_FILE = "index.yaml"
LOCK_FILE = ".index.lock"
API_VERSION = "creg/v1"
REGISTRY_KEYS = ("name", "description", "homepage")


@dataclass
class IndexEdit:
    """The index being edited: its ``registry:`` block and each name's entries in file order."""

    path: Path
    registry: dict[str, str]
    components: dict[str, list[IndexEntry]] = field(default_factory=dict)
    original: bytes | None = None
    changed: bool = False  # set by every modification; an unchanged index is never rewritten
    serial: int = 0  # 0: not stated (an index written before serials, or none yet)
    generated: str = ""

    def entry(self, name: str, version: str) -> IndexEntry | None:
        return next((e for e in self.components.get(name, []) if e.component.version == version), None)

    def put(self, entry: IndexEntry) -> None:
        """Add ``entry``, or replace the entry of its version where it stands."""
        name, version = entry.component.name, entry.component.version
        entries = self.components.setdefault(name, [])
        at = next((i for i, e in enumerate(entries) if e.component.version == version), len(entries))
        entries[at:at + 1] = [entry]
        self.changed = True

    def problem(self, path: Sequence[str | int], message: str) -> Problem:
        """A problem at ``path`` (e.g. ``['components', 'add', 0]``), positioned in the file as read."""
        if self._document is None:
            return Problem(str(self.path), 0, 0, json_path(path), message)
        return self._document.positions.problem(self._document.data, path, message)

    @functools.cached_property
    def _document(self) -> Document | None:
        """The file as read, with positions (parsed again only when a problem needs a place)."""
        if self.original is None:
            return None
        return load_mapping(self.original, str(self.path), max_bytes=INDEX_MAX_BYTES, max_nodes=INDEX_MAX_NODES)

    def position(self, name: str, version: str) -> list[str | int]:
        """The JSON path of ``name@version`` in the file as read (of ``name`` when the version is absent)."""
        entries = self.components.get(name, [])
        index = next((i for i, e in enumerate(entries) if e.component.version == version), None)
        return ["components", name] + ([index] if index is not None else [])


def read_index(registry_dir: Path) -> IndexEdit:
    """The validated index of ``registry_dir`` (an empty one named after the folder when absent)."""
    path = Path(registry_dir) / INDEX_FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return IndexEdit(path, {"name": Path(registry_dir).resolve().name or "local"})
    index = load_index(raw, str(path))
    return IndexEdit(path, dict(index.data.get("registry", {})), index.entries(), raw,
                     serial=index.serial, generated=index.generated)


def canonical(edit: IndexEdit) -> dict[str, Any]:
    """Schema key order, components by name, versions newest first (non-semver tags after)."""
    out: dict[str, Any] = {"apiVersion": API_VERSION}
    if edit.serial:
        out["serial"] = edit.serial
    if edit.generated:
        out["generated"] = edit.generated
    if edit.registry:
        out["registry"] = {key: edit.registry[key] for key in REGISTRY_KEYS if key in edit.registry}
    out["components"] = {name: [entry.index_item() for entry in order_versions(edit.components[name])]
                         for name in sorted(edit.components)}
    return out


def index_bytes(edit: IndexEdit) -> bytes:
    """Canonical, schema-validated YAML bytes of an index."""
    raw = dump(canonical(edit)).encode("utf-8")
    load_index(raw, str(edit.path))  # validates the result; raises with positions in the written text
    return raw


@contextlib.contextmanager
def editing(registry_dir: str | Path) -> Iterator[IndexEdit]:
    """Lock, read, hand the index to the caller, then validate and write it if it changed.

    An exception inside the ``with`` block leaves ``index.yaml`` untouched.
    """
    registry_dir = Path(registry_dir)
    with file_lock(registry_dir / LOCK_FILE):
        edit = read_index(registry_dir)
        yield edit
        if not edit.changed:
            return
        if dump(canonical(edit)).encode("utf-8") == edit.original:
            return  # the same bytes: no new serial (validating is left to the write)
        edit.serial += 1
        edit.generated = generated_now()
        atomic_write(edit.path, index_bytes(edit))


def generated_now() -> str:
    """UTC now to the second, or ``$SOURCE_DATE_EPOCH`` when set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    moment = (datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc) if epoch.isdigit()
              else datetime.datetime.now(datetime.timezone.utc))
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
