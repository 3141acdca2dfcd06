"""Publish a component version into a registry folder; deprecate published versions.

A registry folder holds ``index.yaml`` and, per published version,
``<name>/<version>/<leaf>-<version>.tar.gz`` (a reproducible archive of the component
folder, or of the spec file alone when a file is published; see ``pack_component``).
Two promises hold:

* a published version never changes: publishing the same content again is a no-op, different
  content under an existing version is refused (and ``index.yaml`` stays byte-identical);
* a version number tells the truth: the interface is compared with the newest earlier
  version, and a change the number would hide is refused unless ``--allow-breaking`` is
  given (which the entry records as ``allowBreaking: true``).  A version published out of
  order (1.1.0 after 1.2.0) is also compared with the next later version, whose number must
  stay truthful too: 1.1.0 may not add what 1.2.0 lacks, or 1.2.0 would remove it in a minor.

Version rules (strict semver, as the issue states them; the leading number is "major" even
for 0.x): a removed input/output, a new required input, a changed type, or an optional
input that became required need a major bump; a new optional input or a new output needs at
least a minor bump; anything else is a patch.  A version that is not semver
(``nightly``, ``v1``) cannot be checked, so publishing one requires ``--allow-breaking``.
"""

from __future__ import annotations

import datetime
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from registry.component.model import (SPEC_FILE, ComponentSpec, InputSpec, OutputSpec, load_component_from_file,
                                      load_component_from_text, thaw)
from registry.component.version import (NAME_PATTERN, VERSION_PATTERN, ComponentVersion, SemVer, parse_range,
                                        parse_semver)
from registry.errors import ArgumentError, CregError, CregWarning, Problem, did_you_mean, mention
from registry.index.edit import IndexEdit, editing
from registry.index.model import ArchiveSource, Deprecation, IndexEntry, PathSource
from registry.index.resolve import Registry
from registry.sources.archives import read_member
from registry.sources.store import atomic_write, sha256_digest
from registry.yamlio import load_mapping

LEVELS = ("patch", "minor", "major")
# A component lives at <registry>/<name>/..., so its first name part must not be one of the
# registry's own entries (the index, and the folder where import-archive keeps archives).
RESERVED_NAMES = frozenset({"index.yaml", "archives"})


class PublishError(CregError):
    """A publish or deprecate request that would break a registry promise."""


@dataclass(frozen=True)
class Change:
    level: str  # one of LEVELS
    message: str
    path: tuple[str | int, ...] = ()  # where in the new spec (for positions)
    # What changed, for callers that ask whether a given use notices it (``creg outdated``):
    # kind is one of CHANGE_KINDS, subject the input's or output's name.
    kind: str = ""
    subject: str = ""


CHANGE_KINDS = ("input-removed", "output-removed", "input-type", "output-type", "input-new-required",
                "input-became-required", "input-new-optional", "output-new")


@dataclass(frozen=True)
class Candidate:
    """Everything about the version to publish, computed before the index is locked."""

    component: ComponentVersion
    spec: ComponentSpec
    spec_file: Path
    archive: bytes
    member: str

    @property
    def archive_path(self) -> str:
        name, version = self.component.name, self.component.version
        return f"{name}/{version}/{name.rsplit('/', 1)[-1]}-{version}.tar.gz"

    @property
    def archive_digest(self) -> str:
        return sha256_digest(self.archive)


@dataclass
class PublishResult:
    component: ComponentVersion
    status: str  # "published" or "unchanged"
    archive: str
    previous: str | None = None
    level: str = "patch"
    changes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        ref = self.component.ref
        if self.status == "unchanged":
            return f"{ref} is already published with the same content; nothing changed"
        against = f" ({self.level}-level changes vs {self.previous})" if self.previous else " (first version)"
        return f"published {ref} -> {self.archive}{against}"


# --- what to publish -----------------------------------------------------------------------


def locate_component(path: Path) -> tuple[Path, Path]:
    """``(component folder, spec file)`` for a folder holding component.yaml or a spec file."""
    if path.is_dir():
        spec_file = path / SPEC_FILE
        if not spec_file.is_file():
            raise ArgumentError.in_file("path", str(path),
                                        f"no {SPEC_FILE} in this folder; pass the folder of a component")
        return path, spec_file
    if path.is_file():
        return path.parent, path
    raise ArgumentError.in_file("path", str(path), "no such file or folder")


def infer_version(folder: Path, version: str | None) -> str:
    """``version``, else the folder name when the folder is ``<name>/<version>/``."""

    if version:
        return check_version_text(version)
    if parse_semver(folder.name) is not None:
        return folder.name
    raise ArgumentError.in_file("version", str(folder), "cannot tell the version: the folder is not named like one "
                                f"(e.g. components/add/1.0.0); pass {mention('version')} X.Y.Z")


