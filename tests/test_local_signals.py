"""Stopping ``creg run`` (Ctrl-C, SIGTERM) stops every task's processes at once, runs the exit
handler, and leaves no process of the run behind."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from helpers_registry import CREG

# Two parallel tasks whose shells start children (sleep) that would outlive a plain kill of the
# shell; a finally step writes a marker.  Each process records its pid so the test can look.
PIPELINE = """
name: stoppable
tasks:
  one:
    image: busybox
    command: [sh, -c, 'sleep 60 & echo $! > {pids}/one-child; echo $$ > {pids}/one; wait']
  two:
    image: busybox
    command: [sh, -c, 'echo $$ > {pids}/two; sleep 60']
  later:
    image: busybox
    after: [one]
    command: [sh, -c, 'echo ran > {pids}/later']
finally:
  report:
    image: busybox
    command: [sh, -c, 'echo "{{{{workflow.status}}}}" > {pids}/report']
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for every purpose but its parent's bookkeeping.
    return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"


def wait_for(paths: list[Path], seconds: float = 20) -> None:
    end = time.monotonic() + seconds
    while not all(p.is_file() and p.read_text().strip() for p in paths):
        assert time.monotonic() < end, f"never written: {[p for p in paths if not p.is_file()]}"
        time.sleep(0.05)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_every_task_at_once_and_runs_the_exit_handler(tmp_path: Path, signum: int) -> None:
    pids = tmp_path / "pids"
    pids.mkdir()
    path = tmp_path / "pipeline.yaml"
    path.write_text(PIPELINE.format(pids=pids), encoding="utf-8")
    process = subprocess.Popen([CREG, "run", str(path), "--workdir", str(tmp_path / "run")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for([pids / "one", pids / "one-child", pids / "two"])
    started = time.monotonic()
    process.send_signal(signum)
    out, err = process.communicate(timeout=30)
    assert time.monotonic() - started < 5, "the run waited for its tasks instead of stopping them"
    assert process.returncode == 1, err  # the run failed ('Stopped'), as after 'argo stop'
    assert "stopped by " + signal.Signals(signum).name in out + err
    for name in ("one", "one-child", "two"):
        assert not alive(int((pids / name).read_text())), f"{name} outlived the run"
    assert not (pids / "later").exists()  # nothing starts once the run is told to stop
    assert (pids / "report").read_text().strip() == "Failed"  # the exit handler still ran


def test_a_task_leaves_nothing_running_when_its_program_ends(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    pids.mkdir()
    path = tmp_path / "pipeline.yaml"
    path.write_text(f"""
name: leftovers
tasks:
  spawn:
    image: busybox
    command: [sh, -c, 'sleep 60 >/dev/null 2>&1 & echo $! > {pids}/child']
""", encoding="utf-8")
    result = subprocess.run([CREG, "run", str(path)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert not alive(int((pids / "child").read_text()))  # as a pod's end ends its container's processes


def test_a_program_that_ignores_sigterm_is_killed_after_the_grace_period(tmp_path: Path) -> None:
    """The entrypoint is the container itself, so its process starts in creg's main thread."""
    pids = tmp_path / "pids"
    pids.mkdir()
    path = tmp_path / "wf.yaml"
    path.write_text(f"""
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {{name: stubborn}}
spec:
  entrypoint: main
  templates:
  - name: main
    container: {{image: busybox, command: [sh, -c, "trap '' TERM; echo $$ > {pids}/main; sleep 60 & wait; sleep 60"]}}
""", encoding="utf-8")
    process = subprocess.Popen([CREG, "run", str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for([pids / "main"])
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    assert 1.5 <= time.monotonic() - started < 8, "SIGKILL came too early or too late"
    assert process.returncode == 1 and "stopped by SIGTERM" in out
    assert not alive(int((pids / "main").read_text()))
