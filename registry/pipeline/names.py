"""The naming rules of Argo and of KFP v1 that the pipeline floor itself needs.

They would live in ``registry.argo`` if only it used them, but this floor writes Argo text
too: an op's command line holds ``{{inputs.parameters.NAME}}``, a ``when`` compiles to
``{{tasks.TASK.outputs.parameters.NAME}}``, and a graph component's inner tasks are given
their Argo names here so references between them resolve.  KFP's container paths are here
for the same reason: the op writes them into the command line, the Argo template declares them.
"""

from __future__ import annotations

import functools
import re

_INPUT_PATH = "/tmp/inputs/{}/data"
_OUTPUT_PATH = "/tmp/outputs/{}/data"


@functools.lru_cache(maxsize=4096)
def argo_name(name: str) -> str:
    """A KFP input/output name -> an Argo parameter/artifact name (``GCS path`` -> ``gcs-path``)."""
    return re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-") or "value"


def slug(text: str, fallback: str = "component") -> str:
    """A name -> a lowercase DNS label (Argo template and task names)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:63].strip("-") or fallback


def _file_name(name: str) -> str:
    """A KFP input/output name -> a path segment, as KFP v1 sanitizes it (``GCS path`` -> ``GCS_path``)."""
    return re.sub(r"[^-\w.]", "_", name)


@functools.lru_cache(maxsize=4096)
def input_path(name: str) -> str:
    """Where a container reads the input ``name`` given as a file."""
    return _INPUT_PATH.format(_file_name(name))


@functools.lru_cache(maxsize=4096)
def output_path(name: str) -> str:
    """Where a container writes the output ``name``."""
    return _OUTPUT_PATH.format(_file_name(name))
