"""``creg submit``: the compiled document, wrapped in the Argo Server's create request.

No Kubernetes cluster runs here, so the server is the stand-in of ``helpers_argo``: every
request and answer is checked against Argo's published REST API (the project's copy, ``schemas/argo/swagger.json``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from helpers_argo import TOKEN, ArgoStandIn, start, stop
from helpers_registry import creg

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture
def server(shared_dir: Path) -> Iterator[ArgoStandIn]:
    argo = start()
    yield argo
    stop(argo)
    assert argo.violations == []


@pytest.mark.parametrize("example, kind, options", [
    ("calculation.yaml", "Workflow", []),
    ("calculation.yaml", "WorkflowTemplate", ["--kind", "WorkflowTemplate"]),
    ("calculation-schedule.yaml", "CronWorkflow", []),
])
def test_submit_creates_each_kind(server: ArgoStandIn, example: str, kind: str, options: list[str]) -> None:
    result = creg("submit", str(EXAMPLES / example), "--server", server.url, "-n", "team-a", *options,
                  env={"ARGO_TOKEN": TOKEN})
    assert result.returncode == 0, result.stderr
    (created,) = server.created()
    assert created["kind"] == kind and created["metadata"]["namespace"] == "team-a"
    assert f"created {kind} {created['metadata']['name']} in team-a" in result.stdout


def test_submit_wait_follows_the_workflow_to_its_end(server: ArgoStandIn) -> None:
    server.faults[3] = (503, "server restarting")  # the second poll: a long wait must outlive it
    host = server.url.removeprefix("http://")  # host:port, as Argo's CLI takes it
    result = creg("submit", str(EXAMPLES / "calculation.yaml"), "--param", "a=100", "--wait",
                  env={"ARGO_SERVER": host, "ARGO_SECURE": "false", "ARGO_TOKEN": f"Bearer {TOKEN}",
                       "ARGO_NAMESPACE": "ml", "CREG_SUBMIT_POLL": "0.1"})
    assert result.returncode == 0, result.stderr
    (run,) = server.created()
    name = run["metadata"]["name"]
    assert f"{name}: Running" in result.stderr and f"{name}: Succeeded" in result.stderr
    assert run["spec"]["arguments"]["parameters"][0] == {"name": "a", "value": "100"}
    assert [c.method for c in server.calls].count("GET") >= 4


def test_server_errors_are_reported_with_the_servers_message(server: ArgoStandIn) -> None:
    no_token = creg("submit", str(EXAMPLES / "calculation.yaml"), "--server", server.url)
    assert no_token.returncode == 1 and "HTTP 401" in no_token.stderr and "token not valid" in no_token.stderr
    assert "Traceback" not in no_token.stderr
    scheduled = [str(EXAMPLES / "calculation-schedule.yaml"), "--server", server.url]
    assert creg("submit", *scheduled, env={"ARGO_TOKEN": TOKEN}).returncode == 0
    again = creg("submit", *scheduled, env={"ARGO_TOKEN": TOKEN})
    assert again.returncode == 1 and "HTTP 409" in again.stderr and "already exists" in again.stderr


def test_wait_is_for_workflows_only(server: ArgoStandIn) -> None:
    template = creg("submit", str(EXAMPLES / "calculation.yaml"), "--server", server.url, "--kind",
                    "WorkflowTemplate", "--wait", env={"ARGO_TOKEN": TOKEN})
    assert template.returncode == 2 and "--wait" in template.stderr and server.created() == []


def test_submit_without_a_server_or_a_reachable_one(tmp_path: Path) -> None:
    missing = creg("submit", str(EXAMPLES / "calculation.yaml"))
    assert missing.returncode == 2 and "ARGO_SERVER" in missing.stderr
    refused = creg("submit", str(EXAMPLES / "calculation.yaml"), "--server", "http://127.0.0.1:9")
    assert refused.returncode == 1 and "Connection refused" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_an_invalid_pipeline_is_never_sent(server: ArgoStandIn, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: broken\ntasks:\n  a:\n    component: add@1.0.0\n    args: {a: 1, c: 2}\n")
    result = creg("submit", str(broken), "--server", server.url, env={"ARGO_TOKEN": TOKEN})
    assert result.returncode == 1 and "broken.yaml:5" in result.stderr
    assert server.created() == []


def test_a_token_with_a_trailing_newline_works_and_one_with_a_newline_inside_is_refused_unshown(
        server: ArgoStandIn) -> None:
    ok = creg("submit", str(EXAMPLES / "calculation.yaml"), "--server", server.url, env={"ARGO_TOKEN": TOKEN + "\n"})
    assert ok.returncode == 0, ok.stderr
    for flag in ([], ["--traceback"]):
        bad = creg(*flag, "submit", str(EXAMPLES / "calculation.yaml"), "--server", server.url,
                   env={"ARGO_TOKEN": TOKEN[:4] + "\n" + TOKEN[4:]})
        assert bad.returncode == 1 and "ARGO_TOKEN holds a control character" in bad.stderr
        assert TOKEN[4:] not in bad.stderr + bad.stdout and TOKEN[:4] + "\n" not in bad.stderr


def test_submit_labels_the_run_with_its_experiment_pipeline_and_digest(server: ArgoStandIn) -> None:
    calc = str(EXAMPLES / "calculation.yaml")
    first = creg("submit", calc, "--server", server.url, "--experiment", "lr-sweep", "-l", "team=vision",
                 env={"ARGO_TOKEN": TOKEN})
    second = creg("submit", calc, "--server", server.url, "--param", "a=1", env={"ARGO_TOKEN": TOKEN})
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    one, two = (run["metadata"]["labels"] for run in server.created())
    assert one["creg.dev/experiment"] == "lr-sweep" and one["team"] == "vision"
    assert one["creg.dev/pipeline"] == two["creg.dev/pipeline"] == "calculation"
    assert len(one["creg.dev/pipeline-digest"]) == 32 and one["creg.dev/pipeline-digest"] == two["creg.dev/pipeline-digest"]
    assert "creg.dev/experiment" not in two


def test_a_schedule_passes_its_labels_to_the_runs_it_makes(server: ArgoStandIn) -> None:
    result = creg("submit", str(EXAMPLES / "calculation-schedule.yaml"), "--server", server.url, "-n", "ml",
                  "--experiment", "nightly", env={"ARGO_TOKEN": TOKEN})
    assert result.returncode == 0, result.stderr
    run = server.trigger("ml", "calculation-schedule")
    assert run["metadata"]["labels"]["creg.dev/experiment"] == "nightly"
    assert run["metadata"]["labels"]["workflows.argoproj.io/cron-workflow"] == "calculation-schedule"


@pytest.mark.parametrize("options, message", [
    (["--experiment", "lr sweep"], "--experiment: 'lr sweep' is not a label value"),
    (["-l", "team"], "-l 'team': expected KEY=VALUE"),
    (["-l", "-bad=x"], "--label: '-bad' is not a label key"),
])
def test_bad_labels_are_refused_before_anything_is_sent(server: ArgoStandIn, options: list[str], message: str) -> None:
    result = creg("submit", str(EXAMPLES / "calculation.yaml"), "--server", server.url, *options,
                  env={"ARGO_TOKEN": TOKEN})
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
    assert server.created() == [] and server.calls == []