def infer_name(folder: Path, version: str, name: str | None) -> str:
    """``name``, else ``<name>`` of ``<name>/<version>/``, else the folder's own name.

    A folder named like a version (``hello/0.1.0`` published as version ``0.2.0``) is still
    the version level of the layout, never the component's name.
    """

    if not name:
        at_version_level = folder.name == version or parse_semver(folder.name) is not None
        name = folder.resolve().parent.name if at_version_level else folder.resolve().name
    if not NAME_PATTERN.match(name):
        raise ArgumentError.in_file("name", str(folder), f"'{name}' is not a valid component name (letters, digits, "
                                    f"'.', '_', '-', parts separated by '/'); pass {mention('name')}")
    first = name.split("/", 1)[0]
    if first.casefold() in RESERVED_NAMES:
        reserved = ", ".join(sorted(RESERVED_NAMES))
        raise ArgumentError.in_file("name", str(folder), f"'{name}' is not a valid component name: '{first}' is a "
                                    f"file or folder of the registry itself ({reserved}); pass another {mention('name')}")
    return name


def check_name_free(registry_dir: Path, candidate: Candidate) -> None:
    """Refuse a name whose folder path runs into a file of the registry folder (e.g. its README)."""
    current = registry_dir
    for part in PurePosixPath(candidate.archive_path).parent.parts:
        current = current / part
        if current.exists() and not current.is_dir():
            raise ArgumentError.in_file("name", str(candidate.spec_file), (
                f"cannot publish {candidate.component.ref} into {registry_dir}: {current} is a file "
                f"of the registry, not a folder; choose another {mention('name')}"))


def check_version_text(version: str) -> str:
    if not VERSION_PATTERN.match(version):
        raise ArgumentError.bad_value("version", f"'{version}' is not a valid version "
                                                 "(letters, digits, '.', '_', '+', '-')")
    return version


def prepare(path: Path, version: str | None = None, name: str | None = None, *,
            registry_dir: Path | None = None) -> Candidate:
    """Validate the spec and pack the component; raises before anything is written."""
    folder, spec_file = locate_component(Path(path))
    spec = load_component_from_file(spec_file)
    version = infer_version(folder, version)
    name = infer_name(folder, version, name)
    top = f"{name.rsplit('/', 1)[-1]}-{version}"
    archive = pack_component(Path(path), folder, spec_file, top, registry_dir)
    member = f"{top}/{spec_file.relative_to(folder).as_posix()}"
    return Candidate(ComponentVersion(name, version, spec.digest), spec, spec_file, archive, member)


def pack_component(path: Path, folder: Path, spec_file: Path, top: str, registry_dir: Path | None) -> bytes:
    """A folder is packed whole (minus dotfiles and the registry itself, when it lies inside);
    a spec FILE is packed alone: its folder may be a whole project (other components, ``.env``,
    the registry), and a README beside a loose file may describe that project, not this file."""
    from registry.sources.packing import pack_files, pack_folder  # lazy: start-up (tarfile, gzip; not for deprecate)

    if not path.is_dir():
        return pack_files([spec_file], top)
    if registry_dir is not None and registry_dir.resolve() == folder.resolve():
        raise ArgumentError.in_file("path", str(folder), "the component folder is the registry folder itself; "
                                    "publish from a separate folder (or pass its component.yaml)")
    return pack_folder(folder, top, exclude=[registry_dir] if registry_dir is not None else [])


def new_entry(candidate: Candidate, allow_breaking: bool, today: str) -> IndexEntry:
    source = ArchiveSource(candidate.archive_path, candidate.archive_digest, candidate.member)
    return IndexEntry(candidate.component, source, description=index_description(candidate.spec.description),
                      created=today, allow_breaking=allow_breaking)


def index_description(description: str | None) -> str:
    """The index's one-line description: the first non-empty line of the spec's description."""
    return next((line.strip() for line in (description or "").splitlines() if line.strip()), "")


# --- interface comparison ------------------------------------------------------------------


def interface_changes(old: ComponentSpec, new: ComponentSpec) -> list[Change]:
    """Every interface difference from ``old`` to ``new`` with the bump it needs."""
    changes = _io_changes("input", old.inputs, new.inputs)
    changes += _io_changes("output", old.outputs, new.outputs)
    changes += _input_changes(old, new)
    changes += [Change("minor", f"new output '{item.name}'", ("outputs", index), "output-new", item.name)
                for index, item in enumerate(new.outputs) if old.output(item.name) is None]
    return changes


