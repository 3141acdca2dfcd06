"""``creg upgrade``: move component references to newer versions, editing only their text.

The file is never re-dumped: each reference's value is replaced at the position the loader
recorded for it (``Reference.line``/``column``), inside its quotes when it is quoted, so
comments, key order, quoting, flow or block style, blank lines, CRLF line endings and a BOM stay
byte for byte.  Before writing, the edited text is loaded again and must equal the old data
with exactly the planned values changed; anything else (an escape sequence, a value folded over
lines) leaves the file untouched with a reason.  Writes are atomic; a ``creg.lock`` next to the
file gets the new references pinned.

A reference keeps its form: ``add@1.0.0`` -> ``add@2.1.0``, ``add@^1`` -> ``add@^2``,
``add@~1.2`` -> ``add@~1.3``.  Ranges such as ``>=1,<2``, digests and paths are reported and
left alone; an upgrade that the pipeline would notice (``currency.Currency.noticed``) is
refused unless ``allow_breaking``.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from registry.component.version import parse_range, parse_semver, version_key
from registry.errors import ArgumentError, CregError
from registry.index.lockfile import LOCK_NAME, Lock, LockEntry, lock_path_for
from registry.index.model import IndexEntry
from registry.index.resolve import Registry
from registry.pipeline.currency import REWRITABLE, Currency, FileReferences, Reference, Status, find_references
from registry.sources.store import atomic_write
from registry.yamlio import PathKey, load_any

TARGETS = ("latest", "compatible")
BOM = b"\xef\xbb\xbf"
# YAML's line breaks (what the loader counts lines by): CRLF, CR, LF, NEL, LS, PS.
_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


class RewriteError(CregError):
    """The planned edits cannot be made in place without changing anything else."""


@dataclass(frozen=True)
class Move:
    """One reference to move: from the version in use to ``target``, new text or none (re-lock only)."""

    reference: Reference
    current: IndexEntry
    target: IndexEntry
    new_text: str | None  # None: the reference already allows target; only the lock moves


@dataclass
class FilePlan:
    file: Path
    moves: list[Move] = field(default_factory=list)
    skipped: list[tuple[Reference, str]] = field(default_factory=list)  # left alone, and why
    refused: list[tuple[Reference, list[str]]] = field(default_factory=list)  # would break the pipeline
    error: CregError | None = None
    diff: str = ""
    written: bool = False
    relocked: bool = False

    @property
    def edits(self) -> list[Move]:
        return [m for m in self.moves if m.new_text is not None]


def respelled(form: str, spec: str, version: str) -> str | None:
    """``spec`` (of ``form``) rewritten to allow ``version`` the way it was written, or None.

    Exact stays exact; ``^1`` -> ``^2``, ``^1.2`` -> ``^2.1``; ``~1.2`` -> ``~2.1``: as many
    parts as the reference wrote, and more only if fewer would not allow ``version``.
    """
    if form == "exact":
        return version
    if form not in REWRITABLE:
        return None
    numbers = version.removeprefix("v").partition("+")[0].partition("-")[0].split(".")
    written = len(spec[1:].replace(".x", "").replace(".*", "").split("."))
    parsed = parse_semver(version)
    for count in range(min(written, 3), 4):
        candidate = spec[0] + ".".join(numbers[:count])
        accepts = parse_range(candidate)
        if parsed is not None and accepts is not None and accepts(parsed):
            return candidate
    return None


def plan(found: FileReferences, currency: Currency, to: str, only: tuple[str, ...] = (),
         allow_breaking: bool = False) -> FilePlan:
    """What upgrading ``found``'s references to ``to`` ('latest' or 'compatible') would do."""
    if to not in TARGETS:
        raise ArgumentError.bad_value("to", f"'{to}' is not one of {', '.join(TARGETS)}")
    out = FilePlan(found.file, error=found.error)
    for ref in found.references:
        if only and ref.name not in only:
            continue
        _plan_one(out, currency.status(ref), currency, to, allow_breaking)
    return out


