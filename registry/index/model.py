"""The registry index (``index.yaml``): its typed entries, version matching, validation.

A reference is ``name`` or ``name@spec`` where spec is an exact tag (``1.2.3``, ``0.2.5``,
``nightly``), a range (``^1.2``, ``~1.2``, ``>=1,<2``), ``latest`` or ``sha256:<hex>``.
Semver releases sort newest first; tags that are not semver sort after them, in index
order, and only ever match exactly.

Past validation an index is typed: each version is an ``IndexEntry`` (a ``ComponentVersion``
plus what the index says about it, its source a ``PathSource``, ``UrlSource`` or
``ArchiveSource``); ``index_item`` writes one back in the index's layout.
"""

from __future__ import annotations

import marshal
import re
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Mapping

from registry.component.version import (ComponentVersion, SemVer, is_release, newest_first, parse_range,
                                        parse_semver)
from registry.errors import CregError, Problem, did_you_mean

_DIGEST = r"^sha256:[0-9a-f]{7,64}$"
ENTRY_KEYS = ("version", "digest", "description", "created", "deprecated", "allowBreaking", "source")


class IndexFormatError(CregError):
    """An index.yaml is malformed."""


class ResolveError(CregError):
    """A reference names no component or no version."""


@dataclass(frozen=True)
class PathSource:
    """A file in the registry (``path`` relative to its root)."""

    path: str

    def index_item(self) -> dict[str, str]:
        return {"path": self.path}


@dataclass(frozen=True)
class UrlSource:
    """A file anywhere: ``https://``, ``http://`` or ``file://``."""

    url: str

    def index_item(self) -> dict[str, str]:
        return {"url": self.url}


@dataclass(frozen=True)
class ArchiveSource:
    """A member of a tar.gz or zip archive (a URL, or a path relative to the registry root)."""

    archive: str
    archive_digest: str
    member: str

    def index_item(self) -> dict[str, str]:
        return {"archive": self.archive, "archiveDigest": self.archive_digest, "member": self.member}


Source = PathSource | UrlSource | ArchiveSource


@dataclass(frozen=True)
class Deprecation:
    """Why a version should not be used, and what to use instead."""

    message: str
    replacement: str | None = None

    def index_item(self) -> dict[str, str]:
        return {"message": self.message, **({"replacement": self.replacement} if self.replacement else {})}


@dataclass(frozen=True)
class IndexEntry:
    """One version as an index lists it: the component version and what the index says about it.

    Empty strings and False mean "not stated" and are left out of ``index_item``.
    """

    component: ComponentVersion
    source: Source
    description: str = ""
    created: str = ""
    deprecated: Deprecation | None = None
    allow_breaking: bool = False

    def index_item(self) -> dict[str, Any]:
        """The entry in the index's own layout and key order."""
        item: dict[str, Any] = {"version": self.component.version, "digest": self.component.digest}
        item.update({"description": self.description} if self.description else {})
        item.update({"created": self.created} if self.created else {})
        item.update({"deprecated": self.deprecated.index_item()} if self.deprecated else {})
        item.update({"allowBreaking": True} if self.allow_breaking else {})
        item["source"] = self.source.index_item()
        return item

    def to_dict(self) -> dict[str, Any]:
        """What ``creg versions`` shows of the entry."""
        out: dict[str, Any] = {"name": self.component.name, "version": self.component.version,
                               "digest": self.component.digest, "description": self.description,
                               "created": self.created, "source": self.source.index_item()}
        if self.deprecated:
            out["deprecated"] = self.deprecated.index_item()
        return out


def source_from_item(item: Mapping[str, str]) -> Source:
    """A validated ``source:`` mapping -> its record (the schema allows exactly these three)."""
    if "path" in item:
        return PathSource(item["path"])
    if "url" in item:
        return UrlSource(item["url"])
    return ArchiveSource(item["archive"], item["archiveDigest"], item["member"])


def entry_from_item(name: str, item: Mapping[str, Any]) -> IndexEntry:
    """A validated index item of ``name`` -> its record."""
    deprecated = item.get("deprecated")
    return IndexEntry(
        ComponentVersion(name, str(item["version"]), item["digest"]), source_from_item(item["source"]),
        description=item.get("description", ""), created=item.get("created", ""),
        deprecated=Deprecation(deprecated["message"], deprecated.get("replacement")) if deprecated else None,
        allow_breaking=bool(item.get("allowBreaking", False)))


