"""Shared reporting helpers for commands: problems as text or JSON, data as text/json/yaml."""

from __future__ import annotations

from typing import Any, Iterable

import click

from registry.errors import Problem

FORMATS = click.Choice(["text", "json", "yaml"])


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
