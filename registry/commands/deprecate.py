"""``creg deprecate NAME@VERSION --message TEXT [--replacement NAME@RANGE] [--to REGISTRY_DIR]``."""

from __future__ import annotations

from pathlib import Path

import click

from registry.commands._reg import global_settings
from registry.errors import ArgumentError


@click.command("deprecate")
@click.argument("ref", metavar="NAME@VERSION")
@click.option("--message", "-m", required=True, help="Why it is deprecated (shown to users).")
@click.option("--replacement", metavar="NAME@RANGE", help="What to use instead, e.g. add@^2.")
@click.option("--to", "registry_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Registry folder (default: the only local --registry given).")
@click.pass_context
def command(ctx: click.Context, ref: str, message: str, replacement: str | None, registry_dir: Path | None) -> None:
    """Mark a published version deprecated.  Nothing is deleted: lockfiles that pin the
    version keep resolving it; new resolutions of ranges prefer other versions."""
    from registry.index.publish import deprecate  # lazy: start-up

    target = registry_dir or _only_local_registry(ctx)
    click.echo(deprecate(target, ref, message, replacement))


def _only_local_registry(ctx: click.Context) -> Path:
    folders = [Path(r) for r in global_settings(ctx).registries if "://" not in r]
    if len(folders) != 1:
        raise ArgumentError("registry_dir", "--to: name the registry folder to change "
                                            "(or give exactly one local --registry)")
    return folders[0]
