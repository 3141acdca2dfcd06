"""``creg schedules list|get|suspend|resume|delete``: scheduled pipelines (CronWorkflows) on Argo."""

from __future__ import annotations

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
    from registry.argo.runlabels import checked_labels  # lazy: start-up
    from registry.argo.schedules import schedule_row  # lazy: start-up
    from registry.commands._backends import parse_labels  # lazy: start-up

    crons = _schedules(server, namespace).list_schedules(checked_labels(parse_labels(labels), None))
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
    """The runs tables' layout (``creg runs list``): kubectl's columns, ages as ``argo list`` shows them."""
    import time  # lazy: start-up

    from registry.commands._runs_table import epoch, span, table  # lazy: start-up

    if not rows:
        click.echo("no schedules", err=True)
        return
    columns, now = WIDE if wide else COLUMNS, time.time()
    shown = [tuple(span(now - (epoch(row[c]) or now)) if c == "last" and row[c] else row[c] or "-" for c in columns)
             for row in rows]
    echo_text(table(tuple(c.upper() for c in columns), shown))


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
