"""Recorded runs that outlive the command: detached runs, ``argo stop``'s and ``argo retry``'s semantics."""

from __future__ import annotations

import os
import time
from pathlib import Path

from helpers_registry import creg
from helpers_runs import CHAIN, RETRYABLE, SLOW, end_process, get, nodes, runs, wait_until, write
from registry.local.store import RunStore


def test_detach_prints_the_id_and_runs_in_a_session_of_its_own(tmp_path: Path) -> None:
    pidfile = tmp_path / "task.pid"
    source = write(tmp_path, "slow.yaml", SLOW.format(pidfile=pidfile, exits=tmp_path / "exits"))
    try:
        started = time.monotonic()
        detached = creg("run", str(source), "--detach")
        assert detached.returncode == 0, detached.stderr
        assert time.monotonic() - started < 30  # it did not wait for the 60 s task
        name = detached.stdout.strip()
        assert name.startswith("slow-") and "\n" not in name
        wait_until(pidfile.exists)
        (row,) = RunStore().rows("SELECT pid, phase FROM runs WHERE name = ?", (name,))
        assert row["phase"] == "Running" and row["pid"] != os.getpid()
        assert os.getsid(row["pid"]) == row["pid"] != os.getsid(0)  # a new session: no terminal's signals reach it
    finally:
        creg("runs", "stop", name)
        end_process(pidfile)


def test_stop_ends_running_tasks_runs_the_exit_handler_and_fails_the_run(tmp_path: Path) -> None:
    pidfile, exits = tmp_path / "task.pid", tmp_path / "exits"
    source = write(tmp_path, "slow.yaml", SLOW.format(pidfile=pidfile, exits=exits))
    name = creg("run", str(source), "--detach").stdout.strip()
    try:
        wait_until(pidfile.exists)
        task = int(pidfile.read_text())
        stopped = creg("runs", "stop", name[:-1])  # a prefix is enough
        assert stopped.returncode == 0 and stopped.stdout == f"{name} stopped\n", stopped.stderr
        watched = creg("runs", "watch", name, "--interval", "0.1", timeout=60)
    finally:
        end_process(pidfile)
    assert watched.returncode == 1 and watched.stdout.splitlines()[-1] == f"{name}: Failed (Stopped)"
    workflow = get(name)
    assert workflow["status"]["phase"] == "Failed" and workflow["status"]["message"] == "Stopped"
    shown = nodes(workflow)
    assert shown["slow"]["phase"] == "Failed" and shown["slow"]["message"] == "Stopped"
    assert shown["slow"]["outputs"]["exitCode"] == "143"  # SIGTERM, as Argo reports a terminated container
    assert shown["next"]["phase"] == "Omitted" and shown["report"]["phase"] == "Succeeded"
    assert exits.read_text() == "ran\n"
    wait_until(lambda: not os.path.exists(f"/proc/{task}") or _zombie(task), timeout=10)
    again = creg("runs", "stop", name)
    assert again.returncode == 1 and "is not running (Failed)" in again.stderr


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


def test_retry_reruns_the_failed_tasks_and_reuses_the_succeeded_ones_outputs(tmp_path: Path) -> None:
    counter, gate, exits = tmp_path / "counter", tmp_path / "gate", tmp_path / "exits"
    source = write(tmp_path, "gated.yaml", RETRYABLE.format(counter=counter, gate=gate, exits=exits))
    first = creg("run", str(source))
    assert first.returncode == 1
    (workflow,) = runs()
    name = workflow["metadata"]["name"]
    assert workflow["status"]["message"] == f"child '{nodes(get(name))['gate']['id']}' failed"
    assert nodes(get(name))["gate"]["outputs"]["exitCode"] == "7"
    retried = creg("runs", "retry", name)
    assert retried.returncode == 0 and retried.stdout.startswith(f"{name} retried"), retried.stderr
    assert creg("runs", "watch", name, "--interval", "0.1", timeout=60).returncode == 1  # the gate is still shut
    gate.write_text("open")
    assert creg("runs", "retry", name).returncode == 0
    watched = creg("runs", "watch", name, "--interval", "0.1", timeout=60)
    assert watched.returncode == 0, watched.stdout
    workflow = get(name)
    shown = nodes(workflow)
    assert workflow["status"]["phase"] == "Succeeded" and workflow["metadata"]["annotations"]["creg.dev/attempt"] == "3"
    assert counter.read_text() == "x\n"  # 'count' ran once, on the first attempt only
    assert {n: shown[n]["phase"] for n in ("count", "gate", "after")} == dict.fromkeys(("count", "gate", "after"),
                                                                                       "Succeeded")
    assert creg("runs", "logs", name, "after").stdout == "after: after counted\n"  # count's output, reused
    assert exits.read_text() == "ran\n" * 3  # the exit handler runs on every attempt
    succeeded = creg("runs", "retry", name)
    assert succeeded.returncode == 1 and "only a failed run can be retried" in succeeded.stderr


