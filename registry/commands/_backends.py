"""Where the ``creg runs`` verbs find runs: the local run store, or an Argo Server.

``backend_for`` is the one place that chooses, so every verb (and ``creg experiments``) treats
both alike through ``registry.argo.runview.RunBackend``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from registry.errors import ArgumentError

if TYPE_CHECKING:
    from registry.argo.runview import RunBackend


def backend_for(server: str | None, namespace: str | None) -> "RunBackend":
    """The local store when neither ``--server`` nor ``$ARGO_SERVER`` names an Argo Server."""
    if not (server or os.environ.get("ARGO_SERVER")):
        if namespace:
            raise ArgumentError("namespace", "--namespace needs an Argo Server (--server or $ARGO_SERVER); "
                                             "runs on this machine have no namespace")
        from registry.local.store import LocalRuns  # lazy: start-up

        return LocalRuns()
    from registry.argo.server import Server  # lazy: start-up
    from registry.argo.serverruns import ArgoRuns  # lazy: start-up

    backend: RunBackend = ArgoRuns(Server.from_options(server, namespace))
    return backend


def parse_labels(pairs: tuple[str, ...]) -> dict[str, str]:
    """``('team=ml', 'k=')`` -> ``{'team': 'ml', 'k': ''}``; a pair without '=' is a usage error."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ArgumentError("labels", f"-l {pair!r}: expected KEY=VALUE")
        out[key] = value
    return out
