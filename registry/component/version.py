"""Component versions: the ``ComponentVersion`` record, semver parsing and ordering, version
ranges, name and version rules.

One record and one ordering for every floor: the index, resolving, the lock, publishing and
building all speak of ``ComponentVersion`` (name, version, digest); the index sorts with
``newest_first``, publishing checks bumps with ``parse_semver``, ``creg new`` checks a starting
version with it.  A version that is not full semver (``nightly``, ``v1.2``) is a tag: it orders
after every semver version (newest first) and matches exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Callable, Iterable, TypeVar

SemVer = tuple[int, int, int, int, tuple[tuple[int, int, str], ...]]
VersionKey = tuple[int, SemVer]  # (1, semver) for semver versions, the same (0, ...) for every tag
_TAG_KEY: VersionKey = (0, (0, 0, 0, 0, ()))
Item = TypeVar("Item")

# Patterns stay strings: ``re`` compiles and caches each on first use, so a process that
# never matches a range never pays for compiling one.
_PARTIAL = r"^v?(\d{1,18})(?:\.(\d{1,18}))?(?:\.(\d{1,18}))?(?:-([0-9A-Za-z.-]+))?$"
_COMPARATOR = r"^(>=|<=|>|<|==|=|!=)?\s*(.+)$"
# The index schema's componentName and version patterns (a test keeps them equal), for
# checking names and versions before an index entry exists (publish, new, import).
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")
VERSION_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")


def parse_semver(text: str) -> SemVer | None:
    """``'1.2.3-rc.1'`` -> a tuple that orders like semver (releases after their prereleases).

    Returns None for tags that are not full semver (``v1.2``, ``nightly``).  A leading
    ``v`` is accepted (``v1.2.3``), build metadata is ignored.  (Plain string checks, not a
    regex: this runs for every version of a name, in every process.)
    """
    core, plus, build = text.partition("+")
    core, dash, pre = core.partition("-")
    numbers = core.removeprefix("v").split(".")
    if len(numbers) != 3 or not all(map(_is_number, numbers)):
        return None
    if (dash and not _identifiers_ok(pre)) or (plus and not _identifiers_ok(build)):
        return None
    major, minor, patch = (int(n) for n in numbers)
    if not dash:
        return (major, minor, patch, 1, ())
    return (major, minor, patch, 0, tuple(_pre_key(p) for p in pre.split(".")))


def version_key(version: str) -> VersionKey:
    """The one ordering: semver versions by semver, all above the tags, which tie with each other
    (so a stable sort keeps the tags in the order they were listed)."""
    parsed = parse_semver(version)
    return (1, parsed) if parsed is not None else _TAG_KEY


def newest_first(items: Iterable[Item], version_of: Callable[[Item], str]) -> list[Item]:
    """Semver versions newest first, then the tags in their given order."""
    return sorted(items, key=lambda item: version_key(version_of(item)), reverse=True)


@dataclass(frozen=True)
class ComponentVersion:
    """One version of one component: its name, its version and the digest of its component.yaml."""

    name: str
    version: str
    digest: str

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"

    @cached_property
    def semver(self) -> SemVer | None:
        # Cached: choosing among a name's versions reads every entry's semver, and a command
        # that resolves many references (creg outdated over 1,000 pipelines) would parse the
        # same version strings hundreds of thousands of times.  (cached_property writes the
        # instance's __dict__ directly, which a frozen dataclass allows.)
        return parse_semver(self.version)


MAX_DIGITS = 18  # a version number longer than this is a tag: Python's int() refuses past 4,300


def _is_number(part: str) -> bool:
    return (part.isascii() and part.isdigit() and len(part) <= MAX_DIGITS
            and (part == "0" or not part.startswith("0")))


def _identifiers_ok(text: str) -> bool:
    return all(part and part.isascii() and part.replace("-", "a").isalnum() for part in text.split("."))


def _pre_key(part: str) -> tuple[int, int, str]:
    # Numeric identifiers sort before alphanumeric ones (semver 11.4.3).
    # Numbers compare by length, then digit by digit: numeric order without int(), which
    # refuses identifiers past 4,300 digits.
    digits = part.lstrip("0")
    return (0, len(digits), digits) if part.isascii() and part.isdigit() else (1, 0, part)


def is_release(version: SemVer) -> bool:
    return version[3] == 1


def parse_range(spec: str) -> Callable[[SemVer], bool] | None:
    """``'^1.2'``, ``'~1.2'``, ``'>=1,<2'``, ``'1.x'`` -> a predicate; None when not a range."""
    checks: list[Callable[[SemVer], bool]] = []
    for part in re.split(r"[,\s]+", spec.strip()):
        check = _one_range(part) if part else None
        if check is None:
            return None
        checks.append(check)
    return (lambda v: all(c(v) for c in checks)) if checks else None


def _partial(text: str) -> tuple[list[int], str | None] | None:
    match = re.match(_PARTIAL, text.replace(".x", "").replace(".*", ""))
    if match is None:
        return None
    numbers = [int(n) for n in match.groups()[:3] if n is not None]
    return numbers, match.group(4)


def _floor(numbers: list[int]) -> SemVer:
    padded = numbers + [0] * (3 - len(numbers))
    return (padded[0], padded[1], padded[2], 0, ())  # lowest version with that prefix


def _one_range(part: str) -> Callable[[SemVer], bool] | None:
    if part[0] in "^~":
        parsed = _partial(part[1:])
        if parsed is None:
            return None
        low, high = _floor(parsed[0]), _ceiling(parsed[0], part[0])
        return lambda v: low <= v < high
    match = re.match(_COMPARATOR, part)
    parsed = _partial(match.group(2)) if match else None
    if match is None or parsed is None:
        return None
    return _compare(match.group(1) or "=", parsed[0])


def _ceiling(numbers: list[int], op: str) -> SemVer:
    """Exclusive upper bound of ``^x.y.z`` / ``~x.y.z`` (npm semantics)."""
    padded = numbers + [0] * (3 - len(numbers))
    if op == "~":
        bump = 0 if len(numbers) == 1 else 1
    else:  # caret: keep the left-most non-zero part (and all given parts if they are zero)
        bump = next((i for i, n in enumerate(padded[: len(numbers)]) if n != 0), len(numbers) - 1)
    upper = padded[:bump] + [padded[bump] + 1] + [0] * (2 - bump)
    return (upper[0], upper[1], upper[2], 0, ())


def _compare(op: str, numbers: list[int]) -> Callable[[SemVer], bool]:
    low = _floor(numbers)
    # Exclusive upper bound: the next version's prereleases for a prefix, else just above the release.
    high = _ceiling(numbers, "~") if len(numbers) < 3 else (numbers[0], numbers[1], numbers[2], 2, ())
    table: dict[str, Callable[[SemVer], bool]] = {
        ">=": lambda v: v >= low, ">": lambda v: v >= high, "<": lambda v: v < low,
        "<=": lambda v: v < high, "=": lambda v: low <= v < high, "==": lambda v: low <= v < high,
        "!=": lambda v: not (low <= v < high)}
    return table[op]
