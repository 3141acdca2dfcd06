"""The HTTP side of ``creg ui``, against a real ``creg ui`` process on a free loopback port."""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers_ui import EVIL, ui_registry

ROOT = Path(__file__).resolve().parent.parent


def _interruptible() -> None:
    """Ctrl-C reaches the child even when the suite itself runs with SIGINT ignored (a background
    job): Python turns SIGINT into KeyboardInterrupt only when it did not inherit it ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class UiProcess:
    def __init__(self, *args: str, cwd: Path, env: dict[str, str] | None = None) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "registry", *args], cwd=cwd, text=True, env=env,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=_interruptible)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert found, (line, self.process.stderr.read() if self.process.stderr else "")
        self.port = int(found.group(1))

    def request(self, method: str, target: str, host: str | None = None) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.putrequest(method, target, skip_accept_encoding=True, skip_host=host is not None)  # as is
            if host is not None:
                connection.putheader("Host", host)
            connection.endheaders()
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()

    def stop(self) -> tuple[int, str]:
        self.process.send_signal(signal.SIGINT)
        _, err = self.process.communicate(timeout=30)
        return self.process.returncode, err


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiProcess]:
    """One server for the module (its HOME and cache in the module's own temporary folder)."""
    base = tmp_path_factory.mktemp("ui")
    project = base / "project"
    project.mkdir()
    (project / "evil.yaml").write_text(
        f"name: evil\ndescription: {EVIL!r}\ntasks:\n  t:\n    image: alpine:3.19\n    command: [echo, hi]\n")
    registry = ui_registry(base)
    home = base / "home"
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
           "XDG_CACHE_HOME": str(home / ".cache"), "XDG_DATA_HOME": str(home / ".local" / "share"),
           "CREG_CACHE_DIR": str(home / ".cache" / "creg")}
    process = UiProcess("--registry", str(registry), "ui", "--port", "0", cwd=project, env=env)
    try:
        yield process
    finally:
        if process.process.poll() is None:
            process.stop()


def test_pages_and_assets_are_served_with_a_strict_policy(ui: UiProcess) -> None:
    status, headers, body = ui.request("GET", "/")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert b"calc" in body and b"divmod" in body
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    for asset, kind in (("/static/app.js", "text/javascript"), ("/static/app.css", "text/css"),
                        ("/static/vendor/dagre/dagre.min.js", "text/javascript")):
        status, headers, body = ui.request("GET", asset)
        assert status == 200 and headers["content-type"].startswith(kind) and body


def test_unknown_paths_get_a_404_page(ui: UiProcess) -> None:
    for target in ("/nothing", "/components/nosuch.html", "/components/calc@9.9.9.html", "/static/nosuch.js",
                   "/pipelines/view.html?file=nosuch.yaml", "/runs/local/nosuch.html"):
        status, headers, body = ui.request("GET", target)
        assert status == 404, target
        assert headers["content-type"].startswith("text/html") and b"<h1>" in body


@pytest.mark.parametrize("target", [
    "/files/../../etc/passwd", "/static/../../../../etc/passwd", "/static/..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/static/%252e%252e/%252e%252e/etc/passwd",
    "/static/..%5c..%5cpages.py", "/static/vendor/dagre/../../../pages.py", "/static//etc/passwd",
    "/static/%2fetc%2fpasswd", "/static/app.js%00.png", "/pipelines/view.html?file=../../../../etc/passwd",
    "/pipelines/view.html?file=/etc/passwd", "/runs/local/..%2f..%2fx/artifacts/a/b",
])
def test_path_traversal_is_refused(ui: UiProcess, target: str) -> None:
    status, _, body = ui.request("GET", target)
    assert status == 404
    assert b"root:" not in body and b"import " not in body


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_only_get_and_head_are_served(ui: UiProcess, method: str) -> None:
    status, headers, _ = ui.request(method, "/")
    assert status == 405 and headers["allow"] == "GET, HEAD"


def test_head_answers_like_get_without_a_body(ui: UiProcess) -> None:
    _, get_headers, get_body = ui.request("GET", "/static/app.css")
    status, headers, body = ui.request("HEAD", "/static/app.css")
    assert status == 200 and body == b""
    assert headers["content-length"] == get_headers["content-length"] == str(len(get_body))


def test_every_user_string_is_escaped(ui: UiProcess) -> None:
    escaped = b"&lt;script&gt;window.pwned=1&lt;/script&gt;"
    for target in ("/", "/components/evil.html", "/components/evil@0.1.0.html",
                   "/pipelines/view.html?file=evil.yaml"):
        status, _, body = ui.request("GET", target)
        assert status == 200, target
        assert b"<script>window.pwned" not in body and b"<img src=x" not in body, target
        assert escaped in body, target


def test_only_its_own_address_is_answered_on_loopback(ui: UiProcess) -> None:
    """A page whose name was re-pointed at 127.0.0.1 (DNS rebinding) cannot read the UI."""
    assert ui.request("GET", "/", host=f"localhost:{ui.port}")[0] == 200
    assert ui.request("GET", "/", host=f"[::1]:{ui.port}")[0] == 200
    for host in (f"evil.example:{ui.port}", "evil.example", f"127.0.0.1:{ui.port + 1}", ""):
        status, _, body = ui.request("GET", "/", host=host)
        assert status == 403 and b"calc" not in body, host


def test_ctrl_c_stops_it(tmp_path: Path) -> None:
    code, err = UiProcess("ui", "--port", "0", cwd=tmp_path).stop()
    assert code == 0 and "stopped" in err and "Traceback" not in err


def test_another_host_is_served_only_with_a_warning(tmp_path: Path) -> None:
    result = subprocess.Popen([sys.executable, "-m", "registry", "ui", "--host", "0.0.0.0", "--port", "0"],
                              cwd=tmp_path, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              preexec_fn=_interruptible)
    assert result.stdout is not None and result.stderr is not None
    served = result.stdout.readline()
    port = int(served.rsplit(":", 1)[1].split("/")[0])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/static/app.css", headers={"Host": "build-box.example:8080"})
    assert connection.getresponse().status == 200  # a host the user chose: any name reaches it
    connection.close()
    result.send_signal(signal.SIGINT)
    _, err = result.communicate(timeout=30)
    assert "http://0.0.0.0:" in served
    assert "warning: serving on 0.0.0.0" in err and "no login" in err


def test_a_port_in_use_is_a_usage_error(ui: UiProcess, tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "registry", "ui", "--port", str(ui.port)], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60, env={**os.environ})
    assert result.returncode == 2
    assert "cannot listen" in result.stderr and "Traceback" not in result.stderr
