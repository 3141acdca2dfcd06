"""``creg outdated [PIPELINE|FOLDER]... [--format text|json]``: exit 1 when anything is outdated."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from registry.commands._output import echo_text, emit_data, emit_problems
from registry.commands._reg import open_registry

if TYPE_CHECKING:
    from registry.errors import Problem
    from registry.pipeline.currency import FileReferences, Status

HEADER = ("LOCATION", "USED BY", "REFERENCE", "IN USE", "WANTED", "LATEST", "STATE")


@click.command("outdated")
@click.argument("targets", nargs=-1, type=click.Path(exists=True, path_type=Path), metavar="[PIPELINE|FOLDER]...")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def command(ctx: click.Context, targets: tuple[Path, ...], fmt: str) -> None:
    """For every component reference in the pipelines (default: the pipelines and graph components
    under the current folder), show the version in use (the creg.lock pin, else what the
    reference resolves to), the newest its range allows, the newest release, deprecations, and
    whether moving to the newest would change anything this pipeline uses.  Exit 0 when every
    reference is current, 1 when one is outdated or deprecated (or a file cannot be read)."""
    from registry.pipeline.currency import Currency, collect  # lazy: start-up

    files = collect(list(targets) or [Path(".")])
    currency = Currency(open_registry(ctx))
    statuses = [currency.status(ref) for found in files for ref in found.references]
    problems = [p for found in files if found.error is not None for p in _problems(found)]
    if fmt == "json":
        emit_data({"references": [s.to_dict() for s in statuses], "problems": [p.as_dict() for p in problems]}, fmt)
    else:
        emit_problems(problems, "text")
        _table(statuses)
        _summary(files, statuses)
    failed = any(s.state in ("outdated", "deprecated", "error") for s in statuses)
    ctx.exit(1 if failed or problems else 0)


def _problems(found: "FileReferences") -> list["Problem"]:
    from registry.errors import Problem  # lazy: start-up (only a file that failed needs it)

    error = found.error
    return [] if error is None else error.problems or [Problem(str(found.file), 0, 0, "", str(error))]


def _row(status: "Status") -> tuple[str, ...]:
    ref = status.reference
    in_use = status.in_use.component.version if status.in_use else "-"
    in_use += " (locked)" if status.locked else ""
    return (ref.where, ref.owner, ref.ref, in_use, _v(status.wanted), _v(status.latest), status.state)


def _v(entry: object) -> str:
    return getattr(getattr(entry, "component", None), "version", "-")


def _table(statuses: list["Status"]) -> None:
    if not statuses:
        return
    rows = [HEADER] + [_row(s) for s in statuses]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADER))]
    echo_text("  ".join(h.ljust(w) for h, w in zip(HEADER, widths)).rstrip())
    for status, row in zip(statuses, rows[1:]):
        echo_text("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        for line in _details(status):
            echo_text(f"    {line}")


def _details(status: "Status") -> list[str]:
    lines: list[str] = []
    deprecated = status.in_use.deprecated if status.in_use else None
    if deprecated is not None:
        use = f"; use {deprecated.replacement}" if deprecated.replacement else ""
        lines.append(f"deprecated: {deprecated.message}{use}")
    if status.noticed:
        lines.append(f"upgrade to {_v(status.latest)}: not safe: {'; '.join(status.noticed)}")
    elif status.noticed == [] and status.outdated:
        lines.append(f"upgrade to {_v(status.latest)}: safe")
    if status.note:
        lines.append(status.note)
    return lines


def _summary(files: list["FileReferences"], statuses: list["Status"]) -> None:
    counts = {state: sum(1 for s in statuses if s.state == state)
              for state in ("outdated", "deprecated", "current", "path", "error")}
    parts = ", ".join(f"{n} {state}" for state, n in counts.items() if n)
    click.echo(f"{len(statuses)} reference(s) in {len(files)} file(s)" + (f": {parts}" if parts else ""), err=True)
