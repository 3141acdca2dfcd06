"""``creg schedules ...`` as a user runs it, against the swagger-checked Argo Server stand-in."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Iterator

import pytest

from helpers_argo import TOKEN, ArgoStandIn, start, stop
from helpers_registry import creg

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture
def argo(shared_dir: Path) -> Iterator[ArgoStandIn]:
    server = start()
    yield server
    stop(server)
    assert server.violations == []


@pytest.fixture
def env(argo: ArgoStandIn) -> dict[str, str]:
    """Argo's own CLI settings: host:port, plain http, a namespace, the token."""
    return {"ARGO_SERVER": argo.url.removeprefix("http://"), "ARGO_SECURE": "false",
            "ARGO_NAMESPACE": "ml", "ARGO_TOKEN": TOKEN}


@pytest.fixture
def scheduled(argo: ArgoStandIn, env: dict[str, str]) -> str:
    result = creg("submit", str(EXAMPLES / "calculation-schedule.yaml"), "-l", "team=vision", env=env)
    assert result.returncode == 0, result.stderr
    return "calculation-schedule"


def test_list_get_suspend_resume_delete(argo: ArgoStandIn, env: dict[str, str], scheduled: str) -> None:
    argo.trigger("ml", scheduled)
    table = creg("schedules", "list", env=env)
    assert table.returncode == 0, table.stderr
    header, row = table.stdout.splitlines()
    assert header.split() == ["NAME", "SCHEDULE", "SUSPENDED", "ACTIVE", "LAST"]
    assert row.split()[:5] == [scheduled, "0", "6", "*", "*"] and row.split()[-3:-1] == ["no", "1"]
    assert re.fullmatch(r"\d+s", row.split()[-1])  # scheduled seconds ago
    wide = creg("schedules", "list", "-o", "wide", "-l", "team=vision", env=env)
    assert "Europe/Berlin" in wide.stdout and "TIMEZONE" in wide.stdout
    assert creg("schedules", "list", "-o", "name", env=env).stdout == f"{scheduled}\n"
    assert json.loads(creg("schedules", "list", "-o", "json", env=env).stdout)[0]["spec"]["schedules"] == ["0 6 * * *"]
    assert creg("schedules", "list", "-l", "team=other", "-o", "name", env=env).stdout == ""
    shown = creg("schedules", "get", "calc", env=env)
    assert "schedule:   0 6 * * *" in shown.stdout and "running:    calculation-schedule-" in shown.stdout
    assert creg("schedules", "suspend", "calc", env=env).stdout == f"suspended {scheduled}\n"
    assert argo.crons[("ml", scheduled)]["spec"]["suspend"] is True
    assert creg("schedules", "resume", scheduled, env=env).stdout == f"resumed {scheduled}\n"
    assert argo.crons[("ml", scheduled)]["spec"]["suspend"] is False
    assert creg("schedules", "delete", scheduled, env=env).stdout == f"deleted {scheduled}\n"
    assert argo.crons == {}


def test_an_unknown_schedule_is_one_line_with_a_hint(env: dict[str, str], scheduled: str) -> None:
    result = creg("schedules", "get", "calculation-schedul", env=env)
    assert result.returncode == 0  # a unique prefix
    result = creg("schedules", "suspend", "calculation-shedule", env=env)
    assert result.returncode == 1 and result.stderr == (
        "no schedule 'calculation-shedule' (did you mean 'calculation-schedule'?)\n")


@pytest.mark.parametrize("traceback", [[], ["--traceback"]])
def test_a_rejected_token_never_shows_even_when_the_server_echoes_it(
        argo: ArgoStandIn, env: dict[str, str], traceback: list[str]) -> None:
    argo.always = (401, "token '{auth}' has expired")
    result = creg(*traceback, "schedules", "list", env=env)
    assert result.returncode == 1 and TOKEN not in result.stdout + result.stderr
    assert "HTTP 401" in result.stderr and "ARGO_TOKEN" in result.stderr
    if not traceback:
        assert len(result.stderr.splitlines()) == 1


def test_no_server_or_one_that_is_down(tmp_path: Path) -> None:
    missing = creg("schedules", "list")
    assert missing.returncode == 2 and "ARGO_SERVER" in missing.stderr
    down = creg("schedules", "list", "--server", "http://127.0.0.1:9", env={"ARGO_TOKEN": TOKEN})
    assert down.returncode == 1 and "Connection refused" in down.stderr and len(down.stderr.splitlines()) == 1
