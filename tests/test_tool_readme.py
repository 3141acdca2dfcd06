"""The README stays true: every command in its ``sh`` blocks runs as written."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
SETUP = ("make demo", "make test")  # the set-up commands are CI's own job


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def commands() -> list[str]:
    lines = (line.split("#")[0].strip() for block in blocks("sh") for line in block.splitlines())
    return [line for line in lines if line and not line.startswith(SETUP)]


def test_readme_opens_with_the_two_setup_commands() -> None:
    first = blocks("sh")[0]
    assert [line.split("#")[0].strip() for line in first.strip().splitlines()] == list(SETUP)


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    copy = tmp_path / "creg"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".venv*", ".git", "build", "__pycache__"))
    return copy


def test_every_readme_command_runs(checkout: Path) -> None:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    assert len(commands()) >= 15
    for command in commands():
        result = subprocess.run(command, shell=True, cwd=checkout, env=env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"


def test_readme_python_runs(checkout: Path) -> None:
    (code,) = blocks("python")
    result = subprocess.run([sys.executable, "-c", code], cwd=checkout, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_readme_error_example_is_what_creg_prints(checkout: Path) -> None:
    bad = checkout / "bad.yaml"
    bad.write_text(BAD_SPEC, encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "registry", "validate", "bad.yaml"],
                            cwd=checkout, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    (shown,) = blocks("text")[:1]
    for line in shown.strip().splitlines():
        assert line in result.stderr


BAD_SPEC = """\
name: add
inputs:
- {name: a, type: Float}
- {name: b, type: Float}
implementation:
  container:
    image: python:3.11-slim
    args:
    - --a
    - inputValu: a
    - --c
    - inputPath: c
"""