def order_versions(entries: Iterable[IndexEntry]) -> list[IndexEntry]:
    """Semver newest first, then the non-semver tags in their index order."""
    return newest_first(entries, lambda entry: entry.component.version)


class Index:
    """A validated index; entries are built per name, on demand (indexes can be large)."""

    def __init__(self, data: Mapping[str, Any], source: str = "") -> None:
        self.data = data  # the validated document as plain data (its compact copy is made from it)
        self.source = source
        self._components: Mapping[str, list[Mapping[str, Any]]] = data["components"]
        self._cache: dict[str, list[IndexEntry]] = {}

    def names(self) -> list[str]:
        return sorted(self._components)

    @property
    def serial(self) -> int:
        """The index's serial (0 for an index written before serials existed)."""
        serial = self.data.get("serial", 0)
        return serial if isinstance(serial, int) else 0

    @property
    def generated(self) -> str:
        return str(self.data.get("generated", ""))

    def __contains__(self, name: str) -> bool:
        return name in self._components

    def versions(self, name: str) -> list[IndexEntry]:
        """Entries of ``name``, newest first; ``[]`` for an unknown name."""
        if name not in self._cache:
            items = self._components[name] if name in self._components else []
            self._cache[name] = order_versions(entry_from_item(name, item) for item in items)
        return self._cache[name]

    def entries(self) -> dict[str, list[IndexEntry]]:
        """Every name's entries in the order the file lists them (for rewriting the index)."""
        return {name: [entry_from_item(name, item) for item in items] for name, items in self._components.items()}

    def match(self, name: str, spec: str | None) -> IndexEntry:
        """The entry ``name@spec`` resolves to, or ``ResolveError`` saying what exists."""
        entries = self.versions(name)
        if not entries:
            raise ResolveError(f"{self.source}: unknown component '{name}'{did_you_mean(name, self.names())}")
        found = select(entries, spec)
        if found is None and spec and spec[0] in "^~<>=!" and parse_range(spec) is None:
            raise ResolveError(f"'{name}@{spec}': '{spec}' is not a version range; expected e.g. ^1.2, ~1.2, "
                               ">=1,<2, an exact version, 'latest' or sha256:<hex>")
        if found is None:
            listed = ", ".join(e.component.version for e in entries)
            raise ResolveError(f"{self.source}: no version of '{name}' matches '{spec}'; "
                               f"available: {listed}")
        return found


def split_ref(ref: str) -> tuple[str, str | None]:
    """``'a/b@^1'`` -> ``('a/b', '^1')``; ``'a'`` -> ``('a', None)``."""
    name, sep, spec = ref.strip().partition("@")
    if not name:
        raise ResolveError(f"'{ref}' is not a component reference; expected NAME or NAME@VERSION")
    if sep and not spec.strip():
        raise ResolveError(f"'{ref}': nothing after '@'; expected a version, a range, 'latest' or sha256:<hex>")
    return name, (spec.strip() if sep else None)


def select(entries: list[IndexEntry], spec: str | None) -> IndexEntry | None:
    """The best entry for ``spec`` from ``entries`` (newest first)."""
    if spec is None or spec == "latest":
        exact = _exact(entries, spec) if spec else None
        return exact or _newest(entries)
    if spec.startswith("sha256:"):
        return _by_digest(entries, spec)
    exact = _exact(entries, spec)
    if exact is not None:
        return exact
    accepts = parse_range(spec)
    if accepts is None:
        return None
    return next((e for e in entries if (release := _release(e)) is not None and accepts(release)), None)


def _release(entry: IndexEntry) -> SemVer | None:
    """The entry's semver when it is a release: neither a prerelease nor a tag."""
    semver = entry.component.semver
    return semver if semver is not None and is_release(semver) else None


def _exact(entries: list[IndexEntry], spec: str) -> IndexEntry | None:
    wanted = parse_semver(spec)
    for entry in entries:
        if entry.component.version == spec or (wanted is not None and entry.component.semver == wanted):
            return entry
    return None


def _newest(entries: list[IndexEntry]) -> IndexEntry | None:
    """Newest non-deprecated release; else newest release; else the first tag listed."""
    releases = [e for e in entries if _release(e) is not None]
    live = [e for e in releases if not e.deprecated]
    listed = [e for e in entries if not e.deprecated]
    return next(iter(live or releases or listed or entries), None)


