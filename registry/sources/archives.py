"""The one safe reader of tar(.gz/.tgz) and zip archives, used by fetching and by index import.

Nothing is ever extracted to disk: members are read into memory.  Every member is checked
before any is returned: absolute paths, ``..``, links pointing outside the archive, links in
a circle, tar hard links to a later member, encrypted zip members, a second member of the
same name, devices, FIFOs, members over the size cap and zip members with a bomb-like
compression ratio are unsafe; too many members or too many bytes in total refuse the whole archive.

The readers share those checks and one policy: ``read_member`` (fetching a published
component) and ``for_each_member`` (indexing a whole tag archive, one member at a time;
``read_members`` collects them) refuse an archive holding ANY unsafe member, naming it;
nothing is skipped, since indexing the safe part would publish entries that fetching then
refuses.
"""

from __future__ import annotations

import io
import os
import posixpath
import stat
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterator, NamedTuple

from registry.errors import CregError, did_you_mean

MAX_MEMBER_BYTES = 256 * 1024 * 1024
MAX_TOTAL_BYTES = 2 * 1024 * 1024 * 1024
MAX_MEMBERS = 100_000  # each listed member costs ~0.7 KB of memory while an archive is checked
MAX_LINK_BYTES = 4096  # a symlink member's data is its target path (PATH_MAX)
MAX_ZIP_RATIO = 200  # uncompressed/compressed; real text compresses ~10x, bombs ~1000x
# A file on disk, an open binary file (a cached object, read through the handle the cache gave
# out) or bytes already in memory.
ArchiveSource = Path | bytes | BinaryIO


class ArchiveError(CregError):
    """An archive is unsafe, corrupt or lacks the requested member (or a folder cannot be packed)."""


class Caps(NamedTuple):  # NamedTuple, not dataclass: resolving imports this module, cheaply
    member: int
    total: int
    members: int


def caps() -> Caps:
    """The caps, overridable through ``CREG_ARCHIVE_MAX_MEMBER`` / ``_TOTAL`` / ``_COUNT``."""
    return Caps(_env_int("CREG_ARCHIVE_MAX_MEMBER", MAX_MEMBER_BYTES),
                _env_int("CREG_ARCHIVE_MAX_TOTAL", MAX_TOTAL_BYTES),
                _env_int("CREG_ARCHIVE_MAX_COUNT", MAX_MEMBERS))


def _env_int(name: str, default: int) -> int:
    try:
        return int(float(os.environ.get(name, "") or default))
    except ValueError:
        return default


class Member(NamedTuple):
    """One archive member as the checks see it; ``info`` is the TarInfo or ZipInfo."""

    name: str  # without a leading './'
    size: int
    kind: str  # "file", "dir", "link" (symbolic or hard) or "other"
    link: str | None  # the member a symlink or hard link names (from the archive root), else None
    problem: str | None  # why the member is unsafe, else None
    info: Any


# --- names and links ---------------------------------------------------------------------------


def unsafe_name(name: str) -> str | None:
    """Why a member name is unsafe (absolute, drive letter, ``..``), or None."""
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "absolute path"
    if ".." in name.replace("\\", "/").split("/"):
        return "'..' in the path"
    return None


def _link_target(member: str, target: str) -> str:
    """The member a relative link points to (``a/b`` -> ``../c/d`` is ``c/d``)."""
    return posixpath.normpath(posixpath.join(posixpath.dirname(member), target))


def _link_escapes(member: str, target: str) -> bool:
    if unsafe_name(target) == "absolute path":
        return True
    joined = _link_target(member, target)
    return joined == ".." or joined.startswith("../")


# --- tar and zip readers --------------------------------------------------------------------------


