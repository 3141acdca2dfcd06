"""``creg component from-func FILE.py[:FUNCTION] [--base-image IMG] [--packages P...] [-o OUT]``."""

from __future__ import annotations

from pathlib import Path

import click

from registry.commands.group import CommandGroup


@click.group("component", cls=CommandGroup)
def command() -> None:
    """Build components from other sources (Python functions)."""


@command.command("from-func")
@click.argument("target", metavar="FILE.py[:FUNCTION]")
@click.option("--base-image", default=None, metavar="IMAGE",
              help="Image with python3 [default: the call's base_image, else KFP's python:3.7].")
@click.option("--packages", multiple=True, metavar="P",
              help="pip requirements installed when the container starts, instead of the call's "
                   "packages_to_install (repeat the option, or separate them with spaces: "
                   "--packages 'numpy pandas>=2,<3').")
@click.option("-o", "--output", "out", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="component.yaml to write (when the file makes one component) [default: the call's "
                   "output_component_file, beside FILE.py, else FUNCTION.component.yaml there].")
def from_func(target: str, base_image: str | None, packages: tuple[str, ...], out: Path | None) -> None:
    """Turn Python functions into components as KFP's create_component_from_func does.

    FILE.py alone follows the file's create_component_from_func / func_to_container_op calls
    (their base_image, packages_to_install and output_component_file); FILE.py:FUNCTION converts
    one function.  The file is parsed, never executed.
    """
    from registry.component.fromfunc import convert_file, parse_target  # lazy: start-up

    file, function = parse_target(target)
    wanted = [requirement for item in packages for requirement in item.split()] if packages else None
    for path, converted in convert_file(file, function, out, base_image=base_image, packages=wanted):
        for warning in converted.warnings:
            click.echo(warning.format(), err=True)
        call = converted.conversion
        where = f"{file}:{call.line}" if call.line else str(file)
        click.echo(f"wrote {path} ({call.function} from {where})")
