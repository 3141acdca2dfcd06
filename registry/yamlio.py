"""Load YAML safely, keeping the line and column of every value.

PyYAML's safe loader silently keeps the last of two duplicate keys, expands aliases
without limit and accepts any top level.  Here the (C, when available) parser's events are
turned straight into plain dicts/lists while

* rejecting duplicate keys, merge keys and unknown tags,
* counting what aliases expand to, so an alias bomb fails after bounded work (honest
  values are bounded by the input size limit instead),
* bounding nesting depth and input size,
* recording positions in a ``Positions`` table so that errors found later, against the
  plain data, can still name ``file:line:col``.

Events, not a composed node graph: the composer keeps a node and two marks per value until
the walk ends (about 1 KB a value), which dominated the memory of a 10,000-task pipeline.
``value``, ``mapping`` and ``key`` are longer than the rest on purpose: they run once per
event, and a function call per event is a measurable share of loading a large file.
"""

from __future__ import annotations

import copy
import os
import re
import stat
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import yaml
from yaml.events import (AliasEvent, MappingEndEvent, MappingStartEvent,
                         ScalarEvent, SequenceEndEvent, SequenceStartEvent, StreamEndEvent)

from registry.errors import CregError, Problem, YamlError

MAX_BYTES = 4 * 1024 * 1024
MAX_NODES = 200_000
MAX_DEPTH = 64

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_CONSTRUCTORS = yaml.SafeLoader.yaml_constructors
_STR = "tag:yaml.org,2002:str"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"

PathKey = str | int


@dataclass
class Positions:
    """Where each value of a loaded document came from.

    ``marks`` maps ``id(container)`` to ``{key or index: (line, column)}`` of the value, and
    ``key_marks`` to the position of the key itself (for "unknown key" errors).  The loaded
    document must stay alive while positions are looked up, which it does because the
    caller holds both.
    """

    file: str = ""
    root: tuple[int, int] = (1, 1)
    marks: dict[int, dict[PathKey, tuple[int, int]]] = field(default_factory=dict)
    key_marks: dict[int, dict[PathKey, tuple[int, int]]] = field(default_factory=dict)

    def locate(self, data: Any, path: Sequence[PathKey], key: bool = False) -> tuple[int, int]:
        """Line and column of the value at ``path`` (of its key when ``key``); closest parent otherwise."""
        where = self.root
        node = data
        for i, step in enumerate(path):
            table = self.key_marks if key and i == len(path) - 1 else self.marks
            found = table.get(id(node), {}).get(step)
            if found is None:
                return where
            where = found
            try:
                node = node[step]
            except (KeyError, IndexError, TypeError):
                return where
        return where

    def problem(self, data: Any, path: Sequence[PathKey], message: str, key: bool = False) -> Problem:
        line, column = self.locate(data, path, key)
        return Problem(self.file, line, column, json_path(path), message)


@dataclass
class AskedPositions(Positions):
    """A table that knows no position yet and notes every place asked for: run a report
    against it once, then against ``sparse_positions`` of what it asked."""

    asked: list[tuple[tuple[PathKey, ...], bool]] = field(default_factory=list)

    def locate(self, data: Any, path: Sequence[PathKey], key: bool = False) -> tuple[int, int]:
        self.asked.append((tuple(path), key))
        return (0, 0)


# Task ids and param names are DNS labels such as ``add-1``; ``$.tasks.add-1.args`` reads
# better than ``$.tasks['add-1'].args`` and is what users type when they search for it.
_DOTTED_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*\Z")


def json_path(path: Sequence[PathKey]) -> str:
    """``['inputs', 0, 'type']`` -> ``$.inputs[0].type``; ``['tasks', 'add-1']`` -> ``$.tasks.add-1``."""
    out = ["$"]
    for step in path:
        if isinstance(step, int):
            out.append(f"[{step}]")
        elif isinstance(step, str) and _DOTTED_KEY.match(step):
            out.append(f".{step}")
        else:
            out.append(f"[{step!r}]")
    return "".join(out)


_STEP = re.compile(r"\.([^.\[]+)|\[(\d+)\]|\[('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")\]")


def path_steps(text: str) -> list[PathKey]:
    """``$.tasks.add-1.args[0]`` -> ``['tasks', 'add-1', 'args', 0]`` (the inverse of json_path)."""
    import ast

    steps: list[PathKey] = []
    for name, index, quoted in _STEP.findall(text.removeprefix("$")):
        steps.append(name if name else int(index) if index else ast.literal_eval(quoted))
    return steps


