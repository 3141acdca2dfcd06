"""The public Python API: what the CLI, the web UI and notebooks share.

``components`` (loading, ``component_from_func``), ``pipelines`` (load, lint, compile, graph,
run, submit), ``runs`` (a run as Argo's Workflow shape), ``registries`` (search, versions,
publish); ``html`` and ``svg`` draw their notebook displays.  ``registry`` re-exports the
public names lazily, so ``import registry`` stays cheap.
"""
