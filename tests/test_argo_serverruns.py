"""Runs on an Argo Server (``registry.argo.serverruns.ArgoRuns``) against the swagger-checked stand-in.

Every request creg sends here is checked against Argo's swagger by ``helpers_argo`` and every
answer the stand-in gives against the response schemas; the ``argo`` fixture fails a test that
left a violation behind.
"""

from __future__ import annotations

import functools
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest

from helpers_argo import TOKEN, ArgoStandIn, LABEL_CRON, start, stop
from registry.argo.podnames import fnv32a, pod_name
from registry.argo.runview import LABEL_EXPERIMENT, RunNotFound, RunQuery
from registry.argo.schedules import ArgoSchedules, ScheduleNotFound
from registry.argo.server import Server
from registry.argo.serverruns import ArgoRuns, label_selector
from registry.errors import CregError
from registry.sources.fetch import FetchError, request_json

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
def runs(argo: ArgoStandIn) -> ArgoRuns:
    return ArgoRuns(Server(argo.url, NS, TOKEN))


def seed(argo: ArgoStandIn, name: str, steps: int = 0, fail: set[str] = frozenset(),  # type: ignore[assignment]
         age: float = 0.0, **labels: str) -> str:
    doc = dict(compiled("calculation.yaml"), metadata={"name": name})
    argo.runs.create(NS, doc, fail, age=age, labels={k.replace("__", "/"): v for k, v in labels.items()})
    for _ in range(steps):
        argo.runs.advance((NS, name))
    return name


def finished(argo: ArgoStandIn, name: str, **kwargs: Any) -> str:
    return seed(argo, name, steps=10, **kwargs)


def last_query(argo: ArgoStandIn, template: str) -> dict[str, list[str]]:
    return [c for c in argo.calls if c.template == template][-1].query


WORKFLOWS = "/api/v1/workflows/{namespace}"
LOG = "/api/v1/workflows/{namespace}/{name}/log"


# --- the stand-in holds itself and creg to the swagger -----------------------------------------


def test_the_stand_in_refuses_what_the_swagger_does_not_describe(argo: ArgoStandIn) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    for method, path, body in [("GET", f"/api/v1/workflows/{NS}?listOptions.bogus=1", None),
                               ("GET", f"/api/v1/workflows/{NS}?listOptions.watch=maybe", None),
                               ("PUT", f"/api/v1/workflows/{NS}/x/stop", {"name": "x", "force": True}),
                               ("PUT", f"/api/v1/workflows/{NS}/x/stop", {"name": "y"}),
                               ("PATCH", f"/api/v1/workflows/{NS}/x", {}),
                               ("GET", "/api/v1/runs", None)]:
        with pytest.raises(FetchError, match="HTTP 40[05]"):
            request_json(method, argo.url + path, body, auth)
    assert len(argo.violations) == 6, argo.violations
    argo.violations.clear()


def test_the_stand_in_notices_an_answer_outside_the_swagger(argo: ArgoStandIn, runs: ArgoRuns) -> None:
    seed(argo, "odd")
    argo.runs.items[(NS, "odd")]["status"] = {"phase": "Running", "progress": 3}  # not a string
    runs.list_runs(RunQuery())
    assert any("progress" in v for v in argo.violations), argo.violations
    argo.violations.clear()


def test_pod_names_are_argos() -> None:
    # FNV-1a values from Argo's own UI tests; the pod name layout from its v2 naming.
    assert fnv32a("hello") == 1335831723 and fnv32a("You cannot alter your fate. However, you can rise to meet it.") == 827171719
    workflow = {"metadata": {"name": "calc-x"}}
    node = {"id": "calc-x-123", "name": "calc-x.add-1", "templateName": "add", "type": "Pod"}
    assert pod_name(workflow, node) == f"calc-x-add-{fnv32a('calc-x.add-1')}"
    v1 = {"metadata": {"name": "calc-x", "annotations": {"workflows.argoproj.io/pod-name-format": "v1"}}}
    assert pod_name(v1, node) == "calc-x-123"


# --- list and get -------------------------------------------------------------------------------


