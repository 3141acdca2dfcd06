"""Keeping pipelines current: where each component reference stands, what it uses, what is newer.

``find_references`` reads a pipeline (``tasks``/``finally`` ``component:`` values) or a graph
component (``componentRef: {name, tag}`` of its inner tasks) with positions, as the lock
(``lockfile.ref_sites``) does, and notes for each reference what its task uses: the inputs it
passes and the outputs other tasks read.  ``Currency`` compares each reference with the
registries' index: the version in use (the ``creg.lock`` pin, else what the reference resolves
to), the newest version its range allows, the newest release, deprecation, and whether moving
to a newer version changes the interface in a way this use would notice.  The interface diff is
the one ``creg publish`` checks version numbers with (``index.publish.interface_changes``).

``creg outdated``, ``creg upgrade`` (with ``upgrade``) and ``creg who-uses`` are built on it.
"""

from __future__ import annotations

import os
import warnings
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from registry.component.model import ComponentSpec, load_component_from_text
from registry.component.version import parse_range, parse_semver, version_key
from registry.errors import CregError, Problem
from registry.index.lockfile import LOCK_NAME, Lock, is_component_path, lock_path_for
from registry.index.model import IndexEntry, select
from registry.index.publish import Change, interface_changes
from registry.index.resolve import DeprecatedComponentWarning, Registry
from registry.pipeline.when import WhenError, when_tokens
from registry.yamlio import PathKey, Positions, json_path, load_any, read_limited

# The forms a reference's version part takes; only some can be rewritten keeping their form.
REWRITABLE = ("exact", "caret", "tilde")
SKIPPED_FOLDERS = frozenset({"node_modules", "__pycache__", "build", "dist", "venv"})


class CurrencyError(CregError):
    """A file named on the command line is not a pipeline or a graph component."""


@dataclass(frozen=True)
class Usage:
    """What one task uses of its component: inputs it passes, outputs read ("" = its only output)."""

    inputs: frozenset[str] = frozenset()
    outputs: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Reference:
    """One component reference in a file, where it stands and what its task uses."""

    file: Path
    line: int
    column: int
    path: tuple[PathKey, ...]  # data path of the text a rewrite replaces
    text: str  # that text as loaded: 'add@^1' (a pipeline task) or '^1' (a graph's tag)
    name: str  # the component name (a path reference: the path)
    spec: str | None  # the version part; None for a bare name
    owner: str  # 'task add-1' or "graph task 'First add'"
    usage: Usage
    graph: bool = False  # an inner task of a graph component

    @property
    def form(self) -> str:
        return reference_form(self.name, self.spec)

    @property
    def ref(self) -> str:
        return self.name if self.spec is None else f"{self.name}@{self.spec}"

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    def rewritten(self, spec: str) -> str:
        """The text at ``path`` once the version part is ``spec``."""
        return spec if self.graph else f"{self.name}@{spec}"


@dataclass
class FileReferences:
    """The references of one file, or why it could not be read."""

    file: Path
    kind: str  # 'pipeline', 'graph' or '' (neither)
    references: list[Reference] = field(default_factory=list)
    error: CregError | None = None
    component_files: list[Path] = field(default_factory=list)  # files its path references name


def reference_form(name: str, spec: str | None) -> str:
    """'path', 'bare', 'latest', 'digest', 'exact', 'caret', 'tilde', 'range' or 'tag'."""
    if is_component_path(name if spec is None else f"{name}@{spec}"):
        return "path"
    if spec is None or spec == "latest":
        return "bare" if spec is None else "latest"
    if spec.startswith("sha256:"):
        return "digest"
    if parse_semver(spec) is not None:
        return "exact"
    if spec[0] in "^~" and parse_range(spec) is not None:
        return "caret" if spec[0] == "^" else "tilde"
    return "range" if parse_range(spec) is not None else "tag"


# --- finding references ------------------------------------------------------------------------


def find_references(file: Path) -> FileReferences:
    """The references of a pipeline or graph component file (``kind`` '' for other files)."""
    try:
        data, positions = load_any(read_limited(file), str(file))
    except CregError as exc:
        return FileReferences(file, "", error=exc)
    if isinstance(data, dict) and isinstance(data.get("tasks"), dict):
        return _pipeline_references(file, data, positions)
    graph = _graph_of(data)
    if graph is not None:
        return FileReferences(file, "graph", _graph_references(file, graph, positions, data))
    return FileReferences(file, "")


def _graph_of(data: Any) -> Mapping[str, Any] | None:
    implementation = data.get("implementation") if isinstance(data, dict) else None
    graph = implementation.get("graph") if isinstance(implementation, dict) else None
    return graph if isinstance(graph, dict) and isinstance(graph.get("tasks"), dict) else None


