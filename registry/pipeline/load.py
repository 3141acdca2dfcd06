"""Pipeline YAML -> a validated DAG of ops: ``load_pipeline`` and what it raises.

The builders' code is in ``tasks`` while this module is split; these names stay here.
"""

from __future__ import annotations

from registry.pipeline.tasks import (ParamUsageError, Pipeline, PipelineError, Task, _default_loader, load_pipeline,
                                     param_value)

__all__ = ["ParamUsageError", "Pipeline", "PipelineError", "Task", "_default_loader", "load_pipeline", "param_value"]
