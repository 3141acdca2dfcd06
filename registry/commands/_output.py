"""Shared reporting helpers for commands: problems as text or JSON, data as text/json/yaml."""

from __future__ import annotations

from typing import Any, Iterable

import click

from registry.errors import Problem

FORMATS = click.Choice(["text", "json", "yaml"])

# Registry-supplied text (names, descriptions, deprecation messages) and error messages reach
# a terminal: an ESC or another control character in them could retitle or clear it, or
# overwrite a warning.  Text output shows them escaped (JSON and YAML output escape their own).
_CONTROL = dict.fromkeys([*range(0, 9), 11, 12, *range(13, 32), 127, *range(0x80, 0xA0)])


def printable(text: str) -> str:
    """``text`` with control characters other than newline and tab written as ``\\xNN``."""
    if text.isprintable():
        return text
    return "".join(f"\\x{ord(c):02x}" if ord(c) in _CONTROL else c for c in text)


def echo_text(text: str, err: bool = False) -> None:
    click.echo(printable(text), err=err)


def emit_data(data: Any, fmt: str) -> None:
    """Print structured data as JSON or YAML (text rendering is each command's own)."""
    if fmt == "json":
        import json  # lazy: start-up (~1.5 ms; text output never needs it)

        click.echo(json.dumps(data, indent=2, sort_keys=False))
    else:
        from registry.yamlio import dump  # lazy: start-up (yaml; json output never needs it)

        click.echo(dump(data), nl=False)


def emit_problems(problems: Iterable[Problem], fmt: str) -> None:
    problems = list(problems)
    if fmt == "json":
        import json  # lazy: start-up (~1.5 ms; text output never needs it)

        click.echo(json.dumps([p.as_dict() for p in problems], indent=2))
    else:
        for problem in problems:
            click.echo(problem.format(), err=True)