def _pipeline_references(file: Path, data: dict[str, Any], positions: Positions) -> FileReferences:
    found = FileReferences(file, "pipeline")
    groups = {group: data.get(group) for group in ("tasks", "finally")}
    bodies = {(g, t): b for g, tasks in groups.items() if isinstance(tasks, dict)
              for t, b in tasks.items() if isinstance(b, dict)}
    outputs_read = _outputs_read(bodies.values())
    for (group, task_id), body in bodies.items():
        value = body.get("component")
        if not isinstance(value, str) or not value.strip():
            continue
        path: tuple[PathKey, ...] = (group, task_id, "component")
        line, column = positions.locate(data, path)
        name, spec = _split(value)
        args = body.get("args")
        usage = Usage(frozenset(args) if isinstance(args, dict) else frozenset(),
                      frozenset(outputs_read.get(str(task_id), ())))
        found.references.append(Reference(file, line, column, path, value, name, spec, f"task {task_id}", usage))
        if is_component_path(value):
            found.component_files.append((file.parent / value).resolve())
    return found


def _split(value: str) -> tuple[str, str | None]:
    """``'add@^1'`` -> ``('add', '^1')``; a path stays whole (it may hold an '@')."""
    if is_component_path(value):
        return value, None
    name, sep, spec = value.strip().partition("@")
    return name, (spec.strip() if sep else None)


def _outputs_read(bodies: Iterable[Any]) -> dict[str, set[str]]:
    """Task id -> the outputs other tasks read: ``{output: T.O}``, ``{file: T.O}``, loops, ``when``."""
    read: dict[str, set[str]] = {}
    for text in _output_texts(bodies):
        task_id, _, output = text.partition(".")
        read.setdefault(task_id, set()).add(output)
    return read


def _output_texts(nodes: Iterable[Any]) -> Iterator[str]:
    pending = list(nodes)
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("output", "file") and isinstance(value, str):
                    yield value
                elif key == "when" and isinstance(value, str):
                    yield from _when_outputs(value)
                else:
                    pending.append(value)
        elif isinstance(node, list):
            pending.extend(node)


def _when_outputs(text: str) -> Iterator[str]:
    try:
        tokens = when_tokens(text)
    except WhenError:
        return  # lint reports it; an unreadable condition reads nothing we can name
    for token in tokens:
        if token.kind == "word" and token.text.startswith("output."):
            yield token.text.removeprefix("output.")


def _graph_references(file: Path, graph: Mapping[str, Any], positions: Positions,
                      data: Any) -> list[Reference]:
    tasks = graph["tasks"]
    read = _graph_outputs_read(graph)
    found: list[Reference] = []
    for task_id, task in tasks.items():
        ref = task.get("componentRef") if isinstance(task, dict) else None
        if not isinstance(ref, dict) or not isinstance(ref.get("name"), str):
            continue  # an inline spec (or url/digest only, which lint reports)
        tag = ref.get("tag")
        base: tuple[PathKey, ...] = ("implementation", "graph", "tasks", task_id, "componentRef")
        path = base + ("tag",) if isinstance(tag, str) else base + ("name",)
        line, column = positions.locate(data, path)
        arguments = task.get("arguments")
        usage = Usage(frozenset(arguments) if isinstance(arguments, dict) else frozenset(),
                      frozenset(read.get(str(task_id), ())))
        found.append(Reference(file, line, column, path, tag if isinstance(tag, str) else ref["name"],
                               ref["name"], tag if isinstance(tag, str) else None,
                               f"graph task '{task_id}'", usage, graph=True))
    return found


def _graph_outputs_read(graph: Mapping[str, Any]) -> dict[str, set[str]]:
    """Inner task id -> outputs read through ``taskOutput`` (arguments and ``outputValues``)."""
    read: dict[str, set[str]] = {}
    pending: list[Any] = [graph.get("tasks"), graph.get("outputValues")]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            ref = node.get("taskOutput")
            if isinstance(ref, dict) and isinstance(ref.get("taskId"), str):
                read.setdefault(ref["taskId"], set()).add(str(ref.get("outputName", "")))
            pending.extend(v for k, v in node.items() if k != "componentRef")
        elif isinstance(node, list):
            pending.extend(node)
    return read


