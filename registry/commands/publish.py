"""``creg publish PATH --to REGISTRY_DIR [--version X] [--name N] [--allow-breaking]``."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("publish")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--to", "registry_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Registry folder (holds index.yaml); created if missing.")
@click.option("--version", "version", metavar="X.Y.Z",
              help="Version to publish (default: the folder name of <name>/<version>/).")
@click.option("--name", "name", metavar="NAME",
              help="Component name, may contain '/' (default: the folder name of <name>/<version>/).")
@click.option("--allow-breaking", is_flag=True,
              help="Publish even if the version number hides an interface change (recorded in the index).")
def command(path: Path, registry_dir: Path, version: str | None, name: str | None, allow_breaking: bool) -> None:
    """Validate PATH (a component folder or component.yaml), pack it reproducibly and add it to
    the registry's index.  A folder is packed without dotfiles (.env, .netrc, ...) and without
    the registry folder; a component.yaml is packed alone.  A published version never changes:
    the same content again is a no-op, different content is refused."""
    from registry.index.publish import publish  # lazy: start-up

    result = publish(path, registry_dir, version=version, name=name, allow_breaking=allow_breaking)
    click.echo(result.summary())
    for change in result.changes:
        click.echo(f"  {change}")
