"""Real parts for registry tests: an HTTP server on 127.0.0.1 with switchable faults,
registry folders with index.yaml, and tar.gz/zip builders (including unsafe members)."""

from __future__ import annotations

import hashlib
import http.server
import io
import os
import subprocess
import tarfile
import threading
import time
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml

ROOT = Path(__file__).resolve().parent.parent
CREG = ROOT / ".venv" / "bin" / "creg"


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def component_text(name: str, version: str = "1.0.0", image: str = "alpine:3.19") -> str:
    return (f"name: {name}\ndescription: {name} component, version {version}\n"
            "inputs:\n- {name: a, type: Integer}\noutputs:\n- {name: out, type: Integer}\n"
            "implementation:\n  container:\n"
            f"    image: {image}\n    command: [sh, -c, 'echo $0 > $1', {{inputValue: a}}, {{outputPath: out}}]\n")


# --- HTTP server -------------------------------------------------------------------------------


@dataclass
class Faults:
    """Per-path queue of faults, consumed one per request: '500', '404', 'truncate', 'hang',
    'trickle' (body sent slowly), 'redirect:LOCATION' (a 302 to LOCATION), 'bad-gzip' (a body
    that does not decode as its Content-Encoding says).  ``always`` applies when a path's queue is empty.

    ``hold_until``: a trickled body goes out one byte per ``trickle_delay`` (so the client never
    hits its read timeout) until the predicate is true or ``hold_timeout`` seconds have passed;
    a test uses it to keep a download in flight until other clients have arrived, however slowly
    they start."""

    queue: dict[str, list[str]] = field(default_factory=dict)
    always: dict[str, str] = field(default_factory=dict)
    trickle_delay: float = 0.05
    trickle_chunk: int = 256
    hold_until: Callable[[], bool] | None = None
    hold_timeout: float = 90.0

    def take(self, path: str) -> str | None:
        pending = self.queue.get(path)
        if pending:
            return pending.pop(0)
        return self.always.get(path)


class _Handler(http.server.BaseHTTPRequestHandler):
    server: "_Server"

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        with self.server.lock:
            self.server.counts[path] += 1
            self.server.events.append(("start", path))
            fault = self.server.faults.take(path)
        try:
            self._answer(path, fault)
        finally:
            with self.server.lock:
                self.server.events.append(("end", path))

    def _answer(self, path: str, fault: str | None) -> None:
        if fault and fault.startswith("redirect:"):  # 'redirect:LOCATION', sent as it is
            self.send_response(302)
            self.send_header("Location", fault.removeprefix("redirect:"))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if fault == "bad-gzip":
            self.send_response(200)
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", "12")
            self.end_headers()
            self.wfile.write(b"not gzip at all"[:12])
            return
        if fault == "hang":
            self.server.stop.wait(30)
            return
        if fault in ("500", "404"):
            self.send_error(int(fault))
            return
        file = self.server.root / path.lstrip("/")
        if not file.is_file():
            self.send_error(404)
            return
        self._send(file.read_bytes(), fault)

    def _send(self, body: bytes, fault: str | None) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Type", "application/octet-stream")
        self.end_headers()
        if fault == "truncate":
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if fault == "trickle":
            self._trickle(body)
            return
        self.wfile.write(body)

    def _trickle(self, body: bytes) -> None:
        faults = self.server.faults
        held_until = time.monotonic() + faults.hold_timeout
        start = 0
        while start < len(body) and not self.server.stop.is_set():
            holding = faults.hold_until is not None and not faults.hold_until() and time.monotonic() < held_until
            step = 1 if holding else faults.trickle_chunk
            self.wfile.write(body[start:start + step])
            self.wfile.flush()
            start += step
            time.sleep(faults.trickle_delay)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    root: Path
    faults: Faults
    counts: Counter
    events: list[tuple[str, str]]  # ("start" | "end", path), in the order requests arrived / finished
    lock: threading.Lock
    stop: threading.Event


