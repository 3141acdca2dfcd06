"""A small, fast YAML emitter for compiled Argo documents: plain data in, readable text out.

PyYAML's dumper spends most of its time in Python representers; a 10,000-task workflow took
longer to dump than to compile.  This emitter writes the same YAML subset directly:

* mappings and lists in block style, except that a collection whose one-line flow form fits
  in ``WIDTH`` columns, and holds no list of several mappings, is written inline
  (``- {name: a, value: '7'}``), as KFP does;
* a string is plain only when PyYAML's own resolver reads it back as that same string and it
  holds no indicator characters; otherwise single-quoted, or JSON double-quoted (escapes);
* multi-line scripts become literal blocks (``|`` / ``|-``) when that is lossless.

``tests/test_argo_emit.py`` checks that ``yaml.safe_load(emit(doc)) == doc`` for hostile values.
"""

from __future__ import annotations

import functools
import json
import math
import re
from typing import Any, Iterable

import yaml

WIDTH = 140  # wide enough for a simple DAG task on one line, as KFP writes them
# Plain only when every YAML reader agrees it is a string: starts with a letter, '_' or '/'
# (so never a number in YAML 1.1 or 1.2) and is not a YAML 1.1 boolean/null word (checked with
# PyYAML's resolver; Go's yaml.v2, used by Kubernetes, also reads y/n as booleans).
_PLAIN = re.compile(r"[A-Za-z_/][A-Za-z0-9_./=+:@-]*\Z")
_GO_BOOLEANS = frozenset({"y", "Y", "n", "N"})
_RESOLVER = yaml.resolver.Resolver()
_STR_TAG = "tag:yaml.org,2002:str"


# JSON writes a character beyond U+FFFF as a UTF-16 surrogate pair (\ud83d\ude80); YAML has no
# surrogates and libyaml refuses them, but reads the same character as \U0001f680.  Escaped
# backslashes are matched first so that ``\\ud83d`` (a backslash, then text) is left alone.
_PAIR_OR_BACKSLASH = re.compile(r"\\\\|\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})")


def yaml_json(text: str) -> str:
    """JSON text (``ensure_ascii``) rewritten so that YAML reads back the same value."""
    if "\\ud" not in text:
        return text
    return _PAIR_OR_BACKSLASH.sub(_astral_escape, text)


def _astral_escape(match: re.Match[str]) -> str:
    if match.group(1) is None:
        return match.group(0)
    high, low = int(match.group(1), 16), int(match.group(2), 16)
    return f"\\U{0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00):08x}"


_ASTRAL_OR_BACKSLASH = re.compile(r"\\\\|\\U([0-9a-f]{8})")


def json_text(text: str) -> str:
    """The inverse of ``yaml_json``, for skeletons read as JSON: ``\\U0001f680`` back to the pair."""
    if "\\U" not in text:
        return text
    return _ASTRAL_OR_BACKSLASH.sub(_surrogate_pair, text)


def _surrogate_pair(match: re.Match[str]) -> str:
    if match.group(1) is None:
        return match.group(0)
    code = int(match.group(1), 16) - 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def double_quoted(value: str) -> str:
    """``value`` as a YAML double-quoted scalar, every special character escaped."""
    return yaml_json(json.dumps(value, ensure_ascii=True))


@functools.lru_cache(maxsize=65536)
def scalar(value: str) -> str:
    """A string as a one-line YAML scalar that reads back as exactly ``value``."""
    if _PLAIN.match(value) and not value.endswith(":") and value not in _GO_BOOLEANS and \
            _RESOLVER.resolve(yaml.ScalarNode, value, (True, False)) == _STR_TAG:
        return value
    if value.isprintable():
        return "'" + value.replace("'", "''") + "'"
    return double_quoted(value)


def leaf(value: Any) -> str:
    if isinstance(value, str):
        return scalar(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    raise TypeError(f"cannot emit {type(value).__name__}")


def _float(value: float) -> str:
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value)
    if "." not in text and "e" in text:  # YAML 1.1 needs a dot: 1e-05 -> 1.0e-05
        mantissa, exponent = text.split("e")
        text = f"{mantissa}.0e{exponent}"
    return text


MAX_FLOW_DEPTH = 4  # deeper structures read better as blocks


def flow(value: Any, budget: int, depth: int = 1) -> str | None:
    """The one-line flow form of ``value`` if it fits in ``budget`` characters, else None.

    Gives up as soon as the running length passes the budget, so trying a 10,000-item list
    costs a few items, not the whole list.
    """
    if isinstance(value, str):
        if "\n" in value or not value.isprintable():
            return None  # multi-line text reads better as a block
        text = scalar(value)
    elif isinstance(value, dict):
        return _flow_mapping(value, budget, depth) if depth <= MAX_FLOW_DEPTH else None
    elif isinstance(value, list):
        if depth > MAX_FLOW_DEPTH or (len(value) > 1 and sum(isinstance(v, dict) for v in value) > 1):
            return None  # several records read better one per line
        return _flow_sequence(value, budget, depth)
    else:
        text = leaf(value)
    return text if len(text) <= budget else None


