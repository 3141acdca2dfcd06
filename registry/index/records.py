"""What the cache remembers per registry: its current validated index copy and highest serial.

One small text file per registry, ``<cache>/indexes/registries/<sha256 of the root>``, with
``key value`` lines (no JSON: reading it is on every cached command's path):

* ``root``: the registry's folder or URL, for ``creg cache list``;
* ``digest``: sha256 of the index bytes whose validated compact copy is current;
* ``serial``: the highest ``serial`` this cache has accepted from the registry (rollback);
* ``stamp``: device, inode, size and mtime of a folder registry's ``index.yaml`` when read.

Copies of the index that no record names any more are old versions: replacing a registry's
copy removes the one it replaces (unless another registry still names it), and
``creg cache clean`` removes any left behind, so the cache keeps the newest copy per registry.
The records themselves survive even a full ``cache clean``: forgetting the serials would make
an old index acceptable again.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import NamedTuple

from registry.sources.store import Store, atomic_write, sha256_hex


class RegistryRecord(NamedTuple):
    root: str
    digest: str = ""
    serial: int = 0
    stamp: str = ""

    def text(self) -> str:
        return "".join(f"{key} {value}\n" for key, value in zip(self._fields, self) if value not in ("", 0))


def records_dir(store: Store) -> Path:
    return store.root / "indexes" / "registries"


def validated_dir(store: Store) -> Path:
    return store.root / "indexes" / "validated"


def record_path(store: Store, root: str) -> Path:
    return records_dir(store) / sha256_hex(root.encode("utf-8"))


def read_record(store: Store, root: str) -> RegistryRecord:
    """The record of ``root`` (an empty one when absent or unreadable)."""
    return parse_record(record_path(store, root), root)


def parse_record(path: Path, root: str = "") -> RegistryRecord:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return RegistryRecord(root)
    fields = dict(line.partition(" ")[::2] for line in lines)
    serial = fields.get("serial", "0")
    return RegistryRecord(fields.get("root", root), fields.get("digest", ""),
                          int(serial) if serial.isdigit() else 0, fields.get("stamp", ""))


def all_records(store: Store) -> list[RegistryRecord]:
    folder = records_dir(store)
    return [parse_record(path) for path in sorted(folder.iterdir())] if folder.is_dir() else []


def write_record(store: Store, record: RegistryRecord, previous: RegistryRecord) -> None:
    """Save ``record``; the validated copy it replaces goes unless another registry names it."""
    if record == previous:
        return
    with contextlib.suppress(OSError):  # a read-only cache only costs speed
        atomic_write(record_path(store, record.root), record.text().encode("utf-8"))
        if previous.digest and previous.digest != record.digest:
            if all(other.digest != previous.digest for other in all_records(store)):
                (validated_dir(store) / previous.digest).unlink(missing_ok=True)


def orphan_copies(store: Store) -> list[Path]:
    """Validated index copies that no registry's record names (older versions of an index)."""
    folder = validated_dir(store)
    if not folder.is_dir():
        return []
    current = {record.digest for record in all_records(store)}
    return [path for path in sorted(folder.iterdir()) if path.name not in current]


class IndexCopy(NamedTuple):
    """A validated copy of some registry's index in the cache."""

    path: Path
    size: int
    registry: str  # the root whose current copy it is; "" for an old copy nothing names


def index_copies(store: Store) -> list[IndexCopy]:
    folder = validated_dir(store)
    owners = {record.digest: record.root for record in all_records(store)}
    copies = []
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        with contextlib.suppress(FileNotFoundError):
            copies.append(IndexCopy(path, path.stat().st_size, owners.get(path.name, "")))
    return copies


def remove_old_copies(store: Store) -> list[Path]:
    """Remove the copies no registry names any more (a concurrent reader just validates again),
    and the notes of index contents found invalid (made again when met again)."""
    invalid = store.root / "indexes" / "invalid"
    removed = orphan_copies(store) + (sorted(invalid.iterdir()) if invalid.is_dir() else [])
    for path in removed:
        path.unlink(missing_ok=True)
    return removed
