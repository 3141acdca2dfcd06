"""``creg.lock``: every component reference of a pipeline pinned to a name, version and digest.

```yaml
apiVersion: creg/v1
kind: Lock
components:
  - ref: add@^1
    name: add
    version: 1.0.0
    digest: sha256:...
    source: /path/to/registry/components/add/1.0.0/component.yaml
    registry: /path/to/registry
```
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from registry.component.version import ComponentVersion
from registry.errors import CregError, Problem
from registry.sources.store import atomic_write

LOCK_NAME = "creg.lock"
_REQUIRED = ("ref", "name", "version", "digest")


class LockError(CregError):
    """The lock is missing, malformed or does not match what the registries now say."""


@dataclass(frozen=True)
class LockEntry:
    """A reference pinned to a component version, with where it was found when pinned."""

    ref: str
    component: ComponentVersion
    location: str = ""  # written as 'source': a path, a URL or 'ARCHIVE!MEMBER'
    registry: str = ""

    def to_dict(self) -> dict[str, str]:
        """The entry in creg.lock's layout."""
        return {"ref": self.ref, "name": self.component.name, "version": self.component.version,
                "digest": self.component.digest, "source": self.location, "registry": self.registry}


@dataclass
class Lock:
    path: Path
    entries: dict[str, LockEntry] = field(default_factory=dict)

    def get(self, ref: str) -> LockEntry | None:
        return self.entries.get(ref)

    @classmethod
    def load(cls, path: Path, required: bool = True) -> "Lock":
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            if required:
                raise LockError(f"{path}: no lock file; run 'creg lock' to create it") from None
            return cls(path)
        return cls(path, _parse(raw, str(path)))

    def to_data(self) -> dict[str, Any]:
        return {"apiVersion": "creg/v1", "kind": "Lock",
                "components": [e.to_dict() for e in sorted(self.entries.values(), key=lambda e: e.ref)]}

    def write(self) -> None:
        from registry.yamlio import dump  # lazy: start-up (yaml; resolving imports this module)

        atomic_write(self.path, dump(self.to_data()).encode("utf-8"))


def _parse(raw: bytes, file: str) -> dict[str, LockEntry]:
    from registry.yamlio import load_mapping  # lazy: start-up (yaml; resolving imports this module)

    doc = load_mapping(raw, file)
    items = doc.data.get("components")
    if doc.data.get("kind") != "Lock" or not isinstance(items, list):
        raise LockError(problems=[doc.positions.problem(doc.data, [], "expected a creg lock file "
                                                        "(kind: Lock, components: [...])")])
    problems: list[Problem] = []
    entries: dict[str, LockEntry] = {}
    for i, item in enumerate(items):
        missing = [f for f in _REQUIRED if not isinstance(item, dict) or not isinstance(item.get(f), str)]
        if missing:
            problems.append(doc.positions.problem(doc.data, ["components", i],
                                                  f"expected string fields {', '.join(missing)}"))
            continue
        entries[item["ref"]] = _lock_entry(item)
    if problems:
        raise LockError(problems=problems)
    return entries


def _lock_entry(item: dict[str, Any]) -> LockEntry:
    """A checked lock item (its four required fields are strings) -> its record."""
    component = ComponentVersion(item["name"], item["version"], item["digest"])
    return LockEntry(item["ref"], component, str(item.get("source", "")), str(item.get("registry", "")))


def lock_path_for(pipeline: Path) -> Path:
    return pipeline.resolve().parent / LOCK_NAME


Site = tuple[int, int, str]  # line, column and JSON path of a reference in its file


def refs_in_file(path: str | Path) -> list[str]:
    """Component references in a pipeline file (``tasks.*.component``) or a list of refs."""
    return list(ref_sites(Path(path)))


def ref_sites(path: Path) -> dict[str, Site]:
    """Each reference of ``path`` (in order, once) and where it first appears."""
    from registry.yamlio import json_path, load_any  # lazy: start-up (yaml; resolving imports this module)

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CregError(f"{path}: cannot read: {exc.strerror}") from None
    data, positions = load_any(raw, str(path))
    if isinstance(data, (dict, list)):
        found = [(ref, (*positions.locate(data, where), json_path(where))) for ref, where in _yaml_refs(data)]
    else:  # a plain text list: one reference per line
        found = [(line, (number, 1, "$")) for number, line in enumerate(raw.decode("utf-8").splitlines(), 1)]
    sites: dict[str, Site] = {}
    for ref, site in found:
        if ref.strip() and not ref.strip().startswith("#"):
            sites.setdefault(ref.strip(), site)
    return sites


def component_paths(path: Path) -> dict[str, Site]:
    """Each ``component: ./file.yaml`` of a pipeline (a graph there may name registry refs)."""
    from registry.yamlio import json_path, load_any  # lazy: start-up (yaml; resolving imports this module)

    data, positions = load_any(path.read_bytes(), str(path))
    if not isinstance(data, dict):
        return {}
    sites: dict[str, Site] = {}
    for ref, where in _yaml_refs(data, paths=True):
        sites.setdefault(ref, (*positions.locate(data, where), json_path(where)))
    return sites


def _yaml_refs(data: dict[str, Any] | list[Any], paths: bool = False) -> list[tuple[str, list[Any]]]:
    """``(ref, path)`` of every string of a YAML list, or every ``component: NAME@REF`` (tasks,
    finally, nested groups) and ``components: [...]`` item of a pipeline (not checked yet).
    With ``paths``: every ``component: ./file.yaml`` instead."""
    if isinstance(data, list):
        return [] if paths else [(item, [i]) for i, item in enumerate(data) if isinstance(item, str)]
    listed = data.get("components")
    found = [(c, ["components", i]) for i, c in enumerate(listed if isinstance(listed, list) and not paths else [])
             if isinstance(c, str)]
    pending: deque[tuple[Any, list[Any]]] = deque([(data, [])])
    while pending:
        node, where = pending.popleft()
        if isinstance(node, dict):
            value = node.get("component")
            if isinstance(value, str) and is_component_path(value) == paths:
                found.append((value, where + ["component"]))
            pending.extend((child, where + [key]) for key, child in node.items())
        elif isinstance(node, list):
            pending.extend((child, where + [i]) for i, child in enumerate(node))
    return found


def is_component_path(ref: str) -> bool:
    """Whether a task's ``component:`` value names a file rather than a registry ``NAME@REF``.

    The one rule for the pipeline loader and the lock (docs/pipeline-format.md): a path ends
    with ``.yaml``/``.yml`` or starts with ``./``, ``../`` or ``/``.  Anything else is a
    registry reference, so the lock pins (or reports) exactly what ``compile`` would resolve.
    """
    return ref.startswith(("./", "../", "/")) or ref.endswith((".yaml", ".yml"))
