"""Mistakes a component author makes with new / publish / from-func (user acceptance findings)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import yaml

from helpers_pipelines import CREG, ROOT


def run_creg(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CREG), *args], capture_output=True, text=True, env={**os.environ}, cwd=cwd)


def test_publish_with_another_version_keeps_the_component_name(tmp_path: Path) -> None:
    folder = tmp_path / "src" / "add" / "1.0.0"
    shutil.copytree(ROOT / "components" / "add" / "1.0.0", folder)
    result = run_creg("publish", str(folder), "--to", "reg", "--version", "0.9.0", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "published add@0.9.0" in result.stdout
    index = yaml.safe_load((tmp_path / "reg" / "index.yaml").read_text())
    assert list(index["components"]) == ["add"]


def test_new_refuses_an_image_no_cluster_can_pull(tmp_path: Path) -> None:
    for image in ("", "  "):
        result = run_creg("new", "hello", "--image", image, "--dir", "out", cwd=tmp_path)
        assert result.returncode == 2 and "is not an image reference" in result.stderr
    assert not (tmp_path / "out").exists()


def test_new_starts_on_a_semantic_version(tmp_path: Path) -> None:
    # publish compares every later version with this one, which needs MAJOR.MINOR.PATCH
    for version in ("1.0", "nightly", "v1"):
        result = run_creg("new", "hello", "--version", version, "--dir", "out", cwd=tmp_path)
        assert result.returncode == 2 and "not a semantic version" in result.stderr, result.stderr
    assert not (tmp_path / "out").exists()
    assert run_creg("new", "hello", "--version", "1.0.0", "--dir", "out", cwd=tmp_path).returncode == 0


def test_from_func_target_mistakes(tmp_path: Path) -> None:
    shutil.copy(ROOT / "tests" / "data" / "publish" / "chapter_functions.py", tmp_path)
    no_function = run_creg("component", "from-func", "chapter_functions.py", "-o", "x.yaml", cwd=tmp_path)
    assert no_function.returncode == 2 and "expected FILE.py:FUNCTION" in no_function.stderr
    missing = run_creg("component", "from-func", "nothere.py:add", "-o", "x.yaml", cwd=tmp_path)
    assert missing.returncode == 1
    assert "nothere.py: error: cannot read: No such file or directory" in missing.stderr
    assert "Errno" not in missing.stderr and not (tmp_path / "x.yaml").exists()


def test_the_scaffold_readme_pipeline_lints_and_the_component_validates(tmp_path: Path) -> None:
    """What 'creg new' tells an author to run and write is what publish and 'creg lint' accept."""
    import re
    import shlex

    assert run_creg("new", "text/hello", "--dir", "out", cwd=tmp_path).returncode == 0
    folder = tmp_path / "out" / "text" / "hello" / "0.1.0"
    validated = run_creg("validate", str(folder), cwd=tmp_path)
    assert validated.returncode == 0 and validated.stderr.strip() == "1 file, 0 invalid", validated.stderr
    readme = (folder / "README.md").read_text()
    commands = [shlex.split(c.replace("REGISTRY_DIR", "reg")) for c in re.findall(r"`(creg [^`]*)`", readme)]
    publish = next(c for c in commands if c[1] == "publish")
    published = run_creg(*publish[1:], cwd=tmp_path)
    assert published.returncode == 0 and "published text/hello@0.1.0" in published.stdout, published.stderr
    snippets = re.findall(r"```yaml\n(.*?)```", readme, flags=re.S)
    assert len(snippets) == 1
    (tmp_path / "pipeline.yaml").write_text(snippets[0])
    lint = next(c for c in commands if "lint" in c)
    linted = run_creg(*lint[1:], cwd=tmp_path)
    assert linted.returncode == 0, linted.stderr
    assert linted.stderr.strip() == "1 pipeline, 0 problem(s)"
