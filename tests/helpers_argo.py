"""An Argo Server stand-in on 127.0.0.1 that holds itself, and creg, to Argo's published REST API.

No Kubernetes cluster runs here.  The stand-in keeps Workflows and CronWorkflows in memory and
plays the controller's part (a Workflow's tasks run one after another, one step per poll or
per log-stream tick), but every request it receives is first checked against Argo's swagger
(the project's copy, ``schemas/argo/swagger.json``): the path template and method, every query parameter's name
and type (``listOptions.labelSelector``, ``logOptions.follow``...), the body against its
definition (closed objects: an unknown key is an error, as creg's own Argo check makes it), and
every answer it sends against the operation's response schema, each line of a log stream
included.  A request the swagger does not describe is answered 400 and recorded in
``violations``, which the fixtures assert empty.  The validators are compiled once per test
session (the swagger is 800 kB).
"""

from __future__ import annotations

import copy
import functools
import http.server
import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import parse_qs, unquote, urlsplit

from registry.argo.check import close_objects
from registry.argo.podnames import fnv32a, pod_name

SWAGGER = Path(__file__).resolve().parent.parent / "schemas" / "argo" / "swagger.json"
TOKEN = "s3cr3t-token"
URI = "urn:argo-swagger"
PREFIX = "io.argoproj.workflow.v1alpha1."
LABEL_PHASE = "workflows.argoproj.io/phase"
LABEL_COMPLETED = "workflows.argoproj.io/completed"
LABEL_CRON = "workflows.argoproj.io/cron-workflow"
LOG_TEMPLATE = "/api/v1/workflows/{namespace}/{name}/log"


# --- the contract ----------------------------------------------------------------------------


@functools.cache
def swagger() -> dict[str, Any]:
    return json.loads(SWAGGER.read_text(encoding="utf-8"))


# Argo's Go types take numbers where the published types say string (as registry.argo.check).
_WIDENED = {("io.k8s.apimachinery.pkg.util.intstr.IntOrString",): ["string", "integer"],
            ("io.k8s.apimachinery.pkg.api.resource.Quantity",): ["string", "number"],
            (PREFIX + "Parameter", "properties", "value"): ["string", "number", "boolean"],
            (PREFIX + "Parameter", "properties", "default"): ["string", "number", "boolean"]}


@functools.cache
def _registry() -> Any:
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    adjusted = copy.deepcopy(swagger())
    for path, types in _WIDENED.items():
        node = adjusted["definitions"]
        for key in path:
            node = node[key]
        node["type"] = types
    close_objects(adjusted["definitions"])
    close_objects(adjusted["paths"])
    return Registry().with_resource(URI, Resource.from_contents(adjusted, default_specification=DRAFT4))


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


@functools.cache
def validator(*pointer: str) -> Any:
    """A Draft 4 validator for the schema at that JSON pointer of the swagger (built once)."""
    from jsonschema import Draft4Validator

    return Draft4Validator({"$ref": f"{URI}#/{_pointer(*pointer)}"}, registry=_registry())


def schema_problems(value: Any, *pointer: str) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path)) or '$'}: {e.message[:300]}"
            for e in validator(*pointer).iter_errors(value)]


@functools.cache
def _templates() -> list[tuple[re.Pattern[str], str, int]]:
    """(regex, template, literal segments) per path, literal-richest first (``/submit`` before ``{name}``)."""
    out = []
    for template in swagger()["paths"]:
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
        literal = sum(1 for part in template.split("/") if part and not part.startswith("{"))
        out.append((re.compile(f"^{regex}$"), template, literal))
    return sorted(out, key=lambda item: -item[2])


@dataclass
class Call:
    """One request as the swagger reads it."""

    method: str
    template: str
    path: dict[str, str]
    query: dict[str, list[str]]
    body: Any = None

    def one(self, name: str, default: str = "") -> str:
        return self.query.get(name, [default])[0]


class Violation(Exception):
    """The request is not one Argo's REST API describes."""


class NotFound(Exception):
    """The request names a workflow or schedule the stand-in does not hold (a 404, as Argo's)."""


def lookup(store: dict[tuple[str, str], Any], key: tuple[str, str]) -> Any:
    if key not in store:
        raise NotFound(f"{key[1]!r} not found in namespace {key[0]!r}")
    return store[key]


