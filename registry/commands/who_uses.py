"""``creg who-uses NAME[@RANGE] [FOLDER]...``: the pipelines that use a component, and how."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import click

from registry.commands._output import echo_text, emit_data
from registry.commands._reg import FORMATS, open_registry


@click.command("who-uses")
@click.argument("ref", metavar="NAME[@RANGE]")
@click.argument("folders", nargs=-1, type=click.Path(exists=True, path_type=Path), metavar="[FOLDER]...")
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
@click.pass_context
def command(ctx: click.Context, ref: str, folders: tuple[Path, ...], fmt: str) -> None:
    """List the pipelines and graph components under FOLDER (default: the current folder) that use
    NAME (whose version in use RANGE allows), with file:line, the version each resolves to and
    the inputs each passes and outputs it reads: what a publisher checks before a breaking change."""
    from registry.index.model import split_ref  # lazy: start-up
    from registry.pipeline.currency import Currency, collect, uses

    name, spec = _checked(ref, split_ref)
    files = collect(list(folders) or [Path(".")], explicit_errors=False)
    found = uses(name, spec, files, Currency(open_registry(ctx)))
    if fmt != "text":
        emit_data([u.to_dict() for u in found], fmt)
        return
    for use in found:
        status = use.status
        version = status.in_use.component.version if status.in_use else "?"
        echo_text(f"{status.reference.where}  {status.reference.owner}  {status.reference.ref} -> {version}"
                  f"{' (locked)' if status.locked else ''}")
        echo_text(f"    inputs: {', '.join(use.inputs) or '-'}; outputs: {', '.join(use.outputs) or '-'}")
        if status.note:
            echo_text(f"    {status.note}")
    noun = "use" if len(found) == 1 else "uses"
    click.echo(f"{len(found)} {noun} of {ref} in {len(files)} file(s)", err=True)


def _checked(ref: str, split: "Callable[[str], tuple[str, str | None]]") -> tuple[str, str | None]:
    """NAME[@RANGE] as given on the command line, or a usage error saying what is expected."""
    from registry.component.version import parse_range  # lazy: start-up
    from registry.errors import ArgumentError, CregError

    try:
        name, spec = split(ref)
    except CregError as exc:
        raise ArgumentError("ref", str(exc)) from None
    if spec and spec[0] in "^~<>=!" and parse_range(spec) is None:
        raise ArgumentError("ref", f"'{ref}': '{spec}' is not a version range; expected e.g. ^1.2, ~1.2, >=1,<2")
    return name, spec
