"""Hand a compiled pipeline to an Argo Server: for when one machine is not enough.

The document is exactly what ``creg compile`` writes; this module only wraps it in the
Argo Server's REST create request (see Argo's swagger: ``WorkflowCreateRequest``,
``WorkflowTemplateCreateRequest``, ``CreateCronWorkflowRequest``) and, with ``wait``,
polls the workflow until it finishes.  HTTP itself is ``fetch.request_json``.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from collections.abc import Callable, Mapping
from urllib.parse import quote

from registry.errors import ArgumentError, CregError, mention
from registry.sources.fetch import FetchError, request_json, retries

# kind -> (path segment, key of the document in the create request)
ENDPOINTS = {"Workflow": ("workflows", "workflow"),
             "WorkflowTemplate": ("workflow-templates", "template"),
             "CronWorkflow": ("cron-workflows", "cronWorkflow")}
FINISHED = ("Succeeded", "Failed", "Error")


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes")


@dataclass(frozen=True)
class Server:
    url: str
    namespace: str
    token: str = ""
    verify: bool = True  # False: accept the self-signed certificate Argo Server starts with

    @classmethod
    def from_options(cls, server: str | None, namespace: str | None) -> "Server":
        """The settings Argo's own CLI reads: ``ARGO_SERVER`` (``host:port``; https unless
        ``ARGO_SECURE=false``), ``ARGO_INSECURE_SKIP_VERIFY``, ``ARGO_NAMESPACE``, ``ARGO_TOKEN``."""
        url = server or os.environ.get("ARGO_SERVER", "")
        if not url:
            raise ArgumentError("server", f"no Argo Server: pass {mention('server')} URL or set ARGO_SERVER")
        if "://" not in url:
            secure = os.environ.get("ARGO_SECURE", "true").strip().lower() not in ("0", "false", "no")
            url = ("https://" if secure else "http://") + url
        return cls(url.rstrip("/"), namespace or os.environ.get("ARGO_NAMESPACE", "argo"),
                   argo_token(), not _env_flag("ARGO_INSECURE_SKIP_VERIFY"))

    def headers(self) -> dict[str, str]:
        if not self.token:
            return {}
        token = self.token if self.token.lower().startswith("bearer ") else f"Bearer {self.token}"
        return {"Authorization": token}

    def api(self, collection: str, name: str = "") -> str:
        path = f"{self.url}/api/v1/{collection}/{quote(self.namespace)}"
        return f"{path}/{quote(name)}" if name else path


@dataclass(frozen=True)
class Submitted:
    kind: str
    name: str
    namespace: str
    ui: str


def submit_document(doc: Mapping[str, object], server: Server) -> Submitted:
    """Create the Workflow / WorkflowTemplate / CronWorkflow; return what the server named it."""
    kind = str(doc["kind"])
    collection, key = ENDPOINTS[kind]
    created = request_json("POST", server.api(collection), {"namespace": server.namespace, key: doc},
                           server.headers(), server.verify)
    name: str = (created.get("metadata") or {}).get("name", "")  # the server's answer may hold nulls
    return Submitted(kind, name, server.namespace, f"{server.url}/{collection}/{server.namespace}/{name}")


def poll_seconds() -> float:
    try:
        return max(0.05, float(os.environ.get("CREG_SUBMIT_POLL", "") or 2.0))
    except ValueError:
        return 2.0


def wait_for(submitted: Submitted, server: Server, timeout: float,
             on_phase: Callable[[str], None] = lambda phase: None) -> str:
    """Poll a submitted Workflow until it finishes; its final phase."""
    deadline, last, poll = time.monotonic() + timeout, "", poll_seconds()
    while True:
        phase = _phase(submitted, server)
        if phase != last:
            on_phase(phase)
            last = phase
        if phase in FINISHED:
            return phase
        if time.monotonic() > deadline:
            return f"still {phase} after {timeout:g}s"
        time.sleep(poll)


def _phase(submitted: Submitted, server: Server) -> str:
    """The workflow's phase; a failed status request is tried again (a long wait outlives blips)."""
    for attempt in range(max(0, retries())):
        try:
            return _status_phase(submitted, server)
        except FetchError:
            time.sleep(poll_seconds() * 2 ** attempt)
    return _status_phase(submitted, server)


def _status_phase(submitted: Submitted, server: Server) -> str:
    status = request_json("GET", server.api("workflows", submitted.name), None, server.headers(), server.verify)
    phase: str = (status.get("status") or {}).get("phase") or "Pending"  # a new workflow has no status yet
    return phase


def argo_token() -> str:
    """``ARGO_TOKEN`` without the whitespace a CI secret often carries (a trailing newline).

    A control character left inside is refused without showing the token: requests would
    refuse the header and print its value.
    """
    token = os.environ.get("ARGO_TOKEN", "").strip()
    if any(ord(c) < 32 or ord(c) == 127 for c in token):
        raise CregError("ARGO_TOKEN holds a control character (a line break or tab inside it?); "
                        "set it to the token alone")
    return token