class _TarReader:
    def __init__(self, source: ArchiveSource) -> None:
        import tarfile

        if isinstance(source, Path):
            self.tar = tarfile.open(name=source, mode="r:*")
        else:
            self.tar = tarfile.open(fileobj=io.BytesIO(source) if isinstance(source, bytes) else source, mode="r:*")

    def members(self, cap: Caps) -> Iterator[Member]:
        earlier: set[str] = set()
        info = self.tar.next()
        while info is not None:
            name = info.name.removeprefix("./")
            problem = _tar_problem(info, cap.member) or _hard_link_problem(info, earlier)
            yield Member(name, max(info.size, 0), _tar_kind(info), _tar_link(info), problem, info)
            earlier.add(name)
            info = self.tar.next()

    def read(self, member: Member, limit: int) -> bytes:
        import tarfile

        handle = self.tar.extractfile(member.info)  # follows links inside the archive
        if handle is None:
            raise tarfile.ReadError(f"member '{member.name}' has no data")
        return handle.read(limit + 1)

    def close(self) -> None:
        self.tar.close()


def _tar_link(info: Any) -> str | None:
    """The member a link names, relative to the archive root (symlinks: to the link's folder)."""
    if info.issym():
        return _link_target(info.name.removeprefix("./"), info.linkname)
    if info.islnk():
        return posixpath.normpath(info.linkname.removeprefix("./"))
    return None


def _hard_link_problem(info: Any, earlier: set[str]) -> str | None:
    # tarfile looks a hard link's data up among the members BEFORE it; a link to a later one
    # (which tar -x also cannot create) would fail only when read.
    target = posixpath.normpath(info.linkname.removeprefix("./")) if info.islnk() else None
    if target is not None and target not in earlier:
        return f"hard link to '{info.linkname}', which is not an earlier member"
    return None


def _tar_kind(info: Any) -> str:
    if info.isreg():
        return "file"
    if info.isdir():
        return "dir"
    return "link" if info.issym() or info.islnk() else "other"


def _tar_problem(info: Any, max_member: int) -> str | None:
    why = unsafe_name(info.name)
    if why:
        return why
    if info.ischr() or info.isblk():
        return "device file"
    if info.isfifo():
        return "FIFO"
    if info.issym() and _link_escapes(info.name, info.linkname):
        return f"symlink to '{info.linkname}' points outside the archive"
    if info.islnk() and unsafe_name(info.linkname):
        return f"hard link to '{info.linkname}' points outside the archive"
    if not (info.isfile() or info.isdir() or info.issym() or info.islnk()):
        return "unsupported member type"
    if info.size > max_member:
        return f"{info.size} bytes; the cap for one member is {max_member}"
    return None


class _ZipReader:
    def __init__(self, source: ArchiveSource) -> None:
        import zipfile

        self.zip = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)  # Path or handle

    def members(self, cap: Caps) -> Iterator[Member]:
        for info in self.zip.infolist():
            mode = info.external_attr >> 16
            link, too_long = self._link(info) if stat.S_ISLNK(mode) else (None, False)
            problem = f"symlink target longer than {MAX_LINK_BYTES} bytes" if too_long else None
            target = _link_target(info.filename, link) if link is not None else None
            yield Member(info.filename, info.file_size, _zip_kind(info, mode, link), target,
                         problem or _zip_problem(info, link, cap.member), info)

    def _link(self, info: Any) -> tuple[str, bool]:
        """A symlink member's target and whether it is too long to be one.

        Only ``MAX_LINK_BYTES + 1`` bytes are ever inflated: the header's size can lie, and a
        "symlink" whose data is a gigabyte of zeros must not be decompressed to find that out.
        """
        if info.file_size > MAX_LINK_BYTES:
            return "", True
        if info.flag_bits & 0x1:  # encrypted: refused by _zip_problem, never opened
            return "", False
        with self.zip.open(info) as handle:
            data = handle.read(MAX_LINK_BYTES + 1)
        return data[:MAX_LINK_BYTES].decode("utf-8", "replace"), len(data) > MAX_LINK_BYTES

    def read(self, member: Member, limit: int) -> bytes:
        with self.zip.open(member.info) as handle:
            return handle.read(limit + 1)

    def close(self) -> None:
        self.zip.close()


def _zip_kind(info: Any, mode: int, link: str | None) -> str:
    if info.is_dir():
        return "dir"
    if link is not None:
        return "link"
    # No file-type bits: written without unix modes (Windows tools, ZipFile.writestr): a file.
    return "file" if stat.S_IFMT(mode) == 0 or stat.S_ISREG(mode) else "other"


