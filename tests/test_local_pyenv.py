"""A task that runs ``pip install`` (``from-func --packages``) installs into a virtualenv of its
own, cached by its requirement set, never into the interpreter creg runs in."""

from __future__ import annotations

import sys
from pathlib import Path

from registry.component.fromfunc import container_command
from registry.local.pyenv import READY, requirements
from registry.local.runner import run_pipeline_file

# 'pip' is already in every fresh virtualenv, so installing it needs no network.
SHOW = "import sys; print(sys.prefix)"


def pipeline(tmp_path: Path) -> Path:
    argv = container_command(SHOW, ["pip"])
    lines = "\n".join(f"      - {part!r}" for part in argv)
    path = tmp_path / "pipeline.yaml"
    path.write_text(f"name: packages\ntasks:\n  show:\n    image: python:3.12\n    command:\n{lines}\n")
    return path


def test_pip_install_goes_into_a_cached_environment_of_its_own(tmp_path: Path) -> None:
    first = run_pipeline_file(pipeline(tmp_path), None, {}, tmp_path / "one")
    assert first.phase == "Succeeded", [(n.id, n.message) for n in first.nodes]
    prefix = Path(str(first.nodes[0].result))
    assert prefix != Path(sys.prefix) and (prefix / READY).is_file()
    assert prefix.parent.name == "envs" and prefix.is_relative_to(Path.home())  # the test's own cache folder
    made = (prefix / READY).stat().st_mtime_ns
    again = run_pipeline_file(pipeline(tmp_path), None, {}, tmp_path / "two")
    assert Path(str(again.nodes[0].result)) == prefix and (prefix / READY).stat().st_mtime_ns == made


def test_requirements_are_read_from_the_command() -> None:
    assert requirements(container_command("x", ["numpy", "pandas==2.2.0"])) == ["numpy", "pandas==2.2.0"]
    assert requirements(["sh", "-c", "pip install -q a && pip3 install b; echo pip"]) == ["a", "b"]
    assert requirements(["python3", "-c", "print('no packages')"]) is None