def collect(targets: Iterable[Path], explicit_errors: bool = True) -> list[FileReferences]:
    """Every pipeline and graph component under ``targets`` (files or folders), each once,
    with the graph components their path references name, then the ``creg.lock`` pins no file
    found here references.  A file named explicitly that is neither pipeline nor graph is an
    error; one found in a folder is passed over."""
    seen: set[Path] = set()
    out: list[FileReferences] = []
    queue: deque[tuple[Path, bool]] = deque()
    locks: list[Path] = []
    for target in targets:
        if target.is_dir():
            files = yaml_files(target)
            queue += [(f, False) for f in files if f.name != LOCK_NAME]
            locks += [f for f in files if f.name == LOCK_NAME]
        else:
            queue.append((target, True))
    while queue:
        file, named = queue.popleft()
        key = file.resolve()
        if key in seen:
            continue
        seen.add(key)
        found = find_references(file)
        if found.kind == "" and found.error is None and named and explicit_errors:
            found.error = CurrencyError(problems=[Problem(str(file), 1, 1, "$", "not a pipeline (no 'tasks') nor a "
                                                          "graph component (no 'implementation.graph')")])
        if found.kind or found.error is not None:
            out.append(found)
        queue += [(f, False) for f in found.component_files if f.is_file()]
    return out + lock_pins(out, locks)


def lock_pins(files: list[FileReferences], locks: list[Path]) -> list[FileReferences]:
    """The entries of the ``creg.lock`` files next to ``files`` (and ``locks``) that no pipeline
    of that folder references: a lock of a list of references, or one left stale."""
    candidates = {lock_path_for(f.file) for f in files if f.kind == "pipeline"} | {p.resolve() for p in locks}
    out: list[FileReferences] = []
    for lock in sorted(p for p in candidates if p.is_file()):
        used = {r.ref for f in files if f.kind == "pipeline" and lock_path_for(f.file) == lock for r in f.references}
        found = _lock_references(lock, used)
        if found.references or found.error is not None:
            out.append(found)
    return out


def _lock_references(lock: Path, used: set[str]) -> FileReferences:
    try:
        data, positions = load_any(read_limited(lock), str(lock))
    except CregError as exc:
        return FileReferences(lock, "lock", error=exc)
    found = FileReferences(lock, "lock")
    items = data.get("components") if isinstance(data, dict) else None
    for index, item in enumerate(items if isinstance(items, list) else []):
        ref = item.get("ref") if isinstance(item, dict) else None
        if isinstance(ref, str) and ref not in used and not is_component_path(ref):
            path: tuple[PathKey, ...] = ("components", index, "ref")
            line, column = positions.locate(data, path)
            name, spec = _split(ref)
            found.references.append(Reference(lock, line, column, path, ref, name, spec, "creg.lock pin", Usage()))
    return found


def yaml_files(folder: Path) -> list[Path]:
    """The ``.yaml``/``.yml`` files under ``folder`` that may hold tasks, and the ``creg.lock``
    files, in a stable order.  Hidden folders, virtualenvs' and build output are not entered
    (a walk that pruned them only afterwards would still read every file of node_modules)."""
    found: list[Path] = []
    for top, folders, names in os.walk(folder):
        folders[:] = sorted(f for f in folders if not f.startswith(".") and f not in SKIPPED_FOLDERS)
        for name in sorted(names):
            path = Path(top) / name
            if name.startswith("."):
                continue
            if name == LOCK_NAME or (path.suffix in (".yaml", ".yml") and path.is_file() and _may_hold_tasks(path)):
                found.append(path)
    return sorted(found)


def _may_hold_tasks(path: Path) -> bool:
    """A cheap test before parsing: pipelines and graph components both have a 'tasks' key."""
    try:
        with open(path, "rb") as handle:
            return b"tasks" in handle.read(4 * 1024 * 1024)
    except OSError:
        return True  # let loading report why it cannot be read


# --- comparing with the index ------------------------------------------------------------------


@dataclass
class Status:
    """Where one reference stands against the index."""

    reference: Reference
    in_use: IndexEntry | None = None
    locked: bool = False  # in_use is the creg.lock pin
    wanted: IndexEntry | None = None  # the newest version the reference allows
    latest: IndexEntry | None = None  # the newest release
    compatible: IndexEntry | None = None  # the newest release of in_use's major (caret range)
    noticed: list[str] | None = None  # moving to latest: what this use would notice ([] safe)
    note: str = ""  # why there is nothing to compare (a path, an unknown name)

    @property
    def deprecated(self) -> bool:
        return self.in_use is not None and self.in_use.deprecated is not None

    @property
    def outdated(self) -> bool:
        newest = [e for e in (self.wanted, self.latest) if e is not None]
        return self.in_use is not None and any(_newer(e, self.in_use) for e in newest)

    @property
    def state(self) -> str:
        if self.note and self.in_use is None:
            return "error" if self.reference.form != "path" else "path"
        return "deprecated" if self.deprecated else "outdated" if self.outdated else "current"

    def to_dict(self) -> dict[str, Any]:
        ref = self.reference
        out: dict[str, Any] = {
            "file": str(ref.file), "line": ref.line, "column": ref.column, "path": json_path(ref.path),
            "reference": ref.ref, "component": ref.name, "form": ref.form, "used_by": ref.owner,
            "in_use": _version(self.in_use), "locked": self.locked, "wanted": _version(self.wanted),
            "latest": _version(self.latest), "state": self.state,
            "upgrade": None if self.noticed is None else ("safe" if not self.noticed else self.noticed)}
        if self.in_use is not None and self.in_use.deprecated is not None:
            out["deprecated"] = self.in_use.deprecated.index_item()
        if self.note:
            out["note"] = self.note
        return out


