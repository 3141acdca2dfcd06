"""``creg new NAME [--image IMG] [--dir DIR] [--version X]``."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("new")
@click.argument("name")
@click.option("--image", default="alpine:3.20", show_default=True, help="Container image of the component.")
@click.option("--dir", "base_dir", default="components", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Folder that holds <name>/<version>/.")
@click.option("--version", "version", default="0.1.0", show_default=True, help="First version.")
def command(name: str, image: str, base_dir: Path, version: str) -> None:
    """Scaffold DIR/NAME/VERSION/component.yaml and README.md (valid as written)."""
    from registry.component.scaffold import scaffold  # lazy: start-up

    folder = scaffold(name, base_dir, image=image, version=version)
    click.echo(f"created {folder / 'component.yaml'} and {folder / 'README.md'}")
