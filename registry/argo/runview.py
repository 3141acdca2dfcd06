"""A run, seen the way Argo shows it: the one shape every place a run lives speaks.

A run recorded on this machine (``registry.local``'s run store) and a Workflow on an Argo Server
are both handed around as an Argo ``io.argoproj.workflow.v1alpha1.Workflow`` object as plain
JSON data (``metadata.name``, ``metadata.labels``, ``metadata.creationTimestamp``,
``spec.arguments``, ``status.phase``, ``status.startedAt``, ``status.finishedAt``,
``status.progress`` such as ``"2/3"``, ``status.message`` and ``status.nodes``: id -> node with
``id``, ``name``, ``displayName``, ``type`` (``DAG``/``Pod``/``Skipped``/``TaskGroup``...),
``templateName``, ``phase``, ``boundaryID``, ``children``, ``startedAt``, ``finishedAt``,
``message``, ``inputs``/``outputs`` (``parameters``, ``artifacts``, ``exitCode``)).  Times are
RFC 3339 UTC text (``2026-12-04T07:49:08Z``), as Argo writes them.

So the CLI's ``creg runs`` verbs, the web UI and the Python API each have one formatter for
both places, and the local store is checked against the same swagger schema as the server.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from registry.errors import CregError, did_you_mean

# Labels creg puts on every run it starts (locally and on Argo), so experiments and pipelines
# are label selectors, never a second store.
LABEL_EXPERIMENT = "creg.dev/experiment"
LABEL_PIPELINE = "creg.dev/pipeline"
LABEL_PIPELINE_DIGEST = "creg.dev/pipeline-digest"
# Argo's own label on a Workflow a CronWorkflow created.
LABEL_CRON = "workflows.argoproj.io/cron-workflow"

RUNNING_PHASES = ("Pending", "Running")
FINISHED_PHASES = ("Succeeded", "Failed", "Error")
PHASES = RUNNING_PHASES + FINISHED_PHASES

Workflow = dict[str, Any]  # an Argo Workflow object as JSON data (see the module docstring)


class RunNotFound(CregError):
    """No run has that id (or the prefix matches none)."""


class LogLine(NamedTuple):
    task: str  # the node's displayName ("" for the workflow itself)
    text: str  # one line, without its newline


@dataclass(frozen=True)
class RunQuery:
    """What ``runs list`` filters on; every field narrows, ``None``/empty means any."""

    experiment: str | None = None
    pipeline: str | None = None
    phases: tuple[str, ...] = ()
    since: datetime | None = None  # aware, UTC
    labels: Mapping[str, str] = field(default_factory=dict)
    schedule: str | None = None  # the CronWorkflow that made the run (LABEL_CRON)
    limit: int | None = None

    def selector(self) -> dict[str, str]:
        """Every label this query requires: what Argo's ``listOptions.labelSelector`` carries."""
        wanted = dict(self.labels)
        if self.experiment is not None:
            wanted[LABEL_EXPERIMENT] = self.experiment
        if self.pipeline is not None:
            wanted[LABEL_PIPELINE] = self.pipeline
        if self.schedule is not None:
            wanted[LABEL_CRON] = self.schedule
        return wanted


class Experiment(NamedTuple):
    name: str
    counts: Mapping[str, int]  # phase -> runs
    last_run: str  # name of the newest run
    last_started: str  # RFC 3339


class RunBackend(Protocol):
    """Where runs live: the local store or an Argo Server.  Every verb of ``creg runs``.

    Methods that take an id accept a unique prefix (see ``resolve_run_id``) and raise
    ``RunNotFound`` for none; every Workflow returned has the shape of the module docstring.
    """

    def list_runs(self, query: RunQuery) -> list[Workflow]:
        """Newest first."""
        ...

    def get_run(self, run_id: str) -> Workflow: ...

    def logs(self, run_id: str, task: str | None = None, follow: bool = False) -> Iterator[LogLine]:
        """Each task's lines (one task's with ``task``); ``follow`` streams until the run ends."""
        ...

    def delete_runs(self, run_ids: Sequence[str]) -> list[str]:
        """The full names deleted."""
        ...

    def stop_run(self, run_id: str) -> Workflow:
        """Stop it; the exit handler still runs, as with ``argo stop``."""
        ...

    def retry_run(self, run_id: str) -> Workflow:
        """Rerun the failed nodes, reusing the succeeded ones' outputs."""
        ...

    def experiments(self) -> list[Experiment]: ...