def _zip_problem(info: Any, link: str | None, max_member: int) -> str | None:
    why = unsafe_name(info.filename)
    if why:
        return why
    if info.flag_bits & 0x1:
        return "encrypted member (creg reads no password-protected archives)"
    mode = info.external_attr >> 16
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device file"
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
        return "FIFO or socket"
    if link is not None and _link_escapes(info.filename, link):
        return f"symlink to '{link}' points outside the archive"
    if info.file_size > max_member:
        return f"{info.file_size} bytes; the cap for one member is {max_member}"
    if info.compress_size and info.file_size > 1 << 20 and info.file_size / info.compress_size > MAX_ZIP_RATIO:
        return f"compression ratio over {MAX_ZIP_RATIO}:1 (a zip bomb?)"
    return None


def _is_zip(source: ArchiveSource) -> bool:
    if isinstance(source, bytes):
        return source[:2] == b"PK"
    if not isinstance(source, Path):
        start = source.read(2)
        source.seek(0)
        return start == b"PK"
    with open(source, "rb") as handle:
        return handle.read(2) == b"PK"


# --- scanning ------------------------------------------------------------------------------------


def _refuse(label: str, member: str, why: str) -> ArchiveError:
    return ArchiveError.at(label, 0, 0, "", f"refusing unsafe archive member '{member}': {why}")


def _unreadable(label: str, exc: BaseException) -> ArchiveError:
    reason = " ".join(str(exc).split()) or type(exc).__name__
    if reason.startswith("file could not be opened successfully"):  # tarfile's list of every codec tried
        reason = "neither gzip, bzip2, xz nor plain tar"
    return ArchiveError.at(label, 0, 0, "", f"not a readable archive: not a tar or zip archive, or a damaged one "
                                            f"({reason[:300]})")


def _scan(source: ArchiveSource, label: str, use: Callable[[Any, list[Member], Caps], Any]) -> Any:
    """Open the archive, check every member against the caps, then hand them to ``use``."""
    import tarfile
    import zipfile
    import zlib

    cap = caps()
    try:
        reader = _ZipReader(source) if _is_zip(source) else _TarReader(source)
        try:
            return use(reader, _within_caps(reader.members(cap), cap, label), cap)
        finally:
            reader.close()
    except (tarfile.TarError, zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError,
            NotImplementedError) as exc:  # NotImplementedError: a zip compression method Python lacks
        raise _unreadable(label, exc) from None


def _within_caps(members: Iterator[Member], cap: Caps, label: str) -> list[Member]:
    found: list[Member] = []
    total = 0
    for member in members:
        total += member.size
        if total > cap.total:
            raise _refuse(label, member.name, f"archive expands to more than {cap.total} bytes")
        if len(found) >= cap.members:
            raise _refuse(label, member.name, f"archive has more than {cap.members} members")
        found.append(member)
    return _with_link_problems(_with_duplicate_problems(found))


def _with_duplicate_problems(members: list[Member]) -> list[Member]:
    """Two members of one name are refused: tar -x and unzip keep the last, a reader may take
    the first, so what a reviewer extracts would not be what creg reads."""
    seen: set[str] = set()
    out = []
    for member in members:
        name = member.name.rstrip("/")
        if name in seen and member.kind != "dir" and not member.problem:
            member = member._replace(problem=f"a second member named '{name}'")
        seen.add(name)
        out.append(member)
    return out


MAX_LINK_HOPS = 40  # as Linux's ELOOP limit


def _with_link_problems(members: list[Member]) -> list[Member]:
    """Links that lead in a circle, or through too many links, are refused before any read."""
    links = {m.name: m.link for m in members if m.link is not None}
    return [m._replace(problem=_loop_problem(m.name, links)) if m.link is not None and not m.problem
            else m for m in members]


