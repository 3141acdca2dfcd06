"""``creg lock``: resolve every reference of a pipeline and pin it in ``creg.lock``.

Apart from ``lockfile`` (the file and its entries), because resolving reads the lock too:
``resolve`` imports ``lockfile``, and this module imports both.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from registry.component.version import ComponentVersion
from registry.errors import CregError, Problem
from registry.index.lockfile import Lock, LockEntry, LockError, Site, lock_path_for, ref_sites
from registry.index.resolve import Registry, Resolved


@dataclass
class LockReport:
    path: Path
    entries: list[LockEntry]
    changed: list[str]  # refs whose pin differs from the old lock (or are new)
    removed: list[str]
    written: bool = False


def lock_file(pipeline: Path, registry: Registry, frozen: bool = False) -> LockReport:
    """Resolve every ref of ``pipeline`` and write ``creg.lock`` next to it.

    ``frozen``: write nothing; fail when the lock is missing or differs from a fresh resolve.
    """
    path = lock_path_for(pipeline)
    old = Lock.load(path, required=frozen)
    sites = ref_sites(pipeline)
    refs = list(sites)
    fresh = _resolve_all(pipeline, sites, registry)
    changed = [r for r in refs if _pin(old.get(r)) != _pin(fresh[r])]
    removed = sorted(set(old.entries) - set(fresh))
    if frozen and (changed or removed):
        raise LockError(f"{path}: stale (frozen): " + "; ".join(
            [_staleness(r, old.get(r), fresh[r]) for r in changed] + [f"{r}: no longer used" for r in removed]))
    written = not frozen and bool(changed or removed or not path.exists())
    if written:
        Lock(path, fresh).write()
    return LockReport(path, list(fresh.values()), changed, removed, written)


def _resolve_all(pipeline: Path, sites: dict[str, Site], registry: Registry) -> dict[str, LockEntry]:
    """Every reference resolved, or one error listing each that failed at its place in the file."""
    fresh: dict[str, LockEntry] = {}
    problems: list[Problem] = []
    for ref, (line, column, where) in sites.items():
        try:
            fresh[ref] = _pinned(ref, registry.resolve(ref))
        except CregError as exc:
            problems.append(Problem(str(pipeline), line, column, where, str(exc)))
    if problems:
        raise LockError(problems=problems)
    return fresh


def _pin(entry: LockEntry | None) -> ComponentVersion | None:
    return entry.component if entry else None


def _staleness(ref: str, old: LockEntry | None, new: LockEntry) -> str:
    if old is None:
        return f"{ref}: not in the lock (would pin {new.component.ref})"
    return (f"{ref}: locked {old.component.ref} {old.component.digest}, "
            f"now {new.component.ref} {new.component.digest}")


def _pinned(ref: str, resolved: Resolved) -> LockEntry:
    return LockEntry(ref, resolved.component, resolved.location, resolved.registry)
