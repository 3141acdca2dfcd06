"""Benchmark (not a test): the notebook's SVG layout on growing graphs, to show it stays near linear.

Draws layered graphs of N tasks (a chain of diamonds with a long edge across every diamond, so
waypoints are routed too) for N = 1,000, 4,000 and 16,000 and prints the time per task.  Target:
the time per task at 16,000 is at most 2x the time per task at 1,000 (quadratic work would be 16x).

    .venv/bin/python bench/bench_svg.py [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from registry.api.svg import GraphEdge, GraphNode, render

TARGET = 2.0
SIZES = (1_000, 4_000, 16_000)


def graph(size: int) -> tuple[list[GraphNode], list[GraphEdge]]:
    nodes = [GraphNode(f"task-{i}", (f"task-{i}", "component@1.0.0")) for i in range(size)]
    edges = []
    for top in range(0, size - 3, 3):
        edges += [GraphEdge(f"task-{top}", f"task-{top + 1}", "out"), GraphEdge(f"task-{top}", f"task-{top + 2}", "out"),
                  GraphEdge(f"task-{top + 1}", f"task-{top + 3}"), GraphEdge(f"task-{top + 2}", f"task-{top + 3}"),
                  GraphEdge(f"task-{top}", f"task-{top + 3}", "skip")]
    return nodes, edges


def seconds(size: int, runs: int) -> float:
    nodes, edges = graph(size)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        render(nodes, edges, "bench")
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    per_task = {}
    for size in SIZES:
        took = seconds(size, args.runs)
        per_task[size] = took / size
        print(f"  {size:6} tasks  {took * 1000:8.1f} ms   {per_task[size] * 1e6:6.1f} us/task")
    ratio = per_task[SIZES[-1]] / per_task[SIZES[0]]
    print(f"time per task, {SIZES[-1]} vs {SIZES[0]} tasks: {ratio:.2f}x (target <= {TARGET}x): "
          f"{'OK' if ratio <= TARGET else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
