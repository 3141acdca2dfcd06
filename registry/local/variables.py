"""The values of Argo's template variables in a local run, as Argo would give them.

Argo documents every variable a template may use (docs/variables.md, "Reference"): the
workflow's identity (``workflow.name`` is the *generated* name, ``workflow.uid`` a fresh UUID),
its parameters, labels and annotations, its creation time in RFC 3339 and strftime forms, and
in exit handlers its status, duration and failures.  Per node: ``pod.name`` (Argo's v2 pod
names: workflow, template and a hash of the node name), ``node.name`` and ``retries``.  A
finished task is read as ``tasks.X.*`` (or ``steps.X.*``): id, status, exitCode, startedAt,
finishedAt and its outputs.  ``references`` checks, before a run, that every name used is one
of these.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone

from registry.argo.podnames import fnv32a, pod_name as argo_pod_name

# Kubernetes completes a generateName with five of these (no vowels, no look-alikes).
_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
# The strftime characters Argo offers as workflow.creationTimestamp.<CHAR>.
STRFTIME_CHARS = "aAbBcCdDeFgGhHIjklmMnpRrStTuUVwWxXyYzZ"
# Stands for ``{{retries}}`` until the attempt it belongs to is known (see process.run_on_host).
RETRIES_MARK = "\x00creg-retries\x00"


def generated_name(metadata: Mapping[str, object]) -> str:
    """``metadata.name``, else ``generateName`` plus five random characters, as the API server does."""
    if metadata.get("name"):
        return str(metadata["name"])
    prefix = str(metadata.get("generateName") or "workflow-")
    return prefix + "".join(secrets.choice(_NAME_ALPHABET) for _ in range(5))


def rfc3339(moment: datetime) -> str:
    """``2018-08-23T05:42:49Z``: UTC, whole seconds, as Kubernetes writes timestamps."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class WorkflowIdentity:
    """Who the running workflow is; fixed when the run starts."""

    name: str
    entrypoint: str
    namespace: str = "local"
    uid: str = field(default_factory=lambda: str(uuid.uuid4()))
    service_account: str = "default"
    priority: int = 0
    created: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    scheduled: bool = False  # a CronWorkflow's run has workflow.scheduledTime
    started: float = field(default_factory=time.monotonic)


def global_values(identity: WorkflowIdentity, parameters: Mapping[str, str]) -> dict[str, str]:
    """Every ``workflow.*`` variable known when the run starts."""
    values = {
        "workflow.name": identity.name, "workflow.namespace": identity.namespace,
        "workflow.uid": identity.uid, "workflow.serviceAccountName": identity.service_account,
        "workflow.mainEntrypoint": identity.entrypoint, "workflow.priority": str(identity.priority),
        "workflow.creationTimestamp": rfc3339(identity.created),
        "workflow.creationTimestamp.RFC3339": rfc3339(identity.created),
        "workflow.status": "Running", "workflow.failures": "[]",
    }
    values.update({f"workflow.creationTimestamp.{c}": identity.created.strftime(f"%{c}") for c in STRFTIME_CHARS})
    if identity.scheduled:
        values["workflow.scheduledTime"] = rfc3339(identity.created)
    values.update(_table("workflow.parameters", parameters))
    # The bare form is Argo's deprecated spelling of .json; both give the list of {name, value}.
    values["workflow.parameters"] = values["workflow.parameters.json"] = json.dumps(
        [{"name": k, "value": v} for k, v in parameters.items()])
    values.update(_table("workflow.labels", identity.labels))
    values.update(_table("workflow.annotations", identity.annotations))
    values["workflow.labels.json"] = json.dumps(identity.labels)
    values["workflow.annotations.json"] = json.dumps(identity.annotations)
    return values


def _table(prefix: str, table: Mapping[str, object]) -> dict[str, str]:
    return {f"{prefix}.{k}": str(v) for k, v in table.items()}


def duration(identity: WorkflowIdentity) -> str:
    """``workflow.duration``: seconds since the run started."""
    return f"{time.monotonic() - identity.started:.6f}"


def node_name(identity: WorkflowIdentity, node_id: str, base: str) -> str:
    """Argo's node name: the workflow's (generated) name, then the task path."""
    return identity.name + node_id[len(base):] if node_id.startswith(base) else node_id


def pod_name(identity: WorkflowIdentity, template: str, node: str) -> str:
    """Argo's v2 pod name (``<workflow>-<template>-<fnv32a(node name)>``), by the one rule creg has."""
    return argo_pod_name({"metadata": {"name": identity.name}}, {"templateName": template, "name": node})


def node_values(identity: WorkflowIdentity, template: str, node: str) -> dict[str, str]:
    """The per-node variables of a container or script template."""
    return {"pod.name": pod_name(identity, template, node), "node.name": node, "retries": RETRIES_MARK}


def failures(nodes: list[tuple[str, str, str, str]]) -> str:
    """``workflow.failures``: (displayName, message, templateName, finishedAt) of failed nodes."""
    return json.dumps([{"displayName": display, "message": message, "templateName": template,
                        "phase": "Failed", "podName": "", "finishedAt": finished}
                       for display, message, template, finished in nodes])


# The names Argo resolves; a tag with another root (KFP's ``{{$.inputs...}}``, a program's own
# ``{{x}}``) is not Argo's and passes through unchanged, as Argo leaves it.
ARGO_ROOTS = frozenset({"workflow", "inputs", "outputs", "pod", "node", "steps", "tasks", "item", "retries",
                        "lastRetry", "cronworkflow"})


def is_argo_variable(name: str) -> bool:
    """Whether Argo would try to resolve ``{{name}}`` (expression tags always are)."""
    return name.startswith("=") or name.split(".")[0].split("[")[0] in ARGO_ROOTS


def field_ref(path: str, identity: WorkflowIdentity, pod: str) -> str | None:
    """The downward API's value for ``env[].valueFrom.fieldRef.fieldPath`` (None: not known here)."""
    values = {"metadata.name": pod, "metadata.namespace": identity.namespace, "metadata.uid": identity.uid,
              "spec.serviceAccountName": identity.service_account, "spec.nodeName": "localhost",
              "status.hostIP": "127.0.0.1", "status.podIP": "127.0.0.1"}
    labels = {**identity.labels, "workflows.argoproj.io/workflow": identity.name}
    values.update({f"metadata.labels['{k}']": v for k, v in labels.items()})
    if path.startswith(("metadata.labels[", "metadata.annotations[")):
        return values.get(path, "")  # the kubelet gives an absent label or annotation as empty
    return values.get(path)


# What ``tasks.X.<field>`` / ``steps.X.<field>`` may name besides outputs.
NODE_FIELDS = ("id", "ip", "status", "exitCode", "startedAt", "finishedAt", "hostNodeName")
