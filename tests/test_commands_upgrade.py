"""``creg upgrade``'s command line: usage errors, the diff as patch reads it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from helpers_currency import moved_registry
from helpers_registry import CREG, creg

DATA = Path(__file__).resolve().parent / "data" / "upgrade"


def test_only_naming_no_reference_is_a_usage_error(tmp_path: Path) -> None:
    registry = moved_registry(tmp_path / "registry")
    (tmp_path / "p.yaml").write_text("name: p\ntasks:\n  t: {component: add@1.0.0}\n", encoding="utf-8")
    done = creg("--registry", str(registry), "upgrade", "--only", "ad", str(tmp_path / "p.yaml"))
    assert done.returncode == 2 and "--only ad: no reference to it here (did you mean 'add'?)" in done.stderr


def test_who_uses_refuses_a_range_that_is_none(tmp_path: Path) -> None:
    done = creg("who-uses", "add@^x", str(tmp_path))
    assert done.returncode == 2 and "'^x' is not a version range" in done.stderr


def test_the_dry_run_diff_applies_with_patch(tmp_path: Path) -> None:
    """CRLF and a BOM survive the diff: ``patch`` turns the old file into what upgrade would write."""
    if shutil.which("patch") is None:
        import pytest

        pytest.skip("no 'patch' program here")
    registry = moved_registry(tmp_path / "registry")
    work, check = tmp_path / "work", tmp_path / "check"
    for folder in (work, check):
        folder.mkdir()
        shutil.copyfile(DATA / "pipeline-before.yaml", folder / "pipeline.yaml")
        shutil.copyfile(DATA / "graph-before.yaml", folder / "graph.yaml")
    diff = subprocess.run([str(CREG), "--registry", str(registry), "upgrade", "--dry-run"], cwd=work,
                          capture_output=True).stdout  # bytes: text mode would fold the CRLFs
    assert b"+    component: divide@^2      # keep this comment\r\n" in diff
    (tmp_path / "change.diff").write_bytes(diff)
    patched = subprocess.run(["patch", "-p1", "--binary", "-i", str(tmp_path / "change.diff")], cwd=work,
                             capture_output=True, text=True)
    assert patched.returncode == 0, patched.stdout + patched.stderr
    creg("--registry", str(registry), "upgrade", cwd=check)
    for name in ("pipeline.yaml", "graph.yaml"):
        assert (work / name).read_bytes() == (check / name).read_bytes()
