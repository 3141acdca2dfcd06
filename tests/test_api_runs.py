"""``Run`` over a Workflow as an Argo Server returns it (hashed node ids, no local folder)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest

from registry.api.runs import Run
from registry.errors import ArgumentError
from test_api_html import parsed


def server_workflow() -> dict[str, Any]:
    """A running Workflow as Argo's API answers: ids are hashes, names are 'wf.task'."""
    def node(node_id: str, name: str, phase: str, kind: str = "Pod", **extra: Any) -> dict[str, Any]:
        return {"id": node_id, "name": name, "displayName": name.split(".")[-1], "type": kind,
                "phase": phase, "boundaryID": "train-abc12", **extra}

    return {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
        "metadata": {"name": "train-abc12", "labels": {"creg.dev/experiment": "e1"}},
        "spec": {"entrypoint": "main", "templates": [
            {"name": "main", "dag": {"tasks": [
                {"name": "fetch", "template": "fetch"},
                {"name": "train", "template": "train", "depends": "fetch.Succeeded"},
                {"name": "report", "template": "report", "dependencies": ["train"]}]}},
            {"name": "fetch", "container": {"image": "x"}}, {"name": "train", "container": {"image": "x"}},
            {"name": "report", "container": {"image": "x"}}]},
        "status": {"phase": "Running", "progress": "1/3", "nodes": {
            "train-abc12": {"id": "train-abc12", "name": "train-abc12", "type": "DAG", "phase": "Running"},
            "train-abc12-111": node("train-abc12-111", "train-abc12.fetch", "Succeeded", outputs={
                "parameters": [{"name": "rows", "value": "<1000>"}],
                "artifacts": [{"name": "data", "s3": {"key": "k"}}, {"name": "main-logs", "s3": {"key": "l"}}]}),
            "train-abc12-222": node("train-abc12-222", "train-abc12.train", "Running"),
        }},
    }


def test_status_tasks_and_outputs_of_a_server_run() -> None:
    run = Run(server_workflow())
    assert (run.name, run.status, run.succeeded) == ("train-abc12", "Running", False)
    assert set(run.tasks) == {"fetch", "train"}
    assert run.tasks["fetch"].node_id == "train-abc12-111"
    assert run.outputs["fetch"] == {"rows": "<1000>", "data": "s3:k"}
    assert "main-logs" not in run.tasks["fetch"].artifacts
    assert run.logs() == "" and run.files() == {}  # nothing of it is on this machine
    assert repr(run) == "<Run 'train-abc12' Running 1/3 tasks>"
    with pytest.raises(ArgumentError):
        run.task("nope")


def test_the_display_colours_the_dag_by_phase_and_escapes_outputs() -> None:
    markup = Run(server_workflow())._repr_html_()
    assert "<1000>" not in markup
    cells = parsed(markup).cells
    assert ["fetch", "Succeeded"] == cells[cells.index("fetch"):cells.index("fetch") + 2]
    svg = ET.fromstring(markup[markup.index("<svg"):markup.index("</svg>") + 6])
    phases = {}
    for group in svg.iter("{http://www.w3.org/2000/svg}g"):
        if group.get("class") == "node":
            first = group.find("{http://www.w3.org/2000/svg}text")
            assert first is not None
            phases[first.text] = group.get("data-phase")
    assert phases == {"fetch": "Succeeded", "train": "Running", "report": "Pending"}
    assert len(list(svg.iter("{http://www.w3.org/2000/svg}polyline"))) == 2  # depends and dependencies


def test_a_workflow_without_status_is_pending() -> None:
    doc = server_workflow()
    del doc["status"]
    assert Run(doc).status == "Pending" and Run(doc).tasks == {}
