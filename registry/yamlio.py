"""Load YAML safely, keeping the line and column of every value.

PyYAML's safe loader silently keeps the last of two duplicate keys, expands aliases
without limit and accepts any top level.  Here the (C, when available) composer builds the
node graph and a small walker turns it into plain dicts/lists while

* rejecting duplicate keys,
* counting every node it produces, so an alias bomb fails after a bounded amount of work,
* bounding nesting depth and input size,
* recording positions in a ``Positions`` table so that errors found later, against the
  plain data, can still name ``file:line:col``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

import yaml

from .errors import Problem, YamlError

MAX_BYTES = 4 * 1024 * 1024
MAX_NODES = 200_000
MAX_DEPTH = 64

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SCALAR_CONSTRUCTORS = yaml.SafeLoader.yaml_constructors
_STR = "tag:yaml.org,2002:str"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"

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


def json_path(path: Sequence[PathKey]) -> str:
    """``['inputs', 0, 'type']`` -> ``$.inputs[0].type``."""
    out = ["$"]
    for step in path:
        if isinstance(step, int):
            out.append(f"[{step}]")
        elif step.isidentifier():
            out.append(f".{step}")
        else:
            out.append(f"[{step!r}]")
    return "".join(out)


@dataclass
class Document:
    data: dict[str, Any]
    positions: Positions
    text: str


class _Walker:
    """Node graph -> plain Python values, with limits and positions."""

    def __init__(self, loader: Any, positions: Positions, max_nodes: int) -> None:
        self.loader = loader
        self.positions = positions
        self.max_nodes = max_nodes
        self.count = 0

    def fail(self, node: yaml.Node, message: str) -> YamlError:
        mark = node.start_mark
        return YamlError(problems=[Problem(self.positions.file, mark.line + 1, mark.column + 1, "", message)])

    def value(self, node: yaml.Node, depth: int) -> Any:
        self.count += 1
        if self.count > self.max_nodes:
            raise self.fail(node, f"document expands to more than {self.max_nodes} values "
                                  "(an alias/anchor bomb?); refusing to load it")
        if depth > MAX_DEPTH:
            raise self.fail(node, f"nesting deeper than {MAX_DEPTH} levels; refusing to load it")
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node)
        if isinstance(node, yaml.SequenceNode):
            return self.sequence(node, depth)
        return self.mapping(node, depth)

    def scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag == _STR or node.tag == _TIMESTAMP:
            return node.value  # timestamps stay text, as Kubernetes and JSON see them
        constructor = _SCALAR_CONSTRUCTORS.get(node.tag)
        if constructor is None:
            raise self.fail(node, f"unsupported YAML tag {node.tag!r}")
        return constructor(self.loader, node)

    def sequence(self, node: yaml.SequenceNode, depth: int) -> list[Any]:
        out: list[Any] = []
        marks: dict[PathKey, tuple[int, int]] = {}
        for index, item in enumerate(node.value):
            marks[index] = (item.start_mark.line + 1, item.start_mark.column + 1)
            out.append(self.value(item, depth + 1))
        self.positions.marks[id(out)] = marks
        return out

    def mapping(self, node: yaml.MappingNode, depth: int) -> dict[Any, Any]:
        if node.tag not in ("tag:yaml.org,2002:map",):
            raise self.fail(node, f"unsupported YAML tag {node.tag!r}")
        out: dict[Any, Any] = {}
        marks: dict[PathKey, tuple[int, int]] = {}
        key_marks: dict[PathKey, tuple[int, int]] = {}
        for key_node, value_node in self._pairs(node):
            key = self.value(key_node, depth + 1)
            if isinstance(key, (list, dict)):
                raise self.fail(key_node, "a mapping key must be a scalar")
            if key in out:
                first = key_marks[key]
                raise self.fail(key_node, f"duplicate key {key!r} (first defined at line {first[0]})")
            key_marks[key] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            marks[key] = (value_node.start_mark.line + 1, value_node.start_mark.column + 1)
            out[key] = self.value(value_node, depth + 1)
        self.positions.marks[id(out)] = marks
        self.positions.key_marks[id(out)] = key_marks
        return out

    def _pairs(self, node: yaml.MappingNode) -> Iterator[tuple[yaml.Node, yaml.Node]]:
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise self.fail(key_node, "merge keys ('<<') are not supported; write the keys out")
            yield key_node, value_node


def decode(raw: bytes, file: str, max_bytes: int = MAX_BYTES) -> str:
    if len(raw) > max_bytes:
        raise YamlError.at(file, 0, 0, "", f"file is {len(raw)} bytes; the limit is {max_bytes}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise YamlError.at(file, line, column, "", f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})") from None
    return text


def load_any(text: str | bytes, file: str = "", *, max_bytes: int = MAX_BYTES,
             max_nodes: int = MAX_NODES) -> tuple[Any, Positions]:
    """Parse one YAML document into plain data; raise ``YamlError`` with a position.

    The limits suit one component or pipeline; a registry index may pass larger ones.
    """
    if isinstance(text, bytes):
        text = decode(text, file, max_bytes)
    elif len(text) > max_bytes:
        raise YamlError.at(file, 0, 0, "", f"text is {len(text)} characters; the limit is {max_bytes}")
    positions = Positions(file=file)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise YamlError.at(file, 1, 1, "$", "the file is empty; expected a YAML mapping")
        positions.root = (node.start_mark.line + 1, node.start_mark.column + 1)
        return _Walker(loader, positions, max_nodes).value(node, 0), positions
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        message = " ".join(filter(None, [exc.context, exc.problem])) or "invalid YAML"
        raise YamlError.at(file, line, column, "", f"invalid YAML: {message}") from None
    except yaml.YAMLError as exc:
        raise YamlError.at(file, 0, 0, "", f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()


def load_mapping(text: str | bytes, file: str = "", *, max_bytes: int = MAX_BYTES,
                 max_nodes: int = MAX_NODES) -> Document:
    """Parse a document whose top level must be a mapping."""
    source = decode(text, file, max_bytes) if isinstance(text, bytes) else text
    data, positions = load_any(source, file, max_bytes=max_bytes, max_nodes=max_nodes)
    if not isinstance(data, dict):
        line, column = positions.root
        kind = "a list" if isinstance(data, list) else f"a {type(data).__name__} scalar"
        raise YamlError.at(file, line, column, "$", f"expected a mapping at the top level, found {kind}")
    return Document(data, positions, source)


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
