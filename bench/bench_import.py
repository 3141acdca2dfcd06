"""Benchmark (not a test): ``python -c "import registry"`` vs bare ``python -c pass``.

Both run with the project's interpreter in the same run, alternating so that machine load
hits both alike; prints the median of N runs of each and the ratio.  Target: <= 1.5x (the
package's ``__init__`` defines names only; the public API loads when a name is first used).
Also shows what the first use of the API costs (``registry.Pipeline``), for information.

    .venv/bin/python bench/bench_import.py [--runs 31]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

TARGET = 1.5


def timed_ms(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return (time.perf_counter() - start) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=31)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # timing needs .pyc files
    python = sys.executable
    programs = {"python -c pass": "pass", "import registry": "import registry",
                "registry.Pipeline": "import registry; registry.Pipeline"}
    for code in programs.values():
        timed_ms([python, "-c", code], env)  # warm the file cache and write .pyc files
    times: dict[str, list[float]] = {name: [] for name in programs}
    for _ in range(args.runs):
        for name, code in programs.items():
            times[name].append(timed_ms([python, "-c", code], env))
    medians = {name: statistics.median(values) for name, values in times.items()}
    bare = medians["python -c pass"]
    print(f"median of {args.runs} runs of each, alternating")
    for name, value in medians.items():
        print(f"  {name:20} {value:7.1f} ms   {value / bare:.2f}x")
    ratio = medians["import registry"] / bare
    print(f"import registry / python -c pass: {ratio:.2f}x (target <= {TARGET}x): "
          f"{'OK' if ratio <= TARGET else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
