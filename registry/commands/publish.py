"""``creg publish PATH --to REGISTRY_DIR [--version X] [--name N] [--allow-breaking]``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from registry.commands._output import echo_text
from registry.commands._reg import registry_options

if TYPE_CHECKING:
    from registry.index.publish import PublishResult


@click.command("publish")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--to", "registry_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Registry folder (holds index.yaml); created if missing.")
@click.option("--version", "version", metavar="X.Y.Z",
              help="Version to publish (default: the folder name of <name>/<version>/).")
@click.option("--name", "name", metavar="NAME",
              help="Component name, may contain '/' (default: the folder name of <name>/<version>/).")
@click.option("--allow-breaking", is_flag=True,
              help="Publish even if the version number hides an interface change (recorded in the index).")
@click.pass_context
def command(ctx: click.Context, path: Path, registry_dir: Path, version: str | None, name: str | None,
            allow_breaking: bool) -> None:
    """Validate PATH (a component folder or component.yaml), pack it reproducibly and add it to
    the registry's index.  A folder is packed without dotfiles (.env, .netrc, ...) and without
    the registry folder; a component.yaml is packed alone.  A published version never changes:
    the same content again is a no-op, different content is refused.  A new major version lists
    the pipelines under the current folder that use an older one, and what it would break in each."""
    from registry.index.publish import publish  # lazy: start-up

    result = publish(path, registry_dir, version=version, name=name, allow_breaking=allow_breaking)
    click.echo(result.summary())
    for change in result.changes:
        click.echo(f"  {change}")
    if _is_new_major(result):
        _would_break(ctx, result, registry_dir)


def _is_new_major(result: "PublishResult") -> bool:
    from registry.index.publish import version_bump  # lazy: start-up

    return (result.status == "published" and result.previous is not None
            and version_bump(result.previous, result.component.version) == "major")


def _would_break(ctx: click.Context, result: "PublishResult", registry_dir: Path) -> None:
    """Which pipelines under the current folder moving to the new major would break.

    Advice only: the version is published whatever this finds, so a pipeline that cannot be
    read is a warning here, never a failure."""
    from registry.errors import CregError  # lazy: start-up
    from registry.index.resolve import Registry, RegistryOptions
    from registry.pipeline.currency import Currency, breaking_for, collect

    component = result.component
    options = registry_options(ctx)
    registry = Registry.configured(RegistryOptions((str(registry_dir), *options.registries), options.offline))
    try:
        found = breaking_for(component.name, component.version, collect([Path(".")], False), Currency(registry))
    except CregError as exc:
        click.echo(f"warning: cannot tell which pipelines here {component.ref} would break: {exc}", err=True)
        return
    if found:
        click.echo(f"pipelines here on an older {component.name}:")
    for use, reasons in found:
        ref = use.status.reference
        verdict = f"would break: {'; '.join(reasons)}" if reasons else "unaffected"
        echo_text(f"  {ref.where} {ref.owner} ({ref.ref}, on {use.status.in_use.component.version if use.status.in_use else '?'}): {verdict}")
    broken = sum(1 for _, reasons in found if reasons)
    if found:
        click.echo(f"{component.ref} would break {broken} of {len(found)} use(s) here", err=True)
