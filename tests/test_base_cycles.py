"""``cycles.find_cycle`` agrees with graphlib on seeded random graphs and names the cycle."""

from __future__ import annotations

import graphlib
import random

from registry.cycles import find_cycle


def graphlib_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as exc:
        return list(exc.args[1])
    return None


def test_find_cycle_agrees_with_graphlib_on_random_graphs() -> None:
    rng = random.Random(11)
    outcomes = set()
    for _ in range(2000):
        nodes = [f"t{i}" for i in range(rng.randint(1, 12))]
        graph = {n: [rng.choice(nodes + ["outside"]) for _ in range(rng.randint(0, 3))] for n in nodes}
        expected = graphlib_cycle(graph)
        assert find_cycle(graph) == expected, graph
        outcomes.add(expected is None)
    assert outcomes == {True, False}


def test_a_chain_has_no_cycle_and_a_loop_is_named() -> None:
    chain = {f"t{i}": [f"t{i - 1}"] if i else [] for i in range(1000)}
    assert find_cycle(chain) is None
    cycle = find_cycle({"a": ["c"], "b": ["a"], "c": ["b"], "d": ["a", "a"]})
    assert cycle is not None and cycle[0] == cycle[-1] and set(cycle) == {"a", "b", "c"}
