"""Getting bytes from URLs and archives, safely.

HTTP goes through ``requests`` (imported lazily: the only module that uses it) with
connect/read timeouts, retries with exponential backoff on connection errors, timeouts,
truncated bodies and 5xx answers, and none on 4xx.  ``file://`` URLs and plain paths are
read from disk.  Archives (tar.gz, tgz, zip) are checked member by member before anything is
read from them, and only the requested member is read.
"""

from __future__ import annotations

import io
import os
import posixpath
import stat
import sys
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Iterator

from .errors import CregError, did_you_mean

if TYPE_CHECKING:  # tarfile/zipfile cost milliseconds; only archive reads import them
    import tarfile
    import zipfile

MAX_MEMBER_BYTES = 256 * 1024 * 1024
MAX_TOTAL_BYTES = 2 * 1024 * 1024 * 1024
MAX_ZIP_RATIO = 200  # uncompressed/compressed; real text compresses ~10x, bombs ~1000x


class FetchError(CregError):
    """A download failed (HTTP status, timeout, connection, truncated body)."""


class OfflineError(CregError):
    """Offline mode needs something that is not in the cache."""


class ArchiveError(CregError):
    """An archive is unsafe, corrupt or lacks the requested member."""


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, "") or default)
    except ValueError:
        return default


def timeouts() -> tuple[float, float]:
    """(connect, read) seconds; ``CREG_HTTP_TIMEOUT`` sets both ("5") or each ("3,30")."""
    raw = os.environ.get("CREG_HTTP_TIMEOUT", "")
    parts = [p for p in raw.split(",") if p.strip()]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if not values:
        return (10.0, 60.0)
    return (values[0], values[-1])


def retries() -> int:
    return int(_env_float("CREG_HTTP_RETRIES", 3))


def is_remote(location: str) -> bool:
    return location.startswith(("http://", "https://"))


def local_path(location: str) -> Path:
    """A ``file://`` URL or a plain path -> Path."""
    if location.startswith("file://"):
        from urllib.parse import unquote, urlparse

        return Path(unquote(urlparse(location).path))
    return Path(location)


# --- HTTP ------------------------------------------------------------------------------------

_SESSION: Any = None


def _session() -> Any:
    global _SESSION
    if _SESSION is None:
        import requests  # heavy; only a real download pays for it

        _SESSION = requests.Session()
        _SESSION.headers["User-Agent"] = "creg"
    return _SESSION


class _Retryable(Exception):
    """A failure worth another try (connection, timeout, 5xx, truncated body)."""


def download(location: str, sink: IO[bytes], label: str = "") -> None:
    """Write the bytes at ``location`` (URL or path) into ``sink`` (seekable).

    With a ``label`` and a terminal on stderr, a progress bar shows the download.
    """
    if not is_remote(location):
        _copy_local(location, sink)
        return
    attempts = max(1, retries() + 1)
    for attempt in range(attempts):
        sink.seek(0)
        sink.truncate()
        try:
            _get(location, sink, label)
            return
        except _Retryable as exc:
            if attempt == attempts - 1:
                raise FetchError(f"GET {location}: {exc} (gave up after {attempts} attempts)") from None
            time.sleep(_env_float("CREG_HTTP_BACKOFF", 0.5) * 2 ** attempt)


def download_bytes(location: str, limit: int = 64 * 1024 * 1024) -> bytes:
    sink = io.BytesIO()
    download(location, sink)
    if sink.tell() > limit:
        raise FetchError(f"GET {location}: body is {sink.tell()} bytes; the limit is {limit}")
    return sink.getvalue()


def download_to_file(location: str, path: Path, label: str = "") -> None:
    with open(path, "wb") as sink:
        download(location, sink, label)
        sink.flush()
        os.fsync(sink.fileno())


def _copy_local(location: str, sink: IO[bytes]) -> None:
    import shutil

    path = local_path(location)
    try:
        with open(path, "rb") as source:
            shutil.copyfileobj(source, sink)
    except OSError as exc:
        raise FetchError(f"{path}: cannot read: {exc.strerror}") from None


