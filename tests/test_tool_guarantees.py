"""The README's "What creg guarantees" transcript runs as written.

Each ``$ command`` line runs in a shell in a fresh copy of the checkout (``# exit N`` after it
gives the expected status, else 0); each line after it must match a line of the command's
output, where ``...`` stands for any text.
"""

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


def section() -> str:
    found = re.search(r"^## What creg guarantees\n(.*?)^## ", README, flags=re.S | re.M)
    assert found, "the README has no 'What creg guarantees' section"
    return found.group(1)


def transcript() -> list[tuple[str, int, list[str]]]:
    """``(command, expected exit status, expected output lines)`` in order."""
    steps: list[tuple[str, int, list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", section(), flags=re.S):
        for line in block.splitlines():
            if line.startswith("$ "):
                command, _, comment = line[2:].partition("    #")
                status = re.search(r"exit (\d+)", comment)
                steps.append((command.strip(), int(status.group(1)) if status else 0, []))
            elif line.strip():
                steps[-1][2].append(line)
    return steps


def matches(expected: str, output: str) -> bool:
    pattern = ".*".join(re.escape(part) for part in expected.split("..."))
    return any(re.fullmatch(pattern, line.rstrip()) for line in output.splitlines())


def test_the_transcript_names_each_guarantee_it_shows() -> None:
    commands = " ".join(command for command, _, _ in transcript())
    for needed in ("publish", "deprecate", "pull", "index build", "--clean", "lock", "--frozen"):
        assert needed in commands


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    copy = tmp_path / "creg"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".venv*", ".git", "build", "__pycache__"))
    return copy


def test_the_guarantees_transcript_runs_as_written(checkout: Path) -> None:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    for command, status, expected in transcript():
        result = subprocess.run(command, shell=True, cwd=checkout, env=env, capture_output=True, text=True,
                                timeout=120)
        output = result.stdout + result.stderr
        assert result.returncode == status, f"{command}\n{output}"
        for line in expected:
            assert matches(line, output), f"{command}: no line matches {line!r} in\n{output}"
