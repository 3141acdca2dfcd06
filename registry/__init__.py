"""creg: a declarative YAML component registry for Kubeflow-style pipelines on Argo.

The public Python API is re-exported here lazily, so ``import registry`` stays cheap.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    # components
    "Component": "api.components",
    "component_from_func": "api.components",
    "load_component": "api.components",
    "load_component_from_file": "api.components",
    "load_component_from_text": "api.components",
    "load_component_from_url": "api.components",
    "validate_components": "api.components",
    "ComponentSpec": "component.model",
    "InputSpec": "component.model",
    "OutputSpec": "component.model",
    # pipelines and runs
    "Pipeline": "api.pipelines",
    "LintResult": "api.pipelines",
    "CompiledWorkflow": "api.pipelines",
    "Submission": "api.pipelines",
    "Run": "api.runs",
    "TaskRun": "api.runs",
    # registries
    "Registry": "api.registries",
    # errors
    "CregError": "errors",
    "SpecError": "errors",
    "ArgumentError": "errors",
    "Problem": "errors",
    "PipelineError": "pipeline.load",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:  # typing is not imported: it costs start-up time
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'registry' has no attribute {name!r}")
    return getattr(importlib.import_module(f"registry.{module}"), name)
