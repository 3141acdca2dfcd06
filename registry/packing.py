"""Archives: pack a folder into reproducible tar.gz bytes, read members safely into memory.

Packing is deterministic (sorted members, mtime 0, uid/gid 0, empty owner names, mode 0644
for files and 0755 for folders, gzip header without mtime or file name), so the same folder
always gives the same bytes and therefore the same ``archiveDigest``.

Reading never extracts to disk: members are streamed into memory with per-member, total and
count caps; links, devices, FIFOs, absolute paths and ``..`` are never followed or returned.
"""

from __future__ import annotations

import gzip
import io
import stat
import tarfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable, Iterator

from .errors import CregError

MAX_PACK_BYTES = 64 * 1024 * 1024
MAX_PACK_FILES = 10_000
MAX_MEMBER_BYTES = 4 * 1024 * 1024  # as yamlio.MAX_BYTES: a bigger component.yaml is refused anyway
MAX_ARCHIVE_UNPACKED = 2 * 1024 * 1024 * 1024
MAX_ARCHIVE_MEMBERS = 500_000
SKIPPED_NAMES = frozenset({"__pycache__", ".git", ".hg", ".svn", ".DS_Store"})


class ArchiveError(CregError):
    """An archive cannot be packed or read safely."""


# --- packing -------------------------------------------------------------------------------


def pack_folder(folder: Path, top: str) -> bytes:
    """tar.gz bytes of ``folder``'s files under the top-level folder ``top``, reproducibly."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        tar.addfile(_tar_info(top, 0, directory=True))
        for relative, path in _walk(folder):
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


def _walk(folder: Path) -> list[tuple[PurePosixPath, Path]]:
    """Every file and folder below ``folder`` in sorted order; refuses links and special files."""
    found: list[tuple[PurePosixPath, Path]] = []
    total = 0
    pending = [folder]
    while pending:
        current = pending.pop()
        for path in sorted(current.iterdir()):
            if path.name in SKIPPED_NAMES:
                continue
            total += _check_packable(folder, path)
            found.append((PurePosixPath(path.relative_to(folder).as_posix()), path))
            if path.is_dir():
                pending.append(path)
        _check_limits(folder, len(found), total)
    return sorted(found, key=lambda item: item[0].parts)


def _check_packable(folder: Path, path: Path) -> int:
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


# --- reading -------------------------------------------------------------------------------


@dataclass
class ReadReport:
    """What a scan skipped and why (unsafe or oversized members)."""

    skipped: list[tuple[str, str]] = field(default_factory=list)


def safe_member_name(name: str) -> str | None:
    """The normalised member name, or None for absolute paths and ``..``."""
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or not path.parts:
        return None
    return path.as_posix()


def read_members(data: bytes, wanted: Callable[[str], bool], source: str,
                 report: ReadReport | None = None) -> Iterator[tuple[str, bytes]]:
    """``(name, bytes)`` of every regular member whose name ``wanted`` accepts (tar.* or zip)."""
    report = report if report is not None else ReadReport()
    if zipfile.is_zipfile(io.BytesIO(data)):
        yield from _zip_members(data, wanted, source, report)
    else:
        yield from _tar_members(data, wanted, source, report)


def _tar_members(data: bytes, wanted: Callable[[str], bool], source: str,
                 report: ReadReport) -> Iterator[tuple[str, bytes]]:
    try:
        tar = tarfile.open(fileobj=io.BytesIO(data), mode="r:*")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ArchiveError.at(source, 0, 0, "", f"not a tar or zip archive: {exc}") from None
    with tar:
        total = count = 0
        try:
            for member in tar:
                count += 1
                total += max(member.size, 0)
                _check_scan(source, count, total)
                found = _tar_member(tar, member, wanted, report)
                if found is not None:
                    yield found
        except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
            raise ArchiveError.at(source, 0, 0, "", f"corrupt archive: {exc}") from None


def _tar_member(tar: tarfile.TarFile, member: tarfile.TarInfo, wanted: Callable[[str], bool],
                report: ReadReport) -> tuple[str, bytes] | None:
    name = safe_member_name(member.name)
    if name is None or not wanted(name):
        if name is None:
            report.skipped.append((member.name, "absolute path or '..'"))
        return None
    if not member.isreg():
        report.skipped.append((name, "not a regular file (link, device or FIFO)"))
        return None
    if member.size > MAX_MEMBER_BYTES:
        report.skipped.append((name, f"{member.size} bytes; the limit is {MAX_MEMBER_BYTES}"))
        return None
    handle = tar.extractfile(member)
    return (name, handle.read(MAX_MEMBER_BYTES + 1)) if handle else None


def _zip_members(data: bytes, wanted: Callable[[str], bool], source: str,
                 report: ReadReport) -> Iterator[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        _check_scan(source, len(infos), 0)
        for info in infos:
            name = safe_member_name(info.filename)
            if name is None or info.is_dir() or not wanted(name):
                continue
            if _zip_is_link(info) or info.file_size > MAX_MEMBER_BYTES:
                report.skipped.append((name, "a link, or larger than the member limit"))
                continue
            with archive.open(info) as handle:
                yield name, handle.read(MAX_MEMBER_BYTES + 1)


def _zip_is_link(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def _check_scan(source: str, count: int, total: int) -> None:
    if count > MAX_ARCHIVE_MEMBERS or total > MAX_ARCHIVE_UNPACKED:
        raise ArchiveError.at(source, 0, 0, "", f"archive has more than {MAX_ARCHIVE_MEMBERS} members or "
                                                f"unpacks to more than {MAX_ARCHIVE_UNPACKED} bytes; refusing it")


def read_member(data: bytes, member: str, source: str) -> bytes:
    """One member's bytes; ``ArchiveError`` when it is missing or unsafe."""
    for _name, content in read_members(data, lambda name: name == member, source):
        return content
    raise ArchiveError.at(source, 0, 0, "", f"archive has no regular file '{member}'")
