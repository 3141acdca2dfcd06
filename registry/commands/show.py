"""``creg show PATH_OR_REF [--format text|json|yaml]``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from registry.commands._output import FORMATS, echo_text, emit_data
from registry.commands._reg import open_registry
from registry.errors import ArgumentError

if TYPE_CHECKING:
    from registry.component.model import ComponentSpec


@click.command("show")
@click.argument("target", metavar="PATH_OR_REF")
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
@click.pass_context
def command(ctx: click.Context, target: str, fmt: str) -> None:
    """Show a component's name, inputs, outputs, image (or graph tasks) and digest.

    PATH_OR_REF is a component.yaml file, or a registry reference such as add@1.0.0.
    """
    from registry.component.view import describe, render_text  # lazy: start-up

    path = Path(target)
    if path.is_dir() and (path / "component.yaml").is_file():
        path = path / "component.yaml"
    if path.is_file():
        from registry.api.components import load_component_from_file  # lazy: start-up

        spec: ComponentSpec = load_component_from_file(path)
    else:
        spec = _load_reference(ctx, target)
    if fmt == "text":
        echo_text(render_text(spec))
    else:
        emit_data(describe(spec), fmt)


def _load_reference(ctx: click.Context, target: str) -> "ComponentSpec":
    """A registry reference (NAME, NAME@REF); anything that looks like a file path is a usage error.

    A bare NAME is a reference too (the newest release, as the README promises), so only
    names that look like files are refused here.
    """
    if Path(target).is_dir():
        raise ArgumentError("target", f"{target}: no component.yaml in this folder (give the folder of one "
                                      "version, e.g. components/add/1.0.0)")
    if target.endswith((".yaml", ".yml")) or target.startswith(("./", "../", "/")):
        raise ArgumentError("target", f"{target}: no such component file (or give a registry reference NAME@VERSION)")
    return open_registry(ctx).load(target)
