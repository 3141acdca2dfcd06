"""Registries, resolving references and loading components through the cache.

``Registry(sources)`` searches the given registries (local folders or HTTP(S) base URLs
serving ``index.yaml``) in order, then the built-in one.  ``resolve`` turns ``name@spec``
into one index entry; ``load`` returns the component spec from verified bytes, taken from
the content-addressed cache when possible and fetched (then cached) otherwise.
"""

from __future__ import annotations

import marshal
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, NamedTuple

from registry.component.version import ComponentVersion
from registry.errors import CregError, CregWarning, Problem, did_you_mean, mention
from registry.index.config import configured_registries, normalize_root
from registry.index.records import read_record, write_record
from registry.index.model import (ArchiveSource, Index, IndexEntry, IndexFormatError, ResolveError, Source, UrlSource,
                                  dump_compact, load_compact, load_index, split_ref)
from registry.sources.fetch import (LIMITS, FetchError, OfflineError, download_bytes, download_to_file, is_remote,
                                    local_path)
from registry.sources.store import Store, atomic_write, sha256_hex

if TYPE_CHECKING:
    from registry.component.model import ComponentSpec
    from registry.index.lockfile import Lock, LockEntry

__all__ = ["CregWarning", "DeprecatedComponentWarning", "Registry", "RegistryOptions", "Resolved", "ResolveError",
           "OfflineError", "load_component", "env_offline"]


class DeprecatedComponentWarning(CregWarning):
    """A reference resolved to a deprecated version."""


class StaleIndexWarning(CregWarning):
    """A remote index could not be fetched; the last good copy was used."""