def parse_call(method: str, raw: str, body: bytes) -> Call:
    split = urlsplit(raw)
    path = unquote(split.path)
    for regex, template, _ in _templates():
        match = regex.match(split.path)
        if match and method.lower() in swagger()["paths"][template]:
            params = {k: unquote(v) for k, v in match.groupdict().items()}
            call = Call(method, template, params, parse_qs(split.query, keep_blank_values=True))
            _check_parameters(call, body)
            return call
    raise Violation(f"{method} {path}: no such operation in Argo's swagger")


def _operation(call: Call) -> dict[str, Any]:
    return swagger()["paths"][call.template][call.method.lower()]


def _check_parameters(call: Call, body: bytes) -> None:
    declared = {p["name"]: p for p in _operation(call)["parameters"]}
    for name, values in call.query.items():
        param = declared.get(name)
        if param is None or param["in"] != "query":
            raise Violation(f"{call.method} {call.template}: undeclared query parameter {name!r}")
        if param.get("type") != "array" and len(values) != 1:
            raise Violation(f"{call.method} {call.template}: {name} given {len(values)} times")
        for value in values:
            _check_scalar(call, name, param.get("type", "string"), value)
    body_param = next((p for p in declared.values() if p["in"] == "body"), None)
    if body_param is None:
        if body:
            raise Violation(f"{call.method} {call.template}: a body where the operation takes none")
        return
    _check_body(call, body)


def _check_scalar(call: Call, name: str, kind: str, value: str) -> None:
    ok = {"boolean": value in ("true", "false"), "integer": re.fullmatch(r"-?\d+", value) is not None}.get(kind, True)
    if not ok:
        raise Violation(f"{call.method} {call.template}: {name}={value!r} is not a {kind}")


def _check_body(call: Call, body: bytes) -> None:
    try:
        call.body = json.loads(body or b"null")
    except ValueError:
        raise Violation(f"{call.method} {call.template}: the body is not JSON") from None
    index = next(i for i, p in enumerate(_operation(call)["parameters"]) if p["in"] == "body")
    problems = schema_problems(call.body, "paths", call.template, call.method.lower(), "parameters", str(index), "schema")
    if problems:
        raise Violation(f"{call.method} {call.template}: body: {problems[:3]}")
    for key in ("namespace", "name"):
        if isinstance(call.body, dict) and key in call.body and key in call.path and call.body[key] != call.path[key]:
            raise Violation(f"{call.method} {call.template}: body {key} {call.body[key]!r} is not the path's")


def response_problems(call: Call, status: int, body: Any) -> list[str]:
    responses = _operation(call)["responses"]
    key = str(status) if str(status) in responses else "default"
    return schema_problems(body, "paths", call.template, call.method.lower(), "responses", key, "schema")


# --- label selectors, as the API server reads them -------------------------------------------


def _terms(selector: str) -> list[str]:
    terms, depth, current = [], 0, ""
    for char in selector:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            terms.append(current.strip())
            current = ""
        else:
            current += char
    return [t for t in terms + [current.strip()] if t]


def selector_matches(selector: str, labels: dict[str, str]) -> bool:
    """``k=v``, ``k==v``, ``k!=v``, ``k in (a,b)``, ``k notin (a,b)``, ``k``, ``!k``; else ValueError."""
    for term in _terms(selector):
        if match := re.fullmatch(r"([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)", term):
            key, op, values = match.group(1), match.group(2), {v.strip() for v in match.group(3).split(",")}
            if (labels.get(key) in values) != (op == "in") or (op == "in" and key not in labels):
                return False
        elif match := re.fullmatch(r"([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)", term):
            key, op, value = match.groups()
            if (labels.get(key) == value) != (op != "!="):
                return False
        elif match := re.fullmatch(r"(!?)([\w./-]+)", term):
            if (match.group(2) in labels) == bool(match.group(1)):
                return False
        else:
            raise ValueError(f"unable to parse requirement: {term!r}")
    return True


# --- the controller's part -------------------------------------------------------------------


def now_text(offset: float = 0.0) -> str:
    return (datetime.now(timezone.utc) + timedelta(seconds=offset)).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Plan:
    """How a stand-in Workflow runs: its tasks in order, which fail, what each prints."""

    tasks: list[tuple[str, str]]  # (task name, template)
    fail: set[str] = field(default_factory=set)
    logs: dict[str, list[str]] = field(default_factory=dict)  # pod -> lines so far
    order: list[str] = field(default_factory=list)  # pods, in start order


