"""``creg schedules list|get|suspend|resume|delete``: scheduled pipelines (CronWorkflows) on Argo."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable

import click

from registry.commands._output import echo_text, emit_data
from registry.commands.group import CommandGroup

if TYPE_CHECKING:
    from registry.argo.schedules import ArgoSchedules

OUTPUTS = click.Choice(["wide", "json", "yaml", "name"])


def server_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """``--server`` and ``--namespace``, read as ``creg submit`` reads them."""
    function = click.option("--namespace", "-n", metavar="NS",
                            help="Namespace (default: $ARGO_NAMESPACE, else argo).")(function)
    return click.option("--server", metavar="URL",
                        help="Argo Server URL (default: $ARGO_SERVER; host:port means https).")(function)


def _schedules(server: str | None, namespace: str | None) -> ArgoSchedules:
    from registry.argo.schedules import ArgoSchedules  # lazy: start-up
    from registry.argo.server import Server  # lazy: start-up

    return ArgoSchedules(Server.from_options(server, namespace))


@click.group("schedules", cls=CommandGroup)
def command() -> None:
    """Scheduled pipelines on an Argo Server (CronWorkflows; token from $ARGO_TOKEN)."""


@command.command("list")
@server_options
@click.option("--label", "-l", "labels", multiple=True, metavar="KEY=VALUE", help="Only schedules with this label.")
@click.option("--output", "-o", "output", type=OUTPUTS, help="wide: more columns; name: names only.")
def list_schedules(server: str | None, namespace: str | None, labels: tuple[str, ...], output: str | None) -> None:
    """Every schedule of the namespace, by name."""
    from registry.argo.runlabels import parse_labels  # lazy: start-up
    from registry.argo.schedules import schedule_row  # lazy: start-up

    crons = _schedules(server, namespace).list_schedules(parse_labels("labels", labels))
    if output in ("json", "yaml"):
        emit_data(crons, output)
    elif output == "name":
        for cron in crons:
            echo_text(str(cron["metadata"]["name"]))
    else:
        _table([schedule_row(cron) for cron in crons], wide=output == "wide")


COLUMNS = ("name", "schedule", "suspended", "active", "last")
WIDE = COLUMNS + ("timezone", "succeeded", "failed")


def _table(rows: list[dict[str, str]], wide: bool) -> None:
    columns = WIDE if wide else COLUMNS
    shown = [[_cell(column, row[column]) for column in columns] for row in rows]
    widths = [max([len(column)] + [len(line[i]) for line in shown]) for i, column in enumerate(columns)]
    for line in [[c.upper() for c in columns]] + shown:
        echo_text("   ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip())


def _cell(column: str, value: str) -> str:
    return age(value) if column == "last" else value


def age(stamp: str) -> str:
    """``5m`` / ``3h`` / ``2d`` since an RFC 3339 time, as kubectl shows ages; ``-`` for none."""
    try:
        then = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return "-"
    seconds = max(0, int((datetime.now(timezone.utc) - then).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


@command.command("get")
@click.argument("name")
@server_options
@click.option("--output", "-o", "output", type=click.Choice(["json", "yaml"]), help="The whole CronWorkflow.")
def get(name: str, server: str | None, namespace: str | None, output: str | None) -> None:
    """One schedule (NAME or a unique prefix): its cron, state and recent runs."""
    from registry.argo.schedules import schedule_row  # lazy: start-up

    cron = _schedules(server, namespace).get(name)
    if output:
        emit_data(cron, output)
        return
    row = schedule_row(cron)
    for key in ("name", "schedule", "timezone", "suspended", "active", "last", "succeeded", "failed"):
        echo_text(f"{key + ':':11} {row[key] or '-'}")
    for run in (cron.get("status") or {}).get("active") or []:
        echo_text(f"running:    {run.get('name', '')}")


@command.command("suspend")
@click.argument("name")
@server_options
def suspend(name: str, server: str | None, namespace: str | None) -> None:
    """Stop making runs (the schedule stays; ``resume`` picks it up again)."""
    cron = _schedules(server, namespace).suspend(name)
    echo_text(f"suspended {cron['metadata']['name']}")


@command.command("resume")
@click.argument("name")
@server_options
def resume(name: str, server: str | None, namespace: str | None) -> None:
    """Make runs on the schedule again."""
    cron = _schedules(server, namespace).resume(name)
    echo_text(f"resumed {cron['metadata']['name']}")


@command.command("delete")
@click.argument("names", nargs=-1, required=True)
@server_options
def delete(names: tuple[str, ...], server: str | None, namespace: str | None) -> None:
    """Delete schedules (the runs they made stay)."""
    for deleted in _schedules(server, namespace).delete(list(names)):
        echo_text(f"deleted {deleted}")