def test_list_is_newest_first_and_filters_on_the_server(argo: ArgoStandIn, runs: ArgoRuns) -> None:
    finished(argo, "old", age=300, **{"creg.dev__experiment": "lr"})
    finished(argo, "mid", age=200, fail={"divmod"}, **{"creg.dev__experiment": "lr"})
    seed(argo, "new", steps=1, age=100, **{"creg.dev__experiment": "other", "team": "a"})
    assert [r["metadata"]["name"] for r in runs.list_runs(RunQuery())] == ["new", "mid", "old"]
    assert [r["metadata"]["name"] for r in runs.list_runs(RunQuery(experiment="lr"))] == ["mid", "old"]
    assert last_query(argo, WORKFLOWS)["listOptions.labelSelector"] == [f"{LABEL_EXPERIMENT}=lr"]
    failed = runs.list_runs(RunQuery(experiment="lr", phases=("Failed",)))
    assert [r["metadata"]["name"] for r in failed] == ["mid"]
    assert last_query(argo, WORKFLOWS)["listOptions.labelSelector"] == [
        f"{LABEL_EXPERIMENT}=lr,workflows.argoproj.io/phase in (Failed)"]
    assert [r["metadata"]["name"] for r in runs.list_runs(RunQuery(labels={"team": "a"}))] == ["new"]
    assert [r["metadata"]["name"] for r in runs.list_runs(RunQuery(limit=2))] == ["new", "mid"]


def test_since_is_sent_as_created_after_and_pending_runs_are_found(argo: ArgoStandIn, runs: ArgoRuns) -> None:
    finished(argo, "ancient", age=7200)
    seed(argo, "queued")  # not picked up yet: no phase, no phase label
    since = datetime.now(timezone.utc) - timedelta(hours=1)
    assert [r["metadata"]["name"] for r in runs.list_runs(RunQuery(since=since))] == ["queued"]
    assert last_query(argo, WORKFLOWS)["createdAfter"] == [since.strftime("%Y-%m-%dT%H:%M:%SZ")]
    pending = runs.list_runs(RunQuery(phases=("Pending", "Running")))
    assert [r["metadata"]["name"] for r in pending] == ["queued"]
    assert "listOptions.labelSelector" not in last_query(argo, WORKFLOWS)


def test_get_takes_a_name_or_a_unique_prefix(argo: ArgoStandIn, runs: ArgoRuns) -> None:
    finished(argo, "calc-x7k2p")
    finished(argo, "calc-y1111")
    assert runs.get_run("calc-x7k2p")["status"]["phase"] == "Succeeded"
    assert runs.get_run("calc-x")["metadata"]["name"] == "calc-x7k2p"
    with pytest.raises(RunNotFound, match=r"no run 'calc-x7k2q' \(did you mean 'calc-x7k2p'\?\)"):
        runs.get_run("calc-x7k2q")
    with pytest.raises(RunNotFound, match="ambiguous"):
        runs.get_run("calc-")


def test_label_selector_text() -> None:
    assert label_selector({"b": "2", "a": "1"}, ["Running", "Failed"], ["creg.dev/experiment"]) == \
        "a=1,b=2,workflows.argoproj.io/phase in (Failed,Running),creg.dev/experiment"


# --- logs -------------------------------------------------------------------------------------


def test_logs_of_a_finished_run_are_prefixed_with_their_tasks(argo: ArgoStandIn, runs: ArgoRuns) -> None:
    finished(argo, "calc-done")
    lines = list(runs.logs("calc-d"))
    assert [(line.task, line.text) for line in lines] == [
        ("add-1", "add-1: started"), ("add-1", "add-1: done"), ("divmod", "divmod: started"),
        ("divmod", "divmod: done"), ("add-2", "add-2: started"), ("add-2", "add-2: done")]
    query = last_query(argo, LOG)
    assert query["logOptions.container"] == ["main"] and "logOptions.follow" not in query


def test_logs_of_one_task_ask_for_its_pod(argo: ArgoStandIn, runs: ArgoRuns) -> None:
    finished(argo, "calc-done")
    assert [line.text for line in runs.logs("calc-done", "divmod")] == ["divmod: started", "divmod: done"]
    node = next(n for n in argo.runs.items[(NS, "calc-done")]["status"]["nodes"].values() if n["displayName"] == "divmod")
    assert last_query(argo, LOG)["podName"] == [pod_name(argo.runs.items[(NS, "calc-done")], node)]
    with pytest.raises(RunNotFound, match=r"no task 'dvmod' \(did you mean 'divmod'"):
        list(runs.logs("calc-done", "dvmod"))


