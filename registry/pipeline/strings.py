"""Values inside strings: ``'wget {{param.url}} -O /data/x'``, checked like every reference.

A task argument may hold ``{{...}}`` tags in the middle of a string.  Each tag is one of:

* creg's references, spelt like the structured ones: ``{{param.NAME}}``, ``{{output.TASK}}`` /
  ``{{output.TASK.OUTPUT}}``, ``{{item}}`` / ``{{item.FIELD}}``, and (inline containers)
  ``{{file.TASK[.OUTPUT]}}``, the path of that output as a file;
* one of Argo's run variables, which pass through unchanged for Argo (and ``creg run``) to
  fill in: ``{{workflow.name}}``, ``{{workflow.uid}}``, ``{{pod.name}}``, ``{{retries}}``, ...
  (KFP's ``dsl.RUN_ID_PLACEHOLDER`` is ``{{workflow.uid}}``).

Anything else, ``{{inputs.parameters.x}}``, ``{{tasks.a.outputs...}}`` and other names
creg writes itself, an expression tag, or an unknown name, is an error that points to the
form to use, so nothing unchecked reaches Argo.  This module only parses and classifies;
``tasks`` checks each reference against the pipeline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from registry.errors import did_you_mean

_TAG = re.compile(r"\{\{(.*?)\}\}", re.S)
_STRFTIME = "aAbBcCdDeFgGhHIjklmMnpRrStTuUVwWxXyYzZ"
# Argo's variables that mean the same in every task of a creg pipeline (docs/variables.md).
ARGO_VARIABLES = frozenset({
    "workflow.name", "workflow.namespace", "workflow.uid", "workflow.serviceAccountName",
    "workflow.mainEntrypoint", "workflow.priority", "workflow.duration", "workflow.status", "workflow.failures",
    "workflow.creationTimestamp", "workflow.creationTimestamp.RFC3339", "workflow.scheduledTime",
    "pod.name", "node.name", "retries",
    *(f"workflow.creationTimestamp.{c}" for c in _STRFTIME)})
REFERENCE_KINDS = ("param", "output", "item", "file")


@dataclass(frozen=True)
class Tag:
    """One ``{{...}}`` of a string: a creg reference (``kind``, ``target``) or an Argo variable."""

    text: str  # between the braces, as written
    kind: str | None  # param, output, item, file; None for an Argo variable
    target: str | None  # the name after 'kind.' (None: a bare {{item}})


def split(text: str) -> list[str | Tag] | str:
    """``text`` as literal pieces and tags, or why one tag cannot be used (the first such)."""
    pieces: list[str | Tag] = []
    position = 0
    for match in _TAG.finditer(text):
        if match.start() > position:
            pieces.append(text[position:match.start()])
        tag = classify(match.group(1))
        if isinstance(tag, str):
            return tag
        pieces.append(tag)
        position = match.end()
    if position < len(text):
        pieces.append(text[position:])
    return pieces


def classify(inner: str) -> Tag | str:
    """The tag ``{{inner}}``, or why it is not one creg accepts (with the form to use)."""
    name = inner.strip()
    shown = "{{" + inner + "}}"
    if name in ARGO_VARIABLES:
        return Tag(inner, None, None)
    head, _, rest = name.partition(".")
    if head in REFERENCE_KINDS and (rest or head == "item"):
        return Tag(inner, head, rest or None)
    return f"{shown}: {_instead(name)}"


def _instead(name: str) -> str:
    """What to write instead of an Argo name creg writes itself, or of an unknown one."""
    if name.startswith("="):
        return "expression tags are not taken in values; compute it in the task, or use 'when' for conditions"
    parts = name.split(".")
    if parts[:2] == ["workflow", "parameters"] and len(parts) > 2:
        return f"write {{{{param.{'.'.join(parts[2:])}}}}} for a pipeline param"
    if parts[0] in ("tasks", "steps") and len(parts) > 4:
        return f"write {{{{output.{parts[1]}.{'.'.join(parts[4:])}}}}} for a task's output"
    if parts[0] in ("inputs", "outputs", "tasks", "steps"):
        return "creg writes Argo's inputs and outputs itself; use {{param.NAME}}, {{output.TASK.OUTPUT}} or {{item}}"
    hint = did_you_mean(name, sorted(ARGO_VARIABLES | {f"{k}.NAME" for k in REFERENCE_KINDS}))
    return (f"unknown variable '{name}'{hint}; a value inside a string is {{{{param.NAME}}}}, "
            "{{output.TASK[.OUTPUT]}}, {{item[.FIELD]}}, {{file.TASK[.OUTPUT]}} or one of Argo's run "
            "variables such as {{workflow.uid}}")
