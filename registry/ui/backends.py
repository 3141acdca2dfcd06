"""Where the run pages read runs from: the local run store, and an Argo Server when asked.

Both are ``registry.argo.runview.RunBackend``s.  They are found by module name, so the UI
works (without run pages) on an install where a run store is missing.
"""

from __future__ import annotations

import importlib
from typing import Any, cast

from registry.argo.runview import RunBackend

LOCAL_STORE = ("registry.local.store", "LocalRuns")
ARGO_RUNS = ("registry.argo.serverruns", "ArgoRuns")


def _class(module: str, name: str) -> Any:
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None


def run_backends(server: str | None = None, namespace: str | None = None) -> dict[str, RunBackend]:
    """``local`` (this machine's runs) and, with ``server``, ``argo`` (that server's Workflows)."""
    backends: dict[str, RunBackend] = {}
    local = _class(*LOCAL_STORE)
    if local is not None:
        backends["local"] = cast(RunBackend, local())
    if server is not None:
        from registry.argo.server import Server  # lazy: start-up

        remote = _class(*ARGO_RUNS)
        if remote is not None:
            backends["argo"] = cast(RunBackend, remote(Server.from_options(server, namespace)))
    return backends
