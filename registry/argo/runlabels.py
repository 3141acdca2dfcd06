"""The labels creg puts on a run: its experiment, its pipeline and the pipeline's digest.

Experiments and pipelines are Kubernetes label selectors on the runs (locally and on Argo),
never a second store; so every value must be a valid label value, and ``-l key=value`` a valid
label.  The digest is over the compiled templates (not the arguments): two runs of one pipeline
with other params share it, an edited pipeline gets a new one.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from registry.argo.runview import LABEL_EXPERIMENT, LABEL_PIPELINE, LABEL_PIPELINE_DIGEST
from registry.errors import ArgumentError

_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")
_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
_PREFIX = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$")
DIGEST_CHARS = 32  # a label value holds at most 63 characters; 128 bits tell pipelines apart


def check_label(argument: str, key: str, value: str) -> None:
    """``ArgumentError`` unless ``key=value`` is a label Kubernetes accepts."""
    prefix, _, name = key.rpartition("/")
    if not _NAME.match(name) or (prefix and (len(prefix) > 253 or not _PREFIX.match(prefix))):
        raise ArgumentError.bad_value(argument, f"'{key}' is not a label key: [prefix/]name, the name 1-63 letters, "
                                      "digits, '-', '_' or '.', starting and ending with a letter or digit")
    if not _VALUE.match(value):
        raise ArgumentError.bad_value(argument, f"'{value}' is not a label value: at most 63 letters, digits, '-', '_' "
                                      "or '.', starting and ending with a letter or digit")


def parse_labels(argument: str, pairs: Iterable[str]) -> dict[str, str]:
    """``key=value`` items (``-l``) as a checked mapping."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ArgumentError.bad_value(argument, f"'{pair}' is not key=value")
        check_label(argument, key.strip(), value.strip())
        out[key.strip()] = value.strip()
    return out


def pipeline_name(doc: Mapping[str, Any]) -> str:
    """The pipeline's name as the compiler recorded it (``creg.dev/pipeline``), else the document's."""
    metadata = doc.get("metadata") or {}
    name = (metadata.get("annotations") or {}).get(LABEL_PIPELINE) or metadata.get("name") \
        or str(metadata.get("generateName") or "").rstrip("-")
    return _as_value(str(name))


def _as_value(text: str) -> str:
    """``text`` made a label value: other characters as '-', at most 63, alphanumeric ends."""
    value = re.sub(r"[^-A-Za-z0-9_.]", "-", text)[:63]
    return re.sub(r"^[^A-Za-z0-9]+|[^A-Za-z0-9]+$", "", value)


def pipeline_digest(doc: Mapping[str, Any]) -> str:
    spec = dict(doc.get("spec") or {})
    spec = dict(spec.get("workflowSpec") or spec)
    spec.pop("arguments", None)
    canonical = json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:DIGEST_CHARS]


def run_labels(doc: Mapping[str, Any], experiment: str | None, extra: Mapping[str, str]) -> dict[str, str]:
    """Every label a run of ``doc`` gets: ``extra``, then the experiment, pipeline and digest."""
    labels = dict(extra)
    if experiment is not None:
        check_label("experiment", LABEL_EXPERIMENT, experiment)
        labels[LABEL_EXPERIMENT] = experiment
    labels[LABEL_PIPELINE] = pipeline_name(doc)
    labels[LABEL_PIPELINE_DIGEST] = pipeline_digest(doc)
    return labels


def labelled(doc: Mapping[str, Any], labels: Mapping[str, str]) -> dict[str, Any]:
    """A copy of ``doc`` with ``labels`` on it and on every run it makes.

    A Workflow is the run; a WorkflowTemplate's and a CronWorkflow's runs get their labels
    from ``spec.workflowMetadata`` (Argo copies them onto each Workflow it creates).
    """
    out = copy.deepcopy(dict(doc))
    out.setdefault("metadata", {}).setdefault("labels", {}).update(labels)
    if out.get("kind") in ("WorkflowTemplate", "CronWorkflow"):
        meta = out.setdefault("spec", {}).setdefault("workflowMetadata", {})
        meta.setdefault("labels", {}).update(labels)
    return out