def _plan_one(out: FilePlan, status: Status, currency: Currency, to: str, allow_breaking: bool) -> None:
    ref = status.reference
    move = _not_movable(status) or _move(status, to)
    if isinstance(move, str):
        out.skipped.append((ref, move))
        return
    if move is None:
        return  # already there
    try:
        noticed = currency.noticed(ref, move.current, move.target)
    except CregError as exc:  # a spec that cannot be had: no upgrade without the check
        out.skipped.append((ref, "cannot compare the interfaces: " + " ".join(str(exc).split())))
        return
    if noticed and not allow_breaking:
        out.refused.append((ref, noticed))
    else:
        out.moves.append(move)


def _move(status: Status, to: str) -> Move | str | None:
    """The move ``to`` asks for; None when there is none; why, when the text cannot say it."""
    ref, in_use = status.reference, status.in_use
    assert in_use is not None  # _not_movable said so
    target = status.latest if to == "latest" else status.compatible
    if target is None or not _is_newer(target, in_use):
        return None
    if _allows(ref, target):  # only a lock pin can move, to what 'creg lock' would pin (so
        wanted = status.wanted  # that 'creg lock --frozen' agrees afterwards)
        movable = status.locked and wanted is not None and _is_newer(wanted, in_use)
        return Move(ref, in_use, wanted, None) if movable and wanted is not None else None
    spec = respelled(ref.form, ref.spec or "", target.component.version)
    if spec is None:
        return (f"'{ref.spec}' is a {ref.form}; creg rewrites exact versions and ^/~ ranges, so write "
                f"the range for {target.component.version} by hand")
    return Move(ref, in_use, target, ref.rewritten(spec))


def _allows(ref: Reference, target: IndexEntry) -> bool:
    """Whether the reference as written already resolves to ``target`` (or newer)."""
    if ref.form in ("bare", "latest"):
        return True
    accepts = parse_range(ref.spec) if ref.spec and ref.form in ("caret", "tilde", "range") else None
    semver = target.component.semver
    return accepts is not None and semver is not None and accepts(semver)


def _not_movable(status: Status) -> str:
    ref = status.reference
    form = ref.form
    if form == "path":
        return "a path names a file, not a registry version; edit it by hand"
    if form == "digest":
        return "a digest pins exact bytes; replace it by hand with NAME@VERSION"
    if ref.file.name == LOCK_NAME:
        return "a creg.lock pin that no pipeline here references; run 'creg lock' on its pipeline"
    if status.in_use is None:
        return status.note or "cannot resolve it"
    if form == "tag":
        return f"'{ref.spec}' is a tag, not a semver version; it is not compared with releases"
    return ""


def _is_newer(entry: IndexEntry, than: IndexEntry) -> bool:
    return version_key(entry.component.version) > version_key(than.component.version)


# --- rewriting ----------------------------------------------------------------------------------


def rewrite(raw: bytes, file: str, edits: list[tuple[Reference, str]]) -> bytes:
    """``raw`` with each reference's value replaced by its new text, and nothing else changed."""
    bom = raw.startswith(BOM)
    text = raw[len(BOM):].decode("utf-8") if bom else raw.decode("utf-8")
    starts = [0] + [m.end() for m in _BREAK.finditer(text)]
    spans = sorted((_span(text, starts, ref, file) + (_spelled(text, starts, ref, new),) for ref, new in edits),
                   reverse=True)
    for start, end, replacement in spans:
        text = text[:start] + replacement + text[end:]
    _check_same_but(text, raw, file, edits)
    return (BOM if bom else b"") + text.encode("utf-8")


def _offset(starts: list[int], ref: Reference, file: str) -> int:
    if not 1 <= ref.line <= len(starts):
        raise RewriteError.at(file, ref.line, ref.column, "", "the recorded position is outside the file")
    return starts[ref.line - 1] + ref.column - 1


