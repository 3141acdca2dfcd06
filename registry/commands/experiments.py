"""``creg experiments list``: each experiment with its runs by status and its last run."""

from __future__ import annotations

import time

import click

from registry.commands._backends import backend_for
from registry.commands._output import emit_data, printable
from registry.commands.group import CommandGroup
from registry.commands.runs import where


@click.group("experiments", cls=CommandGroup)
def command() -> None:
    """Experiments: runs grouped by their creg.dev/experiment label (creg run/submit --experiment)."""


@command.command("list")
@click.option("-o", "--output", "fmt", type=click.Choice(["table", "json", "yaml", "name"]), default="table",
              show_default=True)
@where
def list_experiments(fmt: str, server: str | None, namespace: str | None) -> None:
    """Each experiment: its runs, how many per status, and the last one."""
    from registry.commands._runs_table import epoch, span, table  # lazy: start-up

    found = backend_for(server, namespace).experiments()
    if fmt in ("json", "yaml"):
        emit_data([{"name": e.name, "counts": dict(e.counts), "lastRun": e.last_run, "lastStarted": e.last_started}
                   for e in found], fmt)
        return
    if fmt == "name":
        for experiment in found:
            click.echo(printable(experiment.name))
        return
    if not found:
        click.echo("no experiments (creg run --experiment NAME files a run under one)", err=True)
        return
    now = time.time()
    rows = [(e.name, str(sum(e.counts.values())), str(e.counts.get("Running", 0) + e.counts.get("Pending", 0)),
             str(e.counts.get("Succeeded", 0)), str(e.counts.get("Failed", 0) + e.counts.get("Error", 0)),
             e.last_run, span(now - (epoch(e.last_started) or now))) for e in found]
    click.echo(printable(table(("EXPERIMENT", "RUNS", "RUNNING", "SUCCEEDED", "FAILED", "LAST RUN", "AGE"), rows)))
