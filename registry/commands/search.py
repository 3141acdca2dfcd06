"""creg search TEXT: components whose name or description contains TEXT."""

from __future__ import annotations

import click

from registry.commands._output import echo_text, emit_data
from registry.commands._reg import FORMATS, open_registry


@click.command("search")
@click.argument("text", default="")
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
@click.pass_context
def command(ctx: click.Context, text: str, fmt: str) -> None:
    """Search every registry for components whose name or description contains TEXT."""
    rows = open_registry(ctx).search_rows(text)
    if fmt != "text":
        emit_data(rows, fmt)
        return
    if not rows:
        echo_text(f"no component matches '{text}'", err=True)
    width = max((len(r["name"]) for r in rows), default=0)
    for row in rows:
        summary = (row["description"] or "").strip().splitlines()[0:1]
        echo_text(f"{row['name']:<{width}}  {row['version']:<10}  {summary[0] if summary else ''}".rstrip())
