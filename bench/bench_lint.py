"""Benchmark (not a test): ``creg lint`` of a file full of misspelled references stays linear.

Did-you-mean compares an unknown name with the names it could have meant; done naively that
is (misspellings x candidates) string comparisons, and a 130 kB pipeline with 1,500 params and
300 misspelled references took over 30 s.  Here the same pipeline is linted twice as whole
processes in one run: once with every reference spelled right (the baseline), once with 300 of
them misspelled.  Target: the misspelled file takes at most 3x the baseline, and the output
stays small (each problem names a bounded number of candidates).

    .venv/bin/python bench/bench_lint.py [--runs 3] [--params 1500] [--typos 300]
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = 3.0


def pipeline(params: int, tasks: int, typos: int, seed: int = 1) -> str:
    """A pipeline of ``tasks`` echo tasks, each passing one of ``params`` params; ``typos`` misspelled."""
    rng = random.Random(seed)
    names = [f"param_{i:04d}_{rng.choice(['alpha', 'beta', 'gamma', 'delta'])}" for i in range(params)]
    lines = ["name: typos", "params:"] + [f"  {name}: {{type: String, default: x}}" for name in names]
    lines.append("tasks:")
    for index in range(tasks):
        name = names[rng.randrange(params)]
        used = name[:-2] + "zz" if index < typos else name
        lines += [f"  t{index}:", "    image: alpine", f"    command: [echo, {{param: {used}}}]"]
    return "\n".join(lines) + "\n"


def lint(creg: list[str], path: Path, runs: int) -> tuple[float, int]:
    """Median seconds of ``creg lint path`` and the bytes it printed."""
    times, size = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run([*creg, "lint", str(path)], capture_output=True)
        times.append(time.perf_counter() - start)
        size = len(done.stdout) + len(done.stderr)
    return statistics.median(times), size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--params", type=int, default=1500)
    parser.add_argument("--typos", type=int, default=300)
    args = parser.parse_args()
    script = Path(sys.executable).with_name("creg")
    creg = [str(script)] if script.exists() else [sys.executable, "-m", "registry"]
    with tempfile.TemporaryDirectory() as folder:
        good, bad = Path(folder, "good.yaml"), Path(folder, "typos.yaml")
        good.write_text(pipeline(args.params, args.typos, 0), encoding="utf-8")
        bad.write_text(pipeline(args.params, args.typos, args.typos), encoding="utf-8")
        base, _ = lint(creg, good, args.runs)
        slow, printed = lint(creg, bad, args.runs)
    print(f"{args.params} params, {args.typos} tasks; "
          f"median of {args.runs}")
    print(f"  lint, every reference right   {base:7.3f} s   1.00x")
    print(f"  lint, {args.typos} misspelled      {slow:7.3f} s   {slow / base:.2f}x   ({printed} bytes printed)")
    ratio = slow / base
    print(f"misspelled / right: {ratio:.2f}x (target <= {TARGET}x): {'OK' if ratio <= TARGET else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
