"""``creg run PIPELINE [--param k=v ...] [--workdir DIR] [--parallelism N] [--detach] [--experiment NAME] [-l k=v]``."""

from __future__ import annotations

import click

from registry.commands._backends import parse_labels
from registry.commands._output import FORMATS, emit_data
from registry.commands._reg import open_pipeline
from registry.commands.compile import parse_params

_MARK = {"Succeeded": "ok", "Failed": "FAIL", "Skipped": "skip", "Omitted": "omit"}


@click.command("run")
@click.argument("pipeline", type=click.Path(dir_okay=False))
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
              help="Override a param's default; repeatable.")
@click.option("--workdir", type=click.Path(file_okay=False), default=None,
              help="Keep the run's files (artifacts, volumes, logs) here; default: the run's folder in the run store.")
@click.option("--parallelism", type=click.IntRange(1, 64), default=4, show_default=True,
              help="Tasks that may run at once.")
@click.option("--detach", is_flag=True, help="Run in the background; print the run's id and return.")
@click.option("--experiment", metavar="NAME", help="File the run under this experiment (a label).")
@click.option("-l", "--label", "labels", multiple=True, metavar="KEY=VALUE", help="Label the run; repeatable.")
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
@click.pass_context
def command(ctx: click.Context, pipeline: str, params: tuple[str, ...], workdir: str | None,
            parallelism: int, detach: bool, experiment: str | None, labels: tuple[str, ...], fmt: str) -> None:
    """Run a pipeline (or a compiled Argo Workflow) on this machine.

    Each container's command runs as a local process (the image is not pulled), with its
    files under the run folder. Secrets come from CREG_SECRET_<SECRET>_<KEY> variables.
    The run is recorded in the run store (see `creg runs`).
    Exit status 0 when the run succeeded, 1 when it failed.  Ctrl-C or SIGTERM stops every
    task at once and runs the exit handler (the run fails, 'Stopped'); a second Ctrl-C aborts.
    """
    from registry.local.runner import Node  # lazy: start-up

    def progress(node: Node) -> None:
        if fmt == "text":
            shown = " ".join(f"{k}={v}" for k, v in node.shown_outputs().items())
            detail = shown if node.phase == "Succeeded" else node.message
            click.echo(f"{_MARK.get(node.phase, node.phase):4}  {node.id}  {node.seconds:.2f}s  {detail}", err=True)

    run = open_pipeline(ctx, pipeline).run(
        parse_params(params) or None, workdir, parallelism, progress, experiment, parse_labels(labels), detach)
    name, result = run.name, run.result
    if result is None:  # detached: the run goes on in the background
        click.echo(name) if fmt == "text" else emit_data({"name": name}, fmt)
        return
    if fmt == "text":
        stopped = f", stopped by {result.stopped_by}" if result.stopped_by else ""
        click.echo(f"{result.name}: {result.phase}{stopped} (run {name}, files in {result.folder})")
    else:
        emit_data({"run": name, **result.as_dict()}, fmt)
    ctx.exit(0 if result.phase == "Succeeded" else 1)