@dataclass
class Document:
    """A parsed YAML file: its data, where each value was written, and the text."""

    data: dict[str, Any]
    positions: Positions
    text: str


_RESOLVED: dict[tuple[Any, ...], str] = {}


def _where(event: Any) -> tuple[int, int]:
    return event.start_mark.line + 1, event.start_mark.column + 1


class _Events:
    """Builds plain values from the loader's event stream, recording positions."""

    def __init__(self, loader: Any, positions: Positions, record: bool = True,
                 max_nodes: int = MAX_NODES, aliases: bool = True) -> None:
        self.loader = loader
        self.aliases = aliases  # False: the first alias is an error (no expansion work at all)
        self.positions = positions
        self.record = record  # False: skip the position tables (see load_mapping)
        self.max_nodes = max_nodes
        self.count = 0  # values so far, aliases counted by their expanded size
        self.expanded = 0  # values added by aliases alone
        self.anchors: dict[str, tuple[Any, int]] = {}  # anchor -> (value, expanded size)

    def fail(self, event: Any, message: str) -> YamlError:
        line, column = _where(event)
        return YamlError(problems=[Problem(self.positions.file, line, column, "", message)])

    def document(self) -> Any:
        self.loader.get_event()  # StreamStart
        start = self.loader.get_event()
        if isinstance(start, StreamEndEvent):
            raise YamlError.at(self.positions.file, 1, 1, "$", "the file is empty; expected a YAML mapping")
        self.positions.root = _where(self.loader.peek_event())
        value = self.value(0)
        self.loader.get_event()  # DocumentEnd
        extra = self.loader.get_event()
        if not isinstance(extra, StreamEndEvent):
            raise self.fail(extra, "expected a single document in the file, but found another one")
        return value

    def value(self, depth: int) -> Any:
        event = self.loader.get_event()
        kind = type(event)
        if kind is AliasEvent:
            return self.alias(event)
        before = self.count
        self.count += 1
        if depth > MAX_DEPTH:
            raise self.too_deep(event)
        if kind is ScalarEvent:  # ``scalar()`` inlined for plain strings, most of any file
            tag = event.tag
            if tag is None or tag == "!":
                tag = _RESOLVED.get((yaml.ScalarNode, event.value, event.implicit)) or \
                    self.tag(event, yaml.ScalarNode, event.value)
            value = event.value if tag == _STR else self.typed_scalar(event, tag)
        elif kind is SequenceStartEvent:
            value = self.sequence(event, depth)
        elif kind is MappingStartEvent:
            value = self.mapping(event, depth)
        else:  # pragma: no cover - the parser guarantees one of the above
            raise self.fail(event, f"unexpected YAML event {kind.__name__}")
        if event.anchor is not None:
            self.anchors[event.anchor] = (value, self.count - before)
        return value

    def too_deep(self, event: Any) -> YamlError:
        return self.fail(event, f"nesting deeper than {MAX_DEPTH} levels; refusing to load it")

    def alias(self, event: AliasEvent) -> Any:
        if not self.aliases:
            raise self.fail(event, f"YAML aliases ('*{event.anchor}') are not allowed in this file; "
                                   "write the value out")
        found = self.anchors.get(event.anchor or "")
        if found is None:
            raise self.fail(event, f"found undefined alias {event.anchor!r}")
        value, size = found
        # Only what aliases add is capped: honest values are bounded by the file size limit,
        # while a few bytes of aliases can stand for billions of values.
        self.count += size
        self.expanded += size
        if self.expanded > self.max_nodes:
            raise self.fail(event, f"aliases expand to more than {self.max_nodes} values "
                                   "(an alias/anchor bomb?); refusing to load it")
        # A copy, so that callers which edit loaded data (index updates) never change two
        # places at once; aliases are rare, and the size check above already bounds the cost.
        return copy.deepcopy(value) if isinstance(value, (list, dict)) else value

    def tag(self, event: Any, kind: type, value: Any) -> str:
        tag = event.tag
        if tag is None or tag == "!":
            key = (kind, value, event.implicit)
            tag = _RESOLVED.get(key)
            if tag is None:  # PyYAML's resolver runs regexes; keys and values repeat a lot
                tag = _RESOLVED[key] = self.loader.resolve(kind, value, event.implicit)
                if len(_RESOLVED) > 65536:
                    _RESOLVED.clear()
        return tag

    def scalar(self, event: ScalarEvent) -> Any:
        return self.typed_scalar(event, self.scalar_tag(event))

    def scalar_tag(self, event: ScalarEvent) -> str:
        tag = event.tag
        if tag is None or tag == "!":  # the cache lookup of ``tag()``, inlined: it runs per scalar
            tag = _RESOLVED.get((yaml.ScalarNode, event.value, event.implicit)) or \
                self.tag(event, yaml.ScalarNode, event.value)
        return tag

    def typed_scalar(self, event: ScalarEvent, tag: str) -> Any:
        if tag == _STR or tag == _TIMESTAMP:
            return event.value  # timestamps stay text, as Kubernetes and JSON see them
        constructor = _CONSTRUCTORS.get(tag)
        if constructor is None or tag == _MERGE:
            raise self.fail(event, f"unsupported YAML tag {tag!r}")
        # libyaml's marks are its own type; the constructors only read line and column from them
        start: Any = event.start_mark
        end: Any = event.end_mark
        node = yaml.ScalarNode(tag, event.value, start, end, event.style)
        try:
            return constructor(self.loader, node)
        except ValueError as exc:  # an int past Python's 4,300-digit limit, a bad float or date
            raise self.fail(event, f"cannot read {event.value[:40]!r}{'...' if len(event.value) > 40 else ''} "
                                   f"as {tag.rsplit(':', 1)[-1]}: {str(exc).split(':')[0]}") from None

    def sequence(self, event: SequenceStartEvent, depth: int) -> list[Any]:
        if self.tag(event, yaml.SequenceNode, None) != _SEQ:
            raise self.fail(event, f"unsupported YAML tag {event.tag!r}")
        out: list[Any] = []
        marks: dict[PathKey, tuple[int, int]] = {}
        peek = self.loader.peek_event
        while type(item_event := peek()) is not SequenceEndEvent:
            if self.record:
                marks[len(out)] = _where(item_event)
            out.append(self.value(depth + 1))
        self.loader.get_event()
        if self.record:
            self.positions.marks[id(out)] = marks
        return out

    def mapping(self, event: MappingStartEvent, depth: int) -> dict[Any, Any]:
        # an untagged mapping is always a map: no resolver lookup for it
        if event.tag is not None and self.tag(event, yaml.MappingNode, None) != _MAP:
            raise self.fail(event, f"unsupported YAML tag {event.tag!r}")
        out: dict[Any, Any] = {}
        marks: dict[PathKey, tuple[int, int]] = {}
        key_marks: dict[PathKey, tuple[int, int]] = {}
        first_seen: dict[Any, Any] = {}  # key -> its start mark, for the duplicate-key message
        peek, get, record = self.loader.peek_event, self.loader.get_event, self.record
        # A key or value that is an untagged, unanchored scalar already resolved as a string (most
        # of any file) is taken right here; anything else (a number, a tag, an anchor, a first
        # sighting, the depth limit) goes through ``key()`` / ``value()``.
        inline = depth < MAX_DEPTH
        resolved, node = _RESOLVED.get, yaml.ScalarNode
        while type(key_event := peek()) is not MappingEndEvent:
            if inline and type(key_event) is ScalarEvent and key_event.tag is None and \
                    key_event.anchor is None and resolved((node, key_event.value, key_event.implicit)) == _STR:
                get()
                self.count += 1
                key = key_event.value
            else:
                key = self.key(key_event, depth)
            if key in out:
                raise self.fail(key_event, f"duplicate key {key!r} (first defined at line "
                                           f"{first_seen[key].line + 1})")
            first_seen[key] = key_event.start_mark
            value_event = peek()
            if record:
                key_marks[key] = _where(key_event)
                marks[key] = _where(value_event)
            if inline and type(value_event) is ScalarEvent and value_event.tag is None and \
                    value_event.anchor is None and resolved((node, value_event.value, value_event.implicit)) == _STR:
                get()
                self.count += 1
                out[key] = value_event.value
            else:
                out[key] = self.value(depth + 1)
        get()
        if record:
            self.positions.marks[id(out)] = marks
            self.positions.key_marks[id(out)] = key_marks
        return out

    def key(self, event: Any, depth: int) -> Any:
        if type(event) is ScalarEvent and event.anchor is None:  # nearly every key: one tag lookup
            self.loader.get_event()
            self.count += 1
            if depth + 1 > MAX_DEPTH:
                raise self.too_deep(event)
            tag = self.scalar_tag(event)
            if tag == _STR or tag == _TIMESTAMP:  # timestamps stay text, as values do
                return event.value
            if tag == _MERGE:
                raise self.fail(event, "merge keys ('<<') are not supported; write the keys out")
            raise self.not_text(event, self.typed_scalar(event, tag))
        if type(event) is ScalarEvent and self.tag(event, yaml.ScalarNode, event.value) == _MERGE:
            raise self.fail(event, "merge keys ('<<') are not supported; write the keys out")
        key = self.value(depth + 1)
        if not isinstance(key, str):
            raise self.not_text(event, key)
        return key

    def not_text(self, event: Any, key: Any) -> YamlError:
        """Every key of creg's files (and of JSON, Argo, Kubernetes) is text.  YAML reads
        ``yes:``, ``on:`` or ``1:`` as a boolean or a number, which would later pass for
        another name or crash a check: say so where it stands."""
        if isinstance(key, (list, dict)):
            return self.fail(event, "a mapping key must be a scalar")
        text = getattr(event, "value", None)
        shown = "null" if key is None else str(key).lower() if isinstance(key, bool) else repr(key)
        kinds = {bool: "a boolean", int: "an integer", float: "a number", type(None): "null"}
        kind = kinds.get(type(key), f"a {type(key).__name__}")
        return self.fail(event, f"the key {text!r} is read as {kind} ({shown}), not as text; "
                                f"quote it: '{text}'")