def _input_changes(old: ComponentSpec, new: ComponentSpec) -> list[Change]:
    """New inputs, and inputs that became required."""
    changes: list[Change] = []
    for index, item in enumerate(new.inputs):
        before = old.input(item.name)
        if before is None:
            level, kind = ("major", "required") if item.required else ("minor", "optional")
            changes.append(Change(level, f"new {kind} input '{item.name}'", ("inputs", index),
                                  f"input-new-{kind}", item.name))
        elif item.required and not before.required:
            changes.append(Change("major", f"input '{item.name}' became required", ("inputs", index),
                                  "input-became-required", item.name))
    return changes


def _io_changes(kind: str, old_items: tuple[InputSpec | OutputSpec, ...],
                new_items: tuple[InputSpec | OutputSpec, ...]) -> list[Change]:
    changes: list[Change] = []
    new_by_name = {item.name: i for i, item in enumerate(new_items)}
    for item in old_items:
        if item.name not in new_by_name:
            changes.append(Change("major", f"{kind} '{item.name}' was removed", (f"{kind}s",), f"{kind}-removed",
                                  item.name))
            continue
        index = new_by_name[item.name]
        old_type, new_type = thaw(item.type), thaw(new_items[index].type)
        if old_type != new_type:
            changes.append(Change("major", f"type of {kind} '{item.name}' changed from {old_type!r} to {new_type!r}",
                                  (f"{kind}s", index, "type"), f"{kind}-type", item.name))
    return changes


def version_bump(old: str, new: str) -> str:
    """The level of the bump from ``old`` to ``new`` (both semver, ``new`` greater)."""

    before, after = parse_semver(old), parse_semver(new)
    assert before is not None and after is not None
    if after[0] > before[0]:
        return "major"
    return "minor" if after[:2] > before[:2] else "patch"


def needed_level(changes: list[Change]) -> str:
    return max((c.level for c in changes), key=LEVELS.index, default="patch")


def newest_earlier(entries: list[IndexEntry], version: str) -> IndexEntry | None:
    """The entry with the greatest semver version below ``version`` (non-semver tags ignored)."""
    target = parse_semver(version)
    earlier = [(v, e) for v, e in _semver_entries(entries) if target is not None and v < target]
    return max(earlier, key=lambda pair: pair[0])[1] if earlier else None


def oldest_later(entries: list[IndexEntry], version: str) -> IndexEntry | None:
    """The entry with the smallest semver version above ``version`` (non-semver tags ignored)."""
    target = parse_semver(version)
    later = [(v, e) for v, e in _semver_entries(entries) if target is not None and v > target]
    return min(later, key=lambda pair: pair[0])[1] if later else None


def _semver_entries(entries: list[IndexEntry]) -> list[tuple[SemVer, IndexEntry]]:
    return [(semver, e) for e in entries if (semver := e.component.semver) is not None]


def same_version(entries: list[IndexEntry], version: str) -> IndexEntry | None:
    """The entry of ``version``, also when spelled differently (``v1.0.0`` is ``1.0.0``)."""
    wanted = parse_semver(version)
    return next((e for e in entries if e.component.version == version
                 or (wanted is not None and e.component.semver == wanted)), None)


def refusal(candidate: Candidate, previous: str, changes: list[Change], got: str) -> PublishError:
    """One positioned problem per change the version number would hide."""
    doc = load_mapping(candidate.spec.text, str(candidate.spec_file))
    needed = needed_level(changes)
    problems = [doc.positions.problem(
        doc.data, list(c.path),
        f"{c.message}: needs a {c.level} bump from {previous}, but {candidate.component.version} is a {got} bump; "
        f"choose a {needed} version or pass {mention('allow_breaking')}")
        for c in changes if LEVELS.index(c.level) > LEVELS.index(got)]
    return PublishError(problems=problems, arguments=["allow_breaking"])


# --- reading published versions back ---------------------------------------------------------


def load_entry_spec(registry_dir: Path, entry: IndexEntry) -> ComponentSpec:
    """The spec an index entry points to, verified against the entry's digest."""
    raw, where = _entry_bytes(registry_dir, entry)
    spec = load_component_from_text(raw, where)
    if spec.digest != entry.component.digest:
        raise PublishError.at(where, 0, 0, "$", f"digest {spec.digest} does not match the index entry "
                                                f"{entry.component.ref} ({entry.component.digest}); "
                                                f"the published file was changed ({entry.source.index_item()})")
    return spec


