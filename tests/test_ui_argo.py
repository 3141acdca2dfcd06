"""Run pages over an Argo Server (``creg ui --server``): the stand-in of ``helpers_argo``, which
checks every request creg makes against Argo's swagger."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers_browser import Served, serve
from registry.argo.compiler import compile_document, load_pipeline
from registry.argo.runview import LABEL_EXPERIMENT
from registry.argo.server import Server
from registry.index.resolve import RegistryOptions
from registry.ui.routes import Site

# The Argo Server backend and its swagger-checked stand-in come with the Argo runs work (branch
# argoruns); until it is merged these tests say so and skip.
helpers_argo = pytest.importorskip("helpers_argo", reason="helpers_argo (the Argo Server stand-in) not merged yet")
serverruns = pytest.importorskip("registry.argo.serverruns", reason="registry.argo.serverruns not merged yet")

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


def test_an_argo_runs_list_page_and_live_state(argo: Any, served: Served) -> None:
    doc = dict(compile_document(load_pipeline(ROOT / "examples" / "calculation.yaml")), metadata={"name": "calc-1"})
    argo.runs.create(NS, doc, labels={LABEL_EXPERIMENT: "nightly"})
    argo.runs.advance((NS, "calc-1"))
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
