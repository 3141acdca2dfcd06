"""The pod a Workflow node ran in, named as Argo's controller names it.

Argo's log stream tells each line's ``podName``; the Workflow's nodes know their task
(``displayName``) but not their pod.  Since Argo 3.4 (pod names "v2") a pod is
``<workflow>-<template>-<fnv32a(node name)>`` (the prefix cut to fit 253 characters), and the
workflow's own pod keeps the workflow's name; with the ``v1`` format, or a node without a
template name, the pod is named as the node's id.
"""

from __future__ import annotations

from typing import Any, Mapping

POD_NAME_FORMAT = "workflows.argoproj.io/pod-name-format"
MAX_NAME = 253
HASH_LENGTH = 10


def fnv32a(text: str) -> int:
    """FNV-1a, 32 bits, over the UTF-8 bytes (Go's hash/fnv New32a)."""
    value = 0x811C9DC5
    for byte in text.encode("utf-8"):
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def pod_name(workflow: Mapping[str, Any], node: Mapping[str, Any]) -> str:
    """The pod name of a Pod node of ``workflow``."""
    metadata = workflow.get("metadata") or {}
    name, template = str(metadata.get("name", "")), str(node.get("templateName") or "")
    version = (metadata.get("annotations") or {}).get(POD_NAME_FORMAT, "v2")
    if version == "v1" or not template:
        return str(node.get("id", ""))
    if node.get("name") == name:
        return name
    prefix = f"{name}-{template}"[:MAX_NAME - HASH_LENGTH - 1]
    return f"{prefix}-{fnv32a(str(node.get('name', '')))}"
