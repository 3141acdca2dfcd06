"""``creg runs ...`` and ``creg experiments list``: every verb and output format, on a real store."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import NamedTuple

import pytest
import yaml

from helpers_registry import creg
from helpers_runs import CHAIN, write
from registry.argo import runview
from registry.commands._runs_table import epoch, span
from registry.local import listing
from registry.local.store import NewRun, RunStore


class Store(NamedTuple):
    env: dict[str, str]
    good: str  # chain, experiment exp-a, label team=ml
    bad: str  # chain with 'use' failing (exit 4), experiment exp-b


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    folder = tmp_path_factory.mktemp("runs")
    env = {"CREG_HOME": str(folder / "home")}
    good = creg("run", str(write(folder, "chain.yaml", CHAIN)), "--experiment", "exp-a", "-l", "team=ml",
                "--format", "json", env=env)
    failing = CHAIN.replace('echo "got $0"', 'echo "got $0"; exit 4')
    bad = creg("run", str(write(folder, "failing.yaml", failing)), "--experiment", "exp-b", "--format", "json",
               env=env)
    assert good.returncode == 0 and bad.returncode == 1, good.stderr + bad.stderr
    return Store(env, json.loads(good.stdout)["run"], json.loads(bad.stdout)["run"])


def runs(store: Store, *args: str) -> tuple[int, str, str]:
    result = creg("runs", *args, env=store.env)
    return result.returncode, result.stdout, result.stderr


def test_list_is_a_table_newest_first(store: Store) -> None:
    code, out, _ = runs(store, "list")
    assert code == 0
    header, first, second = out.splitlines()
    assert header.split() == ["NAME", "STATUS", "AGE", "DURATION", "PROGRESS", "EXPERIMENT"]
    assert first.split()[:2] == [store.bad, "Failed"] and first.split()[4:] == ["2/2", "exp-b"]
    assert second.split()[:2] == [store.good, "Succeeded"] and second.split()[4:] == ["2/2", "exp-a"]


def test_list_formats(store: Store) -> None:
    wide = runs(store, "list", "-o", "wide")[1].splitlines()
    assert wide[0].split()[-2:] == ["PIPELINE", "MESSAGE"] and "child '" in wide[1] and wide[2].endswith("chain")
    assert runs(store, "list", "-o", "name")[1] == f"{store.bad}\n{store.good}\n"
    as_json = json.loads(runs(store, "list", "-o", "json")[1])
    assert [wf["metadata"]["name"] for wf in as_json] == [store.bad, store.good]
    assert yaml.safe_load(runs(store, "list", "-o", "yaml")[1]) == as_json


@pytest.mark.parametrize("args, expected", [
    (("--experiment", "exp-a"), "good"), (("--experiment", "nope"), ""), (("--pipeline", "chain"), "both"),
    (("--status", "Failed"), "bad"), (("--status", "running,succeeded"), "good"), (("-l", "team=ml"), "good"),
    (("--since", "1h"), "both"), (("--since", "2999-01-01"), ""), (("--since", "2000-01-01T00:00:00Z"), "both"),
    (("--schedule", "nightly"), ""), (("--limit", "1"), "bad"), (("--limit", "1", "--all"), "both")])
def test_list_filters(store: Store, args: tuple[str, ...], expected: str) -> None:
    code, out, err = runs(store, "list", "-o", "name", *args)
    wanted = {"good": [store.good], "bad": [store.bad], "both": [store.bad, store.good], "": []}[expected]
    assert code == 0 and out.split() == wanted, err
    if not wanted:
        assert runs(store, "list", *args)[2] == "no runs\n"


@pytest.mark.parametrize("args, message", [
    (("--status", "Runing"), "--status 'Runing': expected one of Pending, Running, Succeeded, Failed, Error "
                             "(did you mean 'Running'?)"),
    (("--since", "yesterday"), "--since 'yesterday': expected an age (7d, 2h) or a date (2026-12-01)"),
    (("-l", "team"), "-l 'team': expected KEY=VALUE")])
def test_list_refuses_bad_filters_in_one_line(store: Store, args: tuple[str, ...], message: str) -> None:
    code, _, err = runs(store, "list", *args)
    assert code == 2 and err.strip() == message


def test_get_shows_the_node_tree_with_outputs_and_the_failed_steps_exit_code(store: Store) -> None:
    code, out, _ = runs(store, "get", store.bad)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["Name:", store.bad] and lines[2].split() == ["Status:", "Failed"]
    assert "Parameters:" in lines and "  n: 5" in lines and "  creg.dev/experiment: exp-b" in lines
    steps = lines[lines.index(next(line for line in lines if line.startswith("STEP"))) + 1:]
    assert steps[0].split()[:4] == ["✖", store.bad, "chain", "Failed"]
    assert steps[1].split()[:4] == ["├─✔", "make", "make", "Succeeded"] and steps[1].endswith("v=5")
    assert steps[2].split()[:4] == ["└─✖", "use", "use", "Failed"] and steps[2].endswith("(exit code 4)")


def test_get_as_json_and_yaml(store: Store) -> None:
    as_json = json.loads(runs(store, "get", store.good, "-o", "json")[1])
    assert as_json["metadata"]["name"] == store.good and len(as_json["status"]["nodes"]) == 3
    assert yaml.safe_load(runs(store, "get", store.good, "-o", "yaml")[1]) == as_json


def test_logs_prefix_each_line_with_its_task(store: Store) -> None:
    assert runs(store, "logs", store.good)[1] == "make: making\nmake: made\nuse: got 5\n"
    assert runs(store, "logs", store.good, "use", "--no-prefix")[1] == "got 5\n"
    code, _, err = runs(store, "logs", store.good, "usr")
    assert code == 1 and err.strip() == f"run '{store.good}' has no task 'usr' with a log (did you mean 'use'?)"


def test_watch_prints_each_change_and_exits_with_the_outcome(store: Store) -> None:
    code, out, _ = runs(store, "watch", store.good)
    assert code == 0 and out.splitlines() == [f"{store.good}.make: Succeeded", f"{store.good}.use: Succeeded",
                                              f"{store.good}: Succeeded"]
    code, out, _ = runs(store, "watch", store.bad)
    assert code == 1 and out.splitlines()[-1].startswith(f"{store.bad}: Failed (child '")


def test_experiments_list(store: Store) -> None:
    table = creg("experiments", "list", env=store.env).stdout.splitlines()
    assert table[0].split() == ["EXPERIMENT", "RUNS", "RUNNING", "SUCCEEDED", "FAILED", "LAST", "RUN", "AGE"]
    assert table[1].split()[:6] == ["exp-a", "1", "0", "1", "0", store.good]
    assert table[2].split()[:6] == ["exp-b", "1", "0", "0", "1", store.bad]
    listed = json.loads(creg("experiments", "list", "-o", "json", env=store.env).stdout)
    assert listed[0]["counts"] == {"Succeeded": 1} and listed[1]["lastRun"] == store.bad
    assert creg("experiments", "list", "-o", "name", env=store.env).stdout == "exp-a\nexp-b\n"
    assert yaml.safe_load(creg("experiments", "list", "-o", "yaml", env=store.env).stdout) == listed


def test_delete_refuses_a_running_run_and_removes_a_finished_one(tmp_path: Path) -> None:
    slow = "name: slow\ntasks:\n  wait: {image: sh, command: [sh, -c, 'sleep 60']}\n"
    name = creg("run", str(write(tmp_path, "slow.yaml", slow)), "--detach").stdout.strip()
    done = json.loads(creg("run", str(write(tmp_path, "chain.yaml", CHAIN)), "--format", "json").stdout)["run"]
    folder = Path(json.loads(creg("runs", "get", done, "-o", "json").stdout)["metadata"]["annotations"]
                  ["creg.dev/workdir"])
    assert folder.is_dir()
    refused = creg("runs", "delete", name)
    assert refused.returncode == 1 and f"not deleting '{name}' (" in refused.stderr and "stop it first" in refused.stderr
    every = creg("runs", "delete", "--all")
    assert every.stdout == f"deleted {done}\n" and "kept 1 run(s) still running" in every.stderr
    assert not folder.exists()
    assert creg("runs", "stop", name).returncode == 0
    time.sleep(0.5)
    creg("runs", "watch", name, "--interval", "0.1")
    assert creg("runs", "delete", name).stdout == f"deleted {name}\n"
    assert creg("runs", "list", "-o", "name").stdout == ""


def test_delete_older_than_and_by_experiment(tmp_path: Path) -> None:
    source = write(tmp_path, "chain.yaml", CHAIN)
    first, second = (json.loads(creg("run", str(source), "--experiment", e, "--format", "json").stdout)["run"]
                     for e in ("keep", "drop"))
    assert creg("runs", "delete", "--older-than", "1h").stderr == "no finished run matches; nothing deleted\n"
    time.sleep(1.1)
    assert creg("runs", "delete", "--all", "--experiment", "drop").stdout == f"deleted {second}\n"
    assert creg("runs", "delete", "--older-than", "1s").stdout == f"deleted {first}\n"
    both = creg("runs", "delete", first, "--all")
    assert both.returncode == 2 and "not both" in both.stderr
    assert creg("runs", "delete", "--older-than", "soon").returncode == 2


def test_an_unreachable_argo_server_and_a_namespace_without_one() -> None:
    """The Argo backend's own tests (test_commands_runs_argo.py) use a live stand-in."""
    result = creg("runs", "list", "--server", "http://127.0.0.1:9")
    assert result.returncode == 1 and "Connection refused" in result.stderr and "Traceback" not in result.stderr
    assert creg("runs", "list", env={"ARGO_SERVER": "127.0.0.1:9", "ARGO_SECURE": "false"}).returncode == 1
    namespace = creg("runs", "list", "-n", "argo")
    assert namespace.returncode == 2 and "--namespace needs an Argo Server" in namespace.stderr