def env_offline() -> bool:
    return os.environ.get("CREG_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def env_allow_rollback() -> bool:
    return os.environ.get("CREG_ALLOW_ROLLBACK", "").strip().lower() in ("1", "true", "yes", "on")


class RegistryOptions(NamedTuple):
    """The caller's choice of registries: searched before ``$CREG_REGISTRIES`` and the config
    file; ``offline`` (or ``$CREG_OFFLINE``) means the cache only.  (A NamedTuple: defining a
    frozen dataclass costs every registry command ~0.6 ms of start-up.)"""

    registries: tuple[str, ...] = ()
    offline: bool = False
    allow_rollback: bool = False  # accept a remote index older than one seen before (with a warning)


@dataclass(frozen=True)
class Resolved:
    """What a reference resolved to: a registry's index entry and where its bytes are."""

    entry: IndexEntry
    location: str  # a path, a URL or 'ARCHIVE!MEMBER' (for messages and the lock)
    registry: str  # the root of the registry that answered

    @property
    def component(self) -> ComponentVersion:
        return self.entry.component

    def to_dict(self) -> dict[str, Any]:
        component = self.entry.component
        out: dict[str, Any] = {"name": component.name, "version": component.version, "digest": component.digest,
                               "source": self.location, "registry": self.registry}
        if self.entry.deprecated:
            out["deprecated"] = self.entry.deprecated.index_item()
        return out


class SearchedRegistry:
    """One registry: a folder or base URL with an ``index.yaml``; its index loads lazily."""

    def __init__(self, root: str | None, store: Store, offline: bool, allow_rollback: bool = False) -> None:
        self._root = normalize_root(root) if root is not None else None
        self.store = store
        self.offline = offline
        self.allow_rollback = allow_rollback
        self._index: Index | None = None
        self._index_error: CregError | None = None

    @property
    def root(self) -> str:
        if self._root is None:  # the built-in registry: located only when first searched
            from registry.resources import builtin_root  # lazy: start-up (the schema checker)

            self._root = normalize_root(str(builtin_root()))
        return self._root

    @property
    def remote(self) -> bool:
        return is_remote(self.root)

    @property
    def index_location(self) -> str:
        return f"{self.root}/index.yaml" if self.remote else str(Path(self.root) / "index.yaml")

    def locate(self, relative: str) -> str:
        """A source path/archive/URL from the index -> absolute path or URL, never outside the root.

        (``load_index`` already refuses such sources; this also guards compact copies cached
        before that check existed.)
        """
        if is_remote(relative):
            return relative
        if relative.startswith("file://"):
            if self.remote:
                raise ResolveError(f"{self.index_location}: a remote registry may not point at the local "
                                   f"file '{relative}'")
            return self._confined(local_path(relative), relative)
        # A cheap pre-test first: importing the archive module costs a cached pull ~0.5 ms.
        if relative.startswith(("/", "\\")) or ".." in relative or relative[1:2] == ":":
            self._refuse_escaping(relative)
        if self.remote:
            return f"{self.root}/{relative}"
        return self._confined(Path(self.root) / relative, relative)

    def _confined(self, path: Path, written: str) -> str:
        """``path`` when it lies inside this registry's folder once links are followed.

        A cloned registry must not read ``~/.ssh/id_rsa`` through ``file:///...`` or a symlink:
        the refusal names the index's text only, never anything about the target.
        """
        root = Path(self.root).resolve()
        if not path.resolve().is_relative_to(root):
            raise ResolveError(f"{self.index_location}: source '{written}' is outside the registry folder "
                               f"{self.root}; a registry reads only its own files, or http(s) URLs")
        return str(path)

    def _refuse_escaping(self, relative: str) -> None:
        from registry.sources.archives import unsafe_name  # lazy: start-up (~0.5 ms of a cached pull)

        why = unsafe_name(relative)
        if why:
            raise ResolveError(f"{self.index_location}: source '{relative}' leaves the registry {self.root} ({why})")

    def index(self) -> Index:
        # A registry that failed once fails the same way for every other reference of this run;
        # retrying it (with backoff) per component made an unreachable registry cost seconds each.
        if self._index_error is not None:
            raise self._index_error
        if self._index is None:
            try:
                self._index = self._remote_index() if self.remote else self._local_index()
            except CregError as exc:
                self._index_error = exc
                raise
        return self._index

    def _remote_index(self) -> Index:
        """The served index, refused when older than one accepted before (rollback), with a
        warning when older than the configured maximum age (freeze)."""
        from registry.index.freshness import check_age, check_serial  # lazy: start-up (remote only)

        raw = self._remote_index_bytes()
        index = parse_index_cached(raw, self.index_location, self.store)
        record = read_record(self.store, self.root)
        check_serial(index, self.index_location, record.serial, self.allow_rollback)
        check_age(index, self.index_location)
        if not self.offline:  # valid, so it becomes the copy offline runs use
            _try_write(self._last_good_path(), raw)
        write_record(self.store, record._replace(digest=sha256_hex(raw), serial=index.serial), record)
        return index

    def _local_index(self) -> Index:
        """Unchanged file (same device, inode, size, mtime): straight to the validated copy,
        without reading or hashing the index itself."""
        path = Path(self.index_location)
        record = read_record(self.store, self.root)
        try:
            info = path.stat()
            stamp = f"{info.st_dev}:{info.st_ino}:{info.st_size}:{info.st_mtime_ns}"
            if record.stamp == stamp and record.digest:
                return parse_index_cached(b"", self.index_location, self.store, record.digest)
            raw = path.read_bytes()
        except OSError as exc:
            raise ResolveError(f"{self.index_location}: cannot read the registry index: "
                               f"{exc.strerror}") from None
        index = parse_index_cached(raw, self.index_location, self.store)
        write_record(self.store, record._replace(digest=sha256_hex(raw), serial=index.serial, stamp=stamp), record)
        return index

    def _last_good_path(self) -> Path:
        return self.store.root / "indexes" / "remote" / f"{sha256_hex(self.root.encode())}.yaml"

    def _remote_index_bytes(self) -> bytes:
        last_good = self._last_good_path()
        if self.offline:
            if not last_good.is_file():
                raise OfflineError(f"offline: no cached copy of {self.index_location}; "
                                   f"run once without {mention('offline')} to fetch it", arguments=["offline"])
            return last_good.read_bytes()
        try:
            return download_bytes(self.index_location, limit=LIMITS["index"])
        except FetchError as exc:
            if not last_good.is_file():
                raise
            warnings.warn(f"{exc}; using the last good copy of {self.index_location}", StaleIndexWarning,
                          stacklevel=2)
            return last_good.read_bytes()


def parse_index_cached(raw: bytes, source: str, store: Store, digest: str | None = None) -> Index:
    """``load_index`` once per distinct index content; later loads read a compact copy.

    Validating a 10,000-entry index with positions takes over a second; the compact copy of
    an index whose exact bytes were validated before loads in about a millisecond.  With
    ``digest`` (of bytes validated before) ``raw`` is only read if that copy is gone.  An
    invalid index is remembered too: the same bytes fail again with the same problems, without
    parsing megabytes of YAML on every command that consults the registry.
    """
    name = digest or sha256_hex(raw)
    try:
        return load_compact((_indexes(store) / "validated" / name).read_bytes(), source)
    except (OSError, ValueError, KeyError, TypeError, EOFError):
        pass  # absent or damaged: validate again
    if digest is not None:
        raw = Path(source).read_bytes()
        name = sha256_hex(raw)
    _raise_if_known_invalid(store, name, source)
    try:
        index = load_index(raw, source)
    except IndexFormatError as exc:
        _try_write(_indexes(store) / "invalid" / name, marshal.dumps(
            [(p.line, p.column, p.path, p.message, p.severity) for p in exc.problems]))
        raise
    _try_write(_indexes(store) / "validated" / name, dump_compact(index.data))
    return index


def _indexes(store: Store) -> Path:
    return store.root / "indexes"


def _raise_if_known_invalid(store: Store, name: str, source: str) -> None:
    try:
        found = marshal.loads((_indexes(store) / "invalid" / name).read_bytes())
        problems = [Problem(source, *fields) for fields in found]
    except (OSError, ValueError, EOFError, TypeError):
        return  # not known, or a damaged note: validate
    raise IndexFormatError(problems=problems)


def _try_write(path: Path, data: bytes) -> None:
    try:
        atomic_write(path, data)
    except OSError:
        pass  # a read-only cache only costs speed


class Registry:
    """Several registries searched in order (the built-in one last), one cache, one lock."""

    def __init__(self, sources: Iterable[str] | None = None, *, offline: bool | None = None,
                 cache_dir: Path | None = None, lock: "Lock | None" = None, frozen: bool = False,
                 allow_rollback: bool | None = None) -> None:
        self.offline = env_offline() if offline is None else offline
        self.allow_rollback = env_allow_rollback() if allow_rollback is None else allow_rollback
        self.store = Store(cache_dir)
        self.lock = lock
        self.frozen = frozen
        given = [SearchedRegistry(r, self.store, self.offline, self.allow_rollback)
                 for r in dict.fromkeys(sources or ())]
        unique = list({s.root: s for s in given}.values())
        # The built-in registry is always searched last (a duplicate of it is harmless).
        self.searched = unique + [SearchedRegistry(None, self.store, self.offline)]
        self._skipped: set[str] = set()  # roots of unreadable registries, already warned about

    @classmethod
    def configured(cls, options: RegistryOptions = RegistryOptions(), *, lock: "Lock | None" = None) -> "Registry":
        """``options.registries``, then ``$CREG_REGISTRIES``, then the config file's (the built-in last)."""
        roots = [*options.registries, *env_registries(), *configured_registries()]
        return cls(roots, offline=options.offline or env_offline(), lock=lock,
                   allow_rollback=options.allow_rollback or None)

    # -- resolving ----------------------------------------------------------------------------

    def resolve(self, ref: str) -> Resolved:
        name, spec = split_ref(ref)
        if self.lock is not None:
            locked = self.lock.get(ref)
            if locked is not None:
                return self._resolve_locked(ref, locked, self.lock.path)
            if self.frozen:
                from registry.index.lockfile import LockError  # lazy: start-up (only locked loads)

                raise LockError(f"{self.lock.path}: '{ref}' is not in the lock (frozen); run 'creg lock'")
        owner, _ = self._owner(name)
        return self._resolved(owner, owner.index().match(name, spec))

    def _owner(self, name: str) -> tuple[SearchedRegistry, Index]:
        """The first registry that has ``name``.

        A registry that cannot be read (offline without a copy, unreachable, broken index) is
        skipped with a warning, so one dead registry does not block the names the others have;
        its error is raised only when no registry has the name.  (A failed registry is asked
        once per run: ``SearchedRegistry.index`` remembers the failure.)
        """
        readable: list[Index] = []
        failures: list[CregError] = []
        for registry in self.searched:
            index = self._readable(registry, failures)
            if index is not None and name in index:
                return registry, index
            readable += [index] if index is not None else []
        if failures:
            raise failures[0]
        every = [n for index in readable for n in index.names()]
        searched = ", ".join(s.root for s in self.searched)
        raise ResolveError(f"unknown component '{name}'{did_you_mean(name, every)}; searched {searched}")

    def _readable(self, registry: SearchedRegistry, failures: list[CregError]) -> Index | None:
        """``registry``'s index, or None after warning (once per run) that it cannot be read."""
        try:
            return registry.index()
        except CregError as exc:
            failures.append(exc)
            if registry.root not in self._skipped:
                self._skipped.add(registry.root)
                skipped = f"registry {registry.root} skipped: {' '.join(str(exc).split())}"
                warnings.warn(CregWarning(skipped, arguments=exc.arguments), stacklevel=4)
            return None

    def _resolved(self, owner: SearchedRegistry, entry: IndexEntry) -> Resolved:
        if entry.deprecated:
            replacement = entry.deprecated.replacement
            hint = f"; use {replacement} instead" if replacement else ""
            warnings.warn(f"{entry.component.ref} is deprecated: {entry.deprecated.message}{hint}",
                          DeprecatedComponentWarning, stacklevel=3)
        return Resolved(entry, self._location(owner, entry.source), owner.root)

    def _resolve_locked(self, ref: str, locked: "LockEntry", lock_path: Path) -> Resolved:
        from registry.index.lockfile import LockError  # lazy: start-up (only locked loads)

        pinned = locked.component
        owner, index = self._owner(pinned.name)
        entry = next((e for e in index.versions(pinned.name) if e.component.version == pinned.version), None)
        if entry is None or entry.component.digest != pinned.digest:
            now = f"the index now says {entry.component.digest}" if entry else "that version is gone from the index"
            raise LockError(f"{lock_path}: '{ref}' is locked to {pinned.ref} ({pinned.digest}) but {now}; "
                            "run 'creg lock' to update")
        return self._resolved(owner, entry)

    @staticmethod
    def _location(registry: SearchedRegistry, source: Source) -> str:
        if isinstance(source, ArchiveSource):
            return f"{registry.locate(source.archive)}!{source.member}"
        return registry.locate(source.url if isinstance(source, UrlSource) else source.path)

    # -- fetching -----------------------------------------------------------------------------

    def pull(self, ref: str) -> tuple[Resolved, Path]:
        """Resolve ``ref`` and make sure its verified bytes are in the cache."""
        resolved = self.resolve(ref)
        return resolved, self._ensure(resolved)

    def fetch(self, ref: str) -> tuple[Resolved, bytes]:
        resolved, path = self.pull(ref)
        data = self.store.read(resolved.component.digest)
        if data is None:  # removed by a concurrent 'cache clean' between the two steps
            return resolved, self.fetch(ref)[1]
        return resolved, data

    def load(self, ref: str) -> "ComponentSpec":
        from registry.component.model import load_component_from_text  # lazy: start-up (yaml, schemas)

        resolved, data = self.fetch(ref)
        return load_component_from_text(data, resolved.location)

    def _ensure(self, resolved: Resolved) -> Path:
        digest, ref = resolved.component.digest, resolved.component.ref
        if self.store.has(digest):
            self.store.read(digest)  # verifies; a corrupt object is an error
            return self.store.path_for(digest)
        if isinstance(resolved.entry.source, ArchiveSource):
            return self._from_archive(resolved, resolved.entry.source)
        location = resolved.location
        self._check_online(location, digest, ref)
        # A spec is at most a few MiB and its digest is KFP's (CRLF -> LF): the text rule.
        return self.store.ensure(digest, lambda tmp: download_to_file(location, tmp, ref, LIMITS["component"]),
                                 origin=location, text=True)

    def _from_archive(self, resolved: Resolved, source: ArchiveSource) -> Path:
        # From the entry, never by splitting the display string 'ARCHIVE!MEMBER': names may hold '!'.
        archive_url = self._answering(resolved).locate(source.archive)
        data = self._archive_member(resolved, source, archive_url)
        return self.store.put(resolved.component.digest, data, origin=resolved.location, text=True)

    def _archive_member(self, resolved: Resolved, source: ArchiveSource, archive_url: str) -> bytes:
        """The member's bytes, read from the cached archive (downloaded first when absent).

        Read through an open handle the store hands over: a concurrent ``cache clean`` may
        remove the file, never the bytes being read.
        """
        from registry.sources.archives import read_member  # lazy: start-up (archive sources only)

        digest = source.archive_digest
        if not self.store.has(digest):
            self._check_online(archive_url, digest, f"the archive of {resolved.component.ref}")
        # A cached archive is re-hashed: a damaged one must be blamed on the cache, not the registry.
        handle = self.store.open_verified(
            digest, lambda tmp: download_to_file(archive_url, tmp, archive_url, LIMITS["archive"]), origin=archive_url)
        assert handle is not None  # a producer was given
        with handle:
            return read_member(handle, source.member, label=archive_url)

    def _answering(self, resolved: Resolved) -> SearchedRegistry:
        """The registry that resolved ``resolved`` (whose root its relative sources hang off)."""
        found = next((s for s in self.searched if s.root == resolved.registry), None)
        return found or SearchedRegistry(resolved.registry, self.store, self.offline, self.allow_rollback)

    def _check_online(self, location: str, digest: str, what: str) -> None:
        if self.offline and is_remote(location):
            raise OfflineError(f"offline: {what} ({digest}) is not in the cache "
                               f"{self.store.root}; it would be downloaded from {location}")

    # -- browsing -----------------------------------------------------------------------------

    def versions(self, name: str) -> list[IndexEntry]:
        return self._owner(name)[1].versions(name)

    def search(self, text: str) -> list[tuple[IndexEntry, str]]:
        """Newest entry of every name whose name or description contains ``text``, with its registry."""
        needle = text.lower()
        seen: set[str] = set()
        hits: list[tuple[IndexEntry, str]] = []
        for registry in self.searched:
            index = registry.index()
            for name in index.names():
                if name in seen:
                    continue
                seen.add(name)
                newest = index.versions(name)[0]
                if needle in name.lower() or needle in newest.description.lower():
                    hits.append((newest, registry.root))
        return hits


def env_registries() -> list[str]:
    """``$CREG_REGISTRIES``: comma-separated; a part without a URL may also use os.pathsep.

    (URLs contain ':', so a list with URLs must use commas.)
    """
    parts: list[str] = []
    for chunk in os.environ.get("CREG_REGISTRIES", "").split(","):
        parts += [chunk] if "://" in chunk else chunk.split(os.pathsep)
    return [p.strip() for p in parts if p.strip()]


def load_component(ref: str, registries: Iterable[str] | None = None, offline: bool | None = None,
                   lockfile: str | Path | None = None, frozen: bool = False) -> "ComponentSpec":
    """``load_component("add@^1")`` -> the verified ComponentSpec.

    ``registries`` defaults to ``$CREG_REGISTRIES`` plus the config file; the built-in registry
    is always searched last.  With ``lockfile``, loads must match it (``frozen``: every ref
    must be in it).
    """
    roots = list(registries) if registries is not None else env_registries() + configured_registries()
    lock = None
    if lockfile is not None:
        from registry.index.lockfile import Lock  # lazy: start-up (only locked loads)

        lock = Lock.load(Path(lockfile), required=frozen)
    return Registry(roots, offline=offline, lock=lock, frozen=frozen).load(ref)