def _span(text: str, starts: list[int], ref: Reference, file: str) -> tuple[int, int]:
    """Start and end of the value's text (inside its quotes when quoted)."""
    start = _offset(starts, ref, file)
    quote = text[start:start + 1]
    if quote in ("'", '"'):
        inner = ref.text.replace("'", "''") if quote == "'" else ref.text
        if text[start + 1:start + 1 + len(inner) + 1] != inner + quote:
            raise _cannot(file, ref, "its quoted text uses escapes or spans lines")
        return start + 1, start + 1 + len(inner)
    if text[start:start + len(ref.text)] != ref.text:
        raise _cannot(file, ref, "its text spans lines or is not where the loader saw it")
    return start, start + len(ref.text)


def _spelled(text: str, starts: list[int], ref: Reference, new: str) -> str:
    quote = text[_offset(starts, ref, ""):][:1]
    return new.replace("'", "''") if quote == "'" else new


def _cannot(file: str, ref: Reference, why: str) -> RewriteError:
    return RewriteError.at(file, ref.line, ref.column, "", f"cannot rewrite {ref.text!r} in place: {why}; "
                                                           "edit it by hand")


def _check_same_but(text: str, raw: bytes, file: str, edits: list[tuple[Reference, str]]) -> None:
    """The edited text loads as the old data with exactly the planned values changed."""
    old, _ = load_any(raw, file)
    new, _ = load_any(text, file)
    for ref, value in edits:
        _set(old, ref.path, value)
    if new != old:
        first = edits[0][0]
        raise _cannot(file, first, "the edited file would not load as the same pipeline with new versions")


def _set(data: Any, path: tuple[PathKey, ...], value: str) -> None:
    for step in path[:-1]:
        data = data[step]
    data[path[-1]] = value


def apply(found: FilePlan, registry: Registry, dry_run: bool = False) -> FilePlan:
    """Make ``found``'s edits (atomically) and pin them in ``creg.lock``; with ``dry_run`` only
    compute the diff.  A file that fails to rewrite keeps its bytes and records the error."""
    if found.error is not None or not found.moves:
        return found
    raw = found.file.read_bytes()
    try:
        new = rewrite(raw, str(found.file), [(m.reference, m.new_text) for m in found.edits if m.new_text])
    except CregError as exc:
        found.error, found.moves = exc, []
        return found
    found.diff = unified_diff(raw, new, str(found.file))
    if dry_run:
        return found
    if new != raw:
        atomic_write(found.file, new)
        found.written = True
    found.relocked = relock(found, registry)
    return found


def unified_diff(old: bytes, new: bytes, name: str) -> str:
    before = old.decode("utf-8-sig").splitlines(keepends=True)
    after = new.decode("utf-8-sig").splitlines(keepends=True)
    lines = difflib.unified_diff(before, after, f"a/{name}", f"b/{name}")
    return "".join(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n"
                   for line in lines)


def relock(found: FilePlan, registry: Registry) -> bool:
    """Pin the moved references in the ``creg.lock`` next to the file, when there is one.

    Other entries stay: a lock may pin more than this file.  A reference whose old text is gone
    from the file loses its entry, as ``creg lock`` would drop it.
    """
    path = lock_path_for(found.file)
    if not path.is_file():
        return False
    lock = Lock.load(path)
    # A graph component's inner references are pinned too ('creg lock' pins every depth).
    pipeline_moves = found.moves
    if not pipeline_moves:
        return False
    remaining = {r.ref for r in _refs_now(found.file)}
    for move in pipeline_moves:
        old_ref = move.reference.ref
        new_ref = _moved_ref(move.reference, move.new_text)
        if old_ref not in remaining:
            lock.entries.pop(old_ref, None)
        resolved = registry.resolve(new_ref)
        lock.entries[new_ref] = LockEntry(new_ref, resolved.component, resolved.location, resolved.registry)
    lock.write()
    return True


def _moved_ref(reference: Reference, new_text: str | None) -> str:
    """The reference as the lock names it after the move (a graph's new text is only its tag)."""
    if new_text is None:
        return reference.ref
    return f"{reference.name}@{new_text}" if reference.graph else new_text


def _refs_now(file: Path) -> list[Reference]:
    return find_references(file).references  # the file as written now
