"""Index what already exists: a folder tree of components, or a whole tagged archive.

``build`` (``creg index build DIR``) walks ``<name>/<version>/component.yaml`` (below
``DIR/components/`` when that folder exists, as in creg's own tree; else below ``DIR``) and
writes ``DIR/index.yaml`` with ``source: {path: ...}`` entries, like ``helm repo index``.
The entries depend only on the files, never on the clock, and an index whose entries did not
change is not rewritten (its ``serial`` and ``generated`` stay; ``$SOURCE_DATE_EPOCH`` fixes
the time of a new one), so rebuilding the built-in index is reproducible: a new path entry has no ``created``; an entry already in the index keeps its
``created``, ``deprecated`` and ``allowBreaking``.  Without ``--merge`` the index holds
exactly the tree (path entries whose file is gone are dropped; published archives or URL
entries are never dropped silently: the build refuses); with ``--merge`` entries the tree
lacks (published archives, imports) stay.
An invalid spec in the tree fails the build and leaves the index untouched.

``import_archive`` (``creg index import-archive``) streams a tag archive (such as GitHub's
``pipelines-0.2.5.tar.gz``) to disk, finds every file named ``component.yaml`` (KFP's
convention; ``*.component.yaml`` files are not components of a folder and are ignored) below
the prefix, and adds ``name@tag`` entries whose source is the archive member.  Invalid specs
are reported and skipped; versions already indexed with different content are refused.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from registry.component.model import SPEC_FILE, load_component_from_file, load_component_from_text
from registry.component.version import NAME_PATTERN, VERSION_PATTERN, ComponentVersion
from registry.errors import ArgumentError, CregError, Problem, did_you_mean, mention
from registry.index.edit import IndexEdit, editing, index_bytes, read_index
from registry.index.model import ArchiveSource, IndexEntry, PathSource
from registry.index.publish import index_description, today_utc
from registry.sources.archives import for_each_member
from registry.sources.fetch import LIMITS, FetchError, download_to_file, is_remote, local_path
from registry.sources.store import file_sha256

MAX_ARCHIVE_BYTES = 2 * 1024 * 1024 * 1024  # as fetch.LIMITS['archive']: nothing bigger is read
SKIPPED_DIRS = frozenset({"__pycache__", "node_modules"})
Built = dict[tuple[str, str], IndexEntry]  # (name, version) -> the entry the tree gives it


class IndexBuildError(CregError):
    """The tree or archive cannot be indexed as asked."""


@dataclass
class IndexReport:
    """What an import or build did, for the report and the exit code."""

    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    invalid: list[Problem] = field(default_factory=list)
    conflicts: list[Problem] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    invalid_files: int = 0
    removed: list[str] = field(default_factory=list)  # leftovers of an interrupted publish (--clean)

    def line(self) -> str:
        return (f"{len(self.added)} added, {len(self.unchanged)} unchanged, {self.invalid_files} invalid "
                f"(skipped), {len(self.conflicts)} conflicting")


# --- index build -----------------------------------------------------------------------------


def tree_base(root: Path, prefix: str | None) -> Path:
    if prefix is None:
        return root / "components" if (root / "components").is_dir() else root
    base = root / prefix
    if not base.is_dir():
        folders = [p.name for p in root.iterdir() if p.is_dir()] if root.is_dir() else []
        raise ArgumentError.in_file("prefix", str(base), f"{mention('prefix')}: '{prefix}' is not a folder below "
                                    f"{root}{did_you_mean(prefix.strip('/'), folders)}")
    return base


def scan_tree(root: Path, base: Path, report: IndexReport) -> Built:
    """``{(name, version): entry}`` for every valid ``<name>/<version>/component.yaml`` below ``base``."""
    found: Built = {}
    for path in sorted(_spec_files(base)):
        name_version = _name_version(path.relative_to(base), report, path)
        if name_version is None:
            continue
        try:
            spec = load_component_from_file(path)
        except CregError as exc:
            report.invalid += exc.problems or [Problem(str(path), 0, 0, "", str(exc))]
            report.invalid_files += 1
            continue
        component = ComponentVersion(*name_version, spec.digest)
        found[name_version] = IndexEntry(component, PathSource(path.relative_to(root).as_posix()),
                                         description=index_description(spec.description))
    return found


def _spec_files(base: Path) -> list[Path]:
    files: list[Path] = []
    pending = [base]
    while pending:
        folder = pending.pop()
        for path in folder.iterdir():
            if path.is_dir() and not path.is_symlink() and not path.name.startswith(".") \
                    and path.name not in SKIPPED_DIRS:
                pending.append(path)
            elif path.name == SPEC_FILE and path.is_file():
                files.append(path)
    return files


def _name_version(relative: Path, report: IndexReport, path: Path) -> tuple[str, str] | None:
    parts = relative.parts[:-1]
    if len(parts) < 2:
        report.skipped.append(f"{path}: not in a <name>/<version>/ folder")
        return None
    name, version = "/".join(parts[:-1]), parts[-1]
    if not NAME_PATTERN.match(name) or not VERSION_PATTERN.match(version):
        report.skipped.append(f"{path}: '{name}'/'{version}' is not a valid component name/version")
        return None
    return name, version


def merge_entries(existing: dict[str, list[IndexEntry]], built: Built,
                  keep_others: bool) -> dict[str, list[IndexEntry]]:
    """Built entries (carrying the existing entry's created/deprecated/allowBreaking) plus, when
    ``keep_others``, the existing entries the tree does not have."""
    old = {(name, e.component.version): e for name, entries in existing.items() for e in entries}
    out: dict[str, list[IndexEntry]] = {}
    for key, entry in built.items():
        out.setdefault(key[0], []).append(_carried(entry, old.get(key)))
    if keep_others:
        for key, entry in old.items():
            if key not in built:
                out.setdefault(key[0], []).append(entry)
    return out


def _carried(entry: IndexEntry, old: IndexEntry | None) -> IndexEntry:
    """What the index said and a tree cannot: when it was created, its deprecation, allowBreaking."""
    if old is None:
        return entry
    return replace(entry, created=old.created, deprecated=old.deprecated, allow_breaking=old.allow_breaking)


def scan_valid_tree(root: Path, prefix: str | None, report: IndexReport) -> Built:
    """``scan_tree`` that refuses a tree holding an invalid spec (every problem listed)."""
    built = scan_tree(root, tree_base(root, prefix), report)
    if report.invalid:
        raise IndexBuildError(problems=report.invalid)
    return built


def refuse_dropping_packages(existing: dict[str, list[IndexEntry]], built: Built, index_file: Path) -> None:
    """Without ``merge``, stale ``path`` entries go; published archives and URLs are never dropped silently."""
    lost = [e.component.ref for entries in existing.values() for e in entries
            if not isinstance(e.source, PathSource) and (e.component.name, e.component.version) not in built]
    if lost:
        listed = ", ".join(lost[:5]) + (f" and {len(lost) - 5} more" if len(lost) > 5 else "")
        raise IndexBuildError(problems=[Problem(str(index_file), 0, 0, "$.components", (
            f"{len(lost)} entries are not from this tree ({listed}: published archives or URLs); "
            f"pass {mention('merge')} to keep them, or remove them from index.yaml by hand"))], arguments=["merge"])


def build(root: str | Path, merge: bool = False, prefix: str | None = None, clean: bool = False) -> IndexReport:
    """Regenerate ``root/index.yaml`` from the tree (see the module docstring).

    ``clean``: also remove what a killed publish left (``registry.index.debris``).
    """
    root = Path(root)
    if not root.is_dir():
        raise ArgumentError("root", f"{root}: not a folder")
    report = IndexReport()
    built = scan_valid_tree(root, prefix, report)
    with editing(root) as index:
        if clean:
            from registry.index.debris import remove_debris  # lazy: start-up

            kept = merge_entries(index.components, built, merge)
            report.removed = [str(p.relative_to(root)) for p in
                              remove_debris(root, [e for entries in kept.values() for e in entries])]
        before = {(n, e.component.version): e.component.digest for n, es in index.components.items() for e in es}
        if not merge:
            refuse_dropping_packages(index.components, built, index.path)
        index.components = merge_entries(index.components, built, merge)
        index.changed = True
    for key, entry in sorted(built.items()):
        (report.unchanged if before.get(key) == entry.component.digest else report.added).append("@".join(key))
    return report


def built_index_bytes(root: str | Path, prefix: str | None = None) -> bytes:
    """What ``build(root)`` would write, without writing it (for staleness checks)."""
    root = Path(root)
    built = scan_valid_tree(root, prefix, IndexReport())
    index = read_index(root)
    index.components = merge_entries(index.components, built, keep_others=False)
    return index_bytes(index)


# --- import-archive --------------------------------------------------------------------------


def archive_reference(location: str, archive: Path, digest: str, registry_dir: Path, archive_url: str | None) -> str:
    """How the index refers to the archive: a URL, or a path inside the registry (copied there).

    Called with the index lock held, so two imports cannot race on one ``archives/`` name.
    """
    if archive_url or is_remote(location):
        return archive_url or location
    return _keep_local_archive(local_path(location), archive, digest, registry_dir)


def _keep_local_archive(path: Path, archive: Path, digest: str, registry_dir: Path) -> str:
    """A local archive outside the registry is copied into ``archives/`` so the registry stays whole."""
    root = registry_dir.resolve()
    if root in path.resolve().parents:
        return path.resolve().relative_to(root).as_posix()
    target = root / "archives" / path.name
    if target.exists() and file_sha256(target) != digest:
        raise IndexBuildError(f"{target} already exists with other content; rename the archive "
                              f"or pass {mention('archive_url')}", arguments=["archive_url"])
    if not target.exists():
        copy_atomically(archive, target)
    return f"archives/{path.name}"


def copy_atomically(source: Path, target: Path) -> None:
    """Copy a (large) file by streaming into a temp file beside ``target``, then renaming."""
    import shutil  # lazy: start-up
    import tempfile  # lazy: start-up

    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with open(source, "rb") as reader, os.fdopen(fd, "wb") as writer:
            shutil.copyfileobj(reader, writer, 1 << 20)
            writer.flush()
            os.fsync(writer.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def single_top(names: list[str]) -> str:
    """The archive's single top-level folder ('' when there are several, or loose files)."""
    tops = {name.split("/", 1)[0] for name in names}
    return next(iter(tops)) if len(tops) == 1 and all("/" in name for name in names) else ""


def name_from_member(member: str, top: str, prefix: str) -> str | None:
    """``pipelines-0.2.5/components/a/b/component.yaml`` -> ``a/b`` (None outside the prefix)."""
    relative = member[len(top) + 1:] if top else member
    prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
    if not relative.startswith(prefix):
        return None
    return str(PurePosixPath(relative[len(prefix):]).parent)


@dataclass(frozen=True)
class Found:
    """What the index needs of one valid component of the archive (never its whole text)."""

    name: str
    member: str
    digest: str
    description: str


def import_archive(location: str, tag: str, registry_dir: str | Path, prefix: str = "components/",
                   archive_url: str | None = None) -> IndexReport:
    """Index every valid component.yaml of a tag archive as ``name@tag``.

    The archive is streamed to a temp file (a URL) or read where it lies (a path), never held
    in memory; members outside ``prefix`` are never read, and each component is parsed and
    dropped before the next is read, so memory stays bounded by one spec.
    """
    if not VERSION_PATTERN.match(tag):
        raise ArgumentError.bad_value("tag", f"'{tag}' is not a valid version (letters, digits, '.', '_', '+', '-')")
    import tempfile  # lazy: start-up

    with tempfile.TemporaryDirectory(prefix="creg-import-") as scratch:
        archive, digest = _archive_file(location, Path(scratch))
        report = IndexReport()
        found = scan_archive(archive, location, prefix, report)  # refused archives: nothing is copied
        with editing(registry_dir) as index:
            reference = archive_reference(location, archive, digest, Path(registry_dir), archive_url)
            for item in sorted(found, key=lambda f: f.member):
                entry = IndexEntry(ComponentVersion(item.name, tag, item.digest),
                                   ArchiveSource(reference, digest, item.member),
                                   description=item.description, created=today_utc())
                _add(index, entry, report, origin=f"{location}!{item.member}")
    return report


def _archive_file(location: str, scratch: Path) -> tuple[Path, str]:
    """The archive as a file on disk and its exact digest (hashed while it downloads)."""
    if not is_remote(location):
        path = local_path(location)
        if not path.is_file():
            raise FetchError(f"{path}: cannot read: no such file")
        if path.stat().st_size > MAX_ARCHIVE_BYTES:
            raise FetchError(f"{path}: the archive is larger than the limit of {MAX_ARCHIVE_BYTES} bytes")
        return path, file_sha256(path)
    target = scratch / "archive"
    return target, download_to_file(location, target, location, MAX_ARCHIVE_BYTES)


def scan_archive(archive: Path, location: str, prefix: str, report: IndexReport) -> list[Found]:
    """Every valid component below ``prefix``; the invalid and skipped ones go to ``report``."""
    found: list[Found] = []
    names: dict[str, str] = {}

    def choose(files: list[str]) -> set[str]:
        top = single_top(files)
        for member in files:
            if PurePosixPath(member).name == SPEC_FILE:
                name = _checked_member_name(member, top, prefix, report)
                names.update({member: name} if name is not None else {})
        return set(names)

    def use(member: str, raw: bytes | None) -> None:
        where = f"{location}!{member}"
        if raw is None:
            _invalid(report, Problem(where, 0, 0, "", f"larger than {LIMITS['component']} bytes, the most a "
                                                      "component.yaml may have"))
            return
        try:
            spec = load_component_from_text(raw, where)
        except CregError as exc:
            _invalid(report, *(exc.problems or [Problem(where, 0, 0, "", str(exc))]))
            return
        found.append(Found(names[member], member, spec.digest, index_description(spec.description)))

    for_each_member(archive, location, choose, use, LIMITS["component"])
    return found


def _invalid(report: IndexReport, *problems: Problem) -> None:
    report.invalid += problems
    report.invalid_files += 1


def _checked_member_name(member: str, top: str, prefix: str, report: IndexReport) -> str | None:
    name = name_from_member(member, top, prefix)
    if name is None or name == ".":
        report.skipped.append(f"{member}: not in a folder below '{prefix}'")
        return None
    if not NAME_PATTERN.match(name):
        report.skipped.append(f"{member}: '{name}' is not a valid component name")
        return None
    return name


def _add(index: IndexEdit, entry: IndexEntry, report: IndexReport, origin: str) -> None:
    component = entry.component
    existing = index.entry(component.name, component.version)
    if existing is None:
        index.put(entry)
        report.added.append(component.ref)
    elif existing.component.digest == component.digest:
        report.unchanged.append(component.ref)
    else:
        report.conflicts.append(index.problem(index.position(component.name, component.version) + ["digest"],
                                               f"{component.ref} is already indexed with digest "
                                               f"{existing.component.digest}; {origin} has "
                                               f"{component.digest}; a published version never changes"))
