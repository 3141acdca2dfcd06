"""creg registry list|add|remove: the registries searched, in order."""

from __future__ import annotations

import click

from registry.commands._output import emit_data
from registry.commands._reg import FORMATS, global_settings
from registry.commands.group import CommandGroup
from registry.errors import CregError, did_you_mean


@click.group("registry", cls=CommandGroup)
def command() -> None:
    """List, add or remove registries (folders or HTTP(S) URLs serving index.yaml)."""


@command.command("list")
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
@click.pass_context
def list_registries(ctx: click.Context, fmt: str) -> None:
    """The registries in search order, and where each comes from."""
    rows = _rows(ctx)
    if fmt != "text":
        emit_data(rows, fmt)
        return
    for row in rows:
        click.echo(f"{row['root']}  ({row['origin']})")


def _rows(ctx: click.Context) -> list[dict[str, str]]:
    from registry.index.config import config_path, configured_registries, normalize_root  # lazy: start-up
    from registry.index.resolve import env_registries  # lazy: start-up
    from registry.resources import builtin_root  # lazy: start-up

    groups = [("--registry", global_settings(ctx).registries),
              ("CREG_REGISTRIES", env_registries()),
              (str(config_path()), configured_registries()),
              ("built-in", [str(builtin_root())])]
    rows: list[dict[str, str]] = []
    seen: set[str] = set()
    for origin, roots in groups:
        for root in roots:
            norm = normalize_root(root)
            if norm not in seen:
                seen.add(norm)
                rows.append({"root": norm, "origin": origin})
    return rows


@command.command("add")
@click.argument("root")
def add(root: str) -> None:
    """Add ROOT (a folder with index.yaml or a base URL) to the user config."""
    from registry.index.config import add_registry, config_path, normalize_root  # lazy: start-up

    if add_registry(root):
        click.echo(f"added {normalize_root(root)} to {config_path()}")
    else:
        click.echo(f"{normalize_root(root)} is already in {config_path()}")


@command.command("remove")
@click.argument("root")
def remove(root: str) -> None:
    """Remove ROOT from the user config."""
    from registry.index.config import config_path, configured_registries, remove_registry  # lazy: start-up
    if not remove_registry(root):
        known = configured_registries()
        raise CregError(f"{config_path()}: '{root}' is not configured{did_you_mean(root, known)}; "
                        f"configured: {', '.join(known) or '(none)'}")
    click.echo(f"removed {root} from {config_path()}")
