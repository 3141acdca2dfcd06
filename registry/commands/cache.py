"""creg cache list|verify|clean: the content-addressed download cache."""

from __future__ import annotations

import click

from registry.commands._output import FORMATS, emit_data
from registry.commands.group import CommandGroup
from registry.errors import CregError


@click.group("cache", cls=CommandGroup)
def command() -> None:
    """List, verify or clean the download cache ($CREG_CACHE_DIR or the XDG cache dir)."""


@command.command("list")
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
def list_objects(fmt: str) -> None:
    """Every cached object: digest, size and path."""
    from registry.sources.store import Store  # lazy: start-up

    store = Store()
    rows = [{"digest": e.digest, "size": e.size, "path": str(e.path)} for e in store.entries()]
    if fmt != "text":
        emit_data({"root": str(store.root), "objects": rows}, fmt)
        return
    for row in rows:
        click.echo(f"{row['digest']}  {row['size']:>10}  {row['path']}")
    click.echo(f"{len(rows)} object(s) in {store.root}", err=True)


@command.command("verify")
@click.option("--fix", is_flag=True, help="Remove objects whose bytes do not match their digest.")
def verify(fix: bool) -> None:
    """Re-hash every cached object; exit 1 when any is corrupt."""
    from registry.sources.store import Store  # lazy: start-up

    store = Store()
    bad = store.verify(fix=fix)
    count = len(store.entries()) + (len(bad) if fix else 0)
    for entry in bad:
        click.echo(f"{entry.path}: corrupt (does not hash to {entry.digest})" + ("; removed" if fix else ""),
                   err=True)
    if bad and not fix:
        raise CregError(f"{len(bad)} of {count} cached object(s) are corrupt; run 'creg cache verify --fix'")
    click.echo(f"{count - len(bad)} of {count} object(s) verified")


@command.command("clean")
@click.option("--older-than", "days", type=click.FloatRange(min=0), default=None,
              help="Only remove objects not written for this many days.")
def clean(days: float | None) -> None:
    """Remove cached objects (all, or old ones) and leftovers of interrupted downloads."""
    from registry.sources.store import Store  # lazy: start-up

    store = Store()
    removed = store.clean(older_than=days * 86400 if days is not None else None)
    click.echo(f"removed {len(removed)} file(s) from {store.root}")
