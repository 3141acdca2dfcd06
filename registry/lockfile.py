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

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import CregError, Problem

if TYPE_CHECKING:
    from .resolve import Registry, Resolved

LOCK_NAME = "creg.lock"
_FIELDS = ("ref", "name", "version", "digest", "source", "registry")


class LockError(CregError):
    """The lock is missing, malformed or does not match what the registries now say."""


@dataclass(frozen=True)
class LockEntry:
    ref: str
    name: str
    version: str
    digest: str
    source: str = ""
    registry: str = ""

    @classmethod
    def of(cls, ref: str, resolved: "Resolved") -> "LockEntry":
        return cls(ref, resolved.name, resolved.version, resolved.digest, resolved.source, resolved.registry)


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
                "components": [asdict(e) for e in sorted(self.entries.values(), key=lambda e: e.ref)]}

    def write(self) -> None:
        from .store import atomic_write
        from .yamlio import dump

        atomic_write(self.path, dump(self.to_data()).encode("utf-8"))


def _parse(raw: bytes, file: str) -> dict[str, LockEntry]:
    from .yamlio import load_mapping

    doc = load_mapping(raw, file)
    items = doc.data.get("components")
    if doc.data.get("kind") != "Lock" or not isinstance(items, list):
        raise LockError(problems=[doc.positions.problem(doc.data, [], "expected a creg lock file "
                                                        "(kind: Lock, components: [...])")])
    problems: list[Problem] = []
    entries: dict[str, LockEntry] = {}
    for i, item in enumerate(items):
        missing = [f for f in _FIELDS[:4] if not isinstance(item, dict) or not isinstance(item.get(f), str)]
        if missing:
            problems.append(doc.positions.problem(doc.data, ["components", i],
                                                  f"expected string fields {', '.join(missing)}"))
            continue
        entries[item["ref"]] = LockEntry(**{f: str(item.get(f, "")) for f in _FIELDS})
    if problems:
        raise LockError(problems=problems)
    return entries


def lock_path_for(pipeline: Path) -> Path:
    return pipeline.resolve().parent / LOCK_NAME


def refs_in_file(path: Path) -> list[str]:
    """Component references in a pipeline file (``tasks.*.component``) or a list of refs."""
    from .yamlio import load_any

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CregError(f"{path}: cannot read: {exc.strerror}") from None
    data, _ = load_any(raw, str(path))
    if isinstance(data, dict):
        refs = _pipeline_refs(data)
    elif isinstance(data, list):
        refs = [str(item) for item in data if isinstance(item, str)]
    else:
        refs = [line for line in (raw.decode("utf-8").splitlines()) if line.strip()]
    refs = [r.strip() for r in refs if r.strip() and not r.strip().startswith("#")]
    return list(dict.fromkeys(refs))


def _pipeline_refs(data: dict[str, Any]) -> list[str]:
    """Every ``component: NAME@REF`` string in the document (tasks, finally, nested groups)."""
    refs: list[str] = [c for c in data.get("components") or [] if isinstance(c, str)]
    stack: list[Any] = [data]
    while stack:
        node = stack.pop(0)
        if isinstance(node, dict):
            value = node.get("component")
            if isinstance(value, str) and not _is_path(value):
                refs.append(value)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return refs


def _is_path(text: str) -> bool:
    return text.startswith((".", "/", "file:", "http:", "https:")) or text.endswith((".yaml", ".yml"))


@dataclass
class LockReport:
    path: Path
    entries: list[LockEntry]
    changed: list[str]  # refs whose pin differs from the old lock (or are new)
    removed: list[str]


def lock_file(pipeline: Path, registry: "Registry", frozen: bool = False) -> LockReport:
    """Resolve every ref of ``pipeline`` and write ``creg.lock`` next to it.

    ``frozen``: write nothing; fail when the lock is missing or differs from a fresh resolve.
    """
    path = lock_path_for(pipeline)
    old = Lock.load(path, required=frozen)
    refs = refs_in_file(pipeline)
    fresh = {ref: LockEntry.of(ref, registry.resolve(ref)) for ref in refs}
    changed = [r for r in refs if _pin(old.get(r)) != _pin(fresh[r])]
    removed = sorted(set(old.entries) - set(fresh))
    if frozen and (changed or removed):
        raise LockError(f"{path}: stale (frozen): " + "; ".join(
            [_describe(r, old.get(r), fresh[r]) for r in changed] + [f"{r}: no longer used" for r in removed]))
    if not frozen and (changed or removed or not path.exists()):
        Lock(path, fresh).write()
    return LockReport(path, list(fresh.values()), changed, removed)


def _pin(entry: LockEntry | None) -> tuple[str, str, str] | None:
    return (entry.name, entry.version, entry.digest) if entry else None


def _describe(ref: str, old: LockEntry | None, new: LockEntry) -> str:
    if old is None:
        return f"{ref}: not in the lock (would pin {new.name}@{new.version})"
    return f"{ref}: locked {old.name}@{old.version} {old.digest}, now {new.name}@{new.version} {new.digest}"
