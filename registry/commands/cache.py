"""creg cache list|verify|clean: the content-addressed download cache."""

from __future__ import annotations

import click

from registry.commands._output import FORMATS, emit_data, printable
from registry.commands.group import CommandGroup
from registry.errors import CregError


@click.group("cache", cls=CommandGroup)
def command() -> None:
    """List, verify or clean the download cache ($CREG_CACHE_DIR or the XDG cache dir)."""


@command.command("list")
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
def list_objects(fmt: str) -> None:
    """Every cached object (digest, size, path, how it was verified) and every cached index copy."""
    from registry.index.records import index_copies  # lazy: start-up
    from registry.sources.store import Store  # lazy: start-up

    store = Store()
    rows = [{"digest": e.digest, "size": e.size, "path": str(e.path), "rule": e.rule} for e in store.entries()]
    copies = [{"path": str(c.path), "size": c.size, "registry": c.registry or None} for c in index_copies(store)]
    if fmt != "text":
        emit_data({"root": str(store.root), "objects": rows, "indexes": copies}, fmt)
        return
    for row in rows:
        rule = "" if row["rule"] == "exact" else f"  ({row['rule']})"
        click.echo(printable(f"{row['digest']}  {row['size']:>10}  {row['path']}{rule}"))
    for copy in copies:
        owner = copy["registry"] or "(an older index; 'creg cache clean' removes it)"
        click.echo(printable(f"index {copy['size']:>10}  {copy['path']}  {owner}"))
    copies_text = "1 index copy" if len(copies) == 1 else f"{len(copies)} index copies"
    click.echo(f"{len(rows)} object(s), {copies_text} in {store.root}", err=True)


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
    """Remove cached objects (all, or old ones), older index copies and leftovers of
    interrupted downloads.  A pull reading an object meanwhile is waited for."""
    from registry.index.records import remove_old_copies  # lazy: start-up
    from registry.sources.store import Store  # lazy: start-up

    store = Store()
    removed = remove_old_copies(store)
    removed += store.clean(older_than=days * 86400 if days is not None else None)
    click.echo(f"removed {len(removed)} file(s) from {store.root}")