def _matching(name: str, entries: list[IndexEntry], spec: str | None) -> IndexEntry:
    hit = select(entries, spec)
    if hit is None:
        listed = ", ".join(e.component.version for e in entries)
        raise CregError(f"no version of '{name}' matches '{spec}'; available: {listed}")
    return hit


def _version(entry: IndexEntry | None) -> str | None:
    return None if entry is None else entry.component.version


def _newer(entry: IndexEntry, than: IndexEntry) -> bool:
    return version_key(entry.component.version) > version_key(than.component.version)


class Currency:
    """Compares references with the registries; every index, spec and diff is computed once."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._locks: dict[Path, Lock | None] = {}
        self._specs: dict[tuple[str, str], ComponentSpec] = {}
        self._changes: dict[tuple[str, str, str], list[Change]] = {}
        self._chosen: dict[tuple[str, str | None], IndexEntry | CregError] = {}
        self._compatible: dict[tuple[str, str], IndexEntry | None] = {}

    def status(self, ref: Reference) -> Status:
        found = Status(ref)
        if ref.form == "path":
            found.note = "a path names a file, not a registry version: nothing to compare or upgrade"
            return found
        try:
            self._compare(ref, found)
        except CregError as exc:
            found.note = " ".join(str(exc).split())
        return found

    def _compare(self, ref: Reference, found: Status) -> None:
        pin = self.pin(ref)
        found.wanted = self.chosen(ref.name, ref.spec)
        found.locked = pin is not None
        found.in_use = pin if pin is not None else found.wanted
        found.latest = self.chosen(ref.name, None)
        found.compatible = self.compatible(ref.name, found.in_use)
        if not _newer(found.latest, found.in_use):
            found.noticed = []
            return
        try:  # the versions are known even when a spec cannot be had (offline, unreachable)
            found.noticed = self.noticed(ref, found.in_use, found.latest)
        except CregError as exc:
            found.note = "cannot compare the interfaces: " + " ".join(str(exc).split())

    def chosen(self, name: str, spec: str | None) -> IndexEntry:
        """What ``name@spec`` resolves to in the index (the lock aside), once per pair: a
        thousand pipelines name the same few hundred references."""
        key = (name, spec)
        if key not in self._chosen:
            try:
                self._chosen[key] = _matching(name, self.registry.versions(name), spec)
            except CregError as exc:
                self._chosen[key] = exc
        found = self._chosen[key]
        if isinstance(found, CregError):
            raise found
        return found

    def compatible(self, name: str, in_use: IndexEntry) -> IndexEntry | None:
        key = (name, in_use.component.version)
        if key not in self._compatible:
            self._compatible[key] = compatible_release(self.registry.versions(name), in_use)
        return self._compatible[key]

    def pin(self, ref: Reference) -> IndexEntry | None:
        """The version ``creg.lock`` next to the file pins the reference to, if it does."""
        if ref.graph:
            return None  # the lock pins a pipeline's own NAME@REF values
        lock = self.lock_for(ref.file)
        entry = lock.get(ref.ref) if lock is not None else None
        if entry is None:
            return None
        pinned = next((e for e in self.registry.versions(ref.name) if e.component.version == entry.component.version),
                      None)
        if pinned is None or pinned.component.digest != entry.component.digest:
            raise CregError(f"{lock.path if lock else LOCK_NAME}: '{ref.ref}' is locked to {entry.component.ref} "
                            "which the index no longer lists with that digest; run 'creg lock'")
        return pinned

    def lock_for(self, file: Path) -> Lock | None:
        path = lock_path_for(file)
        if path not in self._locks:
            self._locks[path] = Lock.load(path) if path.is_file() else None
        return self._locks[path]

    def spec(self, name: str, version: str) -> ComponentSpec:
        key = (name, version)
        if key not in self._specs:
            with warnings.catch_warnings():  # deprecation is reported as data, not warned about
                warnings.simplefilter("ignore", DeprecatedComponentWarning)
                resolved, data = self.registry.fetch(f"{name}@{version}")
            self._specs[key] = load_component_from_text(data, resolved.location)
        return self._specs[key]

    def changes(self, name: str, old: str, new: str) -> list[Change]:
        key = (name, old, new)
        if key not in self._changes:
            self._changes[key] = interface_changes(self.spec(name, old), self.spec(name, new))
        return self._changes[key]

    def noticed(self, ref: Reference, old: IndexEntry, new: IndexEntry) -> list[str]:
        """What moving ``ref`` from ``old`` to ``new`` changes that its task would notice."""
        name, before, after = ref.name, old.component.version, new.component.version
        used = resolve_outputs(ref.usage, self.spec(name, before))
        reasons = [r for c in self.changes(name, before, after) if (r := notices(c, ref.usage.inputs, used))]
        if "" in ref.usage.outputs and len(self.spec(name, after).outputs) != 1:
            reasons.append(f"the output of {ref.owner} is read without a name, but {after} has "
                           f"{len(self.spec(name, after).outputs)} outputs")
        return reasons


def resolve_outputs(usage: Usage, spec: ComponentSpec) -> set[str]:
    """The outputs read, with "" (the only output) named after ``spec``'s single output."""
    used = set(usage.outputs) - {""}
    if "" in usage.outputs and len(spec.outputs) == 1:
        used.add(spec.outputs[0].name)
    return used