def _get(url: str, sink: IO[bytes], label: str) -> None:
    import requests

    try:
        with _session().get(url, stream=True, timeout=timeouts()) as response:
            _check_status(url, response)
            expected = _content_length(response)
            received = _stream(response, sink, expected, label)
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise _Retryable(_reason(exc)) from None
    except requests.exceptions.ChunkedEncodingError as exc:
        raise _Retryable(f"connection broken mid-body ({_reason(exc)})") from None
    if expected is not None and received != expected:
        raise _Retryable(f"truncated body: received {received} of {expected} bytes")


def _reason(exc: Exception) -> str:
    text = str(exc)
    if "timed out" in text.lower() or "timeout" in type(exc).__name__.lower():
        return f"timed out ({type(exc).__name__}; timeouts {timeouts()[0]}s connect, {timeouts()[1]}s read)"
    return f"{type(exc).__name__}: {text[:200]}"


def _check_status(url: str, response: Any) -> None:
    if response.status_code >= 500:
        raise _Retryable(f"HTTP {response.status_code} {response.reason}")
    if response.status_code >= 400:
        raise FetchError(f"GET {url}: HTTP {response.status_code} {response.reason}")


def _content_length(response: Any) -> int | None:
    if response.headers.get("Content-Encoding"):
        return None  # the header counts compressed bytes; requests hands us decoded ones
    try:
        return int(response.headers["Content-Length"])
    except (KeyError, ValueError):
        return None


def _stream(response: Any, sink: IO[bytes], expected: int | None, label: str) -> int:
    # Only labelled downloads (components, archives) show a bar; index fetches stay quiet.
    progress = _Progress(label, expected) if label and sys.stderr.isatty() else None
    received = 0
    for block in response.iter_content(chunk_size=16 * 1024):
        sink.write(block)
        received += len(block)
        if progress:
            progress.update(received)
    if progress:
        progress.done()
    return received


class _Progress:
    """A one-line progress bar on stderr (only ever created for a terminal)."""

    def __init__(self, label: str, total: int | None) -> None:
        self.label = label.rsplit("/", 1)[-1][:40]
        self.total = total
        self.last = 0.0

    def update(self, received: int) -> None:
        now = time.monotonic()
        if now - self.last < 0.1:
            return
        self.last = now
        if self.total:
            filled = int(30 * received / self.total)
            bar = "#" * filled + "-" * (30 - filled)
            sys.stderr.write(f"\r{self.label} [{bar}] {received // 1024}/{self.total // 1024} KiB")
        else:
            sys.stderr.write(f"\r{self.label} {received // 1024} KiB")
        sys.stderr.flush()

    def done(self) -> None:
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()


# --- archives --------------------------------------------------------------------------------


def _caps() -> tuple[int, int]:
    return (int(_env_float("CREG_ARCHIVE_MAX_MEMBER", MAX_MEMBER_BYTES)),
            int(_env_float("CREG_ARCHIVE_MAX_TOTAL", MAX_TOTAL_BYTES)))


def read_member(archive: Path, member: str, label: str = "") -> bytes:
    """The bytes of one member of a tar(.gz)/zip archive, after checking every member is safe."""
    label = label or str(archive)
    with open(archive, "rb") as handle:
        magic = handle.read(4)
    if magic.startswith(b"PK"):
        return _zip_member(archive, member, label)
    return _tar_member(archive, member, label)


def _unsafe_name(name: str) -> str | None:
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "absolute path"
    if ".." in name.replace("\\", "/").split("/"):
        return "'..' in the path"
    return None


def _link_escapes(member: str, target: str) -> bool:
    if target.startswith("/") or _unsafe_name(target) == "absolute path":
        return True
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(member), target))
    return joined == ".." or joined.startswith("../")


def _refuse(label: str, member: str, why: str) -> ArchiveError:
    return ArchiveError(f"{label}: refusing unsafe archive member '{member}': {why}")