def test_a_second_process_follows_a_detached_run_to_its_end(tmp_path: Path) -> None:
    name = creg("run", str(write(tmp_path, "chain.yaml", CHAIN)), "--detach").stdout.strip()
    followed = creg("runs", "logs", name, "--follow", timeout=60)
    assert followed.returncode == 0
    assert followed.stdout.splitlines() == ["make: making", "make: made", "use: got 5"]
    assert get(name)["status"]["phase"] == "Succeeded"


def test_a_run_stopped_as_it_starts_ends_stopped_not_runner_exited(tmp_path: Path) -> None:
    pidfile = tmp_path / "task.pid"
    source = write(tmp_path, "slow.yaml", SLOW.format(pidfile=pidfile, exits=tmp_path / "exits"))
    name = creg("run", str(source), "--detach").stdout.strip()
    try:
        assert creg("runs", "stop", name).returncode == 0  # the runner may not even have started Python yet
        watched = creg("runs", "watch", name, "--interval", "0.1", timeout=60)
    finally:
        end_process(pidfile)
    assert watched.returncode == 1 and watched.stdout.splitlines()[-1] == f"{name}: Failed (Stopped)"


def test_a_watcher_sees_a_runner_that_dies_while_it_watches(tmp_path: Path) -> None:
    import signal
    import subprocess

    pidfile = tmp_path / "task.pid"
    source = write(tmp_path, "slow.yaml", SLOW.format(pidfile=pidfile, exits=tmp_path / "exits"))
    name = creg("run", str(source), "--detach").stdout.strip()
    try:
        wait_until(pidfile.exists)
        watcher = subprocess.Popen([str(Path(__file__).resolve().parent.parent / ".venv" / "bin" / "creg"), "runs",
                                    "watch", name, "--interval", "0.1"], stdout=subprocess.PIPE, text=True)
        (row,) = RunStore().rows("SELECT pid FROM runs WHERE name = ?", (name,))
        os.kill(row["pid"], signal.SIGKILL)
        out, _ = watcher.communicate(timeout=60)
    finally:
        end_process(pidfile)
    assert watcher.returncode == 1 and out.splitlines()[-1] == f"{name}: Failed (runner exited)"


def test_runs_of_one_pipeline_share_its_digest_whatever_their_parameters(tmp_path: Path) -> None:
    source = write(tmp_path, "chain.yaml", CHAIN)
    other = write(tmp_path, "other.yaml", CHAIN.replace("echo made", "echo done"))
    for args in ((str(source), "--param", "n=1"), (str(source), "--param", "n=2"), (str(other),)):
        assert creg("run", *args).returncode == 0
    digests = [wf["metadata"]["labels"]["creg.dev/pipeline-digest"] for wf in reversed(runs())]
    assert digests[0] == digests[1] != digests[2]
    parameters = [wf["spec"]["arguments"]["parameters"] for wf in reversed(runs())]
    assert parameters[:2] == [[{"name": "n", "value": "1"}], [{"name": "n", "value": "2"}]]


def test_labels_are_kubernetes_labels() -> None:
    from registry.argo.runview import label_problem

    assert label_problem("creg.dev/experiment", "exp_1.a-b") is None and label_problem("team", "") is None
    assert label_problem("team", "x" * 64) and label_problem("team", "-x") and label_problem("bad key", "x")
    assert label_problem("Example.COM/x", "y")  # a prefix is a lower-case DNS name


def test_a_first_ctrl_c_stops_the_run_as_argo_stop_does(tmp_path: Path) -> None:
    import signal
    import subprocess

    from helpers_registry import CREG

    pidfile, exits = tmp_path / "task.pid", tmp_path / "exits"
    source = write(tmp_path, "slow.yaml", SLOW.format(pidfile=pidfile, exits=exits))
    runner = subprocess.Popen([str(CREG), "run", str(source)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    try:
        wait_until(pidfile.exists)
        task = int(pidfile.read_text())
        runner.send_signal(signal.SIGINT)
        out, err = runner.communicate(timeout=60)
    finally:
        end_process(pidfile)
    assert runner.returncode == 1 and "stopping" in err and "Traceback" not in err
    (workflow,) = runs()
    assert workflow["status"]["phase"] == "Failed" and workflow["status"]["message"] == "Stopped"
    assert exits.read_text() == "ran\n"
    wait_until(lambda: not os.path.exists(f"/proc/{task}") or _zombie(task), timeout=10)  # the task ended too
