"""``creg outdated`` as a user (or CI) runs it: a real registry folder, real subprocesses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers_currency import moved_registry
from helpers_registry import creg


@pytest.fixture
def registry_dir(tmp_path: Path) -> Path:
    return moved_registry(tmp_path / "registry")


def pipeline(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"name: {path.stem}\ntasks:\n{body}", encoding="utf-8")
    return path


def test_current_pipelines_exit_0(tmp_path: Path, registry_dir: Path) -> None:
    pipeline(tmp_path / "p", "p.yaml", "  t: {component: add@2.1.0, args: {a: 1, scale: 2}}\n"
                                      "  u: {component: divide@^2, args: {a: 1, b: 2}}\n")
    done = creg("--registry", str(registry_dir), "outdated", str(tmp_path / "p"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 reference(s) in 1 file(s): 2 current" in done.stderr


def test_outdated_and_deprecated_exit_1_with_the_table(tmp_path: Path, registry_dir: Path) -> None:
    path = pipeline(tmp_path, "p.yaml", "  old:\n    component: add@1.2.0\n    args: {a: 1, b: 2}\n"
                                        "  div: {component: divide@^1, args: {a: 1, b: 2}}\n")
    done = creg("--registry", str(registry_dir), "outdated", str(path))
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["LOCATION", "USED", "BY", "REFERENCE", "IN", "USE", "WANTED", "LATEST", "STATE"]
    assert lines[1].split() == [f"{path}:4:16", "task", "old", "add@1.2.0", "1.2.0", "1.2.0", "2.1.0", "deprecated"]
    assert lines[2].strip() == "deprecated: rounds wrongly; use add@^1.3"
    assert lines[3].strip() == ("upgrade to 2.1.0: not safe: input 'b' was removed and the task passes it; "
                                "new required input 'scale' and the task does not pass it")
    assert lines[4].split()[-4:] == ["1.0.0", "1.0.0", "2.0.0", "outdated"]
    assert lines[5].strip() == "upgrade to 2.0.0: safe"


def test_json_has_every_field(tmp_path: Path, registry_dir: Path) -> None:
    path = pipeline(tmp_path, "p.yaml", "  old: {component: 'add@^1', args: {a: 1, b: 2}}\n")
    done = creg("--registry", str(registry_dir), "outdated", "--format", "json", str(path))
    data = json.loads(done.stdout)
    (row,) = data["references"]
    assert row == {"file": str(path), "line": 3, "column": 20, "path": "$.tasks.old.component",
                   "reference": "add@^1", "component": "add", "form": "caret", "used_by": "task old",
                   "in_use": "1.3.0", "locked": False, "wanted": "1.3.0", "latest": "2.1.0", "state": "outdated",
                   "upgrade": ["input 'b' was removed and the task passes it",
                               "new required input 'scale' and the task does not pass it"]}
    assert data["problems"] == [] and done.returncode == 1


def test_the_default_is_the_current_folder(tmp_path: Path, registry_dir: Path) -> None:
    pipeline(tmp_path / "work" / "nested", "p.yaml", "  t: {component: echo@1.0.0, args: {text: x}}\n")
    done = creg("--registry", str(registry_dir), "outdated", cwd=tmp_path / "work")
    assert "nested/p.yaml:3:18" in done.stdout and done.returncode == 1


def test_a_broken_pipeline_is_reported_and_fails(tmp_path: Path, registry_dir: Path) -> None:
    bad = pipeline(tmp_path, "bad.yaml", "  t: {component: add@1.0.0\n")
    done = creg("--registry", str(registry_dir), "outdated", str(bad))
    assert done.returncode == 1 and f"{bad}:4:1: error: invalid YAML" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_unknown_component_is_named_with_a_suggestion(tmp_path: Path, registry_dir: Path) -> None:
    path = pipeline(tmp_path, "p.yaml", "  t: {component: divid@1.0.0}\n")
    done = creg("--registry", str(registry_dir), "outdated", str(path))
    assert done.returncode == 1 and "unknown component 'divid' (did you mean 'divide'?)" in done.stdout


def test_a_file_that_is_no_pipeline_is_a_clear_error(tmp_path: Path, registry_dir: Path) -> None:
    other = tmp_path / "x.yaml"
    other.write_text("hello: world\n", encoding="utf-8")
    done = creg("--registry", str(registry_dir), "outdated", str(other))
    assert done.returncode == 1
    assert f"{other}:1:1: error: $: not a pipeline (no 'tasks') nor a graph component" in done.stderr