def read_limited(path: str | os.PathLike[str], max_bytes: int = MAX_BYTES) -> bytes:
    """The bytes of a regular file, refused before reading when it is larger than ``max_bytes``.

    ``stat`` first: reading a device (``/dev/zero``) or a FIFO would never end, and a huge
    sparse file would cost its whole size in memory before any limit applied.  At most
    ``max_bytes + 1`` bytes are read, in case the file grows after the check.
    """
    file = os.fspath(path)
    try:
        info = os.stat(file)
        if not stat.S_ISREG(info.st_mode):
            raise YamlError.at(file, 0, 0, "", f"not a regular file ({_file_kind(info.st_mode)}); "
                                               "expected a YAML file")
        if info.st_size > max_bytes:
            raise _too_large(file, info.st_size, max_bytes)
        with open(file, "rb") as handle:
            raw = handle.read(max_bytes + 1)
    except OSError as exc:
        raise YamlError.at(file, 0, 0, "", f"cannot read: {exc.strerror or exc}") from None
    if len(raw) > max_bytes:
        raise _too_large(file, len(raw), max_bytes)
    return raw


def _file_kind(mode: int) -> str:
    kinds = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
             (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))
    return next((name for test, name in kinds if test(mode)), "a special file")


def _too_large(file: str, size: int, max_bytes: int) -> CregError:
    return YamlError.at(file, 0, 0, "", f"file is {size} bytes; the limit is {max_bytes}")