class RegistryServer:
    """``with RegistryServer(folder) as server: server.url`` serves ``folder`` on 127.0.0.1."""

    def __init__(self, root: Path) -> None:
        self.httpd = _Server(("127.0.0.1", 0), _Handler)
        self.httpd.root = root
        self.httpd.faults = Faults()
        self.httpd.counts = Counter()
        self.httpd.events = []
        self.httpd.lock = threading.Lock()
        self.httpd.stop = threading.Event()
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def faults(self) -> Faults:
        return self.httpd.faults

    def count(self, path: str) -> int:
        return self.httpd.counts["/" + path.lstrip("/")]

    def events(self) -> list[tuple[str, str]]:
        """``("start" | "end", path)`` of every request so far, in the order they happened."""
        with self.httpd.lock:
            return list(self.httpd.events)

    def __enter__(self) -> "RegistryServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


# --- registries --------------------------------------------------------------------------------


def write_index(root: Path, components: dict[str, list[dict[str, Any]]], name: str = "test") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    data = {"apiVersion": "creg/v1", "registry": {"name": name}, "components": components}
    path = root / "index.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def path_entry(root: Path, name: str, version: str, text: str | None = None, **extra: Any) -> dict[str, Any]:
    """Write ``components/NAME/VERSION/component.yaml`` under ``root``; return its index entry."""
    text = text if text is not None else component_text(name.replace("/", "-"), version)
    rel = f"components/{name}/{version}/component.yaml"
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_bytes(text.encode("utf-8"))
    return {"version": version, "digest": sha(text.encode("utf-8")), "description": f"{name} {version}",
            "created": "2026-11-28", "source": {"path": rel}, **extra}


def local_registry(root: Path, versions: dict[str, list[str]]) -> Path:
    """A folder registry with the given names and versions."""
    write_index(root, {name: [path_entry(root, name, v) for v in vs] for name, vs in versions.items()})
    return root


# --- archives ----------------------------------------------------------------------------------


def tar_gz(path: Path, files: dict[str, bytes], extra: list[tarfile.TarInfo] = ()) -> Path:  # type: ignore[assignment]
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
        for info in extra:
            tar.addfile(info, io.BytesIO(b"x" * info.size) if info.isfile() else None)
    return path


def zip_file(path: Path, files: dict[str, bytes], modes: dict[str, int] | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (modes or {}).get(name, 0o100644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return path


def unsafe_tar_member(kind: str) -> tarfile.TarInfo:
    """One unsafe tar member of ``kind``: absolute, dotdot, symlink, hardlink, device, fifo, oversize."""
    info = tarfile.TarInfo({"absolute": "/etc/evil", "dotdot": "pkg/../../evil"}.get(kind, "pkg/bad"))
    if kind == "symlink":
        info.type, info.linkname = tarfile.SYMTYPE, "../../etc/passwd"
    elif kind == "hardlink":
        info.type, info.linkname = tarfile.LNKTYPE, "/etc/passwd"
    elif kind == "device":
        info.type, info.devmajor, info.devminor = tarfile.CHRTYPE, 1, 3
    elif kind == "fifo":
        info.type = tarfile.FIFOTYPE
    elif kind == "oversize":
        info.size = 4096
    return info


UNSAFE_ZIP = {
    "absolute": ("/etc/evil", b"x", 0o100644),
    "dotdot": ("pkg/../../evil", b"x", 0o100644),
    "symlink": ("pkg/link", b"../../etc/passwd", 0o120777),
    "device": ("pkg/dev", b"", 0o020644),
    "fifo": ("pkg/fifo", b"", 0o010644),
    "oversize": ("pkg/big", b"y" * 4096, 0o100644),
}


def tar_tree(path: Path, folder: Path, prefix: str) -> Path:
    """Archive ``folder`` with every member under ``prefix/`` (like a GitHub tag archive)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        tar.add(folder, arcname=prefix)
    return path


# --- processes ---------------------------------------------------------------------------------


def creg(*args: str, env: dict[str, str] | None = None, timeout: float = 60,
         cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CREG), *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})}, cwd=cwd)


def creg_popen(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([str(CREG), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, **(env or {})})


def wait_for(predicate: Any, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False
