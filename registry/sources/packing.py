"""Packing a component folder into reproducible tar.gz bytes (reading archives: ``registry.sources.archives``).

Packing is deterministic (sorted members, mtime 0, uid/gid 0, empty owner names, mode 0644
for files and 0755 for folders, gzip header without mtime or file name), so the same folder
always gives the same bytes and therefore the same ``archiveDigest``.

What is packed: every file below the folder except version-control and cache folders, any
name starting with ``.`` (``.env``, ``.netrc``, ``.git``: secrets and tool state, never part
of a component) and the folders in ``exclude`` (the registry being published to, when it lies
inside the component folder).  ``pack_files`` packs named files only.
"""

from __future__ import annotations

import gzip
import io
import stat
import tarfile
from pathlib import Path, PurePosixPath
from typing import Iterable

from registry.sources.archives import ArchiveError

MAX_PACK_BYTES = 64 * 1024 * 1024
MAX_PACK_FILES = 10_000
SKIPPED_NAMES = frozenset({"__pycache__", ".git", ".hg", ".svn", ".DS_Store"})
__all__ = ["ArchiveError", "pack_files", "pack_folder"]


def pack_folder(folder: Path, top: str, exclude: Iterable[Path] = ()) -> bytes:
    """tar.gz bytes of ``folder``'s files under the top-level folder ``top``, reproducibly.

    Folders in ``exclude`` (and everything below them) are left out.
    """
    skipped = {path.resolve() for path in exclude}
    return _pack(_walk(folder, skipped), top)


def pack_files(files: Iterable[Path], top: str) -> bytes:
    """tar.gz bytes of exactly ``files`` (by their names, side by side) under ``top``."""
    found = sorted((PurePosixPath(path.name), path) for path in files)
    for _, path in found:
        _check_packable(path)
    return _pack(found, top)


def _pack(members: list[tuple[PurePosixPath, Path]], top: str) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        tar.addfile(_tar_info(top, 0, directory=True))
        for relative, path in members:
            name = f"{top}/{relative.as_posix()}"
            if path.is_dir():
                tar.addfile(_tar_info(name, 0, directory=True))
            else:
                data = path.read_bytes()
                tar.addfile(_tar_info(name, len(data)), io.BytesIO(data))
    return _gzip(buffer.getvalue())


def _tar_info(name: str, size: int, directory: bool = False) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.type = tarfile.DIRTYPE if directory else tarfile.REGTYPE
    info.mode = 0o755 if directory else 0o644
    return info


def _gzip(data: bytes) -> bytes:
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=9) as handle:
        handle.write(data)
    return out.getvalue()


def _walk(folder: Path, skipped: set[Path]) -> list[tuple[PurePosixPath, Path]]:
    """Every packed file and folder below ``folder`` in sorted order; refuses links and special files."""
    found: list[tuple[PurePosixPath, Path]] = []
    total = 0
    pending = [folder]
    while pending:
        current = pending.pop()
        for path in sorted(current.iterdir()):
            if _skipped(path, skipped):
                continue
            total += _check_packable(path)
            found.append((PurePosixPath(path.relative_to(folder).as_posix()), path))
            if path.is_dir():
                pending.append(path)
        _check_limits(folder, len(found), total)
    return sorted(found, key=lambda item: item[0].parts)


def _skipped(path: Path, skipped: set[Path]) -> bool:
    if path.name in SKIPPED_NAMES or path.name.startswith("."):
        return True
    return bool(skipped) and not path.is_symlink() and path.is_dir() and path.resolve() in skipped


def _check_packable(path: Path) -> int:
    mode = path.lstat().st_mode
    if stat.S_ISLNK(mode):
        raise ArchiveError.at(str(path), 0, 0, "", "symbolic links are not packed; copy the file into the folder")
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise ArchiveError.at(str(path), 0, 0, "", "only regular files and folders can be packed")
    return path.stat().st_size if stat.S_ISREG(mode) else 0


def _check_limits(folder: Path, count: int, total: int) -> None:
    if count > MAX_PACK_FILES or total > MAX_PACK_BYTES:
        raise ArchiveError.at(str(folder), 0, 0, "", f"the folder holds more than {MAX_PACK_FILES} files or "
                                                     f"{MAX_PACK_BYTES} bytes; is it really one component?")
