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
from typing import BinaryIO, Callable, Iterator, NamedTuple

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


EXACT = "exact"
COMPONENT_TEXT = "component-text"  # KFP's component digest: the bytes with CRLF turned into LF


def digest_matches(digest: str, data: bytes, text: bool = False) -> bool:
    """True when ``data`` hashes to ``digest`` byte for byte, or (``text``: a component spec,
    whose digest is KFP's) once CRLF is turned into LF.  Archives and other downloads are
    never normalised: a mirror could otherwise serve different bytes under the digest."""
    hexdigest = digest.removeprefix("sha256:")
    if sha256_hex(data) == hexdigest:
        return True
    return text and b"\r\n" in data and sha256_hex(data.replace(b"\r\n", b"\n")) == hexdigest


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
    rule: str = EXACT  # how its bytes were verified: EXACT or COMPONENT_TEXT


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

    def rule_path(self, digest: str) -> Path:
        """Where an object verified as component text (CRLF -> LF) says so; absent: exact."""
        return self.root / "objects" / "rules" / check_digest(digest)

    def rule(self, digest: str) -> str:
        return COMPONENT_TEXT if self.rule_path(digest).is_file() else EXACT

    def has(self, digest: str) -> bool:
        return self.path_for(digest).is_file()

    def _matches(self, digest: str, data: bytes) -> bool:
        """The object's bytes against its name, by the rule recorded when it was stored."""
        return digest_matches(digest, data, text=self.rule(digest) == COMPONENT_TEXT)

    def read(self, digest: str) -> bytes | None:
        """The object's bytes, verified; None when absent.  A corrupt object is an error."""
        path = self.path_for(digest)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        if not self._matches(digest, data):
            raise _corrupt(path, digest, sha256_digest(data))
        return data

    def open_verified(self, digest: str, produce: Callable[[Path], str | None] | None = None,
                      origin: str = "") -> BinaryIO | None:
        """An open handle on the object (re-hashed byte for byte, at offset 0), produced first
        when absent and ``produce`` is given; None when absent otherwise.

        An open file outlives its removal, so a ``cache clean`` running meanwhile cannot pull
        the object from under the reader; a produced object is opened while its lock is still
        held, so a clean waiting on that lock cannot remove it in between either.
        """
        path = self.path_for(digest)
        handle = _open_or_none(path)
        if handle is None and produce is not None:
            with file_lock(self.lock_path(path.name)):
                handle = _open_or_none(path)
                if handle is None:
                    self._remove_stale_temps(path.name)
                    self._produce(path, digest, produce, origin, text=False)
                    return open(path, "rb")  # just verified by _produce
        if handle is not None:
            _check_open(handle, path, digest)
        return handle

    def put(self, digest: str, data: bytes, origin: str = "", text: bool = False) -> Path:
        """Verify ``data`` against ``digest`` (byte for byte; ``text``: as a component spec) and
        store it (idempotent)."""
        if not digest_matches(digest, data, text):
            raise mismatch(origin, digest, sha256_digest(data))
        path = self.path_for(digest)
        if not path.is_file():
            with file_lock(self.lock_path(path.name)):
                if not path.is_file():
                    self._record_rule(digest, sha256_digest(data) != digest)
                    atomic_write(path, data)
        return path

    def _record_rule(self, digest: str, normalised: bool) -> None:
        # Written before the object: a crash in between leaves a record, never a CRLF object
        # without one (which 'cache verify' would call corrupt).
        if normalised:
            atomic_write(self.rule_path(digest), COMPONENT_TEXT.encode("ascii"))

    def ensure(self, digest: str, produce: Callable[[Path], str | None], origin: str = "",
               text: bool = False) -> Path:
        """The object's path, calling ``produce(temp_path)`` to fill it when absent.

        ``produce`` writes the bytes to the given temp path (in the objects folder) and may
        return their ``sha256:`` digest, computed while they streamed (else the file is hashed
        again); they are verified before the rename, byte for byte unless ``text``.  Only one
        process produces; the others wait on the lock.
        """
        path = self.path_for(digest)
        if path.is_file():
            return path
        with file_lock(self.lock_path(path.name)):
            if path.is_file():
                return path
            self._remove_stale_temps(path.name)
            self._produce(path, digest, produce, origin, text)
        return path

    def _produce(self, path: Path, digest: str, produce: Callable[[Path], str | None], origin: str,
                 text: bool) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.parent / f".{path.name}.{os.getpid()}.tmp"
        try:
            found = produce(tmp) or file_sha256(tmp)
            # Only a component text (at most a spec's few MiB) is ever read back, to normalise it.
            normalised = found != digest and text and digest_matches(digest, tmp.read_bytes(), text=True)
            if found != digest and not normalised:
                raise mismatch(origin, digest, found)
            self._record_rule(digest, normalised)
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
            try:
                info = path.stat()
            except FileNotFoundError:  # removed by a concurrent clean
                continue
            digest = "sha256:" + path.name
            out.append(CacheEntry(digest, path, info.st_size, info.st_mtime, self.rule(digest)))
        return out

    def verify(self, fix: bool = False) -> list[CacheEntry]:
        """Objects whose bytes no longer match their name by their recorded rule (removed when ``fix``)."""
        bad = [e for e in self.entries() if not self._verifies(e)]
        for entry in bad if fix else []:
            self._remove(entry.path)
        return bad

    def _verifies(self, entry: CacheEntry) -> bool:
        """Streamed for exact objects (archives can be large); component texts are small."""
        if entry.rule == EXACT:
            return file_sha256(entry.path) == entry.digest
        return digest_matches(entry.digest, entry.path.read_bytes(), text=True)

    def _remove(self, path: Path) -> None:
        with file_lock(self.lock_path(path.name)):  # waits for a writer that is handing it over
            path.unlink(missing_ok=True)
            self.rule_path("sha256:" + path.name).unlink(missing_ok=True)

    def temp_files(self) -> list[Path]:
        return sorted(self.objects.glob(".*.tmp")) if self.objects.is_dir() else []

    def clean(self, older_than: float | None = None) -> list[Path]:
        """Remove objects (all, or those unused for ``older_than`` seconds) and stale temps."""
        removed = []
        cutoff = time.time() - older_than if older_than is not None else None
        for entry in self.entries():
            if cutoff is None or entry.modified < cutoff:
                self._remove(entry.path)
                removed.append(entry.path)
        removed += self._clean_temps()
        if cutoff is None:
            # Lock files stay: deleting one that a live process holds would let a second
            # process lock a fresh file of the same name.
            import shutil  # lazy: start-up (only 'cache clean' needs it)

            # Index copies go; what each registry's record says (the highest serial accepted,
            # the rollback protection) stays: a clean must not make an old index acceptable.
            indexes = self.root / "indexes"
            for child in sorted(indexes.iterdir()) if indexes.is_dir() else []:
                if child.name != "registries":
                    shutil.rmtree(child, ignore_errors=True) if child.is_dir() else child.unlink(missing_ok=True)
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


def _open_or_none(path: Path) -> BinaryIO | None:
    try:
        return open(path, "rb")
    except FileNotFoundError:
        return None


def _check_open(handle: BinaryIO, path: Path, digest: str) -> None:
    import hashlib  # lazy: start-up (OpenSSL loads ~2 ms slower)

    hasher = hashlib.sha256()
    for block in iter(lambda: handle.read(1 << 20), b""):
        hasher.update(block)
    handle.seek(0)
    if "sha256:" + hasher.hexdigest() != digest:
        handle.close()
        raise _corrupt(path, digest, "sha256:" + hasher.hexdigest())


def _corrupt(path: Path, expected: str, found: str) -> DigestMismatch:
    return DigestMismatch(f"{path}: cached object is corrupt (expected {expected}, found {found}); "
                          "run 'creg cache verify --fix'")


def mismatch(origin: str, expected: str, found: str) -> DigestMismatch:
    where = f"{origin}: " if origin else ""
    return DigestMismatch(f"{where}digest mismatch: expected {expected}, got {found}; nothing was cached")
