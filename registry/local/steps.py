"""Argo ``steps`` templates, run as the DAG they mean.

A steps template is a list of groups: the steps of one group run side by side, and a group
starts once every step of the group before it has ended, Succeeded or Skipped; a failure
stops the template.  That is a DAG in which each step depends on every step of the previous
group, which the local runner already schedules.  ``steps.X`` then reads what ``tasks.X``
reads, and the checks of ``references`` see only earlier groups.
"""

from __future__ import annotations

from typing import cast

from registry.local.workflow import DagTaskYaml, TemplateYaml

# Marks a DAG made from steps, so its references are read as ``steps.X`` ones.
FROM_STEPS = "x-creg-steps"


def as_dag(template: TemplateYaml) -> TemplateYaml:
    """A steps template as its DAG (any other template unchanged)."""
    if "steps" not in template:
        return template
    tasks: list[DagTaskYaml] = []
    previous: list[str] = []
    for group in template["steps"] or []:
        names = [step["name"] for step in group or []]
        for step in group or []:
            task = cast(DagTaskYaml, {k: v for k, v in step.items() if k != "dependencies"})
            task["dependencies"] = list(previous)
            tasks.append(task)
        previous = names or previous
    dag = cast(TemplateYaml, {k: v for k, v in template.items() if k != "steps"})
    dag["dag"] = {"tasks": tasks}
    cast(dict[str, object], dag)[FROM_STEPS] = True
    return dag


def is_steps(template: TemplateYaml) -> bool:
    return bool(cast(dict[str, object], template).get(FROM_STEPS))