def plan_of(workflow: dict[str, Any], fail: set[str]) -> Plan:
    spec = workflow["spec"]
    entry = next((t for t in spec.get("templates", []) if t["name"] == spec.get("entrypoint")), {})
    tasks = [(t["name"], t.get("template", t["name"])) for t in (entry.get("dag") or {}).get("tasks", [])]
    return Plan(tasks or [(spec.get("entrypoint", "main"), spec.get("entrypoint", "main"))], set(fail))


class Runs:
    """The Workflows of the stand-in, advanced a step at a time."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.plans: dict[tuple[str, str], Plan] = {}
        self.lock = threading.RLock()
        self.serial = 0

    def create(self, namespace: str, doc: dict[str, Any], fail: set[str] = frozenset(),  # type: ignore[assignment]
               age: float = 0.0, labels: dict[str, str] | None = None) -> dict[str, Any]:
        with self.lock:
            self.serial += 1
            meta = dict(doc.get("metadata") or {})
            if not meta.get("name"):  # Argo appends five random characters; these are repeatable
                meta["name"] = meta.pop("generateName", "run-") + f"{fnv32a(str(self.serial)):08x}"[:5]
            name = meta["name"]
            if (namespace, name) in self.items:
                raise FileExistsError(name)
            meta.update(name=name, namespace=namespace, uid=f"uid-{self.serial}",
                        creationTimestamp=now_text(-age), labels={**(meta.get("labels") or {}), **(labels or {})})
            workflow = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": meta,
                        "spec": copy.deepcopy(doc["spec"])}
            self.items[(namespace, name)] = workflow
            self.plans[(namespace, name)] = plan_of(workflow, set(fail))
            return workflow

    def advance(self, key: tuple[str, str]) -> None:
        """One controller step: start the workflow, or finish the running pod and start the next."""
        with self.lock:
            workflow, plan = self.items[key], self.plans[key]
            status = workflow.setdefault("status", {})
            if status.get("phase") in ("Succeeded", "Failed", "Error"):
                return
            if not status.get("phase"):
                status.update(phase="Running", startedAt=now_text(), nodes={self._root(workflow)["id"]: self._root(workflow)})
                self._start_next(workflow, plan)
            else:
                self._finish_running(workflow, plan)
            self._relabel(workflow, plan)

    def _root(self, workflow: dict[str, Any]) -> dict[str, Any]:
        name = workflow["metadata"]["name"]
        return {"id": name, "name": name, "displayName": name, "type": "DAG", "phase": "Running",
                "templateName": workflow["spec"].get("entrypoint", ""), "startedAt": now_text(), "children": []}

    def _pod(self, workflow: dict[str, Any], task: str, template: str) -> dict[str, Any]:
        name = workflow["metadata"]["name"]
        node_name = f"{name}.{task}"
        return {"id": f"{name}-{fnv32a(node_name)}", "name": node_name, "displayName": task, "type": "Pod",
                "templateName": template, "phase": "Running", "boundaryID": name, "startedAt": now_text()}

    def _start(self, workflow: dict[str, Any], plan: Plan, task: str, template: str) -> None:
        node = self._pod(workflow, task, template)
        nodes = workflow["status"]["nodes"]
        nodes[node["id"]] = node
        nodes[workflow["metadata"]["name"]]["children"].append(node["id"])
        pod = pod_name(workflow, node)
        plan.order.append(pod)
        plan.logs.setdefault(pod, []).append(f"{task}: started")

    def _start_next(self, workflow: dict[str, Any], plan: Plan) -> None:
        done = {n["displayName"] for n in workflow["status"]["nodes"].values()
                if n["type"] == "Pod" and n["phase"] == "Succeeded"}
        pending = [(task, template) for task, template in plan.tasks if task not in done]
        if pending:
            self._start(workflow, plan, *pending[0])
        else:
            self._end(workflow, plan, "Succeeded", "")

    def _finish_running(self, workflow: dict[str, Any], plan: Plan) -> None:
        running = [n for n in workflow["status"]["nodes"].values() if n["type"] == "Pod" and n["phase"] == "Running"]
        for node in running:
            failed = node["displayName"] in plan.fail
            node.update(phase="Failed" if failed else "Succeeded", finishedAt=now_text())
            plan.logs[pod_name(workflow, node)].append(f"{node['displayName']}: {'error: exit 1' if failed else 'done'}")
            if failed:
                node["message"] = "Error (exit code 1)"
                return self._end(workflow, plan, "Failed", f"child '{node['id']}' failed")
        self._start_next(workflow, plan)

    def _end(self, workflow: dict[str, Any], plan: Plan, phase: str, message: str) -> None:
        status = workflow["status"]
        if workflow["spec"].get("onExit") and not any(n["displayName"] == "onExit" for n in status["nodes"].values()):
            self._start(workflow, plan, "onExit", workflow["spec"]["onExit"])
            exit_node = next(n for n in status["nodes"].values() if n["displayName"] == "onExit")
            exit_node.update(phase="Succeeded", finishedAt=now_text())
            plan.logs[pod_name(workflow, exit_node)].append("onExit: done")
        status.update(phase=phase, finishedAt=now_text())
        status["nodes"][workflow["metadata"]["name"]].update(phase=phase, finishedAt=now_text())
        if message:
            status["message"] = message

    def _relabel(self, workflow: dict[str, Any], plan: Plan) -> None:
        status = workflow["status"]
        pods = [n for n in status["nodes"].values() if n["type"] == "Pod" and n["displayName"] != "onExit"]
        done = sum(1 for n in pods if n["phase"] in ("Succeeded", "Failed"))
        status["progress"] = f"{done}/{len(plan.tasks)}"
        labels = workflow["metadata"].setdefault("labels", {})
        labels[LABEL_PHASE] = status["phase"]
        labels[LABEL_COMPLETED] = "true" if status["phase"] in ("Succeeded", "Failed", "Error") else "false"

    def stop(self, key: tuple[str, str]) -> None:
        """Argo's stop: running pods fail, the workflow fails, the exit handler still runs."""
        with self.lock:
            if not self.items[key].get("status"):
                self.advance(key)  # a Pending run is picked up, then stopped
            workflow, plan = self.items[key], self.plans[key]
            workflow["spec"]["shutdown"] = "Stop"
            for node in workflow["status"]["nodes"].values():
                if node["type"] == "Pod" and node["phase"] == "Running":
                    node.update(phase="Failed", message="workflow shutdown with strategy:  Stop", finishedAt=now_text())
            self._end(workflow, plan, "Failed", "Stopped with strategy 'Stop'")
            self._relabel(workflow, plan)

    def retry(self, key: tuple[str, str]) -> None:
        """Failed pods are forgotten (they run again, and succeed this time); the rest is kept."""
        with self.lock:
            workflow, plan = self.items[key], self.plans[key]
            nodes = workflow["status"]["nodes"]
            for node_id in [i for i, n in nodes.items() if n["type"] == "Pod" and n["phase"] != "Succeeded"]:
                nodes.pop(node_id)
            plan.fail.clear()
            workflow["spec"].pop("shutdown", None)
            workflow["status"].update(phase="Running", message="")
            workflow["status"].pop("finishedAt", None)
            nodes[workflow["metadata"]["name"]].update(phase="Running")
            self._start_next(workflow, plan)
            self._relabel(workflow, plan)