def _entry_bytes(registry_dir: Path, entry: IndexEntry) -> tuple[bytes, str]:
    source = entry.source
    if isinstance(source, PathSource):
        path = _inside(registry_dir, source.path)
        return path.read_bytes(), str(path)
    if isinstance(source, ArchiveSource) and "://" not in source.archive:
        path = _inside(registry_dir, source.archive)
        data = path.read_bytes()
        if sha256_digest(data) != source.archive_digest:
            raise PublishError.at(str(path), 0, 0, "", "archive digest does not match the index entry")
        return read_member(data, source.member, str(path)), f"{path}!{source.member}"
    return _remote_bytes(registry_dir, entry)


def _remote_bytes(registry_dir: Path, entry: IndexEntry) -> tuple[bytes, str]:
    """A remote source, read through the registry resolver (download cache, digest checks)."""
    spec = Registry([str(registry_dir)]).load(entry.component.ref)
    return spec.text.encode("utf-8"), spec.source


def _inside(registry_dir: Path, relative: str) -> Path:
    root = registry_dir.resolve()
    path = (root / relative).resolve()
    if root not in path.parents:
        raise PublishError.at(str(registry_dir / "index.yaml"), 0, 0, "$", f"source '{relative}' leaves the registry folder")
    return path


# --- publishing ------------------------------------------------------------------------------


def today_utc() -> str:
    return datetime.datetime.now(datetime.timezone.utc).date().isoformat()


def publish(path: str | Path, registry_dir: str | Path, version: str | None = None, name: str | None = None,
            allow_breaking: bool = False, today: str | None = None) -> PublishResult:
    """Validate, check the version number, pack, and add the entry, all or nothing."""
    registry_dir = Path(registry_dir)
    candidate = prepare(Path(path), version, name, registry_dir=registry_dir)
    _check_semver(candidate, allow_breaking)
    with editing(registry_dir) as index:
        _remove_debris(registry_dir, index)
        entries = index.components.get(candidate.component.name, [])
        existing = same_version(entries, candidate.component.version)
        if existing is not None:
            return _unchanged_or_refuse(candidate, existing, registry_dir)
        check_name_free(registry_dir, candidate)
        result = _check_interface(candidate, entries, registry_dir, allow_breaking)
        _check_later(candidate, entries, registry_dir, allow_breaking)
        atomic_write(registry_dir / candidate.archive_path, candidate.archive)
        index.put(new_entry(candidate, allow_breaking, today or today_utc()))
        return result


def _remove_debris(registry_dir: Path, index: IndexEdit) -> None:
    """Leftovers of a killed publish go (the index lock is held: no publish is in flight)."""
    from registry.index.debris import remove_debris  # lazy: start-up (deprecate does not need it)

    removed = remove_debris(registry_dir, [e for entries in index.components.values() for e in entries])
    if removed:
        listed = ", ".join(str(p.relative_to(registry_dir)) for p in removed[:5])
        more = f" and {len(removed) - 5} more" if len(removed) > 5 else ""
        warnings.warn(CregWarning(f"{registry_dir}: removed {len(removed)} leftover file(s) of an interrupted "
                                  f"publish that no index entry names: {listed}{more}"), stacklevel=3)


def _check_semver(candidate: Candidate, allow_breaking: bool) -> None:

    if candidate.component.semver is None and not allow_breaking:
        raise PublishError(problems=[Problem(str(candidate.spec_file), 0, 0, "", (
            f"version '{candidate.component.version}' is not semver (MAJOR.MINOR.PATCH), so its compatibility cannot be "
            f"checked; use a semver version or pass {mention('allow_breaking')}"))], arguments=["allow_breaking"])


def _unchanged_or_refuse(candidate: Candidate, existing: IndexEntry, registry_dir: Path) -> PublishResult:
    source = existing.source
    archive_digest = source.archive_digest if isinstance(source, ArchiveSource) else candidate.archive_digest
    same_spec = existing.component.digest == candidate.spec.digest
    if same_spec and archive_digest == candidate.archive_digest:
        return PublishResult(candidate.component, "unchanged", candidate.archive_path)
    if same_spec:
        what = f"the folder's other files differ: archive {archive_digest} vs {candidate.archive_digest}"
    else:
        what = f"component.yaml differs: {existing.component.digest} vs {candidate.spec.digest}"
    raise PublishError.at(str(candidate.spec_file), 1, 1, "$", (
        f"{candidate.component.ref} is already published in {registry_dir} with different content "
        f"({what}); a published version never changes: publish a new version"))


