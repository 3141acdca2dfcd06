"""URL -> response: every page and JSON endpoint of the UI, with no HTTP in sight.

``server`` feeds it requests; ``export`` asks it for the catalog pages to write as files.
Paths are decoded once and refused when a segment is ``..``/``.``/empty or holds a backslash
or NUL, so no handler ever sees a traversal; files are served only from folders they are
confined to after links are followed.
"""

from __future__ import annotations

import json
import mimetypes
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qs, unquote, urlsplit

from registry.argo.runview import RunBackend, RunNotFound, RunQuery
from registry.errors import CregError
from registry.index.resolve import Registry, RegistryOptions
from registry.pipeline.components import registry_loader
from registry.ui import catalog, pipelines, runs
from registry.ui.pages import STATIC, render

# The pages load only their own files: no inline script, nothing from another origin.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


REGISTRY_SECONDS = 10.0


class Response(NamedTuple):
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = {}


@dataclass
class Site:
    """What the UI shows: registries, pipeline files, run stores."""

    options: RegistryOptions = field(default_factory=RegistryOptions)
    folder: Path = field(default_factory=Path.cwd)
    given: list[Path] = field(default_factory=list)
    backends: dict[str, RunBackend] = field(default_factory=dict)
    static_site: bool = False

    _registry: tuple[float, Registry] | None = field(default=None, init=False, repr=False)

    def registry(self) -> Registry:
        """The registries, read again after ``REGISTRY_SECONDS``: an index edited while the UI
        runs shows soon, and a remote index is not downloaded for every page."""
        now = time.monotonic()
        if self._registry is None or now - self._registry[0] > REGISTRY_SECONDS:
            self._registry = (now, Registry.configured(self.options))
        return self._registry[1]


Handler = Callable[["Request"], Response]


@dataclass
class Request:
    path: str  # decoded
    query: dict[str, str]
    groups: tuple[str, ...] = ()


class BadPath(Exception):
    """A path with a traversal, a backslash or a NUL: answered 404, whatever it names."""


