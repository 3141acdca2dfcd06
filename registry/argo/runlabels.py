"""The labels ``creg submit`` puts on what it creates, and on every run that makes.

Experiments and pipelines are Kubernetes label selectors on the runs (locally and on Argo),
never a second store (``registry.argo.runview.run_labels`` says which labels); a Workflow is
the run itself, while a WorkflowTemplate's and a CronWorkflow's runs get their labels from
``spec.workflowMetadata``, which Argo copies onto each Workflow it creates.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from registry.argo.runview import label_problem
from registry.errors import ArgumentError


def checked_labels(labels: Mapping[str, str], experiment: str | None) -> dict[str, str]:
    """``labels`` (``-l``) and the experiment as Kubernetes accepts them, else ``ArgumentError``."""
    for key, value in labels.items():
        problem = label_problem(key, value)
        if problem:
            raise ArgumentError.bad_value("labels", problem)
    if experiment is not None and label_problem("experiment", experiment):
        raise ArgumentError.bad_value("experiment", f"{experiment!r} is not a label value (up to 63 letters, "
                                                    "digits, '-', '_', '.', alphanumeric at both ends)")
    return dict(labels)


def labelled(doc: Mapping[str, Any], labels: Mapping[str, str]) -> dict[str, Any]:
    """A copy of ``doc`` with ``labels`` on it and on every run it makes."""
    out = copy.deepcopy(dict(doc))
    out.setdefault("metadata", {}).setdefault("labels", {}).update(labels)
    if out.get("kind") in ("WorkflowTemplate", "CronWorkflow"):
        meta = out.setdefault("spec", {}).setdefault("workflowMetadata", {})
        meta.setdefault("labels", {}).update(labels)
    return out
