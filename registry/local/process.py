"""Run one Argo container template as a process on this machine.

The image is not pulled: its command runs on the host, so the runner suits components whose
programs exist here (python3, sh, ...).  Paths the template declares — input and output
artifacts, output parameter files, volume mounts — are mapped into the node's own folder
under the run directory, and every argument that mentions one is rewritten to match, so
parallel tasks never share ``/tmp/outputs``.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from registry.errors import CregError

SECRET_ENV_PREFIX = "CREG_SECRET_"


class NodeFailed(CregError):
    """A container exited non-zero, timed out, or did not write a declared output."""


@dataclass
class Container:
    """What the runner hands over: a template plus the values of its inputs."""

    template: Mapping[str, Any]
    folder: Path
    volumes: Mapping[str, Path]
    input_artifacts: dict[str, Path] = field(default_factory=dict)
    workflow_deadline: float | None = None  # time.monotonic() by which the whole run must end

    def seconds_left(self) -> float | None:
        """The tighter of the template's own deadline and what is left of the workflow's."""
        limits = []
        if self.template.get("activeDeadlineSeconds"):
            limits.append(float(self.template["activeDeadlineSeconds"]))
        if self.workflow_deadline is not None:
            limits.append(max(0.0, self.workflow_deadline - time.monotonic()))
        return min(limits) if limits else None


@dataclass
class Outcome:
    parameters: dict[str, str]
    artifacts: dict[str, Path]
    log: Path
    attempts: int
    seconds: float


def secret_variable(secret: str, key: str) -> str:
    """``CREG_SECRET_<SECRET>_<KEY>``, upper-cased, other characters as ``_``."""
    return SECRET_ENV_PREFIX + re.sub(r"[^A-Za-z0-9]", "_", f"{secret}_{key}").upper()


def path_map(container: Container) -> list[tuple[str, str]]:
    """(path in the container, path on this machine), longest first so prefixes nest."""
    template, pairs = container.template, {}
    for item in (template.get("inputs") or {}).get("artifacts") or []:
        pairs[item["path"]] = container.folder / "inputs" / item["name"] / "data"
    for item in (template.get("outputs") or {}).get("artifacts") or []:
        pairs[item["path"]] = container.folder / "outputs" / item["name"] / "data"
    for item in (template.get("outputs") or {}).get("parameters") or []:
        path = (item.get("valueFrom") or {}).get("path")
        if path:
            pairs.setdefault(path, container.folder / "outputs" / "parameters" / item["name"])
    for mount in (template.get("container") or {}).get("volumeMounts") or []:
        pairs[mount["mountPath"]] = container.volumes[mount["name"]]
    return sorted(((k, str(v)) for k, v in pairs.items()), key=lambda kv: -len(kv[0]))


def rewrite(text: str, paths: list[tuple[str, str]]) -> str:
    for inside, outside in paths:
        text = re.sub(re.escape(inside) + r"(?=/|$|\s|[\"':;,])", lambda _: outside, text)
    return text


def environment(template: Mapping[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    for item in (template.get("container") or {}).get("env") or []:
        if "value" in item:
            env[item["name"]] = str(item["value"])
            continue
        ref = (item.get("valueFrom") or {}).get("secretKeyRef") or {}
        variable = secret_variable(ref.get("name", ""), ref.get("key", ""))
        if variable not in os.environ:
            raise NodeFailed(f"env {item['name']} comes from secret {ref.get('name')!r} key "
                             f"{ref.get('key')!r}; set {variable} to run it locally")
        env[item["name"]] = os.environ[variable]
    return env


def stage_inputs(container: Container, paths: list[tuple[str, str]]) -> None:
    mapping = dict(paths)
    for item in (container.template.get("inputs") or {}).get("artifacts") or []:
        target = Path(mapping[item["path"]])
        target.parent.mkdir(parents=True, exist_ok=True)
        source = container.input_artifacts.get(item["name"])
        if source is not None and source.is_dir():
            shutil.copytree(source, target)
        elif source is not None:
            shutil.copyfile(source, target)
        elif "raw" in item:
            target.write_text(str(item["raw"]["data"]), encoding="utf-8")
        else:
            raise NodeFailed(f"input artifact {item['name']!r} has no value")


def collect_outputs(container: Container, paths: list[tuple[str, str]]) -> tuple[dict[str, str], dict[str, Path]]:
    mapping, outputs = dict(paths), container.template.get("outputs") or {}
    parameters: dict[str, str] = {}
    for item in outputs.get("parameters") or []:
        file = Path(mapping[item["valueFrom"]["path"]])
        if file.is_file():
            parameters[item["name"]] = file.read_text(encoding="utf-8").strip()
        elif "default" in (item.get("valueFrom") or {}):
            parameters[item["name"]] = str(item["valueFrom"]["default"])
        else:
            raise NodeFailed(f"output parameter {item['name']!r}: the program wrote no file at "
                             f"{item['valueFrom']['path']}")
    artifacts = {}
    for item in outputs.get("artifacts") or []:
        file = Path(mapping[item["path"]])
        if not file.exists() and not item.get("optional"):
            raise NodeFailed(f"output artifact {item['name']!r}: nothing written at {item['path']}")
        artifacts[item["name"]] = file
    return parameters, artifacts


def attempts_allowed(template: Mapping[str, Any]) -> int:
    limit = (template.get("retryStrategy") or {}).get("limit", 0)
    return 1 + int(limit)


def run_container(container: Container) -> Outcome:
    """Run the template's command (retrying as its retryStrategy says); raise NodeFailed."""
    paths = path_map(container)
    spec = container.template.get("container") or {}
    argv = [rewrite(str(part), paths) for part in (spec.get("command") or []) + (spec.get("args") or [])]
    if not argv:
        raise NodeFailed("the container has no command; the local runner cannot use the image's entrypoint")
    env, log = environment(container.template), container.folder / "log.txt"
    start, attempts = time.monotonic(), attempts_allowed(container.template)
    for attempt in range(1, attempts + 1):
        _fresh_files(container.folder)
        stage_inputs(container, paths)
        if _run_once(argv, env, container.folder, log, container.seconds_left()) == 0:
            parameters, artifacts = collect_outputs(container, paths)
            return Outcome(parameters, artifacts, log, attempt, time.monotonic() - start)
    raise NodeFailed(f"{argv[0]} failed {attempts} time(s); {log} ends with:\n{_tail(log)}")


def _tail(log: Path, lines: int = 3) -> str:
    text = log.read_text(encoding="utf-8", errors="replace").rstrip().splitlines()[-lines:]
    return "\n".join(f"    {line}" for line in text) or "    (no output)"


def _fresh_files(folder: Path) -> None:
    """An attempt starts without the files of an earlier one, so a stale output never counts."""
    for part in ("inputs", "outputs"):
        shutil.rmtree(folder / part, ignore_errors=True)


def _run_once(argv: list[str], env: dict[str, str], folder: Path, log: Path, seconds: float | None) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        try:
            # A session of its own, so a timeout ends the program's children too (sh -c ...).
            process = subprocess.Popen(argv, env=env, cwd=folder, stdout=out, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True)
        except FileNotFoundError:
            out.write(f"creg run: program {argv[0]!r} is not installed on this machine\n".encode())
            return 127
        try:
            return process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            out.write(f"creg run: timed out after {seconds:g}s\n".encode())
            return 124
