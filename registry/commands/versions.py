"""creg versions NAME: every version of a component, newest first."""

from __future__ import annotations

import click

from registry.commands._output import echo_text, emit_data
from registry.commands._reg import FORMATS, open_registry


@click.command("versions")
@click.argument("name")
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
@click.pass_context
def command(ctx: click.Context, name: str, fmt: str) -> None:
    """List the versions of NAME (newest first), with digests and deprecations."""
    entries = open_registry(ctx).versions(name)
    if fmt != "text":
        emit_data([e.to_dict() for e in entries], fmt)
        return
    for entry in entries:
        note = f"  deprecated: {entry.deprecated.message}" if entry.deprecated else ""
        echo_text(f"{entry.component.version:<12} {entry.component.digest}  {entry.created}{note}".rstrip())
