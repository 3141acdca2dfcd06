"""``creg ui [PIPELINE...] [--port 8080] [--host 127.0.0.1] [--server URL] [--export DIR]``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from registry.commands._reg import registry_options

if TYPE_CHECKING:
    from registry.ui.routes import Site

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@click.command("ui")
@click.argument("pipelines", nargs=-1, type=click.Path(exists=True, dir_okay=False), metavar="[PIPELINE]...")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True,
              help="0 picks a free port (the URL printed says which).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Listen here; anything but loopback lets other machines read the UI (it has no login).")
@click.option("--server", metavar="URL", default=None, help="Also show the runs of this Argo Server.")
@click.option("-n", "--namespace", default=None, help="The Argo Server's namespace (default: $ARGO_NAMESPACE or argo).")
@click.option("--export", "export_dir", type=click.Path(file_okay=False), default=None,
              help="Write the catalog as a static site into this folder instead of serving.")
@click.pass_context
def command(ctx: click.Context, pipelines: tuple[str, ...], port: int, host: str, server: str | None,
            namespace: str | None, export_dir: str | None) -> None:
    """Serve a read-only web UI: the catalog, pipelines as graphs, runs as they go.

    Pipelines are the files given, and those under the current folder.
    """
    from registry.ui.routes import Site  # lazy: start-up

    site = Site(registry_options(ctx), Path.cwd(), [Path(p) for p in pipelines])
    if export_dir is not None:
        from registry.ui.export import export_site  # lazy: start-up

        written = export_site(site, Path(export_dir))
        click.echo(f"wrote {len(written)} files to {export_dir}; open {Path(export_dir) / 'index.html'}")
        return
    _serve(site, host, port, server, namespace)


def _serve(site: "Site", host: str, port: int, server: str | None, namespace: str | None) -> None:
    from registry.local.store import LocalRuns  # lazy: start-up
    from registry.ui.routes import App  # lazy: start-up
    from registry.ui.server import make_server, url_of  # lazy: start-up

    site.backends = {"local": LocalRuns()}
    if server is not None:
        from registry.commands._backends import backend_for  # lazy: start-up

        site.backends["argo"] = backend_for(server, namespace)
    if host not in LOOPBACK:
        click.echo(f"warning: serving on {host}: anyone who can reach it can read the UI (there is no login)",
                   err=True)
    try:
        httpd = make_server(App(site), host, port)
    except OSError as exc:
        raise click.UsageError(f"--host {host} --port {port}: cannot listen: {exc.strerror or exc}") from None
    try:
        click.echo(f"creg ui serving at {url_of(httpd)} (Ctrl-C stops it)")
        httpd.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
    finally:
        httpd.server_close()