def test_following_a_task_that_has_not_started_yet(argo: ArgoStandIn, runs: ArgoRuns) -> None:
    argo.auto_advance = False
    seed(argo, "calc-new")  # not picked up by the controller yet: no nodes at all
    assert [line.text for line in runs.logs("calc-new", "add-2", follow=True)] == ["add-2: started", "add-2: done"]
    with pytest.raises(RunNotFound, match="no task 'add-3' \\(did you mean 'add-2'"):
        list(runs.logs("calc-new", "add-3", follow=True))


def test_follow_streams_one_answer_until_the_run_ends(argo: ArgoStandIn, runs: ArgoRuns) -> None:
    argo.auto_advance = False  # only the log stream moves the run on: polling would hang
    argo.tick = 0.2  # slow enough that each pod starts after the lines before it were read
    seed(argo, "calc-live", steps=1)
    seen = []
    for line in runs.logs("calc-live", follow=True):
        seen.append((line, argo.runs.items[(NS, "calc-live")]["status"]["phase"]))
    assert seen[0][1] == "Running", "the first line arrives while the run is still running"
    assert [line.task for line, _ in seen] == ["add-1", "add-1", "divmod", "divmod", "add-2", "add-2"]
    assert seen[-1][1] == "Succeeded"
    assert len([c for c in argo.calls if c.template == LOG]) == 1
    assert last_query(argo, LOG)["logOptions.follow"] == ["true"]


def test_a_stream_that_breaks_off_is_resumed_without_repeats(argo: ArgoStandIn, runs: ArgoRuns) -> None:
    argo.auto_advance = False
    argo.tick = 0.1
    argo.cut_streams = 2
    seed(argo, "calc-cut", steps=1)
    lines = [f"{line.task} {line.text}" for line in runs.logs("calc-cut", follow=True)]
    assert lines == ["add-1 add-1: started", "add-1 add-1: done", "divmod divmod: started", "divmod divmod: done",
                     "add-2 add-2: started", "add-2 add-2: done"]
    assert len([c for c in argo.calls if c.template == LOG]) == 3


def test_a_stream_that_keeps_breaking_is_one_clear_error(argo: ArgoStandIn, runs: ArgoRuns) -> None:
    finished(argo, "calc-cut")
    argo.cut_streams = 99
    with pytest.raises(FetchError, match="the stream broke off"):
        list(runs.logs("calc-cut"))
    assert len([c for c in argo.calls if c.template == LOG]) == 5


def test_an_error_inside_the_stream_is_one_clear_error(argo: ArgoStandIn, runs: ArgoRuns) -> None:
    finished(argo, "calc-done")
    argo.stream_error = "pod log unavailable (request had {auth})"
    got = []
    with pytest.raises(FetchError, match="the log stream failed: pod log unavailable") as caught:
        for line in runs.logs("calc-done"):
            got.append(line.text)
    assert got == ["add-1: started"] and TOKEN not in str(caught.value)


# --- actions -------------------------------------------------------------------------------------


def test_stop_fails_the_run_and_the_exit_handler_still_runs(argo: ArgoStandIn, runs: ArgoRuns) -> None:
    doc = dict(compiled("calculation.yaml"), metadata={"name": "calc-stop"})
    doc["spec"] = dict(doc["spec"], onExit="add")
    argo.runs.create(NS, doc)
    argo.runs.advance((NS, "calc-stop"))
    stopped = runs.stop_run("calc-st")
    assert stopped["status"]["phase"] == "Failed" and "Stop" in stopped["status"]["message"]
    assert any(n["displayName"] == "onExit" and n["phase"] == "Succeeded" for n in stopped["status"]["nodes"].values())
    with pytest.raises(FetchError, match="cannot shutdown a completed workflow"):
        runs.stop_run("calc-stop")


def test_retry_reruns_a_failed_run(argo: ArgoStandIn, runs: ArgoRuns) -> None:
    finished(argo, "calc-bad", fail={"divmod"})
    retried = runs.retry_run("calc-bad")
    assert retried["status"]["phase"] == "Running"
    kept = [n["displayName"] for n in retried["status"]["nodes"].values() if n.get("phase") == "Succeeded"]
    assert kept == ["add-1"]
    for _ in range(5):
        argo.runs.advance((NS, "calc-bad"))
    assert runs.get_run("calc-bad")["status"]["phase"] == "Succeeded"
    with pytest.raises(FetchError, match="must be Failed/Error to retry"):
        runs.retry_run("calc-bad")


