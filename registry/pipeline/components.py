"""The components a pipeline names: ``NAME@REF`` through the configured registries, paths
from the pipeline's folder, specs inline in a graph component.

``registry_loader`` builds the loader the CLI hands to ``load_pipeline``; ``PipelineComponents``
loads each component one pipeline file names, once however many tasks use it.  The pipeline
builder and the compiler above it both take a loader, so it lives here, below both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from registry.index.resolve import RegistryOptions

from registry.component.model import ComponentSpec, load_component_from_file, load_component_from_text, thaw
from registry.errors import CregError
from registry.index.lockfile import Lock, is_component_path, lock_path_for
from registry.pipeline.ops import ComponentInfo, Report, TaskComponent
from registry.yamlio import dump


@dataclass(frozen=True)
class LoadedComponent:
    """A component from a registry with the name and version the reference resolved to."""

    spec: ComponentSpec
    name: str
    version: str


Loader = Callable[[str], ComponentSpec | LoadedComponent]  # "name@ref" -> the component


def registry_loader(options: RegistryOptions | None = None, pipeline: str | Path | None = None) -> Loader:
    """Component references resolved through the configured registries (cached, verified).

    ``options`` names the registries to search (None: the configured ones).  With
    ``pipeline``, a ``creg.lock`` next to it pins the versions it lists.
    """
    from registry.index.resolve import Registry, RegistryOptions  # lazy: start-up (cache, HTTP)

    lock = None if pipeline is None else Lock.load(lock_path_for(Path(pipeline)), required=False)
    registry = Registry.configured(options or RegistryOptions(), lock=lock)

    def load(ref: str) -> LoadedComponent:
        resolved, data = registry.fetch(ref)
        spec = load_component_from_text(data, resolved.location)
        return LoadedComponent(spec, resolved.component.name, resolved.component.version)

    return load


class PipelineComponents:
    """The components one pipeline file names, each reference loaded once."""

    def __init__(self, source: Path, loader: Loader | None) -> None:
        self.source = source  # the pipeline file: component paths are relative to its folder
        self.loader = loader
        self.loaded: dict[str, TaskComponent | None] = {}  # reference -> component; None: failed

    def for_task(self, ref: str, report: Callable[[str], None]) -> TaskComponent | None:
        """A task's ``component``: a path or ``NAME@REF``; None after reporting why not."""
        if ref not in self.loaded:
            self.loaded[ref] = self._load_task_component(ref, report)
        return self.loaded[ref]

    def _load_task_component(self, ref: str, report: Callable[[str], None]) -> TaskComponent | None:
        try:
            if is_component_path(ref):
                return self._load_file(ref)
            if "@" not in ref:
                report(f"component reference {ref!r} must be NAME@REF "
                       "(e.g. add@1.0.0) or a path such as ./add/component.yaml")
                return None
            return self._load_ref(ref)
        except CregError as exc:
            detail = "; ".join(p.format() for p in exc.problems) or str(exc)
            report(f"cannot load component {ref!r}: {detail}")
            return None

    def for_graph_task(self, ref: Mapping[str, Any], report: Report) -> TaskComponent | None:
        """A graph task's ``componentRef``: ``spec`` inline, or ``name`` + ``tag`` from a registry."""
        if "spec" in ref:
            return self._inline_spec(ref["spec"], report)
        if "name" in ref and "tag" in ref:
            text = f"{ref['name']}@{ref['tag']}"
            if text not in self.loaded:
                try:
                    self.loaded[text] = self._load_ref(text)
                except CregError as exc:
                    report([], f"cannot load component {text!r}: " + "; ".join(p.format() for p in exc.problems))
                    self.loaded[text] = None
            return self.loaded[text]
        report([], "creg resolves a componentRef given as 'spec' (inline) or 'name' + 'tag' "
                   "(a registry reference); publish url/digest-only components to a registry")
        return None

    def _inline_spec(self, spec: object, report: Report) -> TaskComponent | None:
        try:
            loaded = load_component_from_text(dump(thaw(spec)), f"{self.source}#inline")
        except CregError as exc:
            report(["spec"], "invalid inline component: " + "; ".join(p.message for p in exc.problems))
            return None
        return loaded, ComponentInfo(loaded.name or "inline", "inline", loaded.digest, "inline")

    def _load_file(self, ref: str) -> TaskComponent:
        spec = load_component_from_file(self.source.parent / ref)
        version = str((spec.metadata.get("annotations") or {}).get("version", "local"))  # the spec schema allows null
        return spec, ComponentInfo(spec.name or Path(ref).parent.name, version, spec.digest, ref)

    def _load_ref(self, ref: str) -> TaskComponent:
        if self.loader is None:  # the configured registries, default settings (the CLI passes its own)
            self.loader = registry_loader(None)
        found = self.loader(ref)
        name, _, tag = ref.partition("@")
        if isinstance(found, LoadedComponent):
            spec, name, version = found.spec, found.name, found.version or tag
        else:  # a loader may hand back the bare spec; it is named by its own name, versioned by the tag
            spec, version = found, tag
            name = spec.name if spec.name is not None else name
        return spec, ComponentInfo(name, version, spec.digest, ref)
