"""``creg runs ...`` and ``creg experiments list`` against an Argo Server, as a user runs them.

The server is the stand-in of ``helpers_argo``: every request creg sends is checked against
Argo's swagger and every answer against its response schemas (the ``argo`` fixture fails a test
that left a violation).  Runs are made with ``creg submit``, or placed in the stand-in directly
when a test needs a failure or an age.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from helpers_argo import LOG_TEMPLATE, TOKEN, ArgoStandIn, start, stop
from helpers_registry import creg, creg_popen

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NS = "ml"


@functools.cache
def compiled(example: str) -> dict[str, Any]:
    from registry.argo.compiler import compile_document, load_pipeline

    return compile_document(load_pipeline(EXAMPLES / example))


@pytest.fixture
def argo(shared_dir: Path) -> Iterator[ArgoStandIn]:
    server = start()
    yield server
    stop(server)
    assert server.violations == []


@pytest.fixture
def env(argo: ArgoStandIn) -> dict[str, str]:
    return {"ARGO_SERVER": argo.url.removeprefix("http://"), "ARGO_SECURE": "false",
            "ARGO_NAMESPACE": NS, "ARGO_TOKEN": TOKEN, "CREG_SUBMIT_POLL": "0.05"}


def place(argo: ArgoStandIn, name: str, steps: int = 10, fail: set[str] = frozenset(),  # type: ignore[assignment]
          age: float = 0.0, exit_handler: bool = False, **labels: str) -> str:
    doc = dict(compiled("calculation.yaml"), metadata={"name": name})
    if exit_handler:
        doc["spec"] = dict(doc["spec"], onExit="add")
    argo.runs.create(NS, doc, fail, age=age, labels={k.replace("__", "/"): v for k, v in labels.items()})
    for _ in range(steps):
        argo.runs.advance((NS, name))
    return name


def submitted(env: dict[str, str], *options: str) -> str:
    result = creg("submit", str(EXAMPLES / "calculation.yaml"), "--wait", *options, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()[2]  # "created Workflow NAME in NS: URL"


def test_list_shows_the_servers_runs_newest_first_with_filters(argo: ArgoStandIn, env: dict[str, str]) -> None:
    place(argo, "calc-old", age=3600, fail={"divmod"}, **{"creg.dev__experiment": "lr"})
    mine = submitted(env, "--experiment", "lr", "-l", "team=vision")
    table = creg("runs", "list", env=env)
    assert table.returncode == 0, table.stderr
    header, first, second = table.stdout.splitlines()
    assert header.split() == ["NAME", "STATUS", "AGE", "DURATION", "PROGRESS", "EXPERIMENT"]
    assert first.split()[:2] == [mine, "Succeeded"] and first.split()[-2:] == ["3/3", "lr"]
    assert second.split()[:2] == ["calc-old", "Failed"] and second.split()[2] == "1h"
    assert creg("runs", "list", "--status", "Failed", "-o", "name", env=env).stdout == "calc-old\n"
    assert creg("runs", "list", "-l", "team=vision", "-o", "name", env=env).stdout == f"{mine}\n"
    assert creg("runs", "list", "--since", "30m", "-o", "name", env=env).stdout == f"{mine}\n"
    listed = json.loads(creg("runs", "list", "--experiment", "lr", "-o", "json", env=env).stdout)
    assert [run["metadata"]["name"] for run in listed] == [mine, "calc-old"]
    wide = creg("runs", "list", "-o", "wide", env=env).stdout.splitlines()
    assert "PIPELINE" in wide[0] and wide[1].split()[6] == "calculation"
    selectors = [c.one("listOptions.labelSelector") for c in argo.calls if c.template == "/api/v1/workflows/{namespace}"]
    assert "workflows.argoproj.io/phase in (Failed)" in selectors and "team=vision" in selectors


def test_get_shows_the_node_tree_and_takes_a_prefix(argo: ArgoStandIn, env: dict[str, str]) -> None:
    place(argo, "calc-x7k2p")
    shown = creg("runs", "get", "calc-x7", env=env)
    assert shown.returncode == 0, shown.stderr
    assert "Succeeded" in shown.stdout and all(task in shown.stdout for task in ("add-1", "divmod", "add-2"))
    as_yaml = yaml.safe_load(creg("runs", "get", "calc-x7k2p", "-o", "yaml", env=env).stdout)
    assert as_yaml["metadata"]["name"] == "calc-x7k2p" and len(as_yaml["status"]["nodes"]) == 4


def test_logs_are_prefixed_with_their_task(argo: ArgoStandIn, env: dict[str, str]) -> None:
    place(argo, "calc-done")
    every = creg("runs", "logs", "calc-d", env=env)
    assert every.returncode == 0, every.stderr
    assert every.stdout.splitlines()[:2] == ["add-1: add-1: started", "add-1: add-1: done"]
    assert creg("runs", "logs", "calc-done", "divmod", env=env).stdout == "divmod: divmod: started\ndivmod: divmod: done\n"


def test_logs_follow_streams_one_answer_until_the_run_ends(argo: ArgoStandIn, env: dict[str, str]) -> None:
    argo.auto_advance = False  # only the stream moves the run on: a polling client would hang
    argo.tick = 0.2
    place(argo, "calc-live", steps=1)
    follower = creg_popen("runs", "logs", "calc-live", "--follow", env=env)
    assert follower.stdout is not None
    first = follower.stdout.readline()
    assert first == "add-1: add-1: started\n"
    assert argo.runs.items[(NS, "calc-live")]["status"]["phase"] == "Running", "a line arrives as it is written"
    rest, errors = follower.communicate(timeout=60)
    assert follower.returncode == 0, errors
    assert rest.splitlines()[-1] == "add-2: add-2: done"
    assert argo.runs.items[(NS, "calc-live")]["status"]["phase"] == "Succeeded"
    streams = [c for c in argo.calls if c.template == LOG_TEMPLATE]
    assert len(streams) == 1 and streams[0].one("logOptions.follow") == "true"


def test_watch_exits_0_for_success_and_1_for_failure(argo: ArgoStandIn, env: dict[str, str]) -> None:
    place(argo, "calc-good", steps=1)
    place(argo, "calc-bad", steps=1, fail={"divmod"})
    good = creg("runs", "watch", "calc-good", "--interval", "0.05", env=env)
    bad = creg("runs", "watch", "calc-bad", "--interval", "0.05", env=env)
    assert good.returncode == 0 and "Succeeded" in good.stdout, good.stderr
    assert bad.returncode == 1 and "Failed" in bad.stdout, bad.stderr


def test_stop_retry_and_delete(argo: ArgoStandIn, env: dict[str, str]) -> None:
    place(argo, "calc-stop", steps=1, exit_handler=True)
    stopped = creg("runs", "stop", "calc-st", env=env)
    assert stopped.returncode == 0 and "calc-stop" in stopped.stdout, stopped.stderr
    workflow = argo.runs.items[(NS, "calc-stop")]
    assert workflow["status"]["phase"] == "Failed"
    assert any(n["displayName"] == "onExit" and n["phase"] == "Succeeded" for n in workflow["status"]["nodes"].values())
    retried = creg("runs", "retry", "calc-stop", env=env)
    assert retried.returncode == 0 and argo.runs.items[(NS, "calc-stop")]["status"]["phase"] == "Running", retried.stderr
    place(argo, "calc-gone")
    assert creg("runs", "delete", "calc-g", env=env).stdout == "deleted calc-gone\n"
    assert (NS, "calc-gone") not in argo.runs.items


def test_delete_all_of_an_experiment_keeps_the_rest(argo: ArgoStandIn, env: dict[str, str]) -> None:
    place(argo, "lr-1", **{"creg.dev__experiment": "lr"})
    place(argo, "lr-2", **{"creg.dev__experiment": "lr"})
    place(argo, "gb-1", **{"creg.dev__experiment": "gb"})
    result = creg("runs", "delete", "--all", "--experiment", "lr", env=env)
    assert result.returncode == 0, result.stderr
    assert sorted(result.stdout.split()) == ["deleted", "deleted", "lr-1", "lr-2"]
    assert [name for _, name in argo.runs.items] == ["gb-1"]


def test_experiments_list_counts_runs_by_status(argo: ArgoStandIn, env: dict[str, str]) -> None:
    place(argo, "lr-1", age=60, **{"creg.dev__experiment": "lr"})
    place(argo, "lr-2", age=30, fail={"add-2"}, **{"creg.dev__experiment": "lr"})
    place(argo, "plain")
    result = creg("experiments", "list", env=env)
    assert result.returncode == 0, result.stderr
    header, row = result.stdout.splitlines()
    assert header.split()[:2] == ["EXPERIMENT", "RUNS"]
    assert row.split()[:6] == ["lr", "2", "0", "1", "1", "lr-2"]


def test_runs_list_by_schedule(argo: ArgoStandIn, env: dict[str, str]) -> None:
    assert creg("submit", str(EXAMPLES / "calculation-schedule.yaml"), env=env).returncode == 0
    made = argo.trigger(NS, "calculation-schedule")["metadata"]["name"]
    place(argo, "unscheduled")
    listed = creg("runs", "list", "--schedule", "calculation-schedule", "-o", "name", env=env)
    assert listed.stdout == f"{made}\n", listed.stderr


# --- bad input: one line, exit 1, never the token --------------------------------------------------


def test_an_unknown_id_gets_a_hint(argo: ArgoStandIn, env: dict[str, str]) -> None:
    place(argo, "calc-x7k2p")
    for verb in (["get"], ["logs"], ["watch"], ["stop"], ["retry"], ["delete"]):
        result = creg("runs", *verb, "calc-x7k2q", env=env)
        assert result.returncode == 1 and result.stderr == "no run 'calc-x7k2q' (did you mean 'calc-x7k2p'?)\n", verb


@pytest.mark.parametrize("status, message", [(401, "token {auth} has expired"),
                                             (403, "forbidden: the request carried {auth}"),
                                             (404, "namespace ml not found (request with {auth})")])
@pytest.mark.parametrize("traceback", [[], ["--traceback"]])
def test_server_refusals_never_show_the_token(argo: ArgoStandIn, env: dict[str, str], status: int, message: str,
                                              traceback: list[str]) -> None:
    argo.always = (status, message)
    for verb in (["runs", "list"], ["runs", "logs", "x"], ["experiments", "list"]):
        result = creg(*traceback, *verb, env=env)
        assert result.returncode == 1 and f"HTTP {status}" in result.stderr, result.stderr
        assert TOKEN not in result.stdout + result.stderr
        if not traceback:
            assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr


@pytest.mark.parametrize("options, message", [(["-l", "team=a,b"], "--label: team='a,b': "),
                                              (["--experiment", "x in (y)"], "--experiment: "),
                                              (["--schedule", "a b"], "--schedule: ")])
def test_a_filter_that_would_bend_the_label_selector_is_refused(argo: ArgoStandIn, env: dict[str, str],
                                                                options: list[str], message: str) -> None:
    result = creg("runs", "list", *options, env=env)
    assert result.returncode == 2 and result.stderr.startswith(message), result.stderr
    assert "label value" in result.stderr and len(result.stderr.splitlines()) == 1
    assert argo.calls == []


def test_a_server_that_is_down(env: dict[str, str]) -> None:
    down = dict(env, ARGO_SERVER="127.0.0.1:9")
    for verb in (["runs", "list"], ["runs", "logs", "x", "--follow"], ["runs", "get", "x"]):
        result = creg(*verb, env=down)
        assert result.returncode == 1 and "Connection refused" in result.stderr
        assert len(result.stderr.splitlines()) == 1
