"""The jinja2 environment of the pages: autoescaped, strict, loaded from ``registry/ui/templates``.

Links in every page are relative (``root`` is the ``../`` prefix back to the site's top), so
the same templates serve ``creg ui`` and the static site ``creg ui --export`` writes.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import jinja2

UI_ROOT = Path(__file__).resolve().parent
STATIC = UI_ROOT / "static"


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("registry.ui", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["url"] = url_part
    return env


def url_part(text: str) -> str:
    """A name or version as one URL path piece (``/`` of a namespaced name kept as a folder)."""
    from urllib.parse import quote  # lazy: start-up

    return quote(str(text), safe="/@")


def root_of(path: str) -> str:
    """The relative prefix from a page at ``path`` (``/a/b.html``) back to the site's top (``../``)."""
    depth = path.lstrip("/").count("/")
    return "../" * depth or "./"


def render(template: str, path: str, **context: Any) -> bytes:
    """A page for ``path`` (which sets its relative links)."""
    context.setdefault("static_site", False)
    context.setdefault("root", root_of(path))
    page = environment().get_template(template).render(**context)
    return page.encode("utf-8")
