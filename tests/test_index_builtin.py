"""The built-in index.yaml is exactly what `creg index build .` makes of components/."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

from helpers_publish import ROOT, creg
from registry.index.build import built_index_bytes

FIX = "the built-in index.yaml is stale: run `creg index build .` in the project root"


def diff(old: bytes, new: bytes) -> str:
    return "".join(difflib.unified_diff(old.decode().splitlines(True), new.decode().splitlines(True),
                                        "index.yaml", "built"))


def test_builtin_index_matches_components() -> None:
    on_disk = (ROOT / "index.yaml").read_bytes()
    built = built_index_bytes(ROOT)
    assert built == on_disk, f"{FIX}\n{diff(on_disk, built)}"


def copy_registry(tmp_path: Path) -> Path:
    copy = tmp_path / "root"
    shutil.copytree(ROOT / "components", copy / "components")
    shutil.copy(ROOT / "index.yaml", copy / "index.yaml")
    return copy


def test_the_build_command_reproduces_it_byte_for_byte(tmp_path: Path) -> None:
    copy = copy_registry(tmp_path)
    result = creg("index", "build", ".", cwd=copy)
    assert result.returncode == 0, result.stderr
    assert (copy / "index.yaml").read_bytes() == (ROOT / "index.yaml").read_bytes()


def test_the_check_notices_a_changed_component(tmp_path: Path) -> None:
    copy = copy_registry(tmp_path)
    spec = sorted((copy / "components").rglob("component.yaml"))[0]
    spec.write_bytes(spec.read_bytes() + b"\n# edited\n")
    assert built_index_bytes(copy) != (copy / "index.yaml").read_bytes()
