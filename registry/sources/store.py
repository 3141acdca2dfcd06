"""Safe writes on disk: atomic replacement and cross-process locks.

(The content-addressed download cache is built on these two primitives.)
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import time
from pathlib import Path
from typing import Callable, Iterator, NamedTuple

from registry.errors import ArgumentError, CregError


def atomic_write(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the new one, never a part.

    The temp file lives in the same directory (``os.replace`` is atomic only within one
    file system) and is fsynced before the rename so a crash cannot leave an empty file.
    """
    import tempfile  # lazy: start-up (readers of the cache never need it)

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, _mode_for(path))  # mkstemp's 0600 would make a served registry unreadable
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _mode_for(path: Path) -> int:
    """A replaced file keeps its mode; a new one gets what the umask gives (as ``open`` would)."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    # Read, not set and restored: setting it, even for an instant, would race with other
    # threads creating files (the local runner writes from several).
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            line = next(line for line in status if line.startswith("Umask:"))
        return int(line.split()[1], 8)
    except (OSError, StopIteration, ValueError, IndexError):
        return 0o022


def write_output(path: str | Path, data: bytes) -> None:
    """Write a result the user asked for (``-o PATH``).

    A regular file is replaced atomically; a symlink keeps being a link (its target is
    replaced); a device or FIFO such as ``/dev/stdout`` is written in place, never replaced.
    """
    path = Path(path)
    try:
        if path.exists() and not stat.S_ISREG(os.stat(path).st_mode):
            with open(path, "wb") as handle:
                handle.write(data)
            return
        atomic_write(path.resolve() if path.is_symlink() else path, data)
    except OSError as exc:
        raise ArgumentError("path", f"{path}: cannot write: {exc.strerror or exc}") from None


@contextlib.contextmanager
def file_lock(path: str | Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (created if needed) for the ``with`` block.

    The kernel drops the lock when the process dies, so a killed writer never leaves a
    stale lock behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


# --- the content-addressed download cache ---------------------------------------------------

_HEX = "0123456789abcdef"


class DigestMismatch(CregError):
    """Bytes did not hash to the digest the index promised; nothing was cached."""


class CacheError(CregError):
    """The cache directory holds something unexpected."""


def cache_root() -> Path:
    """``$CREG_CACHE_DIR``, else ``$XDG_CACHE_HOME/creg``, else ``~/.cache/creg``."""
    explicit = os.environ.get("CREG_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "creg"


def sha256_hex(data: bytes) -> str:
    """Hex sha256; small inputs use the built-in module, which loads ~2 ms faster than
    OpenSSL's (hashlib), large ones OpenSSL, which hashes several times faster."""
    if len(data) < 256 * 1024:
        try:
            from _sha256 import sha256  # type: ignore[import-not-found]  # lazy: start-up; CPython's, no stub
        except ImportError:  # pragma: no cover - other interpreters
            from hashlib import sha256  # lazy: start-up
    else:
        from hashlib import sha256  # lazy: start-up (OpenSSL loads ~2 ms slower)
    return sha256(data).hexdigest()


def sha256_digest(data: bytes) -> str:
    """``sha256:<hex>`` of the raw bytes (archives; components use ``spec.digest_of``)."""
    return "sha256:" + sha256_hex(data)


def digest_matches(digest: str, data: bytes) -> bool:
    """True when ``data`` hashes to ``digest`` as raw bytes or as a component (CRLF -> LF)."""
    hexdigest = digest.removeprefix("sha256:")
    if sha256_hex(data) == hexdigest:
        return True
    return b"\r\n" in data and sha256_hex(data.replace(b"\r\n", b"\n")) == hexdigest


def file_sha256(path: Path) -> str:
    import hashlib  # lazy: start-up (OpenSSL loads ~2 ms slower)

    hasher = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            hasher.update(block)
    return "sha256:" + hasher.hexdigest()


def check_digest(digest: str) -> str:
    hexdigest = digest.removeprefix("sha256:")
    if not digest.startswith("sha256:") or len(hexdigest) != 64 or set(hexdigest) - set(_HEX):
        raise CacheError(f"'{digest}' is not a digest; expected sha256: and 64 lowercase hex digits")
    return hexdigest


class CacheEntry(NamedTuple):
    """One cached object.  (A NamedTuple: defining a frozen dataclass costs every command ~0.6 ms.)"""

    digest: str
    path: Path
    size: int
    modified: float