def _by_digest(entries: list[IndexEntry], spec: str) -> IndexEntry | None:
    if not re.match(_DIGEST, spec):
        raise ResolveError(f"'{spec}' is not a digest; expected sha256: and 7 to 64 lowercase hex digits")
    hits = [e for e in entries if e.component.digest.startswith(spec)]
    if len({e.component.digest for e in hits}) > 1:
        raise ResolveError(f"digest prefix '{spec}' is ambiguous: " + ", ".join(e.component.version for e in hits))
    return hits[0] if hits else None


# --- loading -------------------------------------------------------------------------------

from typing import TYPE_CHECKING  # this section's own imports; the rest are lazy (see load_index)

if TYPE_CHECKING:  # hints only: loading imports PyYAML and the reporter lazily (start-up)
    from registry.schemareport import Finding, SchemaError
    from registry.yamlio import Document


INDEX_MAX_BYTES = 128 * 1024 * 1024
INDEX_MAX_NODES = 10_000_000


def load_index(raw: bytes | str, source: str = "index.yaml") -> Index:
    """Parse and schema-validate an index; every problem is reported with its position.

    The index is loaded without a position table (an index is large; positions cost several
    times its own memory) and only an invalid one is looked at again, for the positions of
    the problems it reports: at most a few hundred, however many places are wrong.
    """
    # lazy: start-up; a cached compact index needs neither these nor PyYAML
    from registry.yamlio import AskedPositions, Document, load_mapping, sparse_positions

    # An index grows with its registry: 10,000 versions are about 134,000 values.  The large
    # node cap is only safe because aliases are refused: creg never writes them, and without
    # them a 1 KB remote index could make the loader expand millions of values first.
    doc = load_mapping(raw.encode("utf-8") if isinstance(raw, str) else raw, source,
                       max_bytes=INDEX_MAX_BYTES, max_nodes=INDEX_MAX_NODES, aliases=False, positions=False)
    if not _problems(doc):
        return Index(doc.data, source)
    asked = AskedPositions(file=source)
    _problems(Document(doc.data, asked, doc.text))
    located = Document(doc.data, sparse_positions(doc.text, source, doc.data, asked.asked), doc.text)
    raise IndexFormatError(problems=_dedupe(_problems(located)))


def _problems(doc: Document) -> list[Problem]:
    from registry.resources import checker  # lazy: start-up

    problems = [] if checker(INDEX_SCHEMA).is_valid(doc.data) else _schema_problems(doc)
    return problems + _duplicate_versions(doc) + _escaping_sources(doc)


INDEX_SCHEMA = "index.schema.json"

# What the index schema's own patterns ask for (``schemareport.PATTERNS`` has the digest's).
INDEX_PATTERNS = {
    "^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$":
        "is not a valid component name: use letters, digits, '.', '_' and '-', in parts separated by '/'",
    "^[A-Za-z0-9][A-Za-z0-9._+-]*$":
        "is not a valid version: use letters, digits, '.', '_', '+' and '-', starting with a letter or digit",
    "^(https?|file)://": "is not a URL: expected one starting with https://, http:// or file://",
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$":
        "is not a UTC time: expected YYYY-MM-DDTHH:MM:SSZ",
}
SOURCE_CHOICES = ("expected exactly one of {path: FILE}, {url: https://...} or "
                  "{archive: URL, archiveDigest: sha256:<hex>, member: PATH}")


def _schema_problems(doc: Document) -> list[Problem]:
    """Why jsonschema rejects ``doc``, through the shared reporter with the index's own wording."""
    from registry.resources import validator  # lazy: only an invalid index is explained
    from registry.schemareport import Rules, report

    rules = Rules(patterns=INDEX_PATTERNS, special=_source_choice)
    return report(doc, validator(INDEX_SCHEMA, inline=True).iter_errors(doc.data), rules)


