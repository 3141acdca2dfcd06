"""``creg index build DIR [--merge]`` and ``creg index import-archive URL_OR_FILE --tag T --to DIR``."""

from __future__ import annotations

from pathlib import Path

import click

from registry.commands.group import CommandGroup


@click.group("index", cls=CommandGroup)
def command() -> None:
    """Build or extend a registry index (index.yaml)."""


@command.command("build")
@click.argument("root", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--merge", is_flag=True, help="Keep index entries the tree does not have (published archives, imports).")
@click.option("--prefix", default=None, metavar="SUBDIR",
              help="Scan SUBDIR/<name>/<version>/component.yaml (default: components/ when it exists, else DIR).")
@click.option("--clean", is_flag=True,
              help="Also remove temp files and archives no index entry names (left by a killed publish).")
def build_command(root: Path, merge: bool, prefix: str | None, clean: bool) -> None:
    """Regenerate ROOT/index.yaml from ROOT's <name>/<version>/component.yaml tree."""
    from registry.index.build import build  # lazy: start-up

    report = build(root, merge=merge, prefix=prefix, clean=clean)
    for line in report.skipped:
        click.echo(f"skipped: {line}", err=True)
    for line in report.removed:
        click.echo(f"removed: {root / line}", err=True)
    click.echo(f"{root / 'index.yaml'}: {report.line()}")


@command.command("import-archive")
@click.argument("location", metavar="URL_OR_FILE")
@click.option("--tag", required=True, help="Version given to every component (the archive's tag, e.g. 0.2.5).")
@click.option("--to", "registry_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Registry folder (holds index.yaml); created if missing.")
@click.option("--prefix", default="components/", show_default=True,
              help="Folder inside the archive (below its top-level folder) that holds the components.")
@click.option("--archive-url", metavar="URL",
              help="Record this URL as the archive's source (e.g. when reading a downloaded copy).")
@click.option("--strict", is_flag=True, help="Exit 1 when any component.yaml is invalid.")
def import_command(location: str, tag: str, registry_dir: Path, prefix: str, archive_url: str | None,
                   strict: bool) -> None:
    """Index every component.yaml of a tagged archive as NAME@TAG (NAME = its folder below --prefix)."""
    from registry.index.build import import_archive  # lazy: start-up

    report = import_archive(location, tag, registry_dir, prefix=prefix, archive_url=archive_url)
    for problem in report.invalid + report.conflicts:
        click.echo(problem.format(), err=True)
    click.echo(f"{registry_dir / 'index.yaml'}: {report.line()}")
    if report.conflicts or (strict and report.invalid):
        raise SystemExit(1)
