"""``yamlio.load_mapping`` built from parse events instead of a composed node graph.

Same result (a ``Document`` with plain data and a ``Positions`` table) and the same checks
(duplicate keys, merge keys, unsupported tags, alias bombs counted by expanded size, depth and
size limits, one document, positions for every error).  The difference is memory: the
composer keeps a node and two marks for every value until the walk ends, about 1 KB per value,
so a 10,000-task pipeline peaked at ~70 MB in the loader alone.  Events are consumed one at a
time and dropped.  Pipelines use this loader.  For small files it is as fast as ``yamlio``'s
(a component spec loads ~5% faster, ~18% without positions); replacing ``yamlio.load_any``
needs a ``load_any`` entry here (``document()`` without the mapping check) and the
``max_bytes``/``max_nodes`` parameters the registry index passes.

``value``, ``mapping`` and ``key`` are longer than the rest on purpose: they run once per
event, and a function call per event is a measurable share of loading a large pipeline.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.events import (AliasEvent, MappingEndEvent, MappingStartEvent,
                         ScalarEvent, SequenceEndEvent, SequenceStartEvent, StreamEndEvent)

from .errors import Problem, YamlError
from .yamlio import MAX_BYTES, MAX_DEPTH, MAX_NODES, Document, PathKey, Positions, decode

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_CONSTRUCTORS = yaml.SafeLoader.yaml_constructors
_STR = "tag:yaml.org,2002:str"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
_RESOLVED: dict[tuple[Any, ...], str] = {}


def _where(event: Any) -> tuple[int, int]:
    return event.start_mark.line + 1, event.start_mark.column + 1


class _Events:
    """Builds plain values from the loader's event stream, recording positions."""

    def __init__(self, loader: Any, positions: Positions, record: bool = True) -> None:
        self.loader = loader
        self.positions = positions
        self.record = record  # False: skip the position tables (see load_mapping)
        self.count = 0
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
        if self.count > MAX_NODES or depth > MAX_DEPTH:
            self.tick(event, depth, 0)
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

    def tick(self, event: Any, depth: int, size: int = 1) -> None:
        self.count += size
        if self.count > MAX_NODES:
            raise self.fail(event, f"document expands to more than {MAX_NODES} values "
                                   "(an alias/anchor bomb?); refusing to load it")
        if depth > MAX_DEPTH:
            raise self.fail(event, f"nesting deeper than {MAX_DEPTH} levels; refusing to load it")

    def alias(self, event: AliasEvent) -> Any:
        found = self.anchors.get(event.anchor)
        if found is None:
            raise self.fail(event, f"found undefined alias {event.anchor!r}")
        value, size = found
        self.tick(event, 0, size)
        return value  # shared, not copied: loaded data is never mutated

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
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        return constructor(self.loader, node)

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
        if self.tag(event, yaml.MappingNode, None) != _MAP:
            raise self.fail(event, f"unsupported YAML tag {event.tag!r}")
        out: dict[Any, Any] = {}
        marks: dict[PathKey, tuple[int, int]] = {}
        key_marks: dict[PathKey, tuple[int, int]] = {}
        first_seen: dict[Any, Any] = {}  # key -> its start mark, for the duplicate-key message
        peek = self.loader.peek_event
        while type(key_event := peek()) is not MappingEndEvent:
            key = self.key(key_event, depth)
            if key in out:
                raise self.fail(key_event, f"duplicate key {key!r} (first defined at line "
                                           f"{first_seen[key].line + 1})")
            first_seen[key] = key_event.start_mark
            if self.record:
                key_marks[key] = _where(key_event)
                marks[key] = _where(peek())
            out[key] = self.value(depth + 1)
        self.loader.get_event()
        if self.record:
            self.positions.marks[id(out)] = marks
            self.positions.key_marks[id(out)] = key_marks
        return out

    def key(self, event: Any, depth: int) -> Any:
        if type(event) is ScalarEvent and event.anchor is None:  # nearly every key: one tag lookup
            self.loader.get_event()
            self.count += 1
            if self.count > MAX_NODES or depth + 1 > MAX_DEPTH:
                self.tick(event, depth + 1, 0)
            tag = self.scalar_tag(event)
            if tag == _MERGE:
                raise self.fail(event, "merge keys ('<<') are not supported; write the keys out")
            return self.typed_scalar(event, tag)
        if type(event) is ScalarEvent and self.tag(event, yaml.ScalarNode, event.value) == _MERGE:
            raise self.fail(event, "merge keys ('<<') are not supported; write the keys out")
        key = self.value(depth + 1)
        if isinstance(key, (list, dict)):
            raise self.fail(event, "a mapping key must be a scalar")
        return key


def load_mapping(text: str | bytes, file: str = "", positions: bool = True) -> Document:
    """Parse a document whose top level must be a mapping (see ``yamlio.load_mapping``).

    ``positions=False`` leaves the position tables empty (every check still runs, and errors
    found while loading still carry their position): for callers that re-load with positions
    only when they have a problem to report, which halves the memory of a large pipeline.
    """
    source = decode(text, file) if isinstance(text, bytes) else text
    if len(source) > MAX_BYTES:
        raise YamlError.at(file, 0, 0, "", f"text is {len(source)} characters; the limit is {MAX_BYTES}")
    table = Positions(file=file)
    loader = _Loader(source)
    try:
        data = _Events(loader, table, positions).document()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        message = " ".join(filter(None, [exc.context, exc.problem])) or "invalid YAML"
        raise YamlError.at(file, line, column, "", f"invalid YAML: {message}") from None
    except yaml.YAMLError as exc:
        raise YamlError.at(file, 0, 0, "", f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        line, column = table.root
        kind = "a list" if isinstance(data, list) else f"a {type(data).__name__} scalar"
        raise YamlError.at(file, line, column, "$", f"expected a mapping at the top level, found {kind}")
    return Document(data, table, source)
