"""The run pages' data: artifact files only from inside the run's folder; graph and state shapes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from registry.ui import runs


def _run(folder: Path, artifacts: dict[str, str]) -> dict[str, Any]:
    """A run as the local run store describes it: its folder annotated, its node's artifact paths."""
    node = {"id": "r-1", "name": "r.t", "displayName": "t", "type": "Pod", "phase": "Succeeded",
            "outputs": {"artifacts": [{"name": k, "path": v} for k, v in artifacts.items()]}}
    return {"metadata": {"name": "r", "annotations": {runs.WORKDIR: str(folder)}},
            "status": {"phase": "Succeeded", "nodes": {"r-1": node}}}


def test_an_artifact_inside_the_run_folder_is_served(tmp_path: Path) -> None:
    data = tmp_path / "run" / "nodes" / "t" / "outputs" / "sum" / "data"
    data.parent.mkdir(parents=True)
    data.write_text("11")
    assert runs.artifact_file(_run(tmp_path / "run", {"sum": str(data)}), "r-1", "sum") == data.resolve()


@pytest.mark.parametrize("kind", ["outside", "dotdot", "symlink", "folder", "missing"])
def test_an_artifact_outside_the_run_folder_is_refused(tmp_path: Path, kind: str) -> None:
    run, secret = tmp_path / "run", tmp_path / "secret.txt"
    (run / "nodes").mkdir(parents=True)
    secret.write_text("secret")
    link = run / "nodes" / "link"
    os.symlink(secret, link)
    path = {"outside": str(secret), "dotdot": str(run / "nodes" / ".." / ".." / "secret.txt"),
            "symlink": str(link), "folder": str(run / "nodes"), "missing": str(run / "none")}[kind]
    with pytest.raises(runs.OutsideFolder):
        runs.artifact_file(_run(run, {"a": path}), "r-1", "a")


def test_a_run_without_a_local_folder_has_no_downloads(tmp_path: Path) -> None:
    workflow = _run(tmp_path, {"a": str(tmp_path / "a")})
    del workflow["metadata"]["annotations"]
    (tmp_path / "a").write_text("x")
    assert runs.run_folder(workflow) is None
    with pytest.raises(runs.OutsideFolder):
        runs.artifact_file(workflow, "r-1", "a")


def test_confined_file_refuses_traversal_and_links_out(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "ok.txt").write_text("ok")
    (tmp_path / "out.txt").write_text("no")
    os.symlink(tmp_path / "out.txt", tmp_path / "in" / "link.txt")
    assert runs.confined_file(tmp_path / "in", "ok.txt") == (tmp_path / "in" / "ok.txt").resolve()
    for bad in ("../out.txt", "/etc/passwd", "link.txt", "", "a//b", "./ok.txt", "..\\out.txt", "ok.txt\0"):
        with pytest.raises(runs.OutsideFolder):
            runs.confined_file(tmp_path / "in", bad)


def test_durations_read_rfc3339_times() -> None:
    assert runs.duration("2026-12-04T07:49:08Z", "2026-12-04T07:50:10Z") == "1m 02s"
    assert runs.duration("2026-12-04T07:49:08Z", "2026-12-04T09:50:10Z") == "2h 01m"
    assert runs.duration(None, None) == "" and runs.duration("2026-12-04T07:49:08Z", "2026-12-04T07:49:08Z") == "0s"
