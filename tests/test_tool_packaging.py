"""The wheel users install carries the schemas and the built-in registry."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # --no-build-isolation: hatchling comes with the test extras, so no network is needed.
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "-w", str(out), str(ROOT)],
                   check=True, capture_output=True, timeout=300)
    return next(out.glob("creg-*.whl"))


def test_wheel_ships_schemas_components_and_index(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "registry/_data/index.yaml" in names
    for schema in (ROOT / "schemas").rglob("*.json"):
        assert f"registry/_data/schemas/{schema.relative_to(ROOT / 'schemas')}" in names
    for component in (ROOT / "components").rglob("component.yaml"):
        assert f"registry/_data/components/{component.relative_to(ROOT / 'components')}" in names


def test_wheel_ships_the_web_ui_assets_and_templates(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    ui = ROOT / "registry" / "ui"
    shipped = [p for part in ("static", "templates") for p in (ui / part).rglob("*") if p.is_file()]
    assert any(p.name == "dagre.min.js" for p in shipped) and any(p.name == "LICENSE" for p in shipped)
    for path in shipped:
        assert f"registry/ui/{path.relative_to(ui).as_posix()}" in names


def test_installed_wheel_reads_its_own_data(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    probe = ("from registry.resources import builtin_root, load_schema\n"
             "print(builtin_root())\n"
             "print(load_schema('index.schema.json')['$id'])\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            cwd=tmp_path, env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
                            timeout=60)
    assert result.returncode == 0, result.stderr
    root, schema_id = result.stdout.split()
    assert Path(root).resolve() == (target / "registry" / "_data").resolve()
    assert schema_id.endswith("index.schema.json")