class Store:
    """Objects named by their sha256 under ``<root>/objects/sha256/``.

    Writers follow check -> lock -> check again -> write a temp file in the same folder ->
    verify -> ``os.replace``, so N processes fetching one object download it once, and a
    killed writer leaves at most a dot-named temp file, never a partial object.
    """

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else cache_root()

    @property
    def objects(self) -> Path:
        return self.root / "objects" / "sha256"

    def path_for(self, digest: str) -> Path:
        return self.objects / check_digest(digest)

    def lock_path(self, key: str) -> Path:
        return self.root / "locks" / f"{key}.lock"

    def has(self, digest: str) -> bool:
        return self.path_for(digest).is_file()

    def read(self, digest: str) -> bytes | None:
        """The object's bytes, verified; None when absent.  A corrupt object is an error."""
        path = self.path_for(digest)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        if not digest_matches(digest, data):
            raise _corrupt(path, digest, sha256_digest(data))
        return data

    def verified_path(self, digest: str) -> Path | None:
        """The object's path after re-hashing it as a stream (for big objects); None when absent."""
        path = self.path_for(digest)
        try:
            found = file_sha256(path)
        except FileNotFoundError:
            return None
        if found != digest and not digest_matches(digest, path.read_bytes()):
            raise _corrupt(path, digest, found)
        return path

    def put(self, digest: str, data: bytes, origin: str = "") -> Path:
        """Verify ``data`` against ``digest`` and store it (idempotent)."""
        if not digest_matches(digest, data):
            raise mismatch(origin, digest, sha256_digest(data))
        path = self.path_for(digest)
        if not path.is_file():
            with file_lock(self.lock_path(path.name)):
                if not path.is_file():
                    atomic_write(path, data)
        return path

    def ensure(self, digest: str, produce: Callable[[Path], None], origin: str = "") -> Path:
        """The object's path, calling ``produce(temp_path)`` to fill it when absent.

        ``produce`` writes the bytes to the given temp path (in the objects folder); they are
        verified before the rename.  Only one process produces; the others wait on the lock.
        """
        path = self.path_for(digest)
        if path.is_file():
            return path
        with file_lock(self.lock_path(path.name)):
            if path.is_file():
                return path
            self._remove_stale_temps(path.name)
            self._produce(path, digest, produce, origin)
        return path

    def _produce(self, path: Path, digest: str, produce: Callable[[Path], None], origin: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.parent / f".{path.name}.{os.getpid()}.tmp"
        try:
            produce(tmp)
            found = file_sha256(tmp)
            if found != digest and not digest_matches(digest, tmp.read_bytes()):
                raise mismatch(origin, digest, found)
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)

    def _remove_stale_temps(self, name: str) -> None:
        # Called with the object's lock held: no live writer owns these temp files.
        for stale in self.objects.glob(f".{name}.*.tmp"):
            with contextlib.suppress(FileNotFoundError):
                stale.unlink()

    def entries(self) -> list[CacheEntry]:
        out = []
        for path in sorted(self.objects.glob("[0-9a-f]*")) if self.objects.is_dir() else []:
            info = path.stat()
            out.append(CacheEntry("sha256:" + path.name, path, info.st_size, info.st_mtime))
        return out

    def verify(self, fix: bool = False) -> list[CacheEntry]:
        """Objects whose bytes no longer match their name (removed when ``fix``)."""
        bad = [e for e in self.entries() if not digest_matches(e.digest, e.path.read_bytes())]
        for entry in bad if fix else []:
            with file_lock(self.lock_path(entry.path.name)):
                entry.path.unlink(missing_ok=True)
        return bad

    def temp_files(self) -> list[Path]:
        return sorted(self.objects.glob(".*.tmp")) if self.objects.is_dir() else []

    def clean(self, older_than: float | None = None) -> list[Path]:
        """Remove objects (all, or those unused for ``older_than`` seconds) and stale temps."""
        removed = []
        cutoff = time.time() - older_than if older_than is not None else None
        for entry in self.entries():
            if cutoff is None or entry.modified < cutoff:
                with file_lock(self.lock_path(entry.path.name)):
                    entry.path.unlink(missing_ok=True)
                removed.append(entry.path)
        removed += self._clean_temps()
        if cutoff is None:
            # Lock files stay: deleting one that a live process holds would let a second
            # process lock a fresh file of the same name.
            import shutil  # lazy: start-up (only 'cache clean' needs it)

            shutil.rmtree(self.root / "indexes", ignore_errors=True)
        return removed

    def _clean_temps(self) -> list[Path]:
        removed = []
        for tmp in self.temp_files():
            name = tmp.name[1:].split(".", 1)[0]
            with file_lock(self.lock_path(name)):  # a live writer holds this lock
                if tmp.exists():
                    tmp.unlink()
                    removed.append(tmp)
        return removed


def _corrupt(path: Path, expected: str, found: str) -> DigestMismatch:
    return DigestMismatch(f"{path}: cached object is corrupt (expected {expected}, found {found}); "
                          "run 'creg cache verify --fix'")


def mismatch(origin: str, expected: str, found: str) -> DigestMismatch:
    where = f"{origin}: " if origin else ""
    return DigestMismatch(f"{where}digest mismatch: expected {expected}, got {found}; nothing was cached")
