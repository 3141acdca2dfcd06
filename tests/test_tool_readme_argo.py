"""The README's Argo block (```sh argo```) runs as written against the Argo Server stand-in.

``tests/test_tool_readme.py`` runs the ``sh`` blocks on a bare checkout; the commands that
need an Argo Server are fenced ``sh argo`` so that it leaves them here, where ``ARGO_SERVER``
points at the swagger-checked stand-in of ``helpers_argo``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from helpers_argo import TOKEN, ArgoStandIn, start, stop

ROOT = Path(__file__).resolve().parent.parent


def argo_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh argo\n(.*?)```", text, flags=re.S)
    lines = (line.split("#")[0].strip() for block in blocks for line in block.splitlines())
    return [line for line in lines if line]


@pytest.fixture
def argo(shared_dir: Path) -> Iterator[ArgoStandIn]:
    server = start()
    yield server
    stop(server)
    assert server.violations == []


def test_every_argo_command_of_the_readme_runs(argo: ArgoStandIn) -> None:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               ARGO_SERVER=argo.url.removeprefix("http://"), ARGO_SECURE="false", ARGO_TOKEN=TOKEN,
               CREG_SUBMIT_POLL="0.05")
    commands = argo_commands()
    assert len(commands) >= 8 and any(c.startswith("creg schedules") for c in commands)
    assert any(c.startswith("creg runs logs") for c in commands)
    for command in commands:
        result = subprocess.run(command, shell=True, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    assert argo.crons and argo.runs.items