# --- HTTP ------------------------------------------------------------------------------------


class ArgoStandIn(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.token = TOKEN
        self.runs = Runs()
        self.crons: dict[tuple[str, str], dict[str, Any]] = {}
        self.templates: dict[tuple[str, str], dict[str, Any]] = {}
        self.calls: list[Call] = []
        self.violations: list[str] = []
        self.faults: dict[int, tuple[int, str]] = {}  # request number -> (status, message)
        self.always: tuple[int, str] | None = None  # every request answered so ("{auth}": the header)
        self.auto_advance = True  # a GET of one workflow is a controller step
        self.tick = 0.02  # seconds between steps of a followed log stream
        self.stream_error = ""  # a log stream breaks off after its first line with this message
        self.cut_streams = 0  # so many log streams are cut (mid-chunk, connection dropped) after two lines
        self.count = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def created(self) -> list[dict[str, Any]]:
        return [*self.runs.items.values(), *self.crons.values(), *self.templates.values()]

    def trigger(self, namespace: str, cron_name: str, fail: set[str] = frozenset()) -> dict[str, Any]:  # type: ignore[assignment]
        """What Argo's cron controller does at a scheduled time: a labelled Workflow of the spec."""
        cron = self.crons[(namespace, cron_name)]
        meta = cron["spec"].get("workflowMetadata") or {}
        doc = {"metadata": {"generateName": f"{cron_name}-", "labels": {**(meta.get("labels") or {}), LABEL_CRON: cron_name}},
               "spec": cron["spec"]["workflowSpec"]}
        run = self.runs.create(namespace, doc, fail)
        status = cron.setdefault("status", {})
        status["lastScheduledTime"] = now_text()
        status["active"] = [{"kind": "Workflow", "name": run["metadata"]["name"], "namespace": namespace}]
        return run


class _Handler(http.server.BaseHTTPRequestHandler):
    server: ArgoStandIn
    protocol_version = "HTTP/1.1"  # chunked log streams

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, call: Call | None, code: int, body: Any) -> None:
        if call is not None:
            problems = response_problems(call, code, body)
            if problems:
                self.server.violations.append(f"answer to {call.method} {call.template} ({code}): {problems[:3]}")
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def do_PATCH(self) -> None:  # none of Argo's workflow operations: refused like any stray one
        self._serve("PATCH")

    def _serve(self, method: str) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            if body and not self.headers.get("Content-Type", "").startswith("application/json"):
                raise Violation(f"{method} {self.path}: a body that is not application/json (the swagger consumes JSON)")
            call = parse_call(method, self.path, body)
        except Violation as exc:
            self.server.violations.append(str(exc))
            return self._send(None, 400, {"code": 3, "message": f"stand-in: {exc}"})
        self.server.calls.append(call)
        self.server.count += 1
        auth = self.headers.get("Authorization", "")
        fault = self.server.faults.pop(self.server.count, None) or self.server.always
        if fault is not None:
            return self._send(call, fault[0], {"code": 2, "message": fault[1].replace("{auth}", auth)})
        if auth != f"Bearer {self.server.token}":
            return self._send(call, 401, {"code": 16, "message": "token not valid"})
        try:
            code, answer = _route(self, call)
        except NotFound as exc:
            code, answer = 404, {"code": 5, "message": str(exc)}
        except Exception as exc:  # a bug of the stand-in: fail the test, visibly
            self.server.violations.append(f"stand-in crashed on {call.method} {call.template}: {exc!r}")
            code, answer = 500, {"code": 13, "message": f"stand-in crashed: {exc!r}"}
        if answer is not None:
            self._send(call, code, answer)

    def stream_logs(self, call: Call) -> None:
        """Argo's log stream: one ``{"result": LogEntry}`` a line, chunked, open while following."""
        key = (call.path["namespace"], call.path["name"])
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        cut = self.server.cut_streams > 0
        self.server.cut_streams -= cut
        for index, entry in enumerate(_log_entries(self.server, key, call)):
            if cut and index == 2:  # half a chunk, then the connection drops
                self.wfile.write(b"40\r\n{\"result\": {\"con")
                self.wfile.flush()
                self.close_connection = True
                return
            line: dict[str, Any] = {"result": entry}
            if index and self.server.stream_error:
                line = {"error": {"grpc_code": 2, "http_code": 500, "http_status": "Internal Server Error",
                                  "message": self.server.stream_error.replace("{auth}", self.headers["Authorization"])}}
            problems = response_problems(call, 200, line)
            if problems:
                self.server.violations.append(f"log line: {problems[:3]}")
            data = json.dumps(line).encode() + b"\n"
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()
            if "error" in line:
                break
        self.wfile.write(b"0\r\n\r\n")


