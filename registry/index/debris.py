"""What a killed ``publish`` or ``import-archive`` leaves in a registry folder, and removing it.

Writes go to a dot-named temp file that is renamed into place, and the archive is written
before the index names it, so ``kill -9`` never corrupts the registry, but it can leave
``.NAME.XXXXXXXX.tmp`` files and an archive no entry names.  With the index lock held (no
writer is in flight) those are debris: the next publish, or ``creg index build --clean``,
removes them.  Only files of the shapes creg itself writes are ever touched: a temp file of
``atomic_write``, ``NAME/VERSION/LEAF-VERSION.tar.gz`` and ``archives/FILE``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath
from typing import Iterable, Iterator

from registry.index.model import ArchiveSource, IndexEntry

_TEMP = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp$")  # tempfile.mkstemp's 8 random characters
_SKIPPED = frozenset({"node_modules", "__pycache__"})  # and every dot-folder (.git, .venv)


def debris(registry_dir: Path, entries: Iterable[IndexEntry]) -> list[Path]:
    """Temp files and archives no entry names below ``registry_dir`` (call with the index lock held)."""
    named = {PurePosixPath(e.source.archive).as_posix() for e in entries
             if isinstance(e.source, ArchiveSource) and "://" not in e.source.archive}
    found = []
    for path in _files(registry_dir):
        relative = path.relative_to(registry_dir).as_posix()
        if _TEMP.match(path.name) or (_creg_archive(relative) and relative not in named):
            found.append(path)
    return sorted(found)


def remove_debris(registry_dir: Path, entries: Iterable[IndexEntry]) -> list[Path]:
    removed = debris(registry_dir, entries)
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def _creg_archive(relative: str) -> bool:
    """``NAME/VERSION/LEAF-VERSION.tar.gz`` (publish) or ``archives/FILE`` (import-archive)."""
    parts = relative.split("/")
    if len(parts) == 2 and parts[0] == "archives":
        return True
    return len(parts) >= 3 and parts[-1] == f"{parts[-3]}-{parts[-2]}.tar.gz"


def _files(root: Path) -> Iterator[Path]:
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = [name for name in subfolders if name not in _SKIPPED and not name.startswith(".")]
        for name in files:
            yield Path(folder) / name