def test_resubmit_makes_a_new_run_with_the_same_labels(argo: ArgoStandIn, runs: ArgoRuns) -> None:
    finished(argo, "calc-one", **{"creg.dev__experiment": "lr"})
    again = runs.resubmit_run("calc-one")
    assert again["metadata"]["name"] != "calc-one" and again["metadata"]["labels"][LABEL_EXPERIMENT] == "lr"
    assert len(runs.list_runs(RunQuery(experiment="lr"))) == 2


def test_delete_resolves_every_id_first(argo: ArgoStandIn, runs: ArgoRuns) -> None:
    finished(argo, "calc-a1")
    finished(argo, "calc-b2")
    with pytest.raises(RunNotFound, match="no run 'calc-c'"):
        runs.delete_runs(["calc-a", "calc-c"])
    assert len(argo.runs.items) == 2
    assert runs.delete_runs(["calc-a", "calc-b2"]) == ["calc-a1", "calc-b2"]
    assert argo.runs.items == {}


def test_experiments_are_a_label_selector(argo: ArgoStandIn, runs: ArgoRuns) -> None:
    finished(argo, "lr-1", age=30, **{"creg.dev__experiment": "lr"})
    finished(argo, "lr-2", age=20, fail={"add-2"}, **{"creg.dev__experiment": "lr"})
    finished(argo, "gb-1", age=10, **{"creg.dev__experiment": "gb"})
    finished(argo, "plain", age=5)
    experiments = runs.experiments()
    assert [(e.name, dict(e.counts), e.last_run) for e in experiments] == [
        ("gb", {"Succeeded": 1}, "gb-1"), ("lr", {"Failed": 1, "Succeeded": 1}, "lr-2")]
    assert last_query(argo, WORKFLOWS)["listOptions.labelSelector"] == [LABEL_EXPERIMENT]


# --- failures ---------------------------------------------------------------------------------


def test_an_echoed_token_is_redacted_and_access_errors_say_what_to_check(argo: ArgoStandIn, runs: ArgoRuns) -> None:
    argo.always = (401, "token {auth} has expired")
    with pytest.raises(CregError) as caught:
        runs.list_runs(RunQuery())
    assert TOKEN not in str(caught.value) and "HTTP 401" in str(caught.value) and "ARGO_TOKEN" in str(caught.value)
    argo.always = (403, "forbidden for {auth}")
    with pytest.raises(CregError) as caught:
        list(runs.logs("anything"))
    assert TOKEN not in str(caught.value) and "HTTP 403" in str(caught.value)


def test_a_server_that_is_down(runs: ArgoRuns) -> None:
    down = ArgoRuns(Server("http://127.0.0.1:9", NS, TOKEN))
    with pytest.raises(FetchError, match="Connection refused"):
        down.list_runs(RunQuery())
    with pytest.raises(FetchError, match="Connection refused"):
        list(down.logs("x"))


# --- schedules ---------------------------------------------------------------------------------


def test_schedules_and_the_runs_they_made(argo: ArgoStandIn, runs: ArgoRuns) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    request_json("POST", f"{argo.url}/api/v1/cron-workflows/{NS}",
                 {"namespace": NS, "cronWorkflow": compiled("calculation-schedule.yaml")}, auth)
    made = argo.trigger(NS, "calculation-schedule")["metadata"]["name"]
    finished(argo, "unscheduled")
    schedules = ArgoSchedules(Server(argo.url, NS, TOKEN))
    assert [c["metadata"]["name"] for c in schedules.list_schedules()] == ["calculation-schedule"]
    assert schedules.suspend("calc")["spec"]["suspend"] is True
    assert schedules.resume("calculation-schedule")["spec"]["suspend"] is False
    assert [r["metadata"]["name"] for r in runs.list_runs(RunQuery(schedule="calculation-schedule"))] == [made]
    assert last_query(argo, WORKFLOWS)["listOptions.labelSelector"] == [f"{LABEL_CRON}=calculation-schedule"]
    with pytest.raises(ScheduleNotFound, match="no schedule 'nightly'"):
        schedules.get("nightly")
    assert schedules.delete(["calc"]) == ["calculation-schedule"] and argo.crons == {}


def test_logs_and_watchers_can_share_the_server(argo: ArgoStandIn, runs: ArgoRuns) -> None:
    """Two followers at once (the stand-in serves each stream on its own thread)."""
    argo.auto_advance = False
    seed(argo, "calc-shared", steps=1)
    results: list[list[str]] = []
    threads = [threading.Thread(target=lambda: results.append([l.text for l in runs.logs("calc-shared", follow=True)]))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(results) == 2 and all(r[-1] == "add-2: done" and len(r) == 6 for r in results)
