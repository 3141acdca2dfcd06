"""Runs on an Argo Server: ``RunBackend`` over Argo's REST API (``/api/v1/workflows/...``).

Every filter that Argo can apply is sent to it (``listOptions.labelSelector`` from the query's
labels and phases, ``createdAfter`` from ``since``), so a namespace with thousands of runs does
not come down the wire to be filtered here; what is left (phases a selector cannot express,
the limit) is applied to the answer.  Experiments are a label selector too
(``creg.dev/experiment`` exists), never a second store.  Logs are Argo's log stream (one JSON
object a line, kept open with ``follow``), read as it arrives, not polled.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import timezone
from typing import Any
from urllib.parse import urlencode

from registry.argo.podnames import pod_name
from registry.argo.runview import (LABEL_CRON, LABEL_EXPERIMENT, LABEL_PIPELINE, Experiment, LogLine, RunNotFound,
                                   RunQuery, Workflow, label_problem, resolve_run_id)
from registry.argo.server import Server
from registry.errors import ArgumentError, CregError
from registry.sources.fetch import FetchError, HTTPStatusError, StreamBroken, redact, request_json, stream_lines

LABEL_PHASE = "workflows.argoproj.io/phase"  # the controller keeps it equal to status.phase
FOLLOW_IDLE_SECONDS = 24 * 3600.0  # a followed task may print nothing for hours
FOLLOW_LIMIT_SECONDS = 7 * 24 * 3600.0
STREAM_ATTEMPTS = 5


# The query field each label comes from, to name it in an error.
_ARGUMENT = {LABEL_EXPERIMENT: "experiment", LABEL_PIPELINE: "pipeline", LABEL_CRON: "schedule"}


def label_selector(wanted: dict[str, str], phases: Sequence[str] = (), exists: Sequence[str] = ()) -> str:
    """Kubernetes selector text: ``k=v`` terms, ``k in (a,b)`` for phases, ``k`` for existence.

    A key or value that is not a label (``a,b``, ``x in (y)``) would change the selector's
    meaning, so it is refused, naming the option it came from.
    """
    for key, value in wanted.items():
        problem = label_problem(key, value)
        if problem:
            raise ArgumentError.bad_value(_ARGUMENT.get(key, "labels"), problem)
    terms = [f"{key}={value}" for key, value in sorted(wanted.items())]
    if phases:
        terms.append(f"{LABEL_PHASE} in ({','.join(sorted(set(phases)))})")
    return ",".join(terms + list(exists))


def call_api(server: Server, collection: str, method: str, path: str = "", query: dict[str, str] | None = None,
             body: Any = None) -> Any:
    """One REST call under ``/api/v1/<collection>/<namespace>``; 401/403 get the token hint."""
    url = server.api(collection) + path + (f"?{urlencode(query)}" if query else "")
    try:
        return request_json(method, url, body, server.headers(), server.verify)
    except HTTPStatusError as exc:
        if exc.status in (401, 403):
            raise access_hint(exc) from None
        raise


def access_hint(error: HTTPStatusError) -> CregError:
    """401/403 with a word on the token (never the token itself: the message is redacted)."""
    hint = {401: " (is $ARGO_TOKEN set, and still valid?)",
            403: " (the token's service account may not do this in that namespace)"}.get(error.status, "")
    return CregError(f"{error}{hint}")


class ArgoRuns:
    """The runs of one namespace of an Argo Server."""

    def __init__(self, server: Server) -> None:
        self.server = server

    # --- HTTP ---------------------------------------------------------------------------------

    def _call(self, method: str, path: str, query: dict[str, str] | None = None, body: Any = None) -> Any:
        return call_api(self.server, "workflows", method, path, query, body)

    def _named(self, method: str, name: str, verb: str = "", body: Any = None) -> Any:
        from urllib.parse import quote  # lazy: start-up

        return self._call(method, f"/{quote(name)}" + (f"/{verb}" if verb else ""), body=body)

    # --- listing ------------------------------------------------------------------------------

    def _list(self, query: dict[str, str]) -> list[Workflow]:
        answer = self._call("GET", "", query)
        return list(answer.get("items") or [])  # Argo sends "items": null for none

    def list_runs(self, query: RunQuery) -> list[Workflow]:
        """Newest first.  Pending runs have no phase label yet, so asking for them filters here."""
        use_label = bool(query.phases) and "Pending" not in query.phases
        params = {}
        selector = label_selector(query.selector(), query.phases if use_label else ())
        if selector:
            params["listOptions.labelSelector"] = selector
        if query.since is not None:
            params["createdAfter"] = query.since.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        runs = [run for run in self._list(params) if _matches(run, query)]
        runs.sort(key=_created, reverse=True)
        return runs[:query.limit] if query.limit is not None else runs

    def resolve(self, run_id: str) -> str:
        """The full name of the one run ``run_id`` names (itself, or a unique prefix)."""
        return resolve_run_id(run_id, self._names())

    def _names(self) -> list[str]:
        return [str((run.get("metadata") or {}).get("name", "")) for run in self._list({})]

    def get_run(self, run_id: str) -> Workflow:
        """An exact name costs one request; a prefix costs a listing first."""
        try:
            return dict(self._named("GET", run_id))
        except HTTPStatusError as exc:
            if exc.status != 404:
                raise
        return dict(self._named("GET", self.resolve(run_id)))

    # --- actions ------------------------------------------------------------------------------

    def delete_runs(self, run_ids: Sequence[str]) -> list[str]:
        """Every id is resolved before anything is deleted: one unknown id deletes none."""
        names = self._names()
        resolved = [resolve_run_id(run_id, names) for run_id in run_ids]
        for name in dict.fromkeys(resolved):
            try:
                self._named("DELETE", name)
            except HTTPStatusError as exc:
                if exc.status == 404:
                    raise RunNotFound(f"no run '{name}'") from None
                raise
        return list(dict.fromkeys(resolved))

    def _act(self, run_id: str, verb: str, extra: dict[str, Any] | None = None) -> Workflow:
        name = self.get_run(run_id)["metadata"]["name"]
        body = {"name": name, "namespace": self.server.namespace, **(extra or {})}
        return dict(self._named("PUT", name, verb, body))

    def stop_run(self, run_id: str) -> Workflow:
        """Argo's stop: running pods end, and the exit handler still runs (terminate skips it)."""
        return self._act(run_id, "stop")

    def retry_run(self, run_id: str) -> Workflow:
        return self._act(run_id, "retry")

    def resubmit_run(self, run_id: str, memoized: bool = False) -> Workflow:
        """A new run of the same Workflow (Argo names it); ``memoized`` reuses cached steps."""
        return self._act(run_id, "resubmit", {"memoized": memoized})

    # --- experiments --------------------------------------------------------------------------

    def experiments(self) -> list[Experiment]:
        """Each experiment's runs by phase, newest experiment first, from one labelled listing."""
        runs = self._list({"listOptions.labelSelector": LABEL_EXPERIMENT})
        groups: dict[str, list[Workflow]] = {}
        for run in sorted(runs, key=_created, reverse=True):
            name = ((run.get("metadata") or {}).get("labels") or {}).get(LABEL_EXPERIMENT)
            if name is not None:  # a server that ignored the selector sends unlabelled runs too
                groups.setdefault(str(name), []).append(run)
        return [_experiment(name, members) for name, members in groups.items()]

    # --- logs ---------------------------------------------------------------------------------

    def logs(self, run_id: str, task: str | None = None, follow: bool = False) -> Iterator[LogLine]:
        """Each line of the run's main containers, prefixed by its task, from Argo's log stream."""
        workflow = self.get_run(run_id)
        name = workflow["metadata"]["name"]
        tasks = PodTasks(workflow)
        pods = tasks.pods_of(task) if task is not None else set()
        if task is not None and not pods and not (follow and task in tasks.declared):
            raise RunNotFound(f"run '{name}' has no task '{task}'{tasks.hint(task)}")
        query = {"logOptions.container": "main"}
        if follow:
            query["logOptions.follow"] = "true"
        elif len(pods) == 1:  # while following, a retry may start another pod of the task
            query["podName"] = next(iter(pods))
        refresh: Callable[[], Workflow] = lambda: self._named("GET", name)
        for pod, content in self._resumed_entries(name, query, follow):
            label = tasks.by_pod.get(pod) or tasks.task_of(pod, refresh)
            if task is not None and label != task and not label.startswith(f"{task}("):
                continue
            for text in content.split("\n") if "\n" in content else (content,):
                yield LogLine(label, text)

    def _resumed_entries(self, name: str, query: dict[str, str], follow: bool) -> Iterator[tuple[str, str]]:
        """The stream, asked for again when it breaks off (a proxy's idle cut, a server restart).

        A new stream replays each pod's log from its start, so the entries already given are
        counted per pod and skipped: nothing is shown twice and nothing is lost.
        """
        given: dict[str, int] = {}
        for attempt in range(STREAM_ATTEMPTS):
            seen: dict[str, int] = {}
            try:
                for pod, content in self._log_entries(name, query, follow):
                    seen[pod] = seen.get(pod, 0) + 1
                    if seen[pod] > given.get(pod, 0):
                        given[pod] = seen[pod]
                        yield pod, content
                return
            except StreamBroken:
                if attempt == STREAM_ATTEMPTS - 1:
                    raise
                time.sleep(min(5.0, 0.2 * 2 ** attempt))

    def _log_entries(self, name: str, query: dict[str, str], follow: bool) -> Iterator[tuple[str, str]]:
        """(pod, content) of each ``LogEntry`` of the stream, as it arrives."""
        from urllib.parse import quote  # lazy: start-up

        url = f"{self.server.api('workflows')}/{quote(name)}/log?{urlencode(query)}"
        headers = self.server.headers()
        lines = stream_lines(url, headers, self.server.verify,
                             FOLLOW_IDLE_SECONDS if follow else None, FOLLOW_LIMIT_SECONDS if follow else None)
        try:
            for line in lines:
                entry = _log_entry(url, line, headers.values())
                yield str(entry.get("podName") or ""), str(entry.get("content") or "")
        except HTTPStatusError as exc:
            if exc.status in (401, 403):
                raise access_hint(exc) from None
            raise


