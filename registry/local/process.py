"""Run one Argo container template as a process on this machine.

The image is not pulled: its command runs on the host, so the runner suits components whose
programs exist here (python3, sh, ...).  Paths the template declares — input and output
artifacts, output parameter files, volume mounts — are mapped into the node's own folder
under the run directory, and every argument that mentions one is rewritten to match, so
parallel tasks never share ``/tmp/outputs``.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from io import BufferedReader
from pathlib import Path
from typing import BinaryIO, cast

from registry.errors import CregError
from registry.sources.store import cache_root
from registry.local.backoff import Backoff
from registry.local.pyenv import environment_for, isolate, requirements
from registry.local.signals import ProcessGroups, Stopped
from registry.local.variables import RETRIES_MARK
from registry.local.workflow import ArtifactYaml, ContainerYaml, EnvVarYaml, ParameterYaml, TemplateYaml, VolumeMountYaml

SECRET_ENV_PREFIX = "CREG_SECRET_"


# Where a script template's source is written, as Argo's executor does; mapped like any path.
SCRIPT_PATH = "/argo/staging/script"
# Argo keeps at most this much of a program's standard output as its ``outputs.result``.
RESULT_LIMIT = 256 * 1024


class NodeFailed(CregError):
    """A container exited non-zero, timed out, or did not write a declared output."""

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class ContainerTemplate:
    """What running an Argo container template reads of it; a missing section reads as empty."""

    argv: list[object]  # the command, then the args
    env: list[EnvVarYaml] = field(default_factory=list)
    volume_mounts: list[VolumeMountYaml] = field(default_factory=list)
    input_artifacts: list[ArtifactYaml] = field(default_factory=list)
    output_parameters: list[ParameterYaml] = field(default_factory=list)
    output_artifacts: list[ArtifactYaml] = field(default_factory=list)
    retry_limit: int | str = 0
    backoff: Backoff = Backoff()
    deadline: int | str | None = None  # activeDeadlineSeconds
    source: str | None = None  # a script template's program, run as the command's last argument

    @classmethod
    def of(cls, template: TemplateYaml) -> ContainerTemplate:
        script = template.get("script")
        container: ContainerYaml = template.get("container") or script or {}
        inputs, outputs = template.get("inputs", {}), template.get("outputs", {})
        middle = [SCRIPT_PATH] if script is not None else []
        return cls(argv=[*container.get("command", []), *middle, *container.get("args", [])],
                   source=str(script.get("source", "")) if script is not None else None,
                   env=container.get("env", []), volume_mounts=container.get("volumeMounts", []),
                   input_artifacts=inputs.get("artifacts", []),
                   output_parameters=outputs.get("parameters", []),
                   output_artifacts=outputs.get("artifacts", []),
                   retry_limit=template.get("retryStrategy", {}).get("limit", 0),
                   backoff=Backoff.of(cast(Mapping[str, object], template.get("retryStrategy", {}))),
                   deadline=template.get("activeDeadlineSeconds"))


@dataclass
class Container:
    """What the runner hands over: a template plus the values of its inputs."""

    template: ContainerTemplate
    folder: Path
    volumes: Mapping[str, Path]
    input_artifacts: dict[str, Path] = field(default_factory=dict)
    workflow_deadline: float | None = None  # time.monotonic() by which the whole run must end
    groups: ProcessGroups = field(default_factory=ProcessGroups)

    def seconds_left(self) -> float | None:
        """The tighter of the template's own deadline and what is left of the workflow's."""
        limits = []
        if self.template.deadline:
            limits.append(float(self.template.deadline))
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
    result: str = ""  # what the program printed on standard output (Argo's outputs.result)
    exit_code: int = 0


def secret_variable(secret: str, key: str) -> str:
    """``CREG_SECRET_<SECRET>_<KEY>``, upper-cased, other characters as ``_``."""
    return SECRET_ENV_PREFIX + re.sub(r"[^A-Za-z0-9]", "_", f"{secret}_{key}").upper()


def path_map(container: Container) -> list[tuple[str, str]]:
    """(path in the container, path on this machine), longest first so prefixes nest."""
    template, pairs = container.template, {}
    for item in template.input_artifacts:
        pairs[item["path"]] = container.folder / "inputs" / item["name"] / "data"
    for item in template.output_artifacts:
        pairs[item["path"]] = container.folder / "outputs" / item["name"] / "data"
    for parameter in template.output_parameters:
        path = parameter.get("valueFrom", {}).get("path")
        if path:
            pairs.setdefault(path, container.folder / "outputs" / "parameters" / parameter["name"])
    for mount in template.volume_mounts:
        pairs[mount["mountPath"]] = container.volumes[mount["name"]] / mount.get("subPath", "")
    if template.source is not None:
        pairs[SCRIPT_PATH] = container.folder / "script"
    for folder in declared_folders(template):
        # The folders above a declared path are the task's own too: 'mkdir -p /tmp/data' before
        # writing /tmp/data/out.csv must not touch this machine's /tmp.
        pairs.setdefault(folder, container.folder / "root" / folder.lstrip("/"))
    return sorted(((k, str(v)) for k, v in pairs.items()), key=lambda kv: -len(kv[0]))


# Top-level folders a task's command uses as the machine's own (programs, devices, scratch);
# a declared path under them still maps, but they are never mapped whole.
SYSTEM_FOLDERS = frozenset({"/", "/tmp", "/usr", "/bin", "/sbin", "/lib", "/lib64", "/etc", "/dev", "/proc",
                            "/sys", "/run", "/var", "/opt", "/home", "/root", "/srv", "/mnt", "/media", "/boot"})


def declared_folders(template: ContainerTemplate) -> list[str]:
    """Every folder above a declared input or output path (not system folders such as /tmp)."""
    paths = [a.get("path", "") for a in [*template.input_artifacts, *template.output_artifacts]]
    paths += [p.get("valueFrom", {}).get("path", "") for p in template.output_parameters]
    folders: set[str] = set()
    for path in filter(None, paths):
        parent = os.path.dirname(path.rstrip("/"))
        while parent.startswith("/") and parent not in SYSTEM_FOLDERS:
            folders.add(parent)
            parent = os.path.dirname(parent)
    return sorted(folders)


def rewrite(text: str, paths: list[tuple[str, str]]) -> str:
    """Every declared path in ``text``, as a whole path, replaced by its place in the run folder.

    A path counts where it stands as a path: not inside a longer name (``/tmp/x`` is not in
    ``/a/tmp/x`` or ``/tmp/xy``), followed by a sub-path or anything that cannot continue a
    file name (``)``, ``|``, quotes, ...).  One pass over the text, longest path first, so a
    replacement is never itself rewritten (a volume at ``/data`` never touches the run
    folder's ``.../outputs/x/data``).
    """
    if not paths:
        return text
    table = {inside.rstrip("/") or "/": outside for inside, outside in paths}
    pattern = _path_pattern(tuple(table))
    return pattern.sub(lambda match: table[match.group(1)], text)


@functools.lru_cache(maxsize=256)
def _path_pattern(insides: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(inside) for inside in sorted(insides, key=len, reverse=True))
    return re.compile(r"(?<![\w.~/-])(" + alternatives + r")(?![\w.~-])")


# What a program needs to start on this machine.  Nothing else of creg's environment reaches a
# task: on Argo a pod sees only what its template names, and creg's own environment holds
# CREG_SECRET_* values, ARGO_TOKEN and cloud keys that other tasks must not read.
BASE_ENVIRONMENT = ("PATH", "HOME", "LANG", "LANGUAGE", "TMPDIR", "TZ", "TERM", "USER", "LOGNAME", "SHELL")


def base_environment() -> dict[str, str]:
    names = [n for n in os.environ if n in BASE_ENVIRONMENT or n.startswith("LC_")]
    return {name: os.environ[name] for name in names}


def process_environment(template: ContainerTemplate) -> dict[str, str]:
    """A minimal base (PATH, HOME, locale, TMPDIR) plus the template's own env; a secret it
    names comes from ``CREG_SECRET_<SECRET>_<KEY>``."""
    env = base_environment()
    for item in template.env:
        if "value" in item:
            env[item["name"]] = str(item["value"])
            continue
        ref = item.get("valueFrom", {}).get("secretKeyRef", {})
        variable = secret_variable(ref.get("name", ""), ref.get("key", ""))
        if variable not in os.environ:
            raise NodeFailed(f"env {item['name']} comes from secret {ref.get('name')!r} key "
                             f"{ref.get('key')!r}; set {variable} to run it locally")
        env[item["name"]] = os.environ[variable]
    return env


def make_output_folders(container: Container, paths: list[tuple[str, str]]) -> None:
    """The parent of every mapped output path exists before the program starts, as in a pod
    (a script's ``mkdir -p /tmp/data`` would otherwise run against this machine's /tmp)."""
    mapping = dict(paths)
    template = container.template
    declared = [a["path"] for a in template.output_artifacts] + [
        p.get("valueFrom", {}).get("path", "") for p in template.output_parameters]
    for path in filter(None, declared):
        Path(mapping[path]).parent.mkdir(parents=True, exist_ok=True)
    for folder in declared_folders(template):
        Path(mapping[folder]).mkdir(parents=True, exist_ok=True)
    for mount in template.volume_mounts:
        if mount.get("subPath"):  # as the kubelet does, the sub-folder is made when missing
            Path(mapping[mount["mountPath"]]).mkdir(parents=True, exist_ok=True)


def stage_inputs(container: Container, paths: list[tuple[str, str]]) -> None:
    mapping = dict(paths)
    for item in container.template.input_artifacts:
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
    """The output parameters' values and the output artifacts' files, once the program ended."""
    mapping = dict(paths)
    return _output_parameters(container, mapping), _output_artifacts(container, mapping)


def _output_parameters(container: Container, mapping: dict[str, str]) -> dict[str, str]:
    parameters: dict[str, str] = {}
    for parameter in container.template.output_parameters:
        if "path" not in parameter.get("valueFrom", {}):  # a fixed value (KFP's subpaths), substituted already
            parameters[parameter["name"]] = str(parameter.get("value", parameter.get("valueFrom", {}).get("default", "")))
            continue
        file = Path(mapping[parameter["valueFrom"]["path"]])
        if file.is_file():
            parameters[parameter["name"]] = file.read_text(encoding="utf-8").strip()
        elif "default" in parameter.get("valueFrom", {}):
            parameters[parameter["name"]] = str(parameter["valueFrom"]["default"])
        else:
            raise NodeFailed(f"output parameter {parameter['name']!r}: the program wrote no file at "
                             f"{parameter['valueFrom']['path']}")
    return parameters


def _output_artifacts(container: Container, mapping: dict[str, str]) -> dict[str, Path]:
    artifacts = {}
    for artifact in container.template.output_artifacts:
        file = Path(mapping[artifact["path"]])
        if not file.exists() and not artifact.get("optional"):
            raise NodeFailed(f"output artifact {artifact['name']!r}: nothing written at {artifact['path']}")
        artifacts[artifact["name"]] = file
    return artifacts


def run_on_host(container: Container) -> Outcome:
    """Run the template's command (retrying as its retryStrategy says); raise NodeFailed."""
    paths = path_map(container)
    argv = [rewrite(str(part), paths) for part in container.template.argv]
    if not argv:
        raise NodeFailed("the container has no command; the local runner cannot use the image's entrypoint")
    env, log = process_environment(container.template), container.folder / "log.txt"
    wanted = requirements(argv)
    if wanted is not None:  # pip installs into a virtualenv of the task's own, never creg's
        env = isolate(env, environment_for(wanted, cache_root()))
    if any("\x00" in part.replace(RETRIES_MARK, "") for part in [*argv, *env.values()]):
        # No program can receive it: the kernel passes arguments as NUL-terminated strings.
        raise NodeFailed("an argument or environment value holds a NUL character, which no program can receive")
    start, attempts, code, attempt = time.monotonic(), 1 + int(container.template.retry_limit), 0, 0
    for attempt in range(1, attempts + 1):
        _fresh_files(container.folder)
        stage_inputs(container, paths)
        make_output_folders(container, paths)
        if container.template.source is not None:
            container.folder.mkdir(parents=True, exist_ok=True)
            source = rewrite(container.template.source, paths).replace(RETRIES_MARK, str(attempt - 1))
            (container.folder / "script").write_text(source, encoding="utf-8")
        numbered = _attempt(argv, env, attempt - 1)
        code = _run_once(*numbered, container, log)
        if code == 0:
            parameters, artifacts = collect_outputs(container, paths)
            return Outcome(parameters, artifacts, log, attempt, time.monotonic() - start,
                           _result(container.folder), code)
        if attempt < attempts and not _wait_to_retry(container, attempt, time.monotonic() - start, log):
            break
    raise NodeFailed(f"{argv[0]} failed {attempt} time(s); {log} ends with:\n{_tail(log)}", code)


def _wait_to_retry(container: Container, retry: int, elapsed: float, log: Path) -> bool:
    """Wait as the backoff says; False when the run stopped or maxDuration has passed."""
    delay = container.template.backoff.delay(retry, elapsed)
    if delay is None:
        with log.open("a", encoding="utf-8") as out:
            out.write("creg run: retryStrategy.backoff.maxDuration has passed; no more retries\n")
        return False
    return not container.groups.pause(delay)  # a stopped run retries nothing


def _attempt(argv: list[str], env: dict[str, str], retries: int) -> tuple[list[str], dict[str, str]]:
    """``{{retries}}`` is the number of this attempt, counted from 0."""
    number = str(retries)
    return ([part.replace(RETRIES_MARK, number) for part in argv],
            {k: v.replace(RETRIES_MARK, number) for k, v in env.items()})


def _result(folder: Path) -> str:
    """Argo's ``outputs.result``: standard output, less its final newline."""
    data = (folder / "stdout").read_bytes()[:RESULT_LIMIT]
    return data.decode("utf-8", errors="replace").removesuffix("\n")


def _tail(log: Path, lines: int = 3) -> str:
    text = log.read_text(encoding="utf-8", errors="replace").rstrip().splitlines()[-lines:]
    return "\n".join(f"    {line}" for line in text) or "    (no output)"


def _fresh_files(folder: Path) -> None:
    """An attempt starts without the files of an earlier one, so a stale output never counts."""
    for part in ("inputs", "outputs", "root"):
        shutil.rmtree(folder / part, ignore_errors=True)


def _run_once(argv: list[str], env: dict[str, str], container: Container, log: Path) -> int:
    folder, seconds = container.folder, container.seconds_left()
    folder.mkdir(parents=True, exist_ok=True)
    # Owner-only: a task's log may hold the values of the secrets it was given.
    with _owner_only(log, os.O_APPEND) as out, _owner_only(folder / "stdout", os.O_TRUNC) as stdout:
        try:
            # A process group of its own, so a timeout or a stop ends the program's children too.
            process = container.groups.popen(argv, env=env, cwd=folder, stdout=subprocess.PIPE,
                                             stderr=out, stdin=subprocess.DEVNULL)
        except FileNotFoundError:
            out.write(f"creg run: program {argv[0]!r} is not installed on this machine\n".encode())
            return 127
        except Stopped as exc:
            out.write(f"creg run: {exc}\n".encode())
            return 143
        copier = threading.Thread(target=_tee, args=(process, out, stdout), daemon=True)
        copier.start()
        code = _wait(process, seconds, out, container.groups)
        copier.join()
        return code


def _owner_only(path: Path, mode: int) -> BinaryIO:
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | mode, 0o600), "ab")


def _tee(process: subprocess.Popen[bytes], log: BinaryIO, stdout: BinaryIO) -> None:
    """Standard output goes to the log (in order with the errors) and to ``outputs.result``."""
    pipe = cast(BufferedReader, process.stdout)
    for chunk in iter(lambda: pipe.read1(65536), b""):
        log.write(chunk)
        log.flush()
        stdout.write(chunk)


def _wait(process: subprocess.Popen[bytes], seconds: float | None, out: BinaryIO, groups: ProcessGroups) -> int:
    try:
        code = process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        out.write(f"creg run: timed out after {seconds:g}s\n".encode())
        code = 124
    groups.reap(process)  # ends what the program left running, which also closes its output
    if groups.stopping:
        out.write(f"creg run: stopped ({groups.stopped_by})\n".encode())
    return code
