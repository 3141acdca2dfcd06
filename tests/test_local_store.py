"""The run store: real ``creg run`` processes writing one SQLite store, read back by others."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
from pathlib import Path

import pytest

from helpers_registry import CREG, creg
from helpers_runs import CHAIN, SLOW, end_process, get, nodes, runs, wait_until, write
from registry.argo.check import schema_validator
from registry.argo.runview import LABEL_EXPERIMENT, LABEL_PIPELINE, LABEL_PIPELINE_DIGEST, RunQuery
from registry.local.store import DATABASE, LocalRuns, RunStore, fnv32a, store_home


def test_the_store_lives_in_creg_home_else_xdg_data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert store_home() == Path(os.environ["XDG_DATA_HOME"]) / "creg"
    monkeypatch.setenv("CREG_HOME", str(tmp_path / "elsewhere"))
    assert store_home() == tmp_path / "elsewhere"
    monkeypatch.delenv("CREG_HOME")
    monkeypatch.delenv("XDG_DATA_HOME")
    assert store_home() == Path.home() / ".local" / "share" / "creg"


def test_a_run_round_trips_as_an_argo_workflow(tmp_path: Path) -> None:
    source = write(tmp_path, "chain.yaml", CHAIN)
    ran = creg("run", str(source), "--param", "n=9", "--experiment", "exp-1", "-l", "team=ml")
    assert ran.returncode == 0, ran.stderr
    (listed,) = runs()
    name = listed["metadata"]["name"]
    assert ran.stdout.startswith(f"chain: Succeeded (run {name}, ")
    assert name.startswith("chain-") and len(name) == len("chain-") + 5
    workflow = get(name)
    labels = workflow["metadata"]["labels"]
    assert labels["team"] == "ml" and labels[LABEL_EXPERIMENT] == "exp-1" and labels[LABEL_PIPELINE] == "chain"
    assert len(labels[LABEL_PIPELINE_DIGEST]) == 32
    assert workflow["spec"]["arguments"]["parameters"] == [{"name": "n", "value": "9"}]
    status = workflow["status"]
    assert status["phase"] == "Succeeded" and status["progress"] == "2/2" and "message" not in status
    assert status["startedAt"] <= status["finishedAt"]
    shown = nodes(workflow)
    assert shown[name]["type"] == "DAG" and shown[name]["id"] == name
    make, use = shown["make"], shown["use"]
    assert make["name"] == f"{name}.make" and make["id"] == f"{name}-{fnv32a(name + '.make')}"
    assert make["boundaryID"] == name and make["type"] == "Pod" and make["templateName"] == "make"
    assert make["outputs"]["parameters"] == [{"name": "v", "value": "9"}] and make["outputs"]["exitCode"] == "0"
    assert shown[name]["children"] == [make["id"]] and make["children"] == [use["id"]]  # Argo's edges
    # The listing is the same run without its nodes and templates, as `argo list` returns it.
    assert listed["status"] == {k: v for k, v in status.items() if k != "nodes"}
    assert "templates" in workflow["spec"] and "templates" not in listed["spec"]


def test_what_the_store_returns_is_valid_against_argos_workflow_schema(tmp_path: Path) -> None:
    creg("run", str(write(tmp_path, "chain.yaml", CHAIN)), "--experiment", "x")
    failing = CHAIN.replace("echo \"got $0\"", "echo \"got $0\"; exit 4")
    creg("run", str(write(tmp_path, "failing.yaml", failing)))
    backend = LocalRuns()
    validator = schema_validator("Workflow")
    listed = backend.list_runs(RunQuery())
    assert len(listed) == 2
    for workflow in listed + [backend.get_run(wf["metadata"]["name"]) for wf in listed]:
        assert [e.message for e in validator.iter_errors(workflow)] == []
    # The check is strict: a key Argo does not know is refused, so the shape above is Argo's own.
    wrong = backend.get_run(listed[0]["metadata"]["name"])
    next(iter(wrong["status"]["nodes"].values()))["exitcode"] = "1"
    assert list(validator.iter_errors(wrong))


def test_a_run_whose_runner_is_killed_shows_failed_runner_exited(tmp_path: Path) -> None:
    pidfile = tmp_path / "task.pid"
    source = write(tmp_path, "slow.yaml", SLOW.format(pidfile=pidfile, exits=tmp_path / "exits"))
    runner = subprocess.Popen([str(CREG), "run", str(source)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        # A second process sees the run Running, with the task that runs now.
        running = wait_until(lambda: [wf for wf in runs() if wf["status"]["phase"] == "Running"
                                      and pidfile.exists()])
        name = running[0]["metadata"]["name"]
        assert nodes(get(name))["slow"]["phase"] == "Running"
        runner.send_signal(signal.SIGKILL)
        runner.wait()
        workflow = get(name)
    finally:
        end_process(pidfile)
    assert workflow["status"]["phase"] == "Failed" and workflow["status"]["message"] == "runner exited"
    shown = nodes(workflow)
    assert shown["first"]["phase"] == "Succeeded"
    assert shown["slow"]["phase"] == "Failed" and shown["slow"]["message"] == "runner exited"
    assert "next" not in shown and not (tmp_path / "exits").exists()  # nothing ran after the kill


def test_eight_runs_at_once_into_one_store_lose_nothing(tmp_path: Path) -> None:
    chain = "name: many\ntasks:\n" + "".join(
        f"  t{i}:\n    image: sh\n    command: [sh, -c, 'echo {i}']\n" + (f"    after: [t{i - 1}]\n" if i else "")
        for i in range(6))
    source = write(tmp_path, "many.yaml", chain)
    started = [subprocess.Popen([str(CREG), "run", str(source), "-l", f"n={i}"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for i in range(8)]
    outcomes = [process.communicate(timeout=240) + (process.returncode,) for process in started]
    assert all(code == 0 for _, _, code in outcomes), outcomes
    listed = runs()
    assert sorted(wf["metadata"]["labels"]["n"] for wf in listed) == [str(i) for i in range(8)]
    assert len({wf["metadata"]["name"] for wf in listed}) == 8
    assert {wf["status"]["phase"] for wf in listed} == {"Succeeded"}
    assert {wf["status"]["progress"] for wf in listed} == {"6/6"}
    for workflow in listed:
        assert {n["phase"] for n in get(workflow["metadata"]["name"])["status"]["nodes"].values()} == {"Succeeded"}


def test_the_database_is_in_wal_mode_with_a_schema_version(tmp_path: Path) -> None:
    RunStore().close()
    db = sqlite3.connect(store_home() / DATABASE)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == 1


def test_ids_take_unique_prefixes_and_suggest_near_misses(tmp_path: Path) -> None:
    source = write(tmp_path, "chain.yaml", CHAIN)
    for _ in range(2):
        assert creg("run", str(source)).returncode == 0
    first, second = sorted(wf["metadata"]["name"] for wf in runs())
    prefix = next(first[:i] for i in range(len("chain-") + 1, len(first) + 1) if not second.startswith(first[:i]))
    assert get(prefix)["metadata"]["name"] == first
    ambiguous = creg("runs", "get", "chain-")
    assert ambiguous.returncode == 1 and "ambiguous" in ambiguous.stderr and first in ambiguous.stderr
    typo = first[:-1] + ("x" if first[-1] != "x" else "y")
    missing = creg("runs", "get", typo)
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert missing.stderr.strip() == f"no run '{typo}' (did you mean '{first}'?)"


def test_a_bad_label_or_experiment_is_refused_before_anything_is_recorded(tmp_path: Path) -> None:
    source = write(tmp_path, "chain.yaml", CHAIN)
    bad = creg("run", str(source), "-l", "team=not ok")
    assert bad.returncode == 2 and "--label" in bad.stderr and "label value" in bad.stderr, bad.stderr
    assert creg("run", str(source), "-l", "novalue").returncode == 2
    experiment = creg("run", str(source), "--experiment", "-x-")
    assert experiment.returncode == 2 and "--experiment" in experiment.stderr
    assert runs() == []


def test_a_workdir_is_kept_and_recorded(tmp_path: Path) -> None:
    ran = creg("run", str(write(tmp_path, "chain.yaml", CHAIN)), "--workdir", str(tmp_path / "here"))
    assert ran.returncode == 0, ran.stderr
    (workflow,) = runs()
    assert workflow["metadata"]["annotations"]["creg.dev/workdir"] == str(tmp_path / "here")
    assert (tmp_path / "here" / "nodes" / "chain.use" / "log.txt").read_text() == "got 5\n"
    logs = creg("runs", "logs", workflow["metadata"]["name"], "use")
    assert logs.stdout == "use: got 5\n"


def test_the_default_workdir_is_the_runs_folder_in_the_store(tmp_path: Path) -> None:
    assert creg("run", str(write(tmp_path, "chain.yaml", CHAIN)), "--format", "json").returncode == 0
    (workflow,) = runs()
    folder = store_home() / "runs" / workflow["metadata"]["name"]
    assert workflow["metadata"]["annotations"]["creg.dev/workdir"] == str(folder)
    assert (folder / "nodes" / "chain.make" / "log.txt").read_text() == "making\nmade\n"


LOOPED = """\
name: looped
params: {mode: {type: String, default: fast}}
tasks:
  fan:
    image: sh
    loop: {items: [a, b]}
    command: [sh, -c, 'echo "item $0"', {item: null}]
  slow-only:
    image: sh
    when: param.mode == 'slow'
    command: [sh, -c, 'echo never']
  after:
    image: sh
    after: [fan]
    command: [sh, -c, 'echo after']
