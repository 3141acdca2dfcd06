"""``creg lock``: resolve every reference of a pipeline and pin it in ``creg.lock``.

Every reference that resolves through a registry is pinned, at any depth: the inner tasks of
a graph component (``componentRef: {name, tag}``, also inside inline specs and inside graph
components the pipeline names by path) are resolved at compile time through the same lock, so
a pin missing for one of them would let ``add@^1`` drift while ``--frozen`` says "up to date".

Apart from ``lockfile`` (the file and its entries), because resolving reads the lock too:
``resolve`` imports ``lockfile``, and this module imports both.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping

from registry.component.version import ComponentVersion
from registry.errors import CregError, Problem
from registry.index.lockfile import Lock, LockEntry, LockError, Site, component_paths, lock_path_for, ref_sites
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
    fresh = _resolve_all(pipeline, ref_sites(pipeline), registry)
    changed = [r for r in fresh if _pin(old.get(r)) != _pin(fresh[r])]
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
            _pin_with_inner(ref, registry, fresh)
        except CregError as exc:
            problems.append(Problem(str(pipeline), line, column, where, str(exc)))
    for path, (line, column, where) in component_paths(pipeline).items():
        try:
            _pin_inner_of_file(pipeline.parent / path, registry, fresh)
        except CregError as exc:
            problems.append(Problem(str(pipeline), line, column, where, str(exc)))
    if problems:
        raise LockError(problems=problems)
    return fresh


def _pin_with_inner(ref: str, registry: Registry, fresh: dict[str, LockEntry], used_by: str = "") -> None:
    """Pin ``ref`` and, when it is a graph component, every registry reference inside it."""
    if ref in fresh:
        return
    try:
        resolved, data = registry.fetch(ref)  # the spec is needed to see its inner references
    except CregError as exc:
        raise LockError(f"{ref} (used by {used_by}): {exc}" if used_by else str(exc)) from None
    fresh[ref] = _pinned(ref, resolved)
    from registry.component.model import load_component_from_text  # lazy: start-up (schemas)

    spec = load_component_from_text(data, resolved.location)
    for inner in graph_refs(spec.graph):
        _pin_with_inner(inner, registry, fresh, used_by=resolved.component.ref)


def _pin_inner_of_file(path: Path, registry: Registry, fresh: dict[str, LockEntry]) -> None:
    from registry.component.model import load_component_from_file  # lazy: start-up (schemas)

    try:
        spec = load_component_from_file(path)
    except CregError:
        return  # a missing or invalid file is compile's and lint's to report, with its own position
    for inner in graph_refs(spec.graph):
        _pin_with_inner(inner, registry, fresh, used_by=str(path))


def graph_refs(graph: Mapping[str, Any] | None) -> Iterator[str]:
    """``NAME@TAG`` of every registry ``componentRef`` of a graph, inline specs' graphs included."""
    pending = [graph]
    while pending:
        current = pending.pop()
        tasks = current.get("tasks") if isinstance(current, Mapping) else None
        for task in tasks.values() if isinstance(tasks, Mapping) else ():
            ref = task.get("componentRef") if isinstance(task, Mapping) else None
            if not isinstance(ref, Mapping):
                continue
            if isinstance(ref.get("name"), str) and isinstance(ref.get("tag"), str) and "spec" not in ref:
                yield f"{ref['name']}@{ref['tag']}"
            spec = ref.get("spec")
            implementation = spec.get("implementation") if isinstance(spec, Mapping) else None
            if isinstance(implementation, Mapping):
                pending.append(implementation.get("graph"))


def _pin(entry: LockEntry | None) -> ComponentVersion | None:
    return entry.component if entry else None


def _staleness(ref: str, old: LockEntry | None, new: LockEntry) -> str:
    if old is None:
        return f"{ref}: not in the lock (would pin {new.component.ref})"
    return (f"{ref}: locked {old.component.ref} {old.component.digest}, "
            f"now {new.component.ref} {new.component.digest}")


def _pinned(ref: str, resolved: Resolved) -> LockEntry:
    return LockEntry(ref, resolved.component, resolved.location, resolved.registry)
