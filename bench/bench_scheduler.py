"""Benchmark (not a test): ``creg run``'s overhead per task stays flat as a DAG grows.

Runs Workflows of N tasks (a fan of independent chains, every task ``true``) through the local
runner, in this process, and prints the wall time per task.  Each task is a real process, so
the time per task is mostly fork/exec; what must not grow is the scheduler's share: it used to
rescan every waiting task and re-parse its ``depends`` after each task ended (×19 for ×5 tasks).
Target: the time per task at the largest N within 1.5x of the time per task at N = 50.

    .venv/bin/python bench/bench_scheduler.py [--sizes 50,200,1000,5000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from registry.local.runner import run_workflow

TARGET = 1.5
CHAINS = 10


def workflow(size: int) -> dict[str, Any]:
    """``CHAINS`` chains side by side, ``size`` tasks in all, each with a ``depends``."""
    tasks: list[dict[str, Any]] = []
    for index in range(size):
        task: dict[str, Any] = {"name": f"t{index}", "template": "noop"}
        if index >= CHAINS:
            task["depends"] = f"t{index - CHAINS}"
        tasks.append(task)
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": "bench"},
            "spec": {"entrypoint": "main", "templates": [
                {"name": "main", "dag": {"tasks": tasks}},
                {"name": "noop", "container": {"image": "busybox", "command": ["true"]}}]}}


def per_task_ms(size: int) -> float:
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        result = run_workflow(workflow(size), Path(folder) / "run", parallelism=4)  # type: ignore[arg-type]
        seconds = time.perf_counter() - start
    assert result.phase == "Succeeded", result.phase
    return seconds * 1000 / size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50,200,1000,5000")
    sizes = [int(s) for s in parser.parse_args().sizes.split(",")]
    per_task_ms(20)  # warm imports and the file cache
    results = {size: per_task_ms(size) for size in sizes}
    for size, ms in results.items():
        print(f"  {size:6d} tasks  {ms:6.2f} ms/task  {ms / results[sizes[0]]:.2f}x")
    ratio = results[sizes[-1]] / results[sizes[0]]
    print(f"ms/task at {sizes[-1]} / at {sizes[0]}: {ratio:.2f}x (target <= {TARGET}x): "
          f"{'OK' if ratio <= TARGET else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
