"""Registries in the public API: search, versions, loading, publishing and deprecating.

``Registry`` is the resolver the CLI uses (``registry.index.resolve.Registry``: several
registries searched in order, the built-in one last, one verified cache) with the writing
verbs of ``creg publish`` and ``creg deprecate`` and a notebook display.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from registry.errors import ArgumentError, mention
from registry.index import resolve

if TYPE_CHECKING:
    from registry.api.components import Component

__all__ = ["Registry"]


class Registry(resolve.Registry):
    """``Registry(["./my-registry", "https://host/reg"])``: those registries, then the built-in one.

    ``Registry.configured()`` searches ``$CREG_REGISTRIES`` and the config file's as the CLI does.
    """

    def load(self, ref: str) -> "Component":
        """The verified component ``ref`` (``NAME``, ``NAME@1.2.3``, ``NAME@^1``) names."""
        from registry.api.components import Component  # lazy: the CLI's registry commands start fast

        return Component.of(super().load(ref))

    def search_rows(self, text: str = "") -> list[dict[str, Any]]:
        """``creg search``'s rows: the newest version of each component matching ``text``."""
        return [{"name": e.component.name, "version": e.component.version, "description": e.description,
                 "registry": root} for e, root in self.search(text)]

    def publish(self, path: str | Path, to: str | Path | None = None, version: str | None = None,
                name: str | None = None, allow_breaking: bool = False) -> Any:
        """Publish a component folder or component.yaml into the folder registry ``to``.

        ``to`` defaults to the only folder registry this object searches.  A published version
        never changes; returns the ``PublishResult`` (``summary()``, ``changes``).
        """
        from registry.index.publish import publish  # lazy: packing and index editing

        return publish(path, self._folder(to), version=version, name=name, allow_breaking=allow_breaking)

    def deprecate(self, ref: str, message: str, replacement: str | None = None,
                  to: str | Path | None = None) -> str:
        """Mark ``NAME@VERSION`` deprecated in a folder registry; returns what changed."""
        from registry.index.publish import deprecate  # lazy: index editing

        return deprecate(self._folder(to), ref, message, replacement)

    def _folder(self, to: str | Path | None) -> Path:
        if to is not None:
            return Path(to)
        folders = [s.root for s in self.searched[:-1] if not s.remote]
        if len(folders) != 1:
            raise ArgumentError("to", f"{mention('to')}: name the registry folder to change "
                                      f"(this Registry searches {len(folders)} folders)")
        return Path(folders[0])

    @property
    def roots(self) -> list[str]:
        """What is searched, in order (the built-in registry last)."""
        return [s.root for s in self.searched]

    def __repr__(self) -> str:
        return f"<Registry {', '.join(self.roots)}>"

    def _repr_html_(self) -> str:
        from registry.api.html import section, table  # lazy: only notebooks display

        return section("registries searched, in order", table(["registry"], [(root,) for root in self.roots]))


def open_registry(registries: Iterable[str] = (), offline: bool = False, allow_rollback: bool = False) -> Registry:
    """The registries the CLI searches: ``registries`` first, then ``$CREG_REGISTRIES``, the config file's."""
    registry = Registry.configured(resolve.RegistryOptions(tuple(registries), offline, allow_rollback))
    assert isinstance(registry, Registry)
    return registry
