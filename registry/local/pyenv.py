"""An isolated Python environment for a task that installs packages (``from-func --packages``).

In a pod, ``python3 -m pip install numpy`` changes only the container.  On this machine the same
command would install into whatever ``python3`` is first on PATH, often the virtualenv creg
itself runs in.  So a task whose command runs ``pip install`` gets a virtualenv of its own,
first on its PATH, kept in creg's cache folder under a key made of the requirement set (and
the Python version): the next task or run asking for the same packages reuses it.  Creating
one is locked, and done in a temporary folder renamed into place, so parallel tasks and a
killed run never leave half an environment behind.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from registry.errors import CregError

# ``pip install [options] requirement...`` up to the end of that shell command.
READY = ".creg-ready"
_PIP_INSTALL = re.compile(r"\bpip3?\s+install((?:\s+[^\s|&;()]+)+)")


class EnvironmentFailed(CregError):
    """The isolated environment could not be made."""


def requirements(argv: list[str]) -> list[str] | None:
    """The requirements the command installs with pip, sorted; None when it installs none."""
    found: set[str] = set()
    for part in argv:
        for match in _PIP_INSTALL.finditer(part):
            found |= {word.strip("'\"") for word in match.group(1).split() if not word.startswith("-")}
    return sorted(found) if found else None


def environment_for(wanted: list[str], cache: Path) -> Path:
    """The virtualenv for this requirement set, made once (under a lock) and then reused."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    key = hashlib.sha256("\n".join([version, *wanted]).encode()).hexdigest()[:24]
    folder = cache / "envs" / f"py{version}-{key}"
    if (folder / READY).is_file():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f".{folder.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / READY).is_file():
            _create(folder)
    return folder


def _create(folder: Path) -> None:
    """A virtualenv's scripts hold its absolute path, so it is made in place; the READY file,
    written last, tells a whole one from what a killed run left (which is made again)."""
    shutil.rmtree(folder, ignore_errors=True)
    # The base interpreter, not creg's own environment, so nothing of creg's packages leaks in.
    base = getattr(sys, "_base_executable", sys.executable)
    done = subprocess.run([base, "-m", "venv", str(folder)], capture_output=True, text=True)
    if done.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise EnvironmentFailed(f"cannot make an isolated Python environment: {done.stderr.strip()[-300:]}")
    (folder / READY).write_text("\n".join(["made by creg run for a task's pip install"]) + "\n")


def isolate(env: dict[str, str], folder: Path) -> dict[str, str]:
    """The task's environment with the virtualenv first on PATH, as if activated."""
    return {**env, "VIRTUAL_ENV": str(folder), "PATH": f"{folder / 'bin'}{os.pathsep}{env.get('PATH', '')}",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PYTHONNOUSERSITE": "1"}