def _flow_mapping(data: dict[Any, Any], budget: int, depth: int) -> str | None:
    return _flow_entries(data.items(), True, "{}", budget, depth)


def _flow_sequence(items: list[Any], budget: int, depth: int) -> str | None:
    return _flow_entries(enumerate(items), False, "[]", budget, depth)


def _flow_entries(pairs: Iterable[tuple[Any, Any]], keyed: bool, brackets: str, budget: int,
                  depth: int) -> str | None:
    """``{k: v, ...}`` (``keyed``) or ``[v, ...]``, or None once past the budget.

    This runs for every DAG row; plain strings, most of any row, are handled in the loop
    rather than through ``flow`` (a call per value was half their time).
    """
    parts, used = [brackets[0]], 2
    for key, item in pairs:
        if used > budget:
            return None
        prefix = (", " if used > 2 else "") + (scalar(str(key)) + ": " if keyed else "")
        room = budget - used - len(prefix)
        if type(item) is str:  # multi-line text reads better as a block, as in ``flow``
            inner = scalar(item) if "\n" not in item and item.isprintable() else None
        else:
            inner = flow(item, room, depth + 1)
        if inner is None or len(inner) > room:
            return None
        parts.append(prefix)
        parts.append(inner)
        used += len(prefix) + len(inner)
    if used > budget:
        return None
    parts.append(brackets[1])
    return "".join(parts)


def _literal(value: str, indent: str) -> str | None:
    """A literal block for a multi-line script, or None when it would not read back the same."""
    if "\n" not in value or value[0] in " \n\t" or "\r" in value:
        return None
    body, chomp = (value[:-1], "|") if value.endswith("\n") else (value, "|-")
    if body.endswith("\n"):
        return None
    lines = body.split("\n")
    if any(line != line.rstrip() or not line.isprintable() for line in lines):
        return None
    return chomp + "".join("\n" + (indent + line if line else "") for line in lines)


def _value(value: Any, indent: str, column: int, out: list[str], after_key: bool = True) -> None:
    """Append ``value`` that follows a key (or a dash, ``after_key=False``) at ``column``."""
    if isinstance(value, (dict, list)) and value:
        inline = flow(value, WIDTH - column - 1)
        if inline is not None:
            out.append(" " + inline + "\n")
        elif isinstance(value, dict):
            out.append("\n")
            _mapping(value, indent, out)
        else:
            out.append("\n")
            # a list under a key starts at the key's column, as PyYAML and kubectl write it
            _sequence(value, indent[:-2] if after_key else indent, out)
        return
    if isinstance(value, (dict, list)):
        out.append(" {}\n" if isinstance(value, dict) else " []\n")
        return
    if isinstance(value, str) and "\n" in value:
        block = _literal(value, indent)
        out.append(" " + (block if block is not None else double_quoted(value)) + "\n")
        return
    out.append(" " + leaf(value) + "\n")


def _mapping(data: dict[Any, Any], indent: str, out: list[str]) -> None:
    for key, value in data.items():
        head = f"{indent}{leaf(str(key))}:"
        out.append(head)
        _value(value, indent + "  ", len(head), out)


def _sequence(items: list[Any], indent: str, out: list[str]) -> None:
    budget = WIDTH - len(indent) - 2
    for item in items:
        inline = flow(item, budget) if isinstance(item, (dict, list)) and item else None
        if inline is not None:  # tried once: the flow form of a DAG row is the costly part
            out.append(f"{indent}- {inline}\n")
        elif isinstance(item, dict) and item:
            _block_item(item, indent, out)
        else:
            out.append(indent + "-")
            _value(item, indent + "  ", len(indent) + 1, out, after_key=False)


def _block_item(item: dict[Any, Any], indent: str, out: list[str]) -> None:
    """A mapping in a list, its first key on the dash's line."""
    out.append(indent + "- ")
    first = True
    for key, value in item.items():
        head = f"{leaf(str(key))}:"
        out.append(("" if first else indent + "  ") + head)
        _value(value, indent + "    ", len(indent) + 2 + len(head), out)
        first = False


def emit(data: dict[str, Any]) -> str:
    """A document (a mapping) as YAML text."""
    out: list[str] = []
    _mapping(data, "", out)
    return "".join(out)