def _log_entries(server: ArgoStandIn, key: tuple[str, str], call: Call) -> Iterator[dict[str, str]]:
    sent: dict[str, int] = {}
    follow = call.one("logOptions.follow") == "true"
    while True:
        with server.runs.lock:
            plan = server.runs.plans[key]
            fresh = [(pod, line) for pod in plan.order for line in plan.logs[pod][sent.get(pod, 0):]]
            for pod in plan.order:
                sent[pod] = len(plan.logs[pod])
            phase = (server.runs.items[key].get("status") or {}).get("phase")
        for pod, line in fresh:
            if call.one("logOptions.container", "main") == "main" and call.one("podName", pod) == pod:
                yield {"content": line, "podName": pod}
        if not follow or phase in ("Succeeded", "Failed", "Error"):
            return
        time.sleep(server.tick)
        server.runs.advance(key)


def _route(handler: _Handler, call: Call) -> tuple[int, Any]:
    server, template, ns = handler.server, call.template, call.path.get("namespace", "")
    key = (ns, call.path.get("name", ""))
    if template.startswith("/api/v1/cron-workflows"):
        return _cron_route(server, call, key)
    if template == "/api/v1/workflow-templates/{namespace}" and call.method == "POST":
        doc = call.body["template"]
        created = dict(doc, metadata={**doc["metadata"], "namespace": ns, "creationTimestamp": now_text()})
        server.templates[(ns, doc["metadata"]["name"])] = created
        return 200, created
    if template == "/api/v1/workflows/{namespace}" and call.method == "POST":
        try:
            return 200, server.runs.create(ns, call.body["workflow"])
        except FileExistsError as exc:
            return 409, {"code": 6, "message": f"workflows.argoproj.io {str(exc)!r} already exists"}
    if template == "/api/v1/workflows/{namespace}":
        return _list(server, call, ns)
    if template.endswith("/log"):
        lookup(server.runs.items, key)
        handler.stream_logs(call)
        return 200, None
    return _workflow_route(server, call, key)


