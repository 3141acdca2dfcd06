"""Pipelines and helpers for the run store's tests: real ``creg run`` processes, a real SQLite store."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

from helpers_registry import creg

# make -> use: 'use' reads make's output; 'count' counts its runs in a file outside the store.
CHAIN = """\
name: chain
params: {n: {type: Integer, default: 5}}
tasks:
  make:
    image: sh
    command: [sh, -c, 'echo making; mkdir -p /tmp/outputs/v; echo $0 > /tmp/outputs/v/data; echo made', {param: n}]
    outputs: {v: /tmp/outputs/v/data}
  use:
    image: sh
    command: [sh, -c, 'echo "got $0"', {output: make.v}]
"""

# 'count' appends to COUNTER each time it runs; 'gate' fails until GATE exists; 'after' needs both.
RETRYABLE = """\
name: gated
tasks:
  count:
    image: sh
    command: [sh, -c, 'echo x >> {counter}; mkdir -p /tmp/outputs/v; echo counted > /tmp/outputs/v/data']
    outputs: {{v: /tmp/outputs/v/data}}
  gate:
    image: sh
    command: [sh, -c, 'echo checking; test -f {gate} || exit 7']
  after:
    image: sh
    command: [sh, -c, 'echo "after $0"', {{output: count.v}}]
    after: [gate]
finally:
  report:
    image: sh
    command: [sh, -c, 'echo ran >> {exits}']
"""

# 'slow' writes its pid, then sleeps; 'next' waits for it; the exit handler leaves a mark.
SLOW = """\
name: slow
tasks:
  first:
    image: sh
    command: [sh, -c, 'echo first']
  slow:
    image: sh
    command: [sh, -c, 'echo $$ > {pidfile}; echo sleeping; sleep 60']
    after: [first]
  next:
    image: sh
    command: [sh, -c, 'echo next']
    after: [slow]
finally:
  report:
    image: sh
    command: [sh, -c, 'echo ran >> {exits}']
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def get(run: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    result = creg("runs", "get", run, "-o", "json", env=env)
    assert result.returncode == 0, result.stderr
    workflow: dict[str, Any] = json.loads(result.stdout)
    return workflow


def runs(env: dict[str, str] | None = None, *args: str) -> list[dict[str, Any]]:
    result = creg("runs", "list", "-o", "json", *args, env=env)
    assert result.returncode == 0, result.stderr
    found: list[dict[str, Any]] = json.loads(result.stdout)
    return found


def nodes(workflow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """displayName -> node."""
    return {node["displayName"]: node for node in workflow["status"].get("nodes", {}).values()}


def wait_until(predicate: Any, timeout: float = 60.0, poll: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout}s waiting for {predicate}")


def end_process(pidfile: Path) -> None:
    """End a task process a test left behind (a killed runner's task keeps running, as a pod would)."""
    try:
        os.kill(int(pidfile.read_text().strip()), signal.SIGKILL)
    except (FileNotFoundError, ValueError, ProcessLookupError):
        pass
