"""creg pull REF...: fetch components into the cache, verified; print where they are."""

from __future__ import annotations

import click

from registry.commands._output import emit_data
from registry.commands._reg import FORMATS, open_registry


@click.command("pull")
@click.argument("refs", nargs=-1, required=True)
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
@click.pass_context
def command(ctx: click.Context, refs: tuple[str, ...], fmt: str) -> None:
    """Fetch each NAME@REF into the cache (verifying its digest) and print version, digest, path."""
    rows = []
    registry = open_registry(ctx)
    for ref in refs:
        resolved, path = registry.pull(ref)
        rows.append({"ref": ref, **resolved.to_dict(), "cached": str(path)})
    if fmt != "text":
        emit_data(rows, fmt)
        return
    for row in rows:
        click.echo(f"{row['name']}@{row['version']} {row['digest']} {row['cached']}")
