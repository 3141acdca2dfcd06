"""``creg submit``: the compiled document, wrapped in the Argo Server's create request.

No Kubernetes cluster runs here, so the server is a small stand-in on 127.0.0.1 that holds
requests to Argo's published REST API (``../shared/argo/swagger.json``: paths, body
definitions, bearer auth, grpc-gateway errors) and validates each document with creg's copy
of Argo's schema.
"""

from __future__ import annotations

import http.server
import json
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest

from helpers_registry import creg
from registry.argo.check import validate

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
TOKEN = "s3cr3t-token"


class ArgoServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, bodies: dict[str, tuple[str, set[str]]]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.bodies = bodies  # collection -> (document key, allowed request keys)
        self.created: list[dict[str, Any]] = []
        self.polls = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(http.server.BaseHTTPRequestHandler):
    server: ArgoServer

    def log_message(self, *args: Any) -> None:
        pass

    def answer(self, code: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def authorised(self) -> bool:
        if self.headers.get("Authorization") == f"Bearer {TOKEN}":
            return True
        self.answer(401, {"code": 16, "message": "token not valid"})
        return False

    def do_POST(self) -> None:
        _, api, version, collection, namespace = self.path.split("/")
        if not self.authorised():
            return
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        key, allowed = self.server.bodies[collection]
        assert (api, version) == ("api", "v1") and set(request) <= allowed, request.keys()
        doc = request[key]
        validate(doc)  # creg's copy of Argo's schema, strict + lenient
        if any(c["metadata"].get("name") == doc["metadata"].get("name", "?") for c in self.server.created):
            return self.answer(409, {"code": 6, "message": f"{collection} already exists"})
        created = dict(doc, metadata={**doc["metadata"], "namespace": namespace,
                                      "name": doc["metadata"].get("name") or doc["metadata"]["generateName"] + "x7k2p"})
        self.server.created.append(created)
        self.answer(200, created)

    def do_GET(self) -> None:
        if not self.authorised():
            return
        _, _, _, collection, namespace, name = self.path.split("/")
        known = {(c["metadata"]["namespace"], c["metadata"]["name"]) for c in self.server.created}
        if collection != "workflows" or (namespace, name) not in known:
            return self.answer(404, {"code": 5, "message": f"workflows.argoproj.io {name!r} not found"})
        self.server.polls += 1
        if self.server.polls == 2:  # one passing failure: a long wait must outlive it
            return self.answer(503, {"code": 14, "message": "server restarting"})
        phase = "Running" if self.server.polls < 4 else "Succeeded"
        self.answer(200, {"metadata": {"name": name}, "status": {"phase": phase}})


def swagger_bodies(shared: Path) -> dict[str, tuple[str, set[str]]]:
    """For each create path of Argo's REST API: the document's key and the request's keys."""
    swagger = json.loads((shared / "argo" / "swagger.json").read_text())
    out = {}
    for collection, key in (("workflows", "workflow"), ("workflow-templates", "template"),
                            ("cron-workflows", "cronWorkflow")):
        post = swagger["paths"][f"/api/v1/{collection}/{{namespace}}"]["post"]
        (body,) = [p for p in post["parameters"] if p["in"] == "body"]
        definition = swagger["definitions"][body["schema"]["$ref"].split("/")[-1]]
        assert key in definition["properties"]
        out[collection] = (key, set(definition["properties"]))
    return out


@pytest.fixture
def server(shared_dir: Path) -> Iterator[ArgoServer]:
    argo = ArgoServer(swagger_bodies(shared_dir))
    thread = threading.Thread(target=argo.serve_forever, daemon=True)
    thread.start()
    yield argo
    argo.shutdown()
    argo.server_close()


@pytest.mark.parametrize("example, kind, options", [
    ("calculation.yaml", "Workflow", []),
    ("calculation.yaml", "WorkflowTemplate", ["--kind", "WorkflowTemplate"]),
    ("calculation-schedule.yaml", "CronWorkflow", []),
])
def test_submit_creates_each_kind(server: ArgoServer, example: str, kind: str, options: list[str]) -> None:
    result = creg("submit", str(EXAMPLES / example), "--server", server.url, "-n", "team-a", *options,
                  env={"ARGO_TOKEN": TOKEN})
    assert result.returncode == 0, result.stderr
    (created,) = server.created
    assert created["kind"] == kind and created["metadata"]["namespace"] == "team-a"
    assert f"created {kind} {created['metadata']['name']} in team-a" in result.stdout


def test_submit_wait_follows_the_workflow_to_its_end(server: ArgoServer) -> None:
    host = server.url.removeprefix("http://")  # host:port, as Argo's CLI takes it
    result = creg("submit", str(EXAMPLES / "calculation.yaml"), "--param", "a=100", "--wait",
                  env={"ARGO_SERVER": host, "ARGO_SECURE": "false", "ARGO_TOKEN": f"Bearer {TOKEN}",
                       "ARGO_NAMESPACE": "ml", "CREG_SUBMIT_POLL": "0.1"})
    assert result.returncode == 0, result.stderr
    assert "calculation-x7k2p: Running" in result.stderr and "calculation-x7k2p: Succeeded" in result.stderr
    assert server.created[0]["spec"]["arguments"]["parameters"][0] == {"name": "a", "value": "100"}


def test_server_errors_are_reported_with_the_servers_message(server: ArgoServer) -> None:
    no_token = creg("submit", str(EXAMPLES / "calculation.yaml"), "--server", server.url)
    assert no_token.returncode == 1 and "HTTP 401" in no_token.stderr and "token not valid" in no_token.stderr
    assert "Traceback" not in no_token.stderr
    scheduled = [str(EXAMPLES / "calculation-schedule.yaml"), "--server", server.url]
    assert creg("submit", *scheduled, env={"ARGO_TOKEN": TOKEN}).returncode == 0
    again = creg("submit", *scheduled, env={"ARGO_TOKEN": TOKEN})
    assert again.returncode == 1 and "HTTP 409" in again.stderr and "already exists" in again.stderr


def test_wait_is_for_workflows_only(server: ArgoServer) -> None:
    template = creg("submit", str(EXAMPLES / "calculation.yaml"), "--server", server.url, "--kind",
                    "WorkflowTemplate", "--wait", env={"ARGO_TOKEN": TOKEN})
    assert template.returncode == 2 and "--wait" in template.stderr and server.created == []


def test_submit_without_a_server_or_a_reachable_one(tmp_path: Path) -> None:
    missing = creg("submit", str(EXAMPLES / "calculation.yaml"))
    assert missing.returncode == 2 and "ARGO_SERVER" in missing.stderr
    refused = creg("submit", str(EXAMPLES / "calculation.yaml"), "--server", "http://127.0.0.1:9")
    assert refused.returncode == 1 and "Connection refused" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_an_invalid_pipeline_is_never_sent(server: ArgoServer, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: broken\ntasks:\n  a:\n    component: add@1.0.0\n    args: {a: 1, c: 2}\n")
    result = creg("submit", str(broken), "--server", server.url, env={"ARGO_TOKEN": TOKEN})
    assert result.returncode == 1 and "broken.yaml:5" in result.stderr
    assert server.created == []


def test_a_token_with_a_trailing_newline_works_and_one_with_a_newline_inside_is_refused_unshown(
        server: ArgoServer) -> None:
    ok = creg("submit", str(EXAMPLES / "calculation.yaml"), "--server", server.url, env={"ARGO_TOKEN": TOKEN + "\n"})
    assert ok.returncode == 0, ok.stderr
    for flag in ([], ["--traceback"]):
        bad = creg(*flag, "submit", str(EXAMPLES / "calculation.yaml"), "--server", server.url,
                   env={"ARGO_TOKEN": TOKEN[:4] + "\n" + TOKEN[4:]})
        assert bad.returncode == 1 and "ARGO_TOKEN holds a control character" in bad.stderr
        assert TOKEN[4:] not in bad.stderr + bad.stdout and TOKEN[:4] + "\n" not in bad.stderr
