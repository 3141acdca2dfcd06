"""``creg upgrade [PIPELINE]... [--to latest|compatible] [--only NAME] [--dry-run] [--allow-breaking]``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from registry.commands._output import echo_text, printable
from registry.commands._reg import open_registry

if TYPE_CHECKING:
    from registry.pipeline.upgrade import FilePlan


@click.command("upgrade")
@click.argument("targets", nargs=-1, type=click.Path(exists=True, path_type=Path), metavar="[PIPELINE|FOLDER]...")
@click.option("--to", "to", type=click.Choice(["latest", "compatible"]), default="latest", show_default=True,
              help="latest: the newest release; compatible: the newest of the same major version.")
@click.option("--only", "only", multiple=True, metavar="NAME", help="Upgrade only this component; repeatable.")
@click.option("--dry-run", is_flag=True, help="Print a unified diff; write nothing.")
@click.option("--allow-breaking", is_flag=True,
              help="Upgrade even when the new version changes an input or output the pipeline uses.")
@click.pass_context
def command(ctx: click.Context, targets: tuple[Path, ...], to: str, only: tuple[str, ...], dry_run: bool,
            allow_breaking: bool) -> None:
    """Rewrite component references in place (default: every pipeline and graph component under
    the current folder), editing only each reference's text, in its quotes, so comments, order
    and layout stay byte for byte; a creg.lock next to a file is re-pinned.  References keep
    their form (1.0.0 -> 2.1.0, ^1 -> ^2, ~1.2 -> ~1.3).  Exit 1 if an upgrade was refused
    (it would break the pipeline) or a file could not be read."""
    from registry.pipeline.currency import Currency, collect  # lazy: start-up
    from registry.pipeline.upgrade import apply, plan

    registry = open_registry(ctx)
    currency = Currency(registry)
    files = collect(list(targets) or [Path(".")])
    _check_only(only, {r.name for found in files for r in found.references})
    plans = [apply(plan(found, currency, to, only, allow_breaking), registry, dry_run) for found in files]
    for file_plan in plans:
        _report(file_plan, dry_run)
    moved = sum(len(p.moves) for p in plans if p.error is None)
    refused = sum(len(p.refused) for p in plans)
    verb = "would upgrade" if dry_run else "upgraded"
    click.echo(f"{verb} {moved} reference(s) in {len(plans)} file(s); {refused} refused", err=True)
    ctx.exit(1 if refused or any(p.error is not None for p in plans) else 0)


def _check_only(only: tuple[str, ...], names: set[str]) -> None:
    """``--only`` naming no referenced component is a typo, not "nothing to upgrade"."""
    from registry.errors import ArgumentError, did_you_mean, mention  # lazy: start-up

    for name in only:
        if name not in names:
            raise ArgumentError("only", f"{mention('only')} {name}: no reference to it here"
                                        f"{did_you_mean(name, names)}")


def _report(file_plan: "FilePlan", dry_run: bool) -> None:
    if file_plan.error is not None:
        click.echo(printable(str(file_plan.error)), err=True)
        return
    if dry_run and file_plan.diff:
        _echo_diff(file_plan.diff)
    for move in file_plan.moves:
        ref = move.reference
        new = f"{ref.ref} (lock only)" if move.new_text is None else \
            f"{ref.name}@{move.new_text}" if ref.graph else move.new_text
        echo_text(f"{ref.where}: {ref.ref} -> {new} ({move.current.component.version} -> "
                  f"{move.target.component.version})", err=dry_run)  # stdout stays a pure diff
    if file_plan.relocked:
        echo_text(f"{file_plan.file}: creg.lock re-pinned")
    for ref, why in file_plan.skipped:
        echo_text(f"{ref.where}: note: {ref.ref} left as it is: {why}", err=True)
    for ref, reasons in file_plan.refused:
        echo_text(f"{ref.where}: error: {ref.ref} not upgraded: it would break {ref.owner}: "
                  f"{'; '.join(reasons)} (pass --allow-breaking to upgrade anyway)", err=True)


def _echo_diff(diff: str) -> None:
    """The diff as ``patch`` reads it: line endings kept (CRLF too), other control characters escaped."""
    for line in diff.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        click.echo(printable(body) + line[len(body):], nl=False)
