"""``creg submit PIPELINE [--server URL] [--namespace NS] [--kind ...] [--param k=v] [--wait]``."""

from __future__ import annotations

import click

from registry.commands._reg import registry_options
from registry.commands.compile import parse_params
from registry.errors import ArgumentError


@click.command("submit")
@click.argument("pipeline", type=click.Path(dir_okay=False))
@click.option("--server", metavar="URL", help="Argo Server URL (default: $ARGO_SERVER; host:port means https).")
@click.option("--namespace", "-n", metavar="NS", help="Namespace (default: $ARGO_NAMESPACE, else argo).")
@click.option("--kind", type=click.Choice(["Workflow", "WorkflowTemplate"]), default="Workflow",
              show_default=True, help="What to create (a pipeline with a schedule becomes a CronWorkflow).")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help="Override a param; repeatable.")
@click.option("--experiment", metavar="NAME", help="Label the run as part of this experiment (creg.dev/experiment).")
@click.option("--label", "-l", "labels", multiple=True, metavar="KEY=VALUE", help="Put this label on the run; repeatable.")
@click.option("--wait", is_flag=True, help="Follow the workflow until it finishes; exit 1 unless it succeeded.")
@click.option("--timeout", type=click.FloatRange(min=1), default=3600, show_default=True,
              help="Seconds --wait waits at most.")
@click.pass_context
def command(ctx: click.Context, pipeline: str, server: str | None, namespace: str | None, kind: str,
            params: tuple[str, ...], experiment: str | None, labels: tuple[str, ...], wait: bool,
            timeout: float) -> None:
    """Compile a pipeline and create it on an Argo Server (token from $ARGO_TOKEN)."""
    from registry.argo.compiler import compile_document, gc_paused, load_pipeline, registry_loader  # lazy: start-up
    from registry.argo.runlabels import checked_labels, labelled  # lazy: start-up
    from registry.argo.runview import run_labels  # lazy: start-up
    from registry.commands._backends import parse_labels  # lazy: start-up
    from registry.argo.server import Server, submit_document, wait_for  # lazy: start-up

    target = Server.from_options(server, namespace)
    extra = checked_labels(parse_labels(labels), experiment)
    if wait and kind != "Workflow":
        raise ArgumentError("wait", "--wait follows a Workflow's run; a WorkflowTemplate does not run by itself")
    with gc_paused():
        doc = compile_document(load_pipeline(pipeline, loader=registry_loader(registry_options(ctx), pipeline),
                                             overrides=parse_params(params)), kind)
    submitted = submit_document(labelled(doc, run_labels(doc, experiment, extra)), target)
    click.echo(f"created {submitted.kind} {submitted.name} in {submitted.namespace}: {submitted.ui}")
    if wait and submitted.kind == "CronWorkflow":
        click.echo("a scheduled pipeline runs on its schedule; not waiting", err=True)
    elif wait:
        phase = wait_for(submitted, target, timeout, on_phase=lambda p: click.echo(f"{submitted.name}: {p}", err=True))
        ctx.exit(0 if phase == "Succeeded" else 1)