@pytest.mark.parametrize("text, seconds", [("2026-12-04T07:49:08Z", 1796370548.0), ("1970-01-01T00:00:00Z", 0.0),
                                           ("2000-02-29T12:00:00Z", 951825600.0), ("bad", None)])
def test_timestamps_are_read_without_strptime(text: str, seconds: float | None) -> None:
    assert epoch(text) == seconds
    if seconds is not None:
        assert time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds)) == text


@pytest.mark.parametrize("seconds, shown", [(None, "-"), (0, "0s"), (59, "59s"), (60, "1m"), (125, "2m5s"),
                                            (7200, "2h"), (90000, "1d1h")])
def test_spans_read_like_argos(seconds: float | None, shown: str) -> None:
    assert span(seconds) == shown


@pytest.mark.parametrize("args", [(), ("-o", "wide"), ("-o", "name"), ("--output=wide", "--limit", "1"),
                                  ("--experiment", "exp-a"), ("--experiment=exp-b", "-o", "name"),
                                  ("--status", "failed,Succeeded", "--since", "7d"), ("-l", "team=ml", "--all"),
                                  ("--pipeline", "chain", "--schedule", "none"), ("--since", "2000-01-01"),
                                  ("--status", "Runing"), ("--limit", "0"), ("--since", "soon"), ("-o", "json"),
                                  ("--server",), ("--bogus",), ("-l", "team")])