def notices(change: Change, passed: frozenset[str], read: set[str]) -> str:
    """Why a use that passes ``passed`` and reads ``read`` notices ``change``; "" if it does not."""
    kind, subject = change.kind, change.subject
    if kind in ("input-removed", "input-type") and subject in passed:
        return f"{change.message} and the task passes it"
    if kind in ("output-removed", "output-type") and subject in read:
        return f"{change.message} and the pipeline reads it"
    if kind in ("input-new-required", "input-became-required") and subject not in passed:
        return f"{change.message} and the task does not pass it"
    return ""


def compatible_release(entries: list[IndexEntry], in_use: IndexEntry | None) -> IndexEntry | None:
    """The newest release in ``in_use``'s caret range (same major), preferring non-deprecated."""
    if in_use is None or in_use.component.semver is None:
        return None
    accepts = parse_range(f"^{in_use.component.version.removeprefix('v').partition('+')[0].partition('-')[0]}")
    if accepts is None:
        return None
    releases = [e for e in entries if (v := e.component.semver) is not None and v[3] == 1 and accepts(v)]
    return next((e for e in releases if e.deprecated is None), releases[0] if releases else None)


# --- who uses a component ----------------------------------------------------------------------


@dataclass(frozen=True)
class Use:
    """One reference to a component: where, the version it resolves to, and what it uses."""

    status: Status
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        ref = self.status.reference
        return {"file": str(ref.file), "line": ref.line, "column": ref.column, "used_by": ref.owner,
                "reference": ref.ref, "resolves_to": _version(self.status.in_use), "locked": self.status.locked,
                "inputs": list(self.inputs), "outputs": list(self.outputs),
                **({"note": self.status.note} if self.status.note else {})}


def uses(name: str, spec: str | None, files: list[FileReferences], currency: Currency) -> list[Use]:
    """Every reference to ``name`` in ``files`` (with ``spec``: whose version in use it allows)."""
    found: list[Use] = []
    for ref in (r for f in files for r in f.references if r.name == name):
        status = currency.status(ref)
        if spec is not None and (status.in_use is None or select([status.in_use], spec) is None):
            continue
        outputs = set(ref.usage.outputs)
        if status.in_use is not None and "" in outputs:
            outputs = resolve_outputs(ref.usage, currency.spec(name, status.in_use.component.version))
        found.append(Use(status, tuple(sorted(ref.usage.inputs)), tuple(sorted(outputs))))
    return found


def breaking_for(name: str, version: str, files: list[FileReferences],
                 currency: Currency) -> list[tuple[Use, list[str]]]:
    """Each use of ``name`` on an older version and what moving it to ``version`` would break
    ([]: nothing it uses changes)."""
    out: list[tuple[Use, list[str]]] = []
    target = next((e for e in currency.registry.versions(name) if e.component.version == version), None)
    for use in uses(name, None, files, currency) if target is not None else []:
        in_use = use.status.in_use
        if in_use is not None and target is not None and _newer(target, in_use):
            out.append((use, currency.noticed(use.status.reference, in_use, target)))
    return out
