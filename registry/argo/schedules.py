"""Scheduled pipelines on an Argo Server: its CronWorkflows (``/api/v1/cron-workflows/...``).

A pipeline with a ``schedule`` is submitted as a CronWorkflow; these are the verbs of
``creg schedules``.  The runs a schedule made carry Argo's ``workflows.argoproj.io/cron-workflow``
label, so ``creg runs list --schedule NAME`` is a label selector on the runs
(``RunQuery.schedule``), not a call here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from registry.argo.runview import resolve_run_id
from registry.argo.server import Server
from registry.argo.serverruns import call_api
from registry.errors import CregError, did_you_mean
from registry.sources.fetch import HTTPStatusError

CronWorkflow = dict[str, Any]


class ScheduleNotFound(CregError):
    """No CronWorkflow has that name (or the prefix matches none)."""


class ArgoSchedules:
    """The CronWorkflows of one namespace of an Argo Server."""

    def __init__(self, server: Server) -> None:
        self.server = server

    def _call(self, method: str, path: str = "", query: dict[str, str] | None = None, body: Any = None) -> Any:
        return call_api(self.server, "cron-workflows", method, path, query, body)

    def list_schedules(self, labels: dict[str, str] | None = None) -> list[CronWorkflow]:
        """By name; ``labels`` narrow through ``listOptions.labelSelector``."""
        selector = ",".join(f"{key}={value}" for key, value in sorted((labels or {}).items()))
        answer = self._call("GET", query={"listOptions.labelSelector": selector} if selector else None)
        items = list(answer.get("items") or [])  # Argo sends "items": null for none
        return sorted(items, key=lambda cron: str((cron.get("metadata") or {}).get("name", "")))

    def resolve(self, wanted: str) -> str:
        names = [str((c.get("metadata") or {}).get("name", "")) for c in self.list_schedules()]
        try:
            return resolve_run_id(wanted, names)
        except CregError:
            if any(name.startswith(wanted) for name in names):
                raise ScheduleNotFound(f"schedule name '{wanted}' is ambiguous") from None
            raise ScheduleNotFound(f"no schedule '{wanted}'{did_you_mean(wanted, names)}") from None

    def get(self, wanted: str) -> CronWorkflow:
        """An exact name costs one request; a prefix a listing first."""
        try:
            return dict(self._call("GET", "/" + quote(wanted)))
        except HTTPStatusError as exc:
            if exc.status != 404:
                raise
        return dict(self._call("GET", "/" + quote(self.resolve(wanted))))

    def _act(self, wanted: str, verb: str) -> CronWorkflow:
        name = self.get(wanted)["metadata"]["name"]
        body = {"name": name, "namespace": self.server.namespace}
        return dict(self._call("PUT", f"/{quote(name)}/{verb}", body=body))

    def suspend(self, wanted: str) -> CronWorkflow:
        return self._act(wanted, "suspend")

    def resume(self, wanted: str) -> CronWorkflow:
        return self._act(wanted, "resume")

    def delete(self, wanted: Sequence[str]) -> list[str]:
        """Every name is resolved before any is deleted: one unknown name deletes none."""
        names = [self.get(one)["metadata"]["name"] for one in wanted]
        for name in dict.fromkeys(names):
            self._call("DELETE", "/" + quote(name))
        return list(dict.fromkeys(names))


def schedule_row(cron: CronWorkflow) -> dict[str, str]:
    """What ``schedules list`` shows of one CronWorkflow."""
    spec, status = cron.get("spec") or {}, cron.get("status") or {}
    schedules = spec.get("schedules") or ([spec["schedule"]] if spec.get("schedule") else [])
    return {"name": str(cron["metadata"].get("name", "")),
            "schedule": ", ".join(str(s) for s in schedules),
            "timezone": str(spec.get("timezone") or ""),
            "suspended": "yes" if spec.get("suspend") else "no",
            "active": str(len(status.get("active") or [])),
            "last": str(status.get("lastScheduledTime") or ""),
            "succeeded": str(status.get("succeeded") or 0),
            "failed": str(status.get("failed") or 0)}