def test_the_fast_listing_prints_what_click_prints(store: Store, args: tuple[str, ...]) -> None:
    """``creg runs list`` answers without click (entry -> runs_fast); ``python -m registry`` always
    goes through click.  Both must print the same, and fall back alike for what the fast path leaves."""
    import subprocess
    import sys

    fast = creg("runs", "list", *args, env=store.env)
    clicked = subprocess.run([sys.executable, "-m", "registry", "runs", "list", *args], capture_output=True,
                             text=True, env={**__import__("os").environ, **store.env}, timeout=60)
    assert (fast.returncode, _no_ages(fast.stdout), fast.stderr) == (clicked.returncode, _no_ages(clicked.stdout),
                                                                    clicked.stderr.replace("python -m registry", "creg"))


def _no_ages(text: str) -> str:
    """The table without its AGE column's values, which may tick between the two processes (and so
    widen the column): ages out, runs of spaces as one.  Both print through the same render_list."""
    import re

    return re.sub(r" +", " ", re.sub(r"(?<=  )\d+[smhd](\d+[smh])?(?=  )", "AGE", text))


def test_the_listing_shows_the_newest_fifty_unless_told_otherwise(tmp_path: Path) -> None:
    store = RunStore()
    doc = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "many-"},
           "spec": {"entrypoint": "main", "templates": []}}
    made = [store.create("many", doc, NewRun("many", [], {}, {}, None, 1)) for _ in range(55)]
    store.close()
    shown = creg("runs", "list")
    assert len(shown.stdout.splitlines()) == 51 and shown.stderr == (
        "(the newest 50 runs; --limit N or --all for more)\n")
    assert sorted(creg("runs", "list", "--all", "-o", "name").stdout.split()) == sorted(made)
    assert len(json.loads(creg("runs", "list", "-o", "json", "--limit", "7").stdout)) == 7


def test_the_fast_listing_names_the_labels_as_runview_does() -> None:
    assert (listing.LABEL_EXPERIMENT, listing.LABEL_PIPELINE, listing.LABEL_CRON) == (
        runview.LABEL_EXPERIMENT, runview.LABEL_PIPELINE, runview.LABEL_CRON)


def test_watch_on_a_terminal_redraws_the_get_view_in_place(store: Store) -> None:
    import os
    import pty
    import subprocess

    from helpers_registry import CREG

    leader, follower = pty.openpty()
    watcher = subprocess.Popen([str(CREG), "runs", "watch", store.good], stdout=follower, stderr=subprocess.PIPE,
                               env={**os.environ, **store.env})
    os.close(follower)
    assert watcher.wait(timeout=60) == 0
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal's other end is closed: all read
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    text = shown.decode()
    assert text.startswith("\x1b[H\x1b[2J") and f"Name:           {store.good}" in text
    assert "├─✔ make" in text and "└─✔ use" in text