def _list(server: ArgoStandIn, call: Call, ns: str) -> tuple[int, Any]:
    selector, after = call.one("listOptions.labelSelector"), call.one("createdAfter")
    try:
        with server.runs.lock:
            items = [copy.deepcopy(w) for (n, _), w in server.runs.items.items() if n == ns
                     and selector_matches(selector, w["metadata"].get("labels") or {})
                     and w["metadata"]["creationTimestamp"] > after]
    except ValueError as exc:
        return 400, {"code": 3, "message": str(exc)}
    return 200, {"metadata": {"resourceVersion": str(server.count)}, "items": items}


def _workflow_route(server: ArgoStandIn, call: Call, key: tuple[str, str]) -> tuple[int, Any]:
    runs, verb = server.runs, call.template.rsplit("/", 1)[-1]
    workflow = lookup(runs.items, key)
    phase = (workflow.get("status") or {}).get("phase")
    if call.method == "GET":
        if server.auto_advance:
            runs.advance(key)
        return 200, copy.deepcopy(workflow)
    if call.method == "DELETE":
        del runs.items[key]
        return 200, {}
    if verb == "stop":
        if phase in ("Succeeded", "Failed", "Error"):
            return 400, {"code": 9, "message": "cannot shutdown a completed workflow"}
        runs.stop(key)
    elif verb == "retry":
        if phase not in ("Failed", "Error"):
            return 400, {"code": 9, "message": f"workflow must be Failed/Error to retry (it is {phase})"}
        runs.retry(key)
    elif verb == "resubmit":
        labels = {k: v for k, v in workflow["metadata"].get("labels", {}).items() if not k.startswith("workflows.argoproj.io/")}
        doc = {"metadata": {"generateName": key[1] + "-", "labels": {**labels, "workflows.argoproj.io/resubmitted-from-workflow": key[1]}},
               "spec": workflow["spec"]}
        return 200, runs.create(key[0], doc)
    else:
        return 400, {"code": 12, "message": f"stand-in does not implement {verb}"}
    return 200, copy.deepcopy(runs.items[key])


def _cron_route(server: ArgoStandIn, call: Call, key: tuple[str, str]) -> tuple[int, Any]:
    crons, verb = server.crons, call.template.rsplit("/", 1)[-1]
    if call.template == "/api/v1/cron-workflows/{namespace}" and call.method == "POST":
        doc = call.body["cronWorkflow"]
        name = doc["metadata"]["name"]
        if (key[0], name) in crons:
            return 409, {"code": 6, "message": f"cronworkflows.argoproj.io {name!r} already exists"}
        crons[(key[0], name)] = dict(doc, metadata={**doc["metadata"], "namespace": key[0], "creationTimestamp": now_text()})
        return 200, crons[(key[0], name)]
    if call.template == "/api/v1/cron-workflows/{namespace}":
        selector = call.one("listOptions.labelSelector")
        items = [c for (n, _), c in sorted(crons.items()) if n == key[0] and selector_matches(selector, c["metadata"].get("labels") or {})]
        return 200, {"metadata": {}, "items": items}
    cron = lookup(crons, key)
    if call.method == "DELETE":
        del crons[key]
        return 200, {}
    if verb in ("suspend", "resume"):
        cron["spec"]["suspend"] = verb == "suspend"
    return 200, cron


def start() -> ArgoStandIn:
    server = ArgoStandIn()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def stop(server: ArgoStandIn) -> None:
    server.shutdown()
    server.server_close()