_DECODER = json.JSONDecoder()


def _log_entry(url: str, line: bytes, secrets: Iterable[str]) -> dict[str, Any]:
    """One object of the stream: ``{"result": LogEntry}`` or ``{"error": StreamError}``."""
    try:
        message = _DECODER.decode(line.decode("utf-8", "replace"))
    except ValueError:
        raise FetchError(redact(f"GET {url}: a log line is not JSON: {line[:200]!r}", secrets)) from None
    if not isinstance(message, dict):
        raise FetchError(f"GET {url}: a log line is not a JSON object")
    if message.get("error"):
        error = message["error"] if isinstance(message["error"], dict) else {"message": message["error"]}
        raise FetchError(redact(f"GET {url}: the log stream failed: {error.get('message', error)}", secrets))
    result = message.get("result")
    return result if isinstance(result, dict) else {}


class PodTasks:
    """Pod name -> the task (node displayName) it ran, for prefixing each log line."""

    def __init__(self, workflow: Workflow) -> None:
        self.by_pod: dict[str, str] = {}
        self.asked: set[str] = set()  # pods the workflow was read again for
        self.declared = _declared_tasks(workflow)  # what may still start: every task in the spec
        self._learn(workflow)

    def _learn(self, workflow: Workflow) -> None:
        for node in ((workflow.get("status") or {}).get("nodes") or {}).values():
            if node.get("type") == "Pod":
                self.by_pod[pod_name(workflow, node)] = str(node.get("displayName") or node.get("name", ""))

    def pods_of(self, task: str) -> set[str]:
        """The pods of a task: its own, or its loop iterations' and retries' (``task(0:a)``)."""
        return {pod for pod, shown in self.by_pod.items() if shown == task or shown.startswith(f"{task}(")}

    def hint(self, task: str) -> str:
        from registry.errors import did_you_mean  # lazy: start-up

        started = {shown.split("(")[0] for shown in self.by_pod.values()}
        return did_you_mean(task, sorted(started | self.declared))

    def task_of(self, pod: str, refresh: Callable[[], Workflow]) -> str:
        """A pod that started after the workflow was read: the workflow is read again (once per
        such pod, not per line); a pod it still does not know is shown by its own name."""
        if pod not in self.by_pod and pod not in self.asked:
            self.asked.add(pod)
            self._learn(refresh())
        return self.by_pod.get(pod, pod)