def resolve_run_id(wanted: str, names: Iterable[str]) -> str:
    """The one name equal to ``wanted`` or starting with it; else ``RunNotFound`` with a hint."""
    known = list(names)
    if wanted in known:
        return wanted
    matches = [name for name in known if name.startswith(wanted)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        shown = ", ".join(f"'{name}'" for name in sorted(matches)[:5])
        raise RunNotFound(f"run id '{wanted}' is ambiguous: it starts {len(matches)} runs ({shown}...)")
    raise RunNotFound(f"no run '{wanted}'{did_you_mean(wanted, known)}")


def progress(workflow: Workflow) -> str:
    """``done/total`` over the Pod nodes, as Argo's ``status.progress``."""
    status = workflow.get("status") or {}
    if status.get("progress"):
        return str(status["progress"])
    pods = [n for n in (status.get("nodes") or {}).values() if n.get("type") == "Pod"]
    done = sum(1 for n in pods if n.get("phase") in FINISHED_PHASES)
    return f"{done}/{len(pods)}"


# A Kubernetes label value (and the name part of a key): at most 63 characters, alphanumeric at
# both ends, '-', '_' and '.' inside.  Checked locally too, so a label that works here works on Argo.
_LABEL_NAME = r"([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)"
_LABEL_KEY = re.compile(rf"([a-z0-9]([-a-z0-9.]{{0,251}}[a-z0-9])?/)?{_LABEL_NAME}")
_LABEL_VALUE = re.compile(rf"{_LABEL_NAME}?")


def label_problem(key: str, value: str) -> str | None:
    """Why ``key=value`` is not a Kubernetes label, or None when it is one."""
    if not _LABEL_KEY.fullmatch(key):
        return f"{key!r} is not a label key (a name of up to 63 letters, digits, '-', '_', '.', optionally 'prefix/')"
    if not _LABEL_VALUE.fullmatch(value):
        return f"{key}={value!r}: a label value has up to 63 letters, digits, '-', '_', '.', alphanumeric at both ends"
    return None


def pipeline_digest(doc: Mapping[str, Any]) -> str:
    """What ``creg.dev/pipeline-digest`` holds: sha256 of the Workflow's spec without its arguments.

    Arguments (the run's parameter values) and metadata (the run's name) are left out, so every run
    of one compiled pipeline carries the same digest; a label value holds 63 characters at most,
    hence the first 32 hex digits (128 bits).
    """
    spec = dict(doc.get("spec") or {})
    if doc.get("kind") == "CronWorkflow":
        spec = dict(spec.get("workflowSpec") or {})
    spec.pop("arguments", None)
    text = json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def pipeline_name(doc: Mapping[str, Any]) -> str:
    """The pipeline a Workflow was compiled from (its ``creg.dev/pipeline`` annotation), else its name."""
    metadata = doc.get("metadata") or {}
    annotated = (metadata.get("annotations") or {}).get(LABEL_PIPELINE)
    return str(annotated or metadata.get("name") or str(metadata.get("generateName") or "workflow-").rstrip("-"))


def run_labels(doc: Mapping[str, Any], experiment: str | None, labels: Mapping[str, str]) -> dict[str, str]:
    """The labels creg puts on a run of ``doc``: the user's, the experiment's, the pipeline's and its digest."""
    wanted = {**labels, LABEL_PIPELINE: pipeline_name(doc)[:63].strip("-_.") or "workflow",
              LABEL_PIPELINE_DIGEST: pipeline_digest(doc)}
    if experiment is not None:
        wanted[LABEL_EXPERIMENT] = experiment
    return wanted
