"""``creg runs list|get|logs|watch|delete|stop|retry``: the runs of this machine or of an Argo Server.

The verbs of Argo's CLI (``argo list``, ``get``, ``logs``, ``watch``, ``delete``, ``stop``,
``retry``) over ``registry.argo.runview.RunBackend``; ``_backends.backend_for`` picks the local
run store or, with ``--server``/``$ARGO_SERVER``, an Argo Server.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from registry.commands._backends import backend_for, parse_labels
from registry.commands._output import emit_data, printable
from registry.commands.group import CommandGroup
from registry.errors import ArgumentError

if TYPE_CHECKING:
    from datetime import datetime

    from registry.argo.runview import RunBackend, RunQuery, Workflow

F = TypeVar("F", bound=Callable[..., Any])
PHASES = ("Pending", "Running", "Succeeded", "Failed", "Error")  # as _runs_table.PHASES (not imported: start-up)
DATA = click.Choice(["json", "yaml"])
DEFAULT_LIMIT = 50  # as _runs_table.DEFAULT_LIMIT: a screenful, however large the store grows


def where(function: F) -> F:
    """``--server`` and ``--namespace``, as ``creg submit`` takes them."""
    function = click.option("--namespace", "-n", metavar="NS",
                            help="Argo namespace (default: $ARGO_NAMESPACE, else argo).")(function)
    return click.option("--server", metavar="URL",
                        help="Argo Server URL (default: $ARGO_SERVER; without either: this machine's runs).")(function)


@click.group("runs", cls=CommandGroup)
def command() -> None:
    """List, inspect, follow, stop, retry and delete runs (this machine's, or an Argo Server's)."""


# -- list ------------------------------------------------------------------------------------------

@command.command("list")
@click.option("--experiment", metavar="NAME", help="Only this experiment's runs.")
@click.option("--pipeline", metavar="NAME", help="Only runs of this pipeline.")
@click.option("--status", "statuses", multiple=True, metavar="PHASE",
              help=f"Only runs in this phase ({', '.join(PHASES)}); repeatable or comma-separated.")
@click.option("--since", metavar="AGE|DATE", help="Only runs created since: 7d, 2h, 30m, or a date (2026-12-01).")
@click.option("-l", "--label", "labels", multiple=True, metavar="KEY=VALUE", help="Only runs with this label.")
@click.option("--schedule", metavar="NAME", help="Only runs a schedule (CronWorkflow) created.")
@click.option("--limit", type=click.IntRange(min=1), default=DEFAULT_LIMIT, show_default=True,
              help="At most this many (the newest).")
@click.option("--all", "every", is_flag=True, help="Every run that matches, however many.")
@click.option("-o", "--output", "fmt", type=click.Choice(["table", "wide", "json", "yaml", "name"]), default="table",
              show_default=True)
@where
def list_runs(experiment: str | None, pipeline: str | None, statuses: tuple[str, ...], since: str | None,
              labels: tuple[str, ...], schedule: str | None, limit: int, every: bool, fmt: str,
              server: str | None, namespace: str | None) -> None:
    """Runs, newest first (the newest 50 unless --limit or --all says otherwise)."""
    from registry.argo.runview import RunQuery  # lazy: start-up

    query = RunQuery(experiment, pipeline, parse_phases(statuses), parse_since(since) if since else None,
                     parse_labels(labels), schedule, None if every else limit)
    backend = backend_for(server, namespace)
    if fmt in ("json", "yaml"):
        emit_data(backend.list_runs(query), fmt)
    else:
        _echo_rows(backend, query, fmt)


def _echo_rows(backend: RunBackend, query: RunQuery, fmt: str) -> None:
    from registry.commands._runs_format import list_rows  # lazy: start-up
    from registry.commands._runs_table import list_note, printable_lines, render_list  # lazy: start-up

    table_rows = getattr(backend, "table_rows", None)  # the local store reads its rows straight from SQL
    rows = table_rows(query) if table_rows is not None else list_rows(backend.list_runs(query))
    text = render_list(rows, fmt, time.time())
    if text:
        click.echo(printable_lines(text))
    note = list_note(len(rows), query.limit, fmt)
    if note:
        click.echo(note, err=True)


def _echo(text: str) -> None:
    click.echo(printable(text))


def parse_phases(values: Iterable[str]) -> tuple[str, ...]:
    """``('Running,Failed', 'succeeded')`` -> ``('Running', 'Failed', 'Succeeded')``."""
    from registry.commands._runs_table import PHASES, phases_of  # lazy: start-up
    from registry.errors import did_you_mean  # lazy: start-up (only a mistake needs it)

    phases, unknown = phases_of(values)
    if unknown:
        raise ArgumentError("statuses", f"--status {unknown[0]!r}: expected one of {', '.join(PHASES)}"
                                        f"{did_you_mean(unknown[0], PHASES)}")
    return tuple(phases)


def parse_age(text: str, argument: str) -> float:
    """``7d`` -> seconds; ``1d12h`` too."""
    from registry.commands._runs_table import age_seconds  # lazy: start-up

    seconds = age_seconds(text)
    if seconds is None:
        raise ArgumentError(argument, f"{text!r}: expected an age such as 30s, 15m, 2h, 7d or 1w")
    return seconds


def parse_since(text: str) -> datetime:
    """An age back from now (``7d``), or a date or time (``2026-12-01``, ``2026-12-01T08:00:00Z``), as UTC."""
    from datetime import datetime, timezone  # lazy: start-up

    from registry.commands._runs_table import since_epoch  # lazy: start-up

    moment = since_epoch(text, time.time())
    if moment is None:
        raise ArgumentError("since", f"--since {text!r}: expected an age (7d, 2h) or a date (2026-12-01)")
    return datetime.fromtimestamp(moment, timezone.utc)


# -- get, watch ---------------------------------------------------------------------------------------

@command.command("get")
@click.argument("run_id", metavar="ID")
@click.option("-o", "--output", "fmt", type=DATA, default=None, help="The Workflow as JSON or YAML.")
@where
def get(run_id: str, fmt: str | None, server: str | None, namespace: str | None) -> None:
    """A run and its node tree, as `argo get` shows it (ID: a unique prefix is enough)."""
    workflow = backend_for(server, namespace).get_run(run_id)
    if fmt:
        emit_data(workflow, fmt)
        return
    from registry.commands._runs_format import get_view  # lazy: start-up

    _echo(get_view(workflow))


@command.command("watch")
@click.argument("run_id", metavar="ID")
@click.option("--interval", type=click.FloatRange(min=0.05), default=1.0, show_default=True,
              help="Seconds between looks.")
@where
@click.pass_context
def watch(ctx: click.Context, run_id: str, interval: float, server: str | None, namespace: str | None) -> None:
    """Follow a run until it ends: the get view refreshed in place on a terminal, a line per change
    otherwise. Exit status 0 when it succeeded, 1 when it failed."""
    from registry.argo.runview import FINISHED_PHASES  # lazy: start-up

    backend = backend_for(server, namespace)
    show = _refresh if sys.stdout.isatty() else _changes()
    while True:
        workflow = backend.get_run(run_id)
        show(workflow)
        phase = workflow.get("status", {}).get("phase")
        if phase in FINISHED_PHASES:
            ctx.exit(0 if phase == "Succeeded" else 1)
        time.sleep(interval)


def _refresh(workflow: Workflow) -> None:
    from registry.commands._runs_format import get_view  # lazy: start-up

    click.echo("\x1b[H\x1b[2J" + printable(get_view(workflow)))


def _changes() -> Callable[[Workflow], None]:
    """A printer of what changed since its last call: each node's phase, then the run's."""
    seen: dict[str, str] = {}

    def show(workflow: Workflow) -> None:
        name = workflow["metadata"]["name"]
        nodes = workflow.get("status", {}).get("nodes") or {}
        for node_id, node in sorted(nodes.items(), key=lambda item: item[1].get("startedAt") or ""):
            if node_id != name and seen.get(node_id) != node.get("phase"):
                seen[node_id] = node.get("phase", "")
                _echo(f"{node.get('name', node_id)}: {node.get('phase')}")
        phase = workflow.get("status", {}).get("phase") or "Pending"
        if seen.get(name) != phase:
            seen[name] = phase
            message = workflow.get("status", {}).get("message")
            _echo(f"{name}: {phase}" + (f" ({message})" if message else ""))

    return show


# -- logs ---------------------------------------------------------------------------------------------

@command.command("logs")
@click.argument("run_id", metavar="ID")
@click.argument("task", required=False)
@click.option("-f", "--follow", is_flag=True, help="Stream new lines until the run ends.")
@click.option("--no-prefix", is_flag=True, help="Print the lines alone, without their task.")
@where
def logs(run_id: str, task: str | None, follow: bool, no_prefix: bool, server: str | None,
         namespace: str | None) -> None:
    """The run's task logs (one TASK's with TASK), each line prefixed with its task."""
    for line in backend_for(server, namespace).logs(run_id, task, follow):
        click.echo(printable(line.text if no_prefix or not line.task else f"{line.task}: {line.text}"))


# -- delete, stop, retry ------------------------------------------------------------------------------

@command.command("delete")
@click.argument("run_ids", metavar="[ID]...", nargs=-1)
@click.option("--older-than", metavar="AGE", help="Every finished run created longer ago than this (7d, 12h).")
@click.option("--all", "every", is_flag=True, help="Every finished run (narrowed by --experiment and the others).")
@click.option("--experiment", metavar="NAME", help="With --all or --older-than: only this experiment's runs.")
@click.option("--pipeline", metavar="NAME", help="With --all or --older-than: only this pipeline's runs.")
@click.option("--status", "statuses", multiple=True, metavar="PHASE", help="With --all or --older-than: only these.")
@click.option("-l", "--label", "labels", multiple=True, metavar="KEY=VALUE", help="With --all or --older-than.")
@where
def delete(run_ids: tuple[str, ...], older_than: str | None, every: bool, experiment: str | None,
           pipeline: str | None, statuses: tuple[str, ...], labels: tuple[str, ...], server: str | None,
           namespace: str | None) -> None:
    """Delete runs and their files (a run still running must be stopped first)."""
    from registry.argo.runview import RunQuery  # lazy: start-up

    if bool(run_ids) == bool(every or older_than):
        raise ArgumentError("run_ids", "name the runs to delete, or select them with --all or --older-than (not both)")
    backend = backend_for(server, namespace)
    names = list(run_ids)
    if not names:
        query = RunQuery(experiment, pipeline, parse_phases(statuses), None, parse_labels(labels))
        names = _selected(backend, query, older_than)
    for name in backend.delete_runs(names) if names else []:
        _echo(f"deleted {name}")
    if not names:
        click.echo("no finished run matches; nothing deleted", err=True)


def _selected(backend: RunBackend, query: RunQuery, older_than: str | None) -> list[str]:
    """The finished runs the query selects, created before ``older_than`` ago; running ones are kept."""
    from registry.argo.runview import FINISHED_PHASES  # lazy: start-up
    from registry.commands._runs_table import epoch  # lazy: start-up

    cutoff = time.time() - parse_age(older_than, "older_than") if older_than else None
    chosen, running = [], 0
    for wf in backend.list_runs(query):
        if wf.get("status", {}).get("phase") not in FINISHED_PHASES:
            running += 1
        elif cutoff is None or (epoch(wf["metadata"].get("creationTimestamp")) or cutoff) < cutoff:
            chosen.append(wf["metadata"]["name"])
    if running:
        click.echo(f"kept {running} run(s) still running (creg runs stop them first)", err=True)
    return chosen


@command.command("stop")
@click.argument("run_ids", metavar="ID...", nargs=-1, required=True)
@where
def stop(run_ids: tuple[str, ...], server: str | None, namespace: str | None) -> None:
    """Stop runs: running tasks end, the exit handler still runs, the run ends Failed ("Stopped")."""
    backend = backend_for(server, namespace)
    for run_id in run_ids:
        workflow = backend.stop_run(run_id)
        _echo(f"{workflow['metadata']['name']} stopped")


@command.command("retry")
@click.argument("run_id", metavar="ID")
@where
def retry(run_id: str, server: str | None, namespace: str | None) -> None:
    """Run a failed run again under its name: failed and omitted tasks run, succeeded ones keep their outputs."""
    workflow = backend_for(server, namespace).retry_run(run_id)
    _echo(f"{workflow['metadata']['name']} retried (creg runs watch {workflow['metadata']['name']})")