def _declared_tasks(workflow: Workflow) -> set[str]:
    """The DAG tasks and steps every template of the Workflow names."""
    spec = workflow.get("spec") or {}
    names: set[str] = set()
    for template in spec.get("templates") or []:
        names.update(str(task.get("name", "")) for task in (template.get("dag") or {}).get("tasks") or [])
        names.update(str(step.get("name", "")) for group in template.get("steps") or [] for step in group or [])
    return names


def _created(run: Workflow) -> str:
    return str((run.get("metadata") or {}).get("creationTimestamp") or "")


def _matches(run: Workflow, query: RunQuery) -> bool:
    """What the server could not filter: phases (Pending has no label), since, the labels again."""
    status = run.get("status") or {}
    labels = (run.get("metadata") or {}).get("labels") or {}
    if query.phases and (status.get("phase") or "Pending") not in query.phases:
        return False
    if query.since is not None and _created(run) < query.since.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"):
        return False
    return all(labels.get(key) == value for key, value in query.selector().items())


def _experiment(name: str, runs: list[Workflow]) -> Experiment:
    counts: dict[str, int] = {}
    for run in runs:
        phase = (run.get("status") or {}).get("phase") or "Pending"
        counts[phase] = counts.get(phase, 0) + 1
    newest = runs[0]
    started = (newest.get("status") or {}).get("startedAt") or _created(newest)
    return Experiment(name, counts, newest["metadata"]["name"], str(started))
