"""``creg lint``: every problem of a pipeline in one run, not stage after stage.

Loading a pipeline stops at its schema problems (what follows trusts the shape), and the cron
and timezone checks run on the compiled output, so a file with one typo hid its bad schedule
and its cycle until the typo was fixed.  The checks here need only the raw document, so they
run whatever else is wrong: the schedule (cron, timezone) and cycles among ``after`` and
output references.  A problem the full load already reported is not reported twice.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from registry.argo.check import cron_problem, timezone_problem
from registry.cycles import find_cycle
from registry.errors import CregError, Problem
from registry.yamlio import Document, PathKey, load_mapping, read_limited


def independent_problems(path: str | Path, found: list[Problem]) -> list[Problem]:
    """The raw-document checks' problems that ``found`` (the load's) does not already hold."""
    try:
        doc = load_mapping(read_limited(Path(path)), str(path))
    except (OSError, CregError):
        return []  # the file itself is unreadable: the load said so
    seen = {(p.path, p.message) for p in found}
    more = [doc.positions.problem(doc.data, where, message) for where, message in _findings(doc)]
    return [p for p in more if (p.path, p.message) not in seen and not _same_place(p, found)]


def _same_place(problem: Problem, found: list[Problem]) -> bool:
    """The load found this cycle too (perhaps starting from another of its tasks)."""
    group = problem.path.split(".")[1] if problem.path.count(".") else ""
    return problem.message.startswith("tasks form a cycle") and any(
        p.message.startswith("tasks form a cycle") and p.path.startswith(f"$.{group}.") for p in found)


def _findings(doc: Document) -> Iterator[tuple[list[PathKey], str]]:
    data = doc.data
    schedule = data.get("schedule")
    if isinstance(schedule, dict):
        if isinstance(schedule.get("cron"), str):
            why = cron_problem(schedule["cron"])
            if why:
                yield ["schedule", "cron"], why
        if isinstance(schedule.get("timezone"), str) and schedule["timezone"]:
            why = timezone_problem(schedule["timezone"])
            if why:
                yield ["schedule", "timezone"], why
    for group in ("tasks", "finally"):
        tasks = data.get(group)
        if isinstance(tasks, dict):
            cycle = find_cycle({name: _upstream(body, tasks) for name, body in tasks.items()})
            if cycle:
                yield [group, cycle[0]], "tasks form a cycle: " + " -> ".join(cycle)


def _upstream(body: object, tasks: Mapping[str, Any]) -> set[str]:
    """The tasks a raw task body waits for: its ``after`` and the tasks its references name."""
    if not isinstance(body, dict):
        return set()
    after = body.get("after")
    names = {after} if isinstance(after, str) else {a for a in after if isinstance(a, str)} if isinstance(
        after, list) else set()
    names |= {str(ref).split(".")[0] for ref in _references(body)}
    return {n for n in names if n in tasks}


def _references(value: object) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("output", "file") and isinstance(item, str):
                yield item
            else:
                yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)
