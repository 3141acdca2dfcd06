"""``creg lint`` reports every problem of a file in one run: a bad schedule and a cycle are not
hidden behind an unrelated schema problem, and nothing is reported twice."""

from __future__ import annotations

from pathlib import Path

from helpers_pipelines import write_pipeline
from registry.argo.compiler import lint_pipeline


def messages(path: Path) -> list[str]:
    return [f"{p.path}: {p.message.split(':')[0]}" for p in lint_pipeline(path)]


def test_schedule_and_cycle_are_reported_beside_a_schema_problem(tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, """
        name: multi
        schedule: {cron: '0 25 * * *', timezone: Mars/Olympus}
        tasks:
          a: {image: busybox, command: [echo], after: b, bogus: 1}
          b: {image: busybox, command: [echo], args: [{output: a.x}]}
    """)
    assert messages(path) == ["$.schedule.cron: cron expression '0 25 * * *'",
                              "$.schedule.timezone: timezone 'Mars/Olympus' is not in the IANA time zone database (e.g. 'Europe/Berlin', 'UTC')",
                              "$.tasks.a: tasks form a cycle",
                              "$.tasks.a.bogus: unknown key 'bogus' (expected one of 'component', 'image', 'command', 'args', 'outputs', 'after', 'when', 'loop', 'mounts', 'env', 'retries', 'timeout' and 3 more)"]


def test_a_problem_both_stages_find_is_reported_once(tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, """
        name: once
        schedule: {cron: '0 25 * * *'}
        tasks:
          a: {image: busybox, command: [echo], after: b}
          b: {image: busybox, command: [echo], after: a}
    """)
    found = messages(path)
    assert sorted(found) == sorted(set(found)) and len(found) == 2, found
    clean = write_pipeline(tmp_path, "name: ok\ntasks:\n  a: {image: busybox, command: [echo]}\n")
    assert lint_pipeline(clean) == []
