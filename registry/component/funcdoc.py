"""A function's docstring as KFP 1.8.22 reads it through ``docstring_parser`` (style AUTO).

KFP takes the component's description from the docstring's first line and each input's and
file output's description from the parameter entries.  ``docstring_parser`` tries every style
and keeps the one that finds the most entries (ReST first on a tie); creg reads the two styles
KFP sources use, Google (``Args:`` sections) and ReST (``:param name: text``), by the same
rules.  A style whose entries are malformed is set aside, as the parser's ParseError does.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Docstring:
    summary: str | None = None  # the first line
    arguments: dict[str, str] = field(default_factory=dict)  # parameter -> description
    entries: int = 0  # how many entries the style found (the best style wins)


class _Malformed(Exception):
    """docstring_parser's ParseError: this style does not apply."""


def read_docstring(doc: str | None) -> Docstring:
    if not doc:
        return Docstring()
    text = inspect.cleandoc(doc)
    styles = []
    for style in (_rest, _google):  # ReST first: it wins a tie, as in docstring_parser's AUTO
        try:
            styles.append(style(text))
        except _Malformed:
            continue
    if not styles:
        return Docstring(text.split("\n", 1)[0].strip() or None)
    return max(styles, key=lambda d: d.entries)  # max keeps the first of equals


def summary(doc: str | None) -> str | None:
    """KFP 1.8.22's component description: the docstring's first line (before any section)."""
    return read_docstring(doc).summary


def argument_docs(doc: str | None) -> dict[str, str]:
    """{parameter: description} from the docstring's parameter entries."""
    return read_docstring(doc).arguments


def _first_line(chunk: str) -> str | None:
    return chunk.split("\n", 1)[0].strip() or None


def _joined(first: str, rest: str) -> str:
    """An entry's text: its first line, then the following lines dedented."""
    return first + "\n" + inspect.cleandoc(rest)


# --- Google ----------------------------------------------------------------------------------

_SECTIONS = ("Arguments", "Args", "Parameters", "Params", "Raises", "Exceptions", "Except", "Attributes",
             "Example", "Examples", "Returns", "Yields")
_PARAM_SECTIONS = {"Arguments", "Args", "Parameters", "Params"}
_MULTIPLE_SECTIONS = _PARAM_SECTIONS | {"Raises", "Exceptions", "Except", "Attributes"}
_TITLE = re.compile(r"^(" + "|".join(_SECTIONS) + r"):[ \t\r\f\v]*$", re.M)
_TYPED_NAME = re.compile(r"\s*(.+?)\s*\(\s*(.*[^\s]+)\s*\)")


def _google(text: str) -> Docstring:
    title = _TITLE.search(text)
    arguments: dict[str, str] = {}
    entries = 0
    for name, chunk in _section_chunks(text).items():
        if name not in _MULTIPLE_SECTIONS:
            entries += 1  # Returns, Examples...: one entry each
            continue
        parts = _entries(chunk)
        if not parts or any(":" not in part for part in parts):
            raise _Malformed(name)
        entries += len(parts)
        if name in _PARAM_SECTIONS:
            arguments.update(_param_entry(part) for part in parts)
    return Docstring(_first_line(text[: title.start()] if title else text), arguments, entries)


def _section_chunks(text: str) -> dict[str, str]:
    """Title -> its body; a later section of the same title replaces an earlier one."""
    titles = list(_TITLE.finditer(text))
    chunks: dict[str, str] = {}
    for index, match in enumerate(titles):
        end = titles[index + 1].start() if index + 1 < len(titles) else len(text)
        body = text[match.end(): end]
        unindented = re.search(r"\n\S", body)  # an unindented line ends the section
        chunks[match.group(1)] = (body[: unindented.start()] if unindented else body).strip("\n")
    return chunks


def _entries(chunk: str) -> list[str]:
    """Split a section at the lines indented exactly like its first line."""
    indent = re.match(r"\s*", chunk)
    starts = list(re.finditer("^" + re.escape(indent.group() if indent else "") + r"(?=\S)", chunk, flags=re.M))
    ends = [m.start() for m in starts[1:]] + [len(chunk)]
    return [chunk[m.end(): end].strip("\n") for m, end in zip(starts, ends)]


def _param_entry(entry: str) -> tuple[str, str]:
    before, text = entry.split(":", 1)
    if "\n" in before:
        first, rest = before.split("\n", 1)
        before = first + inspect.cleandoc(rest)
    if text:
        text = text[1:] if text[0] == " " else text
        if "\n" in text:
            text = _joined(*text.split("\n", 1))
        text = text.strip("\n")
    typed = _TYPED_NAME.match(before)
    return (typed.group(1) if typed else before), text


# --- ReST ------------------------------------------------------------------------------------

_REST_PARAMS = {"param", "parameter", "arg", "argument", "attribute", "key", "keyword"}
_REST_RETURNS = {"return", "returns", "yield", "yields"}


def _rest(text: str) -> Docstring:
    start = re.search("^:", text, flags=re.M)
    arguments: dict[str, str] = {}
    entries = 0
    for chunk in re.findall(r"(^:.*?)(?=^:|\Z)", text[start.start():] if start else "", flags=re.S | re.M):
        head, sep, body = chunk.lstrip(":").partition(":")
        if not sep:
            raise _Malformed(chunk)
        words, description = head.split(), body.strip()
        if "\n" in description:
            description = _joined(*description.split("\n", 1))
        if words[:1] == ["rtype"] and len(words) in (1, 2) or words[:1] == ["type"] and len(words) == 2:
            continue  # a type for another entry, not an entry
        entries += 1
        if words and words[0] in _REST_PARAMS:
            if len(words) not in (2, 3):
                raise _Malformed(chunk)
            arguments[words[-1]] = description
        elif words and words[0] in _REST_RETURNS and len(words) > 2:
            raise _Malformed(chunk)
    return Docstring(_first_line(text[: start.start()] if start else text), arguments, entries)
