"""``creg ui --export DIR``: plain files, relative links that all resolve, small enough to host."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from helpers_ui import ui_registry

LINK = re.compile(r'(?:href|src)="([^"]*)"')


def _export(out: Path, *registries: Path) -> subprocess.CompletedProcess[str]:
    flags = [arg for r in registries for arg in ("--registry", str(r))]
    return subprocess.run([sys.executable, "-m", "registry", *flags, "ui", "--export", str(out)],
                          capture_output=True, text=True, timeout=120)


def _links(page: Path) -> list[str]:
    return LINK.findall(page.read_text(encoding="utf-8"))


def test_the_builtin_registry_exports_under_a_megabyte_with_every_link_resolving(tmp_path: Path) -> None:
    out = tmp_path / "site"
    result = _export(out)
    assert result.returncode == 0, result.stderr
    files = [p for p in out.rglob("*") if p.is_file()]
    assert f"wrote {len(files)} files" in result.stdout
    assert sum(p.stat().st_size for p in files) < 1_000_000
    assert (out / "components" / "divmod@1.0.0.html").is_file()
    for page in out.rglob("*.html"):
        for link in _links(page):
            if link.startswith("data:"):
                continue
            assert not re.match(r"^(/|[a-z]+:)", link), (page, link)  # relative, and to no other host
            target = (page.parent / link.split("?")[0]).resolve()
            assert target.is_file() and target.is_relative_to(out.resolve()), (page, link)


def test_export_has_a_page_per_version_and_diffs_between_neighbours(tmp_path: Path) -> None:
    out = tmp_path / "site"
    assert _export(out, ui_registry(tmp_path)).returncode == 0
    pages = {p.relative_to(out).as_posix() for p in out.rglob("*.html")}
    for version in ("1.0.0", "1.1.0", "1.2.0", "2.0.0"):
        assert f"components/calc@{version}.html" in pages
    assert {"diff/calc@1.0.0/1.1.0.html", "diff/calc@1.1.0/1.2.0.html", "diff/calc@1.2.0/2.0.0.html"} <= pages
    index = (out / "index.html").read_text()
    assert "Pipelines" not in index and "&lt;script&gt;" in index and "<script>window" not in index
    assert not (out / "static" / "vendor").exists()  # no graph on a catalog page


def test_versions_whose_spec_is_out_of_reach_still_get_their_pages(tmp_path: Path) -> None:
    """Offline, a registry of URL sources: the index is read, the specs are not; no link dangles."""
    registry = tmp_path / "remote-sources"
    registry.mkdir()
    entries = "".join(f"  - version: {v}\n    digest: sha256:{i:064x}\n    description: far away\n"
                      f"    source: {{url: 'https://components.example/far/{v}/component.yaml'}}\n"
                      for i, v in enumerate(("2.0.0", "1.0.0")))
    (registry / "index.yaml").write_text(f"apiVersion: creg/v1\ncomponents:\n  far:\n{entries}")
    out = tmp_path / "site"
    result = subprocess.run([sys.executable, "-m", "registry", "--offline", "--registry", str(registry), "ui",
                             "--export", str(out)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    page = (out / "components" / "far@1.0.0.html").read_text()
    assert "The interface of this version is not available here: offline:" in page
    assert "Cannot compare here: offline:" in (out / "diff" / "far@1.0.0" / "2.0.0.html").read_text()
    for page_path in out.rglob("*.html"):
        for link in _links(page_path):
            if not link.startswith("data:"):
                assert (page_path.parent / link).resolve().is_file(), (page_path, link)