def _check_interface(candidate: Candidate, entries: list[IndexEntry], registry_dir: Path,
                     allow_breaking: bool) -> PublishResult:
    result = PublishResult(candidate.component, "published", candidate.archive_path)
    previous = newest_earlier(entries, candidate.component.version)
    if previous is None:
        return result
    changes = interface_changes(load_entry_spec(registry_dir, previous), candidate.spec)
    got = version_bump(previous.component.version, candidate.component.version)
    result.previous, result.level = previous.component.version, needed_level(changes)
    result.changes = [f"{c.level}: {c.message}" for c in changes]
    if LEVELS.index(result.level) > LEVELS.index(got) and not allow_breaking:
        raise refusal(candidate, result.previous, changes, got)
    return result


def _check_later(candidate: Candidate, entries: list[IndexEntry], registry_dir: Path,
                 allow_breaking: bool) -> None:
    """Refuse a version that would make the next later one's number lie (out-of-order publishing)."""
    later = oldest_later(entries, candidate.component.version)
    if later is None or allow_breaking:
        return
    later_version = later.component.version
    changes = interface_changes(candidate.spec, load_entry_spec(registry_dir, later))
    got = version_bump(candidate.component.version, later_version)
    hidden = [c for c in changes if LEVELS.index(c.level) > LEVELS.index(got)]
    if hidden:
        raise later_refusal(candidate, later_version, hidden, got)


def later_refusal(candidate: Candidate, later: str, hidden: list[Change], got: str) -> PublishError:
    """One problem per change the already published later version would then hide.

    The change paths point into the later spec, so each problem sits at the candidate's
    ``inputs``/``outputs`` list, where the difference comes from.
    """
    doc = load_mapping(candidate.spec.text, str(candidate.spec_file))
    version = candidate.component.version
    problems = [doc.positions.problem(
        doc.data, [c.path[0]] if c.path and c.path[0] in doc.data else [],
        f"{later} is already published; from {version} to {later} {c.message}, which needs a {c.level} "
        f"bump, but {later} would be a {got} bump from {version}; make {version}'s interface "
        f"match the versions around it or pass {mention('allow_breaking')}")
        for c in hidden]
    return PublishError(problems=problems, arguments=["allow_breaking"])


# --- deprecation -------------------------------------------------------------------------------


def deprecate(registry_dir: str | Path, ref: str, message: str, replacement: str | None = None) -> str:
    """Mark ``NAME@VERSION`` deprecated (never deletes it: lockfiles keep resolving it)."""
    name, version = _exact_ref(ref)
    wanted = _deprecation(message, replacement)
    if not (Path(registry_dir) / "index.yaml").is_file():
        raise ArgumentError("registry_dir", f"{registry_dir}: no index.yaml here; "
                                            f"{mention('registry_dir')} must name a registry folder")
    with editing(Path(registry_dir)) as index:
        entry = index.entry(name, version)
        if entry is None:
            raise _unknown(index, name, version)
        if entry.deprecated == wanted:
            return f"{name}@{version} is already deprecated with this message; nothing changed"
        index.put(replace(entry, deprecated=wanted))
    return f"deprecated {name}@{version}" + (f" (use {replacement})" if replacement else "")


def _deprecation(message: str, replacement: str | None) -> Deprecation:
    if not message.strip():
        raise ArgumentError.bad_value("message", "say why the version is deprecated (and what to use instead)")
    return Deprecation(message, _check_replacement(replacement) if replacement else None)


def _exact_ref(ref: str) -> tuple[str, str]:
    name, _, version = ref.partition("@")
    if not name or not version:
        raise ArgumentError("ref", f"'{ref}': expected NAME@VERSION (an exact published version)")
    return name, version


def _check_replacement(replacement: str) -> str:
    name, sep, spec = replacement.partition("@")
    if not NAME_PATTERN.match(name) or (sep and not spec):
        raise ArgumentError.bad_value("replacement", f"'{replacement}' is not NAME or NAME@RANGE (e.g. add@^2)")
    if spec and not spec.startswith("sha256:"):

        if parse_semver(spec) is None and parse_range(spec) is None and spec != "latest":
            raise ArgumentError.bad_value("replacement",
                                          f"'{spec}' is not a version or range (e.g. ^2, ~1.2, >=2,<3)")
    return replacement


def _unknown(index: IndexEdit, name: str, version: str) -> PublishError:
    components = index.components
    if name not in components:
        return PublishError(problems=[index.problem(["components"],
                                                    f"no component '{name}'{did_you_mean(name, components)}")])
    versions = ", ".join(e.component.version for e in components[name])
    return PublishError(problems=[index.problem(["components", name],
                                                f"no version '{version}' of '{name}'; published: {versions}")])
