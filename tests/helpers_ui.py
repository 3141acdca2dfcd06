"""A registry for the UI tests, made with creg's own publish/deprecate: several versions, a
deprecation, an ``--allow-breaking`` version and user text that must never run as HTML."""

from __future__ import annotations

from pathlib import Path

from helpers_publish import component_text, make_component
from registry.index.publish import deprecate, publish
from registry.index.resolve import RegistryOptions
from registry.ui.routes import Site

EVIL = "<script>window.pwned=1</script><img src=x onerror=alert(1)>"


def ui_registry(base: Path) -> Path:
    """``base/registry`` with ``calc`` 1.0.0, 1.1.0, 1.2.0 (breaking, allowed) and 2.0.0, and ``evil``."""
    registry, work = base / "registry", base / "work"
    optional = [{"name": "a", "type": "Float"}, {"name": "b", "type": "Float"},
                {"name": "c", "type": "Integer", "default": "3", "description": "the third"}]
    texts = {"1.0.0": component_text(),
             "1.1.0": component_text(inputs=optional),
             "1.2.0": component_text(inputs=optional[:1] + optional[2:]),
             "2.0.0": component_text(inputs=optional[:1], image="python:3.12")}
    for version, text in texts.items():
        publish(make_component(work, "calc", version, text), registry, allow_breaking=version == "1.2.0")
    deprecate(registry, "calc@1.0.0", "use 1.1.0: it takes c", replacement="calc@1.1.0")
    evil = component_text(description=f"Adds {EVIL} & more", inputs=[{"name": EVIL, "type": "String"}])
    publish(make_component(work, "evil", "0.1.0", evil), registry)
    return registry


def ui_site(base: Path, folder: Path | None = None, given: list[Path] | None = None) -> Site:
    return Site(RegistryOptions((str(ui_registry(base)),)), folder or base, given or [])
