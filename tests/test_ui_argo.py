"""Run pages over an Argo Server (``creg ui --server``): the stand-in of ``helpers_argo``, which
checks every request creg makes, and every answer, against Argo's swagger."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import helpers_argo
from helpers_browser import Served, serve
from registry.argo import serverruns
from registry.argo.compiler import compile_document, load_pipeline
from registry.argo.runview import LABEL_EXPERIMENT
from registry.argo.server import Server
from registry.index.resolve import RegistryOptions
from registry.ui.routes import Site

ROOT = Path(__file__).resolve().parent.parent
NS = "ml"


@pytest.fixture
def argo(shared_dir: Path) -> Iterator[Any]:
    server = helpers_argo.start()
    yield server
    helpers_argo.stop(server)
    assert server.violations == []


@pytest.fixture
def served(argo: Any, tmp_path: Path) -> Iterator[Served]:
    backends: dict[str, Any] = {"argo": serverruns.ArgoRuns(Server(argo.url, NS, helpers_argo.TOKEN))}
    yield from serve(Site(RegistryOptions(), tmp_path, [], backends))


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        return str(response.read().decode())


def _calculation(argo: Any, name: str) -> None:
    doc = dict(compile_document(load_pipeline(ROOT / "examples" / "calculation.yaml")), metadata={"name": name})
    argo.runs.create(NS, doc, labels={LABEL_EXPERIMENT: "nightly"})
    argo.runs.advance((NS, name))


def test_creg_ui_server_shows_the_servers_runs_beside_the_local_ones(argo: Any, tmp_path: Path) -> None:
    _calculation(argo, "calc-cli")
    env = {**os.environ, "ARGO_TOKEN": helpers_argo.TOKEN}
    process = subprocess.Popen([sys.executable, "-m", "registry", "ui", "--port", "0", "--server", argo.url,
                                "-n", NS], cwd=tmp_path, env=env, text=True, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split()[4]
        listing = _get(url + "runs/index.html?source=argo")
        assert "runs/argo/calc-cli.html" in listing and "<option selected>argo</option>" in listing
        assert "calc-cli" not in _get(url + "runs/index.html?source=local")
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    assert helpers_argo.TOKEN not in err


def test_an_argo_runs_list_page_and_live_state(argo: Any, served: Served) -> None:
    _calculation(argo, "calc-1")
    listing = _get(served.url + "runs/index.html?source=argo&experiment=nightly")
    assert "runs/argo/calc-1.html" in listing and ">Running<" in listing
    page = _get(served.url + "runs/argo/calc-1.html")
    assert 'data-downloads=""' in page  # artifacts on Argo live in its repository, not here
    seen: list[tuple[str, int]] = []  # (run phase, nodes drawn) at each poll, as the page polls it
    for _ in range(20):
        state = json.loads(_get(served.url + "api/runs/argo/calc-1.json"))
        seen.append((state["phase"], len(state["graph"]["nodes"])))
        if not state["running"]:
            break
        argo.runs.advance((NS, "calc-1"))
    assert seen[0][0] == "Running" and seen[-1] == ("Succeeded", 3)
    assert sorted(n["label"] for n in state["graph"]["nodes"]) == ["add-1", "add-2", "divmod"]
    assert {n["cls"] for n in state["graph"]["nodes"]} == {"Succeeded"}
    logs = json.loads(_get(served.url + "api/runs/argo/calc-1/logs.json?task=divmod&offset=0"))
    assert logs == {"lines": ["divmod: started", "divmod: done"], "next": 2}
    with pytest.raises(urllib.error.HTTPError) as missing:
        _get(served.url + "runs/argo/calc-1/artifacts/x/sum")
    assert missing.value.code == 404