def decode(raw: bytes, file: str, max_bytes: int = MAX_BYTES) -> str:
    if len(raw) > max_bytes:
        raise _too_large(file, len(raw), max_bytes)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise YamlError.at(file, line, column, "", f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})") from None
    return text


def load_any(text: str | bytes, file: str = "", *, max_bytes: int = MAX_BYTES,
             max_nodes: int = MAX_NODES, positions: bool = True, aliases: bool = True) -> tuple[Any, Positions]:
    """Parse one YAML document into plain data; raise ``YamlError`` with a position.

    The limits suit one component or pipeline; a registry index may pass larger ones.
    ``positions=False`` leaves the position tables empty (every check still runs, and errors
    found while loading still carry their position): for callers that re-load with positions
    only when they have a problem to report, which halves the memory of a large pipeline.
    ``aliases=False`` refuses any alias at its position (for files that never need them).
    """
    if isinstance(text, bytes):
        text = decode(text, file, max_bytes)
    elif len(text) > max_bytes:
        raise YamlError.at(file, 0, 0, "", f"text is {len(text)} characters; the limit is {max_bytes}")
    table = Positions(file=file)
    loader = _Loader(text)
    try:
        return _Events(loader, table, positions, max_nodes, aliases).document(), table
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        message = " ".join(filter(None, [exc.context, exc.problem])) or "invalid YAML"
        raise YamlError.at(file, line, column, "", f"invalid YAML: {message}") from None
    except yaml.reader.ReaderError as exc:  # a character YAML forbids: say where it stands
        line, column = _line_and_column(text, exc.position)
        raise YamlError.at(file, line, column, "", f"invalid YAML: character U+{exc.character:04X} "
                                                   "(a control character) is not allowed; write it "
                                                   "as an escape inside double quotes (\\x1b)") from None
    except yaml.YAMLError as exc:
        raise YamlError.at(file, 0, 0, "", f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()


def _line_and_column(text: str, position: int) -> tuple[int, int]:
    line = text.count("\n", 0, position) + 1
    return line, position - (text.rfind("\n", 0, position) + 1) + 1


def sparse_positions(text: str, file: str, data: Any,
                     wanted: Iterable[tuple[Sequence[PathKey], bool]]) -> Positions:
    """Positions of only the ``(path, at_key)`` places asked for (and their parents), found in
    one pass over the parse events of ``text``, the text ``data`` was loaded from.

    For a large document loaded with ``positions=False`` that turned out to have problems:
    a full position table costs several times the document's own memory (a hostile 6 MB
    index invalid everywhere took 340 MB), while a report names at most a few hundred places.
    """
    values = {tuple(path[:i]) for path, _ in wanted for i in range(len(path) + 1)}
    keys = {tuple(path) for path, at_key in wanted if at_key}
    found, found_keys = _scan_places(text, values, keys)
    table = Positions(file=file, root=found.get((), (1, 1)))
    for places, marks in ((found, table.marks), (found_keys, table.key_marks)):
        for path, where in places.items():
            if path:
                container = _walk(data, path[:-1])
                if container is not None:
                    marks.setdefault(id(container), {})[path[-1]] = where
    return table


def _walk(data: Any, path: Sequence[PathKey]) -> Any:
    try:
        for step in path:
            data = data[step]
    except (KeyError, IndexError, TypeError):
        return None
    return data


def _scan_places(text: str, values: set[tuple[PathKey, ...]],
                 keys: set[tuple[PathKey, ...]]) -> tuple[dict[tuple[PathKey, ...], tuple[int, int]], ...]:
    """``(value places, key places)`` found among ``values`` / ``keys``; memory: the nesting depth."""
    found: dict[tuple[PathKey, ...], tuple[int, int]] = {}
    found_keys: dict[tuple[PathKey, ...], tuple[int, int]] = {}
    frames: list[list[Any]] = []  # per open container: [its path, is a mapping, key or index, awaiting a key]
    loader = _Loader(text)
    try:
        while loader.check_event():
            event = loader.get_event()
            kind = type(event)
            if kind in (SequenceEndEvent, MappingEndEvent):
                frames.pop()
                if frames and frames[-1][1]:
                    frames[-1][3] = True
                continue
            if kind not in (ScalarEvent, SequenceStartEvent, MappingStartEvent, AliasEvent):
                continue
            parent = frames[-1] if frames else None
            if parent is not None and parent[1] and parent[3]:  # a key of a mapping
                parent[2], parent[3] = getattr(event, "value", None), False
                if (*parent[0], parent[2]) in keys:
                    found_keys[(*parent[0], parent[2])] = _where(event)
                continue
            if parent is not None and not parent[1]:
                parent[2] += 1
            path = (*parent[0], parent[2]) if parent is not None else ()
            if path in values:
                found[path] = _where(event)
            if kind in (SequenceStartEvent, MappingStartEvent):
                frames.append([path, kind is MappingStartEvent, -1, True])
            elif parent is not None and parent[1]:
                parent[3] = True
    finally:
        loader.dispose()
    return found, found_keys


def load_mapping(text: str | bytes, file: str = "", *, max_bytes: int = MAX_BYTES,
                 max_nodes: int = MAX_NODES, positions: bool = True, aliases: bool = True) -> Document:
    """Parse a document whose top level must be a mapping (options: see ``load_any``)."""
    source = decode(text, file, max_bytes) if isinstance(text, bytes) else text
    data, table = load_any(source, file, max_bytes=max_bytes, max_nodes=max_nodes, positions=positions,
                           aliases=aliases)
    if not isinstance(data, dict):
        line, column = table.root
        kind = "a list" if isinstance(data, list) else f"a {type(data).__name__} scalar"
        raise YamlError.at(file, line, column, "$", f"expected a mapping at the top level, found {kind}")
    return Document(data, table, source)


def dump(data: Any, literal_blocks: bool = False) -> str:
    """Plain data -> YAML text, key order kept, block style; never emits tags or aliases.

    ``literal_blocks`` writes multi-line strings (such as a program's source) as ``|`` blocks;
    the emitter keeps that style only when it represents the text exactly, else it quotes.
    """
    return yaml.dump(data, Dumper=_LiteralDumper if literal_blocks else _Dumper, sort_keys=False,
                     default_flow_style=False, allow_unicode=True, width=100)


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    def ignore_aliases(self, data: Any) -> bool:
        return True


class _LiteralDumper(_Dumper):
    pass


def _represent_text(dumper: Any, value: str) -> Any:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_LiteralDumper.add_representer(str, _represent_text)