"""


def test_loops_and_skipped_tasks_take_argos_node_types(tmp_path: Path) -> None:
    assert creg("run", str(write(tmp_path, "looped.yaml", LOOPED))).returncode == 0
    (listed,) = runs()
    name = listed["metadata"]["name"]
    workflow = get(name)
    shown = nodes(workflow)
    group = shown["fan"]
    assert group["type"] == "TaskGroup" and group["phase"] == "Succeeded" and group["boundaryID"] == name
    iterations = [shown["fan(0:a)"], shown["fan(1:b)"]]
    assert sorted(group["children"]) == sorted(n["id"] for n in iterations)
    assert {n["type"] for n in iterations} == {"Pod"} and {n["boundaryID"] for n in iterations} == {name}
    assert all(n["children"] == [shown["after"]["id"]] for n in iterations)  # dependents hang off each iteration
    assert shown["slow-only"]["type"] == "Skipped" and shown["slow-only"]["phase"] == "Skipped"
    assert workflow["status"]["progress"] == "3/3"
    assert [e.message for e in schema_validator("Workflow").iter_errors(workflow)] == []
    tree = creg("runs", "get", name).stdout
    assert "├─✔ fan " in tree and "│ ├─✔ fan(0:a)" in tree and "│ └─✔ fan(1:b)" in tree
    # Iterations run side by side, so either may start (and be listed) first.
    assert sorted(creg("runs", "logs", name, "fan").stdout.splitlines()) == ["fan(0:a): item a", "fan(1:b): item b"]


def test_a_store_open_for_long_sees_a_runner_die(tmp_path: Path) -> None:
    """The web UI keeps one store open: listing it must still fail a run whose runner died."""
    pidfile = tmp_path / "task.pid"
    source = write(tmp_path, "slow.yaml", SLOW.format(pidfile=pidfile, exits=tmp_path / "exits"))
    backend = LocalRuns()
    runner = subprocess.Popen([str(CREG), "run", str(source), "--experiment", "e"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    try:
        wait_until(pidfile.exists)
        assert [wf["status"]["phase"] for wf in backend.list_runs(RunQuery())] == ["Running"]
        runner.send_signal(signal.SIGKILL)
        runner.wait()
        (workflow,) = backend.list_runs(RunQuery())
    finally:
        end_process(pidfile)
    assert (workflow["status"]["phase"], workflow["status"]["message"]) == ("Failed", "runner exited")
    assert dict(backend.experiments()[0].counts) == {"Failed": 1}
