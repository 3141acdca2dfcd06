"""``creg validate PATH... [--format text|json]``: exit 0 all valid, 1 any invalid, 2 usage."""

from __future__ import annotations

import json

import click


@click.command("validate")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: one line per problem on stderr; json: every file and problem on stdout.")
@click.pass_context
def command(ctx: click.Context, paths: tuple[str, ...], fmt: str) -> None:
    """Validate component files, or folders searched for component.yaml and *.component.yaml.

    Every problem is printed as FILE:LINE:COL: error: $.JSON.PATH: MESSAGE, sorted by position.
    """
    from registry.api.components import validate_components  # lazy: start-up

    results = validate_components(paths)
    invalid = [r for r in results if not r.valid]
    if fmt == "json":
        summary = {"files": len(results), "invalid": len(invalid)}
        click.echo(json.dumps({"summary": summary, "files": [r.as_dict() for r in results]}, indent=2))
    else:
        for result in invalid:
            for problem in result.problems:
                click.echo(problem.format(), err=True)
    noun = "file" if len(results) == 1 else "files"
    click.echo(f"{len(results)} {noun}, {len(invalid)} invalid", err=True)
    ctx.exit(1 if invalid else 0)
