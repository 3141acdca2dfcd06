"""``creg compile PIPELINE [-o OUT] [--kind Workflow|WorkflowTemplate] [--param k=v ...]``."""

from __future__ import annotations

import click

from registry.commands._reg import open_pipeline
from registry.errors import ArgumentError


def parse_params(pairs: tuple[str, ...]) -> dict[str, str]:
    """``('a=1', 'b=x=y')`` -> ``{'a': '1', 'b': 'x=y'}``; a pair without '=' is a usage error."""
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise ArgumentError("params", f"--param {pair!r}: expected NAME=VALUE")
        out[name] = value
    return out


@click.command("compile")
@click.argument("pipeline", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Write the Argo YAML here (atomically) instead of stdout.")
@click.option("--kind", type=click.Choice(["Workflow", "WorkflowTemplate"]), default="Workflow",
              show_default=True, help="Argo kind (a pipeline with a schedule becomes a CronWorkflow).")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
              help="Override a param's default; repeatable.")
@click.pass_context
def command(ctx: click.Context, pipeline: str, output: str | None, kind: str,
            params: tuple[str, ...]) -> None:
    """Compile a pipeline into an Argo Workflow, validated against Argo's schema."""
    loaded = open_pipeline(ctx, pipeline)
    text = loaded.compile(kind, params=parse_params(params) or None).to_yaml()
    if output is None or output == "-":
        click.echo(text, nl=False)
        return
    from registry.sources.store import write_output  # lazy: start-up

    write_output(output, text.encode("utf-8"))
    click.echo(f"wrote {output}", err=True)
