"""Runs on an Argo Server: what creg's client costs over the bare HTTP + JSON it rests on.

A plain HTTP server on 127.0.0.1 answers as Argo does (a WorkflowList, a log stream of one JSON
object a line, chunked).  Each measure is a ratio to a baseline measured in the same run:

* ``list``: ``ArgoRuns.list_runs`` over 2,000 runs, against ``requests.get(...).json()`` of the
  same answer.  Target: under 1.5x.
* ``logs``: ``ArgoRuns.logs`` reading 100,000 lines, against ``iter_lines`` + ``json.loads`` of the
  same stream.  Target: under 2x.
* ``latency``: while following, from the server writing a line to ``logs`` yielding it (the
  stream is read as it arrives; polling would wait for its interval).  Target: under 50 ms.

    .venv/bin/python bench/bench_argo_runs.py [--runs 5]
"""

from __future__ import annotations

import argparse
import http.server
import json
import statistics
import threading
import time
from typing import Any, Callable

RUNS, LINES, NAME = 2000, 100_000, "calc-bench"
TARGETS = {"list": 1.5, "logs": 2.0}


def workflow(index: int) -> dict[str, Any]:
    nodes = {f"w{index}-{n}": {"id": f"w{index}-{n}", "name": f"w{index}.t{n}", "displayName": f"t{n}",
                               "type": "Pod", "phase": "Succeeded", "templateName": "add"} for n in range(5)}
    return {"metadata": {"name": f"w{index}", "namespace": "ml", "creationTimestamp": f"2026-12-01T{index % 24:02}:00:00Z",
                         "labels": {"creg.dev/experiment": "lr"}},
            "spec": {"entrypoint": "main"}, "status": {"phase": "Succeeded", "progress": "5/5", "nodes": nodes}}


LIST_BODY = json.dumps({"metadata": {}, "items": [workflow(i) for i in range(RUNS)]}).encode()
ONE_BODY = json.dumps(dict(workflow(0), metadata={"name": NAME, "namespace": "ml"})).encode()
LOG_LINE = json.dumps({"result": {"content": "epoch 3: loss 0.1234", "podName": "pod-1"}}).encode() + b"\n"
PACE: dict[str, float] = {"every": 0.0, "lines": LINES}
STAMPS: list[float] = []


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if "/log" in self.path:
            return self.stream()
        body = LIST_BODY if self.path.split("?")[0].endswith("/ml") else ONE_BODY
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        batch = LOG_LINE * (1 if PACE["every"] else 500)
        for _ in range(int(PACE["lines"]) // (1 if PACE["every"] else 500)):
            if PACE["every"]:
                time.sleep(PACE["every"])
                STAMPS.append(time.perf_counter())
            self.wfile.write(f"{len(batch):x}\r\n".encode() + batch + b"\r\n")
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")


def best(function: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"

    import requests

    from registry.argo.runview import RunQuery
    from registry.argo.server import Server
    from registry.argo.serverruns import ArgoRuns

    backend = ArgoRuns(Server(url, "ml", "token"))
    session = requests.Session()
    results = {
        "list": (best(lambda: backend.list_runs(RunQuery(experiment="lr")), runs),
                 best(lambda: session.get(f"{url}/api/v1/workflows/ml").json(), runs)),
        "logs": (best(lambda: sum(1 for _ in backend.logs(NAME)), runs),
                 best(lambda: sum(1 for line in session.get(f"{url}/api/v1/workflows/ml/{NAME}/log", stream=True)
                                  .iter_lines() if json.loads(line)), runs)),
    }
    failed = False
    for name, (ours, base) in results.items():
        ratio = ours / base
        failed |= ratio > TARGETS[name]
        print(f"{name:8} creg {ours * 1000:8.1f} ms   baseline {base * 1000:8.1f} ms   {ratio:4.2f}x (target < {TARGETS[name]}x)")
    PACE.update(every=0.1, lines=20)
    delays = []
    for _ in backend.logs(NAME, follow=True):
        delays.append(time.perf_counter() - STAMPS[len(delays)])
    median_ms = statistics.median(delays) * 1000
    failed |= median_ms > 50
    print(f"latency  a followed line reaches the caller {median_ms:.1f} ms (median of {len(delays)}) after it is written "
          "(target < 50 ms)")
    server.shutdown()
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
