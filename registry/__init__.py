"""creg: a declarative YAML component registry for Kubeflow-style pipelines on Argo.

The public Python API is re-exported here lazily, so ``import registry`` stays cheap.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "load_component_from_file": "spec",
    "load_component_from_text": "spec",
    "ComponentSpec": "spec",
    "InputSpec": "spec",
    "OutputSpec": "spec",
    "CregError": "errors",
    "SpecError": "errors",
    "Problem": "errors",
    "load_component": "resolve",
    "Registry": "resolve",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:  # typing is not imported: it costs start-up time
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'registry' has no attribute {name!r}")
    return getattr(importlib.import_module(f"registry.{module}"), name)
