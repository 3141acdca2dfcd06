"""Helpers for the publishing tests: component folders, a loopback HTTP server, running commands."""

from __future__ import annotations

import contextlib
import functools
import http.server
import subprocess
import sys
import tarfile
import threading
from pathlib import Path
from typing import Any, Iterator

import yaml

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data" / "publish"
CREG = [sys.executable, "-m", "registry"]


def component_text(inputs: list[dict[str, Any]] | None = None, outputs: list[dict[str, Any]] | None = None,
                   description: str = "Adds two numbers.", image: str = "python:3.11") -> str:
    """A valid component.yaml; the interface varies per test."""
    inputs = [{"name": "a", "type": "Float"}, {"name": "b", "type": "Float"}] if inputs is None else inputs
    outputs = [{"name": "sum", "type": "Float"}] if outputs is None else outputs
    args: list[Any] = []
    for item in inputs:
        args += [f"--{item['name']}", {"inputValue": item["name"]}]
    for item in outputs:
        args += [f"--{item['name']}", {"outputPath": item["name"]}]
    data = {"name": "Add", "description": description, "inputs": inputs, "outputs": outputs,
            "implementation": {"container": {"image": image, "command": ["add"], "args": args}}}
    return yaml.safe_dump(data, sort_keys=False)


def make_component(base: Path, name: str, version: str, text: str | None = None,
                   extra: dict[str, str] | None = None) -> Path:
    """``base/<name>/<version>/component.yaml`` (+ extra files); returns the folder."""
    folder = base / name / version
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "component.yaml").write_text(text if text is not None else component_text())
    for file, content in (extra or {}).items():
        (folder / file).write_text(content)
    return folder


def creg(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CREG, *args], capture_output=True, text=True, timeout=120, cwd=cwd)


def tar_folder(source: Path, top: str, out: Path) -> Path:
    """A GitHub-style tag archive: every file of ``source`` below the top-level folder ``top``."""
    with tarfile.open(out, "w:gz") as tar:
        tar.add(source, arcname=top)
    return out


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        pass


@contextlib.contextmanager
def http_server(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def resolve_command(container: dict[str, Any], values: dict[str, str], outputs: dict[str, Path],
                    python: str = sys.executable) -> list[str]:
    """A container's command + args with placeholders filled in, as a KFP launcher would."""
    line: list[str] = []
    for item in list(container.get("command", [])) + list(container.get("args", [])):
        line += _expand(item, values, outputs)
    return [python if part == "python3" else part for part in line]


def _expand(item: Any, values: dict[str, str], outputs: dict[str, Path]) -> list[str]:
    if isinstance(item, str):
        return [item]
    if "inputValue" in item:
        return [values[item["inputValue"]]]
    if "inputPath" in item:  # the value given is the file's path
        return [values[item["inputPath"]]]
    if "outputPath" in item:
        return [str(outputs[item["outputPath"]])]
    if "if" in item:
        branch = "then" if item["if"]["cond"]["isPresent"] in values else "else"
        return [part for sub in item["if"].get(branch, []) for part in _expand(sub, values, outputs)]
    raise AssertionError(f"unexpected placeholder {item!r}")
