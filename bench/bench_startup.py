"""Benchmark (not a test): what each creg command costs as a whole process, against
``creg --version`` measured in the same run.

Users run compile, lint, show and validate on every save and in pre-commit hooks, so the
fixed cost is what they feel.  Every command runs as a whole process with bytecode caching on
(PYTHONDONTWRITEBYTECODE is removed), rounds interleave the commands so a busy machine slows
them alike, and the median of the rounds counts.  Targets (the ratio to ``creg --version``):

* ``creg compile`` and ``creg lint`` of the calculation example: <= 1.4x
* ``creg show add@1`` and ``creg validate`` of one spec: <= 1.3x
* ``creg --help``: <= 1.0x (answered in the entry point, as --version is)

Every other command's ``--help`` is shown too, for what loading that command costs.  The
first line keeps the older measure, ``creg --help`` against a bare ``python -c pass``.

A floor is measured beside each target: a process that only imports the libraries the
command cannot run without (click and pyyaml for all four; jinja2's sandbox too for compile
and lint, which render the ops' templates).  No creg code can make a command faster than its
floor, so a target below it is reported as out of reach, and ``own`` is the part creg's code
adds (the command minus its floor): that is the number to drive down.

    .venv/bin/python bench/bench_startup.py [--runs 21]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"compile": 1.4, "lint": 1.4, "show": 1.3, "validate": 1.3, "--help": 1.0}
# What each targeted command cannot avoid importing (see the docstring).
FLOORS = {"compile": "import click, yaml, jinja2.sandbox", "lint": "import click, yaml, jinja2.sandbox",
          "show": "import click, yaml", "validate": "import click, yaml"}
HELP_TARGET = 3.5  # creg --help against python -c pass (an empty click app is about 2.8x)
COMMANDS = ("cache", "compile", "component", "deprecate", "graph", "index", "lint", "lock", "new", "publish",
            "pull", "registry", "run", "runs", "experiments", "search", "show", "submit", "validate", "versions")


def workloads(creg: list[str], out: Path) -> dict[str, list[str]]:
    calculation = str(ROOT / "examples" / "calculation.yaml")
    jobs = {
        "--version": creg + ["--version"],
        "--help": creg + ["--help"],
        "compile": creg + ["compile", calculation, "-o", str(out / "calculation.yaml")],
        "lint": creg + ["lint", calculation],
        "show": creg + ["show", "add@1"],
        "validate": creg + ["validate", str(ROOT / "components" / "add" / "1.0.0" / "component.yaml")],
    }
    jobs.update({f"{name} --help": creg + [name, "--help"] for name in COMMANDS})
    return jobs


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return env


def once(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.decode(errors='replace')[-400:]}")
    return elapsed


def medians(jobs: dict[str, list[str]], runs: int, env: dict[str, str]) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in jobs}
    for argv in jobs.values():  # warm the file cache and write .pyc files
        once(argv, env)
    for _ in range(runs):
        for name, argv in jobs.items():
            times[name].append(once(argv, env))
    return {name: statistics.median(values) * 1000 for name, values in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    python = sys.executable
    script = Path(python).with_name("creg")  # the console script, as a user runs it
    creg = [str(script)] if script.exists() else [python, "-m", "registry"]
    env = environment()
    with tempfile.TemporaryDirectory() as folder:
        floors = {f"floor: {code}": [python, "-c", code] for code in sorted(set(FLOORS.values()))}
        jobs = {"python -c pass": [python, "-c", "pass"], **floors, **workloads(creg, Path(folder))}
        times = medians(jobs, args.runs, env)
    base, bare = times["--version"], times["python -c pass"]
    print(f"median of {args.runs} interleaved rounds; creg = {' '.join(creg)}")
    help_ratio = times["--help"] / bare
    print(f"creg --help / python -c pass: {help_ratio:.2f}x (target <= {HELP_TARGET}x): "
          f"{'OK' if help_ratio <= HELP_TARGET else 'MISSED'}")
    missed = report_commands(times, base)
    report_floors(times, base)
    print(f"{len(TARGETS) - missed} of {len(TARGETS)} targets met")
    return 0


def report_commands(times: dict[str, float], base: float) -> int:
    """One line per command with its ratio to ``--version``; returns how many targets were missed."""
    missed = 0
    for name, ms in times.items():
        if name == "python -c pass" or name.startswith("floor: "):
            continue
        ratio, target = ms / base, TARGETS.get(name)
        verdict = "" if target is None else f"  target <= {target}x: {'OK' if ratio <= target else 'MISSED'}"
        missed += bool(target is not None and ratio > target)
        print(f"  creg {name:20} {ms:7.1f} ms  {ratio:5.2f}x --version{verdict}")
    return missed


def report_floors(times: dict[str, float], base: float) -> None:
    """Each target's floor, whether the target is above it, and creg's own share of the command."""
    print("floors (libraries the command must import, nothing of creg's):")
    for name, code in FLOORS.items():
        floor = times[f"floor: {code}"]
        target = TARGETS[name]
        reach = "reachable" if floor / base <= target else "OUT OF REACH (the floor alone is above it)"
        own = times[name] - floor
        print(f"  {name:9} floor {floor:6.1f} ms = {floor / base:4.2f}x --version; target {target}x {reach}; "
              f"creg's own share {own:6.1f} ms ({own / times[name]:.0%} of the command)")


if __name__ == "__main__":
    sys.exit(main())