def _tar_member(archive: Path, member: str, label: str) -> bytes:
    import tarfile

    max_member, max_total = _caps()
    try:
        with tarfile.open(archive, "r:*") as tar:
            names = _check_tar(tar, label, max_member, max_total)
            info = _find(names, member, label)
            if not (info.isfile() or info.issym() or info.islnk()):
                raise ArchiveError(f"{label}: member '{member}' is not a regular file")
            extracted = tar.extractfile(info)
            if extracted is None:
                raise ArchiveError(f"{label}: member '{member}' cannot be read")
            return extracted.read(max_member + 1)[:max_member]
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise ArchiveError(f"{label}: not a readable tar/tar.gz archive ({exc})") from None


def _check_tar(tar: "tarfile.TarFile", label: str, max_member: int, max_total: int) -> dict[str, Any]:
    names: dict[str, Any] = {}
    total = 0
    for info in _iter_tar(tar):
        why = _tar_problem(info, max_member)
        if why:
            raise _refuse(label, info.name, why)
        total += info.size
        if total > max_total:
            raise _refuse(label, info.name, f"archive expands to more than {max_total} bytes")
        names[info.name.removeprefix("./")] = info
    return names


def _iter_tar(tar: "tarfile.TarFile") -> Iterator["tarfile.TarInfo"]:
    info = tar.next()
    while info is not None:
        yield info
        info = tar.next()


def _tar_problem(info: "tarfile.TarInfo", max_member: int) -> str | None:
    why = _unsafe_name(info.name)
    if why:
        return why
    if info.ischr() or info.isblk():
        return "device file"
    if info.isfifo():
        return "FIFO"
    if info.issym() and _link_escapes(info.name, info.linkname):
        return f"symlink to '{info.linkname}' points outside the archive"
    if info.islnk() and _unsafe_name(info.linkname):
        return f"hard link to '{info.linkname}' points outside the archive"
    if not (info.isfile() or info.isdir() or info.issym() or info.islnk()):
        return "unsupported member type"
    if info.size > max_member:
        return f"{info.size} bytes; the cap for one member is {max_member}"
    return None


def _find(names: dict[str, Any], member: str, label: str) -> Any:
    found = names.get(member.removeprefix("./"))
    if found is None:
        raise ArchiveError(f"{label}: no member '{member}'{did_you_mean(member, names)}")
    return found


def _zip_member(archive: Path, member: str, label: str) -> bytes:
    import zipfile

    max_member, max_total = _caps()
    try:
        with zipfile.ZipFile(archive) as zf:
            names = _check_zip(zf, label, max_member, max_total)
            info = _find(names, member, label)
            if stat.S_ISLNK(info.external_attr >> 16):
                target = zf.read(info).decode("utf-8", "replace")
                info = _find(names, posixpath.normpath(posixpath.join(posixpath.dirname(member), target)), label)
            with zf.open(info) as handle:
                data = handle.read(max_member + 1)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ArchiveError(f"{label}: not a readable zip archive ({exc})") from None
    if len(data) > max_member:
        raise _refuse(label, member, f"expands past the cap of {max_member} bytes")
    return data


def _check_zip(zf: "zipfile.ZipFile", label: str, max_member: int, max_total: int) -> dict[str, Any]:
    names: dict[str, Any] = {}
    total = 0
    for info in zf.infolist():
        why = _zip_problem(zf, info, max_member)
        if why:
            raise _refuse(label, info.filename, why)
        total += info.file_size
        if total > max_total:
            raise _refuse(label, info.filename, f"archive expands to more than {max_total} bytes")
        names[info.filename] = info
    return names


def _zip_problem(zf: "zipfile.ZipFile", info: "zipfile.ZipInfo", max_member: int) -> str | None:
    why = _unsafe_name(info.filename)
    if why:
        return why
    mode = info.external_attr >> 16
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device file"
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
        return "FIFO or socket"
    if stat.S_ISLNK(mode):
        target = zf.read(info)[:4096].decode("utf-8", "replace")
        if _link_escapes(info.filename, target):
            return f"symlink to '{target}' points outside the archive"
    if info.file_size > max_member:
        return f"{info.file_size} bytes; the cap for one member is {max_member}"
    if info.compress_size and info.file_size > 1 << 20 and info.file_size / info.compress_size > MAX_ZIP_RATIO:
        return f"compression ratio over {MAX_ZIP_RATIO}:1 (a zip bomb?)"
    return None
