"""creg: a declarative YAML component registry for Kubeflow-style pipelines on Argo.

The public Python API is re-exported here lazily, so ``import registry`` stays cheap.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "load_component_from_file": "component.model",
    "load_component_from_text": "component.model",
    "ComponentSpec": "component.model",
    "InputSpec": "component.model",
    "OutputSpec": "component.model",
    "CregError": "errors",
    "SpecError": "errors",
    "Problem": "errors",
    "load_component": "index.resolve",
    "Registry": "index.resolve",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:  # typing is not imported: it costs start-up time
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'registry' has no attribute {name!r}")
    return getattr(importlib.import_module(f"registry.{module}"), name)
