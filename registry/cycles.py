"""Cycle detection for task graphs, shared by the pipeline checks and Argo self-validation.

``graphlib`` builds a node object per task and walks it in Python; for a 1,000-task DAG that
was a millisecond per check, twice per compile.  Kahn's algorithm over plain dicts answers
the usual "no cycle" faster; ``graphlib`` still names the cycle when there is one, so the
message is the same as before.
"""

from __future__ import annotations

import graphlib
from collections.abc import Iterable, Mapping


def find_cycle(graph: Mapping[str, Iterable[str]]) -> list[str] | None:
    """A cycle (``[a, b, a]``) in ``graph`` (node -> its predecessors), or None."""
    if _acyclic(graph):
        return None
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as exc:
        return list(exc.args[1])
    return None  # pragma: no cover - Kahn and graphlib disagree only on a bug


def _acyclic(graph: Mapping[str, Iterable[str]]) -> bool:
    waiting: dict[str, int] = {}  # node -> predecessors not yet placed
    followers: dict[str, list[str]] = {}
    for node, before in graph.items():
        unique = set(before)
        waiting[node] = waiting.get(node, 0) + len(unique)
        for earlier in unique:
            waiting.setdefault(earlier, 0)
            followers.setdefault(earlier, []).append(node)
    ready = [node for node, count in waiting.items() if count == 0]
    placed = 0
    while ready:
        node = ready.pop()
        placed += 1
        for later in followers.get(node, ()):
            waiting[later] -= 1
            if waiting[later] == 0:
                ready.append(later)
    return placed == len(waiting)
