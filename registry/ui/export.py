"""``creg ui --export DIR``: the catalog as a static site of plain files with relative links.

The pages are the ones ``creg ui`` serves (the same routes answer), minus the pipeline and run
pages, which need a live creg behind them.  Each component gets a page per version and the
interface diff between each version and the one before it.
"""

from __future__ import annotations

from pathlib import Path

from registry.errors import CregError
from registry.sources.store import atomic_write
from registry.ui import catalog
from registry.ui.pages import STATIC
from registry.ui.routes import App, Site

# The catalog pages need only these; dagre is for the graphs, which a static site has none of.
STATIC_FILES = ("app.css", "app.js")


def export_site(site: Site, folder: Path) -> list[Path]:
    """Write the site under ``folder``; return the files written."""
    site.static_site = True
    app = App(site)
    written = [p for p in [_page(app, folder, "/index.html")] if p is not None]
    rows, _ = catalog.catalog_rows(site.registry())
    for row in rows:
        if row.shadowed:
            continue
        written += _component(app, site, folder, row.name)
    for name in STATIC_FILES:
        written.append(_write(folder / "static" / name, (STATIC / name).read_bytes()))
    return written


def _component(app: App, site: Site, folder: Path, name: str) -> list[Path]:
    try:
        versions = [v["version"] for v in catalog.versions_of(site.registry(), name)]
    except CregError:
        return []
    paths = [f"/components/{name}.html"] + [f"/components/{name}@{v}.html" for v in versions]
    paths += [f"/diff/{name}@{old}/{new}.html" for new, old in zip(versions, versions[1:])]
    return [page for page in (_page(app, folder, path) for path in paths) if page is not None]


def _page(app: App, folder: Path, path: str) -> Path | None:
    """The page at ``path`` as a file; None when it cannot be made (its version does not load)."""
    response = app.handle(path)
    return _write(folder / path.lstrip("/"), response.body) if response.status == 200 else None


def _write(path: Path, data: bytes) -> Path:
    atomic_write(path, data)
    return path