def _source_choice(error: SchemaError) -> list[Finding] | None:
    """A ``source`` that is no single kind of source gets the three kinds spelt out.

    A mapping whose keys all belong to one kind (or to none) is left to the closest
    alternative, which says what is wrong inside it ("missing required key 'member'").
    """
    path = list(error.absolute_path)
    if error.validator != "oneOf" or path[-1:] != ["source"]:
        return None
    if isinstance(error.instance, dict):
        kinds = [b for b in error.validator_value if error.instance.keys() & b.get("properties", {}).keys()]
        if len(kinds) <= 1:
            return None
    return [(path, SOURCE_CHOICES, False)]


def _duplicate_versions(doc: Document) -> list[Problem]:
    problems: list[Problem] = []
    components = doc.data.get("components")
    if not isinstance(components, dict):
        return problems
    for name, items in components.items():
        seen: set[str] = set()
        for i, item in enumerate(items if isinstance(items, list) else []):
            version = item.get("version") if isinstance(item, dict) else None
            if isinstance(version, str) and version in seen:
                problems.append(doc.positions.problem(doc.data, ["components", name, i, "version"],
                                                      f"duplicate version '{version}' of '{name}'"))
            seen.add(str(version))
    return problems


_RELATIVE = {"path": ("registry", "a path relative to the registry root"),
             "archive": ("registry", "a URL or a path relative to the registry root"),
             "member": ("archive", "a member path relative to the archive's root")}


def _escaping_sources(doc: Document) -> list[Problem]:
    """Sources must stay inside the registry: a path or archive member naming '/etc/x' or
    '../x' would let an index read any file the user can read."""
    from registry.sources.archives import unsafe_name  # lazy: start-up; only loading needs it

    problems: list[Problem] = []
    components = doc.data.get("components")
    for name, items in components.items() if isinstance(components, dict) else ():
        for i, item in enumerate(items if isinstance(items, list) else []):
            source = item.get("source") if isinstance(item, dict) else None
            for key, value in source.items() if isinstance(source, dict) else ():
                if key in ("path", "archive", "member") and isinstance(value, str) and \
                        "://" not in value and unsafe_name(value):
                    left, expected = _RELATIVE[key]
                    problems.append(doc.positions.problem(
                        doc.data, ["components", name, i, "source", key],
                        f"'{value}' leaves the {left} ({unsafe_name(value)}); expected {expected}"))
    return problems


def _dedupe(problems: list[Problem]) -> list[Problem]:
    return sorted(set(problems))


# --- the compact copy of a validated index ------------------------------------------------------
#
# A header (registry metadata and, per name, the byte range of its entries) and then each
# name's entries.  Loading it decodes the header only; a name's entries are decoded when asked
# for, so one lookup in a 10,000-version index costs well under 1 ms.  The encoding is
# marshal (plain dicts, lists and strings only), as trusted as the .pyc files Python itself
# keeps in user-writable folders; it lives in the user's own cache.


def dump_compact(data: Mapping[str, Any]) -> bytes:
    chunks: list[bytes] = []
    offsets: dict[str, list[int]] = {}
    position = 0
    for name, items in (data.get("components") or {}).items():
        chunk = marshal.dumps(items)
        offsets[name] = [position, position + len(chunk)]
        chunks.append(chunk)
        position += len(chunk)
    meta = {k: v for k, v in data.items() if k != "components"}
    header = marshal.dumps({"meta": meta, "offsets": offsets})
    return len(header).to_bytes(8, "big") + header + b"".join(chunks)


def load_compact(blob: bytes, source: str) -> Index:
    """Inverse of ``dump_compact``; raises ValueError/KeyError/EOFError on a damaged copy."""
    size = int.from_bytes(blob[:8], "big")
    parsed = marshal.loads(blob[8:8 + size])
    body = blob[8 + size:]
    offsets = parsed["offsets"]
    if not isinstance(offsets, dict) or sum(e - s for s, e in offsets.values()) != len(body):
        raise ValueError("damaged compact index")
    return Index({**parsed["meta"], "components": _LazyComponents(body, offsets)}, source)


class _LazyComponents(Mapping[str, list[Any]]):
    def __init__(self, body: bytes, offsets: dict[str, list[int]]) -> None:
        self.body = body
        self.offsets = offsets

    def __getitem__(self, name: str) -> list[Any]:
        start, end = self.offsets[name]
        return marshal.loads(self.body[start:end])

    def __contains__(self, name: object) -> bool:
        return name in self.offsets

    def __iter__(self) -> Iterator[str]:
        return iter(self.offsets)

    def __len__(self) -> int:
        return len(self.offsets)
