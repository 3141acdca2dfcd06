"""creg lock FILE: pin every component reference of a pipeline in creg.lock."""

from __future__ import annotations

from pathlib import Path

import click

from registry.commands._output import emit_data
from registry.commands._reg import FORMATS, open_registry


@click.command("lock")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--frozen", is_flag=True, help="Write nothing; fail if creg.lock is missing or stale.")
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
@click.pass_context
def command(ctx: click.Context, file: Path, frozen: bool, fmt: str) -> None:
    """Resolve every NAME@REF in FILE (a pipeline or a list of refs) into creg.lock next to it."""
    from registry.index.pinning import lock_file  # lazy: start-up

    report = lock_file(file, open_registry(ctx), frozen=frozen)
    if fmt != "text":
        emit_data({"lock": str(report.path), "changed": report.changed, "removed": report.removed,
                   "components": [e.to_dict() for e in report.entries]}, fmt)
        return
    for entry in report.entries:
        mark = "*" if entry.ref in report.changed else " "
        click.echo(f"{mark} {entry.ref:<30} {entry.component.ref} {entry.component.digest}")
    if not report.entries:
        click.echo(f"{file}: warning: no component references found (expected tasks.*.component: NAME@REF "
                   "in a pipeline, or a list of NAME@REF)", err=True)
    state = "written" if report.written else "up to date"
    click.echo(f"{report.path}: {state} ({len(report.entries)} reference(s))", err=True)
