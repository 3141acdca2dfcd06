"""``creg validate`` and ``creg show`` as a user runs them: a real process, real files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from helpers_spec import INVALID, ROOT, VALID, expected_problems


def creg(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "registry", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=120)


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    """A folder with valid and invalid components, nested, plus files that are not components."""
    root = tmp_path / "specs"
    (root / "good" / "1.0.0").mkdir(parents=True)
    shutil.copy(VALID[0], root / "good" / "1.0.0" / "component.yaml")
    shutil.copy(VALID[1], root / "graph.component.yaml")
    (root / "notes.yaml").write_text("- not a component\n")
    return root


def test_validate_folder_all_valid(specs: Path) -> None:
    result = creg("validate", str(specs))
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "2 files, 0 invalid"


def test_validate_reports_every_problem_sorted_and_exits_1(specs: Path) -> None:
    bad = next(p for p in INVALID if p.name.startswith("undeclared_input"))
    result = creg("validate", str(specs), str(bad))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-1] == "3 files, 1 invalid"
    assert lines[:-1] == [p.format() for p in expected_problems(bad)]
    assert "Traceback" not in result.stderr


def test_validate_json(specs: Path) -> None:
    bad = next(p for p in INVALID if p.name.startswith("unknown_placeholder"))
    result = creg("validate", "--format", "json", str(specs), str(bad))
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["summary"] == {"files": 3, "invalid": 1}
    by_file = {Path(f["file"]).name: f for f in report["files"]}
    assert by_file["graph.component.yaml"]["valid"] and by_file["graph.component.yaml"]["digest"].startswith("sha256:")
    problems = by_file[bad.name]["problems"]
    assert problems == [p.as_dict() for p in expected_problems(bad)]
    assert "did you mean 'inputValue'" in problems[0]["message"]


@pytest.mark.parametrize("args", [["validate", "no/such/file.yaml"], ["validate"], ["validate", "--format", "xml", "."]])
def test_validate_usage_errors_exit_2(args: list[str], tmp_path: Path) -> None:
    result = creg(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_validate_empty_folder_is_a_usage_error(tmp_path: Path) -> None:
    result = creg("validate", str(tmp_path))
    assert result.returncode == 2 and "no component.yaml" in result.stderr


def test_traceback_flag_shows_one(tmp_path: Path) -> None:
    plain = creg("validate", str(tmp_path / "missing"))
    traced = creg("--traceback", "validate", str(tmp_path / "missing"))
    assert "Traceback" not in plain.stderr
    assert "Traceback (most recent call last)" in traced.stderr and "ArgumentError" in traced.stderr


def test_validate_builtin_components() -> None:
    result = creg("validate", "components")
    assert result.returncode == 0, result.stderr
    count = len(list((ROOT / "components").glob("*/*/component.yaml")))
    assert result.stderr.strip() == f"{count} files, 0 invalid"


def test_show_text() -> None:
    path = ROOT / "components" / "divmod" / "1.0.0" / "component.yaml"
    result = creg("show", str(path))
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "name:        Divmod" in text and "image:       python:3.11-slim" in text
    assert "dividend  Float  required" in text and "remainder  Float" in text
    from registry.component.model import digest_of

    assert f"digest:      {digest_of(path.read_bytes())}" in text


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_show_structured(fmt: str) -> None:
    path = next(p for p in VALID if p.name.startswith("graph"))
    result = creg("show", str(path), "--format", fmt)
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout) if fmt == "json" else yaml.safe_load(result.stdout)
    assert info["name"] == "Graph"
    assert info["inputs"][1] == {"name": "y", "type": None, "default": "2", "optional": False,
                                 "required": False, "description": None}
    assert info["implementation"]["kind"] == "graph"
    assert [t["name"] for t in info["implementation"]["tasks"]] == ["first", "second", "third"]


def test_show_invalid_file_exits_1_with_positions() -> None:
    bad = next(p for p in INVALID if p.name.startswith("graph_cycle"))
    result = creg("show", str(bad))
    assert result.returncode == 1
    assert result.stderr.strip() == expected_problems(bad)[0].format()


def test_show_builtin_reference() -> None:
    result = creg("show", "add@1.0.0", "--format", "json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["name"] == "Add" and [i["name"] for i in info["inputs"]] == ["a", "b"]


def test_show_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = creg("show", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
