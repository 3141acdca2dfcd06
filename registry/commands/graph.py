"""``creg graph PIPELINE [--format dot|mermaid|svg|png] [-o OUT]``."""

from __future__ import annotations

import click

from registry.commands._reg import open_pipeline


@click.command("graph")
@click.argument("pipeline", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["dot", "mermaid", "svg", "png"]), default="dot",
              show_default=True, help="svg and png need Graphviz's 'dot' on PATH.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Write here (atomically) instead of stdout.")
@click.pass_context
def command(ctx: click.Context, pipeline: str, fmt: str, output: str | None) -> None:
    """Draw a pipeline's task graph."""
    loaded = open_pipeline(ctx, pipeline)
    if fmt in ("svg", "png"):
        from registry.argo.draw import render_image  # lazy: start-up

        data = render_image(loaded.graph("dot"), fmt)
    else:
        data = loaded.graph(fmt).encode("utf-8")
    if output is not None and output != "-":
        from registry.sources.store import write_output  # lazy: start-up

        write_output(output, data)
    elif fmt == "png":
        raise click.UsageError("--format png writes binary data; give -o FILE")
    else:
        click.echo(data.decode("utf-8"), nl=False)
