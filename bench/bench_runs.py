"""Benchmark (not a test): the run store's costs, each next to a baseline measured in the same run.

1. ``creg runs list`` over a store of 10,000 runs, as whole processes, against ``creg --version``.
   Target: within 3x.  Also shown: a filtered listing, ``--all`` (every one of the 10,000 rows
   formatted and printed) and the same listing through click (``python -m registry``).
2. ``creg run``'s overhead per task with the store in place: a chain of 100 ``sh -c true`` tasks,
   run by the recording runner and by the bare runner (no store) in one process, alternately,
   each minus the time the 100 processes take when spawned directly.  Target: < 5 ms per task.

    .venv/bin/python bench/bench_runs.py [--runs 11] [--store-size 10000] [--tasks 100]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LIST_TARGET = 3.0
TASK_TARGET_MS = 5.0


def median_ms(argv: list[str], runs: int, env: dict[str, str]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def chain(tasks: int) -> str:
    lines = ["name: chain", "tasks:"]
    for i in range(tasks):
        lines += [f"  t{i}:", "    image: sh", "    command: [sh, -c, 'true']"]
        lines += [f"    after: [t{i - 1}]"] if i else []
    return "\n".join(lines) + "\n"


def fill_store(creg: Path, home: Path, size: int, env: dict[str, str]) -> None:
    """One real run, then its rows copied ``size - 1`` times under new names, ages and phases."""
    folder = home.parent
    (folder / "seed.yaml").write_text(chain(3), encoding="utf-8")
    subprocess.run([str(creg), "run", str(folder / "seed.yaml"), "--experiment", "seed"], check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    from registry.local.store import RunStore

    store = RunStore(home)
    (seed,) = store.rows("SELECT name FROM runs")
    phases = ("Succeeded", "Succeeded", "Succeeded", "Failed", "Error")
    with store.write() as db:
        for i in range(1, size):
            name = f"chain-{i:05d}"
            db.execute("INSERT INTO runs SELECT ?, pipeline, ?, runner_name, ?, message, created - ?, started - ?,"
                       " finished - ?, progress, parameters, overrides, labels, workdir, parallelism, attempt, pid,"
                       " pid_start, workflow FROM runs WHERE name = ?",
                       (name, f"exp-{i % 7}", phases[i % len(phases)], i * 60, i * 60, i * 60, seed[0]))
            db.execute("INSERT INTO labels SELECT ?, key, CASE WHEN key = 'creg.dev/experiment' THEN ? ELSE value END"
                       " FROM labels WHERE run = ?", (name, f"exp-{i % 7}", seed[0]))
            db.execute("INSERT INTO nodes SELECT ?, ? || substr(name, length(?) + 1), type, template, phase, message,"
                       " CASE WHEN boundary IS NULL THEN NULL ELSE ? END, started, finished, tasks, outputs, log"
                       " FROM nodes WHERE run = ?", (name, name, seed[0], name, seed[0]))
    store.close()


def bench_list(creg: Path, runs: int, size: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        home = Path(scratch) / "home"
        env = dict(os.environ, CREG_HOME=str(home))
        env.pop("ARGO_SERVER", None)
        fill_store(creg, home, size, env)
        for argv in ([str(creg), "--version"], [str(creg), "runs", "list"], [str(creg), "runs", "list", "--all"]):
            median_ms(argv, 2, env)  # warm the file cache and .pyc files
        version = median_ms([str(creg), "--version"], runs, env)
        listed = median_ms([str(creg), "runs", "list"], runs, env)
        experiment = median_ms([str(creg), "runs", "list", "--experiment", "exp-3", "--status", "Failed"], runs, env)
        every = median_ms([str(creg), "runs", "list", "--all"], runs, env)
        clicked = median_ms([sys.executable, "-m", "registry", "runs", "list"], runs, env)
    print(f"runs list, store of {size} runs (median of {runs} processes)")
    print(f"  creg --version                           {version:7.1f} ms   1.00x")
    print(f"  creg runs list (the newest 50)           {listed:7.1f} ms   {listed / version:.2f}x")
    print(f"  creg runs list --experiment --status     {experiment:7.1f} ms   {experiment / version:.2f}x")
    print(f"  {f'creg runs list --all ({size} rows)':<41}{every:7.1f} ms   {every / version:.2f}x")
    print(f"  python -m registry runs list (click)     {clicked:7.1f} ms   {clicked / version:.2f}x")
    ratio = listed / version
    print(f"runs list / --version: {ratio:.2f}x (target <= {LIST_TARGET}x): {'OK' if ratio <= LIST_TARGET else 'MISSED'}")


def bench_tasks(creg: Path, runs: int, tasks: int) -> None:
    """Per-task overhead in one process: recording runner vs bare runner vs the processes alone."""
    from registry.local.recording import execute_run, prepare_run
    from registry.local.runner import run_pipeline_file
    from registry.local.store import RunStore

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        source = folder / "chain.yaml"
        source.write_text(chain(tasks), encoding="utf-8")
        compiled = folder / "chain-wf.yaml"  # a compiled Workflow: compiling is not what is measured
        subprocess.run([str(creg), "compile", str(source), "-o", str(compiled)], check=True,
                       stderr=subprocess.DEVNULL)
        store = RunStore(folder / "home")
        spawn, bare, recorded = [], [], []
        for attempt in range(runs + 1):
            spawn.append(_timed(lambda: [subprocess.run(["sh", "-c", "true"], check=True) for _ in range(tasks)]))
            bare.append(_timed(lambda: run_pipeline_file(compiled, None, {}, folder / f"bare-{attempt}")))
            recorded.append(_timed(lambda: execute_run(store, prepare_run(store, compiled, None, {}))))
        whole = median_ms([str(creg), "run", str(compiled)], max(3, runs // 3),
                          dict(os.environ, CREG_HOME=str(folder / "home")))
    base, plain, rec = (statistics.median(times[1:]) for times in (spawn, bare, recorded))  # the first warms up
    print(f"chain of {tasks} 'sh -c true' tasks (median of {runs}, one process, alternating)")
    print(f"  the {tasks} processes alone             {base:8.1f} ms")
    print(f"  bare runner (no store)             {plain:8.1f} ms   {(plain - base) / tasks:5.2f} ms/task overhead")
    print(f"  recording runner (run store)       {rec:8.1f} ms   {(rec - base) / tasks:5.2f} ms/task overhead"
          f"   (store: {(rec - plain) / tasks:+.2f} ms/task)")
    print(f"  creg run, whole process            {whole:8.1f} ms")
    per_task = (rec - base) / tasks
    print(f"creg run overhead per task with the store: {per_task:.2f} ms (target < {TASK_TARGET_MS} ms): "
          f"{'OK' if per_task < TASK_TARGET_MS else 'MISSED'}")


def _timed(action: object) -> float:
    start = time.perf_counter()
    action()  # type: ignore[operator]
    return (time.perf_counter() - start) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--store-size", type=int, default=10_000)
    parser.add_argument("--tasks", type=int, default=100)
    args = parser.parse_args()
    creg = Path(sys.executable).with_name("creg")
    bench_list(creg, args.runs, args.store_size)
    bench_tasks(creg, args.runs, args.tasks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
