"""``creg component from-func FILE.py:FUNC [--base-image IMG] [--packages P...] -o OUT``."""

from __future__ import annotations

from pathlib import Path

import click

from registry.commands.group import CommandGroup


@click.group("component", cls=CommandGroup)
def command() -> None:
    """Build components from other sources (Python functions)."""


@command.command("from-func")
@click.argument("target", metavar="FILE.py:FUNCTION")
@click.option("--base-image", default="python:3.11", show_default=True, help="Image with python3.")
@click.option("--packages", multiple=True, metavar="P",
              help="pip requirements installed when the container starts (repeat the option, or "
                   "separate them with spaces: --packages 'numpy pandas>=2,<3').")
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="component.yaml to write.")
def from_func(target: str, base_image: str, packages: tuple[str, ...], out: Path) -> None:
    """Turn a typed Python function into a component (the file is parsed, never executed)."""
    from registry.component.fromfunc import parse_target, write_component  # lazy: start-up

    file, function = parse_target(target)
    wanted = [requirement for item in packages for requirement in item.split()]
    write_component(file, function, out, base_image=base_image, packages=wanted)
    click.echo(f"wrote {out} ({function} from {file})")