def _loop_problem(name: str, links: dict[str, str]) -> str | None:
    seen = [name]
    target = links[name]
    while target in links:
        if target in seen:
            return "links lead in a circle: " + " -> ".join(seen + [target])
        if len(seen) > MAX_LINK_HOPS:
            return f"more than {MAX_LINK_HOPS} links in a row"
        seen.append(target)
        target = links[target]
    return None


def _read_capped(reader: Any, member: Member, cap: Caps, label: str) -> bytes:
    data = reader.read(member, cap.member)
    if len(data) > cap.member:  # zip headers can understate a member's size
        raise _refuse(label, member.name, f"expands past the cap of {cap.member} bytes")
    return data


# --- the two policies ----------------------------------------------------------------------------


def read_member(source: ArchiveSource, member: str, label: str = "") -> bytes:
    """The bytes of ``member``; ``ArchiveError`` when it is missing or ANY member is unsafe."""
    label = label or str(source if isinstance(source, Path) else "<archive>")

    def use(reader: Any, members: list[Member], cap: Caps) -> bytes:
        unsafe = next((m for m in members if m.problem), None)
        if unsafe is not None:
            raise _refuse(label, unsafe.name, unsafe.problem or "")
        found = _final_target(members, _find(members, member, label), label)
        if found.kind != "file":
            raise ArchiveError.at(label, 0, 0, "", f"member '{member}' is not a regular file")
        return _read_capped(reader, found, cap, label)

    return _scan(source, label, use)


def _final_target(members: list[Member], found: Member, label: str) -> Member:
    """The regular file a chain of links ends at (loops were refused by the scan)."""
    by_name = {m.name: m for m in members}
    while found.link is not None:
        target = by_name.get(found.link)
        if target is None:
            raise ArchiveError.at(label, 0, 0, "", f"member '{found.name}' is a link to "
                                                   f"'{found.link}', which the archive does not hold")
        found = target
    return found


def _find(members: list[Member], name: str, label: str) -> Member:
    wanted = name.removeprefix("./")
    found = next((m for m in members if m.name == wanted), None)
    if found is None:
        names = [m.name for m in members]
        raise ArchiveError.at(label, 0, 0, "", f"no member '{name}'{did_you_mean(name, names)}")
    return found


def for_each_member(source: ArchiveSource, label: str, choose: Callable[[list[str]], set[str]],
                    use: Callable[[str, bytes | None], None], limit: int) -> None:
    """Hand the regular files ``choose`` picks to ``use``, one at a time, in archive order.

    ``choose`` sees every regular file's name (after the whole archive passed the checks) and
    returns the ones to read; the others are never decompressed into memory.  A chosen member
    larger than ``limit`` is handed over as None, after reading at most ``limit + 1`` bytes,
    so memory stays bounded by one member of ``limit`` bytes however large the archive.
    """
    def run(reader: Any, members: list[Member], cap: Caps) -> None:
        unsafe = next((m for m in members if m.problem), None)
        if unsafe is not None:
            raise _refuse(label, unsafe.name, unsafe.problem or "")
        chosen = choose([m.name for m in members if m.kind == "file"])
        for member in members:
            if member.kind == "file" and member.name in chosen:
                data = reader.read(member, min(limit, cap.member)) if member.size <= limit else None
                use(member.name, data if data is not None and len(data) <= limit else None)

    _scan(source, label, run)


def read_members(source: ArchiveSource, wanted: Callable[[str], bool], label: str) -> list[tuple[str, bytes]]:
    """``(name, bytes)`` of every regular file ``wanted`` accepts, in archive order.

    Like ``read_member``, an archive holding ANY unsafe member is refused whole: indexing
    the safe part would publish entries that fetching then refuses, and an archive with a
    hostile member is not one to trust for the rest.  (Everything is held in memory: for
    large archives, ``for_each_member``.)
    """
    found: list[tuple[str, bytes]] = []
    cap = caps().member

    def use(name: str, data: bytes | None) -> None:
        if data is None:  # zip headers can understate a member's size
            raise _refuse(label, name, f"expands past the cap of {cap} bytes")
        found.append((name, data))

    for_each_member(source, label, lambda names: {n for n in names if wanted(n)}, use, cap)
    return found
