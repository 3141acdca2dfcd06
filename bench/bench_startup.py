"""Benchmark (not a test): ``creg --help`` as a whole process vs bare ``python -c pass``.

Both run with the project's interpreter in the same run; prints the median of N runs of
each and the ratio.  Target: <= 3.5x (an empty click app is about 2.8x).

    .venv/bin/python bench/bench_startup.py [--runs 21]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET = 3.5


def median_ms(argv: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    python = sys.executable
    script = Path(python).with_name("creg")  # the console script, as a user runs it
    creg_argv = [str(script), "--help"] if script.exists() else [python, "-m", "registry", "--help"]
    median_ms(creg_argv, 2)  # warm the file cache and .pyc files
    bare = median_ms([python, "-c", "pass"], args.runs)
    creg = median_ms(creg_argv, args.runs)
    empty_click = median_ms([python, "-c", "import click; click.command()(lambda: None)(['--help'])"], args.runs)
    print(f"median of {args.runs} runs; creg = {' '.join(creg_argv)}")
    print(f"  python -c pass        {bare:7.1f} ms   1.00x")
    print(f"  empty click app       {empty_click:7.1f} ms   {empty_click / bare:.2f}x")
    print(f"  creg --help           {creg:7.1f} ms   {creg / bare:.2f}x")
    ratio = creg / bare
    print(f"creg --help / python -c pass: {ratio:.2f}x (target <= {TARGET}x): {'OK' if ratio <= TARGET else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