def split_target(target: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(target)
    path = unquote(parts.path, errors="strict")
    segments = path.split("/")[1:]
    if not path.startswith("/") or any(s in (".", "..") or "\\" in s or "\0" in s for s in segments) \
            or "//" in path or _double_encoded(path):
        raise BadPath(target)
    query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    return path, query


def _double_encoded(path: str) -> bool:
    """``%2e%2e`` after one decoding: refused too, in case anything decodes twice."""
    return bool(re.search(r"%(2e|2f|5c|00)", path, re.IGNORECASE))


class App:
    def __init__(self, site: Site) -> None:
        self.site = site
        name = r"([A-Za-z0-9][A-Za-z0-9._-]*(?:/[A-Za-z0-9][A-Za-z0-9._-]*)*)"
        version = r"([A-Za-z0-9][A-Za-z0-9._+-]*)"
        source, run_id = r"([a-z]+)", r"([A-Za-z0-9][A-Za-z0-9._:-]*)"
        self.routes: list[tuple[re.Pattern[str], Handler]] = [(re.compile(f"^{p}$"), h) for p, h in [
            (r"/(?:index\.html)?", self.catalog_page),
            (f"/components/{name}@{version}\\.html", self.component_page),
            (f"/components/{name}\\.html", self.component_page),
            (f"/diff/{name}@{version}/{version}\\.html", self.diff_page),
            (r"/static/(.+)", self.static_file),
            (r"/pipelines/(?:index\.html)?", self.pipelines_page),
            (r"/pipelines/view\.html", self.pipeline_page),
            (r"/runs/(?:index\.html)?", self.runs_page),
            (f"/runs/{source}/{run_id}\\.html", self.run_page),
            (f"/api/runs/{source}/{run_id}\\.json", self.run_json),
            (f"/api/runs/{source}/{run_id}/logs\\.json", self.logs_json),
            (f"/runs/{source}/{run_id}/artifacts/([^/]+)/([^/]+)", self.artifact),
        ]]

    def handle(self, target: str) -> Response:
        try:
            path, query = split_target(target)
        except (BadPath, UnicodeDecodeError):
            return self.not_found("/")
        for pattern, handler in self.routes:
            match = pattern.match(path)
            if match:
                return handler(Request(path, query, match.groups()))
        return self.not_found(path)

    # -- helpers --------------------------------------------------------------------------------

    def page(self, template: str, path: str, status: int = 200, **context: Any) -> Response:
        body = render(template, path, static_site=self.site.static_site,
                      runs_enabled=bool(self.site.backends), **context)
        return Response(status, "text/html; charset=utf-8", body)

    def not_found(self, path: str, what: str = "") -> Response:
        # Links from the site's top: the address asked for may be anything.
        return self.page("error.html", path, 404, root="/", title="Not found",
                         message=what or "There is no page at this address.")

    def error(self, path: str, exc: CregError) -> Response:
        return self.page("error.html", path, 404, title="Not available", message=str(exc))

    @staticmethod
    def json(data: Any, status: int = 200) -> Response:
        return Response(status, "application/json", json.dumps(data).encode("utf-8"))

    # -- catalog -------------------------------------------------------------------------------

    def catalog_page(self, request: Request) -> Response:
        rows, skipped = catalog.catalog_rows(self.site.registry())
        return self.page("catalog.html", request.path, rows=rows, skipped=skipped)

    def component_page(self, request: Request) -> Response:
        name = request.groups[0]
        registry = self.site.registry()
        try:
            versions = catalog.versions_of(registry, name)
            version = request.groups[1] if len(request.groups) > 1 else versions[0]["version"]
            current = next((v for v in versions if v["version"] == version), None)
        except CregError as exc:
            return self.error(request.path, exc)
        if current is None:
            return self.not_found(request.path, f"no version '{version}' of '{name}'")
        try:  # the index is read; the spec itself may be out of reach (offline, a dead URL)
            spec = catalog.load_version(registry, name, version)
        except CregError as exc:
            return self.page("component.html", request.path, name=name, version=version, versions=versions,
                             current=current, interface=None, snippet="", unavailable=str(exc))
        return self.page("component.html", request.path, name=name, version=version, versions=versions,
                         current=current, interface=catalog.interface(spec),
                         snippet=catalog.snippet(name, version, spec), unavailable="")

    def diff_page(self, request: Request) -> Response:
        name, old, new = request.groups
        registry = self.site.registry()
        try:
            known = {v["version"] for v in catalog.versions_of(registry, name)}
        except CregError as exc:
            return self.error(request.path, exc)
        if not {old, new} <= known:
            return self.not_found(request.path, f"'{name}' has no version {old if old not in known else new}")
        try:
            rows = catalog.interface_diff(catalog.interface(catalog.load_version(registry, name, old)),
                                          catalog.interface(catalog.load_version(registry, name, new)))
        except CregError as exc:  # both versions exist; a spec is out of reach (offline, a dead URL)
            return self.page("diff.html", request.path, name=name, old=old, new=new, rows=[], unavailable=str(exc))
        return self.page("diff.html", request.path, name=name, old=old, new=new, rows=rows, unavailable="")

    def static_file(self, request: Request) -> Response:
        try:
            path = runs.confined_file(STATIC, request.groups[0])
        except runs.OutsideFolder:
            return self.not_found(request.path)
        return Response(200, _content_type(path), path.read_bytes())

    # -- pipelines -----------------------------------------------------------------------------

    def pipeline_files(self) -> dict[str, Path]:
        """Display name (relative to the folder when inside it) -> file."""
        found = pipelines.discover(self.site.folder, self.site.given)
        base = self.site.folder.resolve()
        return {(str(p.relative_to(base)) if p.is_relative_to(base) else str(p)): p for p in found}

    def pipelines_page(self, request: Request) -> Response:
        return self.page("pipelines.html", request.path, files=list(self.pipeline_files()))

    def pipeline_page(self, request: Request) -> Response:
        wanted = request.query.get("file", "")
        path = self.pipeline_files().get(wanted)
        if path is None:
            return self.not_found(request.path, f"'{wanted}' is not one of the pipelines this UI serves.")
        data = pipelines.view(path, registry_loader(self.site.options, path))
        return self.page("pipeline.html", request.path, file=wanted, view=data)

    # -- runs ------------------------------------------------------------------------------------

    def backend(self, source: str) -> RunBackend | None:
        return self.site.backends.get(source)

    def runs_page(self, request: Request) -> Response:
        source = request.query.get("source") or next(iter(self.site.backends), "")
        backend = self.backend(source)
        experiment, phase = request.query.get("experiment") or None, request.query.get("phase") or ""
        rows, experiments, problem = [], [], ""
        if backend is not None:
            try:
                query = RunQuery(experiment=experiment, phases=(phase,) if phase else (), limit=500)
                rows = [runs.run_row(w) for w in backend.list_runs(query)]
                experiments = [e.name for e in backend.experiments()]
            except CregError as exc:
                problem = str(exc)
        return self.page("runs.html", request.path, rows=rows, source=source, sources=list(self.site.backends),
                         experiments=experiments, experiment=experiment or "", phase=phase,
                         phases=runs.phase_choices(), problem=problem)

    def _workflow(self, request: Request) -> dict[str, Any] | Response:
        backend = self.backend(request.groups[0])
        if backend is None:
            return self.not_found(request.path, f"no run source '{request.groups[0]}'")
        try:
            return backend.get_run(request.groups[1])
        except (RunNotFound, CregError) as exc:
            return self.error(request.path, exc)

    def run_page(self, request: Request) -> Response:
        workflow = self._workflow(request)
        if isinstance(workflow, Response):
            return workflow
        return self.page("run.html", request.path, source=request.groups[0], row=runs.run_row(workflow),
                         parameters=runs.run_parameters(workflow),
                         graph=runs.run_graph(workflow), state=runs.run_state(workflow),
                         downloads=runs.run_folder(workflow) is not None)

    def run_json(self, request: Request) -> Response:
        workflow = self._workflow(request)
        if isinstance(workflow, Response):
            return self.json({"error": "not found"}, 404)
        return self.json({**runs.run_state(workflow), "graph": runs.run_graph(workflow)})

    def logs_json(self, request: Request) -> Response:
        backend = self.backend(request.groups[0])
        try:
            offset = max(0, int(request.query.get("offset", "0")))
        except ValueError:
            offset = 0
        if backend is None:
            return self.json({"error": "not found"}, 404)
        try:
            lines = [line.text for line in backend.logs(request.groups[1], request.query.get("task") or None)]
        except RunNotFound as exc:
            return self.json({"error": str(exc)}, 404)
        except CregError as exc:  # a task that has not written a log yet: nothing to show so far
            return self.json({"lines": [], "next": offset, "note": str(exc)})
        return self.json({"lines": lines[offset:offset + 5000], "next": min(len(lines), offset + 5000)})

    def artifact(self, request: Request) -> Response:
        workflow = self._workflow(request)
        if isinstance(workflow, Response):
            return workflow
        node_id, name = request.groups[2:]
        try:
            path = runs.artifact_file(workflow, node_id, name)
        except runs.OutsideFolder:
            return self.not_found(request.path, "no such artifact file in this run")
        headers = {"Content-Disposition": f"attachment; filename=\"{re.sub(r'[^A-Za-z0-9._-]', '_', name)}\""}
        return Response(200, "application/octet-stream", path.read_bytes(), headers)


def _content_type(path: Path) -> str:
    known = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".png": "image/png"}
    return known.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
