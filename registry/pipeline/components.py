"""Component loaders: ``NAME@REF`` -> component, through the configured registries.

Sits on the resolve floor (it uses resolve, spec and lockfile), so the pipeline builder and the
compiler above it can both take a loader without importing each other.  Heavy modules are
imported when a loader is built, which keeps ``creg --help`` fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from registry.index.resolve import RegistryOptions

Loader = Callable[[str], Any]  # "name@ref" -> ComponentSpec (or an object with .spec/.name/.version)


@dataclass(frozen=True)
class LoadedComponent:
    """A component from a registry with the name and version the reference resolved to."""

    spec: Any
    name: str
    version: str


def registry_loader(options: RegistryOptions | None = None, pipeline: str | Path | None = None) -> Loader:
    """Component references resolved through the configured registries (cached, verified).

    With ``pipeline``, a ``creg.lock`` next to it pins the versions it lists.
    """
    from registry.index.resolve import Registry, RegistryOptions
    from registry.component.model import load_component_from_text

    lock = None
    if pipeline is not None:
        from registry.index.lockfile import Lock, lock_path_for

        lock = Lock.load(lock_path_for(Path(pipeline)), required=False)
    registry = Registry.configured(options or RegistryOptions(), lock=lock)

    def load(ref: str) -> LoadedComponent:
        resolved, data = registry.fetch(ref)
        spec = load_component_from_text(data, resolved.location)
        return LoadedComponent(spec, resolved.component.name, resolved.component.version)

    return load
