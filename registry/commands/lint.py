"""``creg lint PIPELINE... [--format text|json]``: every problem at once, exit 1 if any."""

from __future__ import annotations

import click

from registry.commands._output import emit_problems
from registry.commands._reg import open_pipeline


@click.command("lint")
@click.argument("pipelines", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False), metavar="PIPELINE...")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: FILE:LINE:COL lines on stderr; json: a list of problems on stdout.")
@click.pass_context
def command(ctx: click.Context, pipelines: tuple[str, ...], fmt: str) -> None:
    """Check pipelines (and their compiled Argo output) and report every problem."""
    problems = [p for path in pipelines for p in open_pipeline(ctx, path).lint()]
    emit_problems(problems, fmt)
    if fmt == "text":
        noun = "pipeline" if len(pipelines) == 1 else "pipelines"
        click.echo(f"{len(pipelines)} {noun}, {len(problems)} problem(s)", err=True)
    ctx.exit(1 if problems else 0)
